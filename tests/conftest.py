"""Fixtures shared by the whole suite: the sandbox over real HTTP, a crawled store, the CLI."""

from __future__ import annotations

import glob
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from indexer import Database

if TYPE_CHECKING:
    from sandbox import SandboxServer

SANDBOX_SEED = 20261121
# The console script installed next to this interpreter (the venv's bin/).
WILDWATCH = str(Path(sys.executable).with_name("wildwatch"))


@dataclass(frozen=True)
class CliResult:
    returncode: int
    stdout: str
    stderr: str


def run_cli(
    *args: str,
    data_dir: Path | None = None,
    stdin: str | None = None,
    timeout: float = 300,
    env: dict[str, str] | None = None,
) -> CliResult:
    """Run the real ``wildwatch`` command in a child process (Scrapy's reactor is one-shot)."""
    full_env = {**os.environ, **(env or {})}
    full_env.pop("WILDWATCH_DATA_DIR", None)
    if env and "WILDWATCH_DATA_DIR" in env:
        full_env["WILDWATCH_DATA_DIR"] = env["WILDWATCH_DATA_DIR"]
    command = [WILDWATCH, *args]
    if data_dir is not None:
        command += ["--data-dir", str(data_dir)]
    # From a neutral directory, so the installed command is tested, not the checkout.
    proc = subprocess.run(
        command,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=full_env,
        check=False,
        cwd=tempfile.gettempdir(),
    )
    return CliResult(proc.returncode, proc.stdout, proc.stderr)


@pytest.fixture(scope="session")
def sandbox_server() -> Iterator[SandboxServer]:
    from sandbox import SandboxServer

    server = SandboxServer(seed=SANDBOX_SEED)
    server.start()
    yield server
    server.stop()


@dataclass(frozen=True)
class CrawledStore:
    """A store filled by one real crawl of the sandbox, and what the crawl reported."""

    data_dir: Path
    database: Database
    report: dict[str, Any]
    server: SandboxServer


@pytest.fixture(scope="session")
def crawled_store(
    sandbox_server: SandboxServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[CrawledStore]:
    """Runs ``wildwatch crawl sandbox-bazaar`` against the sandbox once for the session."""
    data_dir = tmp_path_factory.mktemp("crawled")
    result = run_cli(
        "crawl",
        "sandbox-bazaar",
        "--base-url",
        sandbox_server.url,
        "--no-screenshots",
        data_dir=data_dir,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    database = Database.for_data_dir(data_dir)
    yield CrawledStore(data_dir, database, report, sandbox_server)
    database.dispose()


@pytest.fixture
def database(tmp_path: Path) -> Iterator[Database]:
    db = Database.for_data_dir(tmp_path)
    db.create_schema()
    yield db
    db.dispose()


# -- PostgreSQL: a real server on loopback, for the store's and the crawl state's tests


def _pg_bin(name: str) -> str:
    found = shutil.which(name) or next(
        iter(sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)), None
    )
    if found is None:
        pytest.fail(f"PostgreSQL's {name} is missing: install postgresql (make test does, via apt)")
    return found


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _as_postgres(*command: str) -> list[str]:
    # initdb and the server refuse to run as root; elsewhere run them as we are.
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else list(command)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL cluster on a free loopback port, for the whole session."""
    root = Path(tempfile.mkdtemp(prefix="wildwatch-pg-"))
    data = root / "data"
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
    port = _free_port()
    subprocess.run(
        _as_postgres(_pg_bin("initdb"), "-D", str(data), "-A", "trust", "-U", "wildwatch"),
        check=True,
        capture_output=True,
    )
    options = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off"
    # The server's output goes to a log file: a pipe would stay open as long as the
    # server runs, and reading it would never end.
    log = root / "server.log"
    subprocess.run(
        _as_postgres(
            _pg_bin("pg_ctl"), "-D", str(data), "-o", options, "-l", str(log), "-w", "start"
        ),
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield f"postgresql+psycopg://wildwatch@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(
            _as_postgres(_pg_bin("pg_ctl"), "-D", str(data), "-m", "immediate", "stop"),
            check=False,
            capture_output=True,
        )
        shutil.rmtree(root, ignore_errors=True)
