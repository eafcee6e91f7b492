"""Conventions every command keeps: --help, --data-dir, one-line errors."""

from __future__ import annotations

import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import WILDWATCH, run_cli

COMMANDS = [
    "demo",
    "classify",
    "serve",
    "crawl",
    "search",
    "reindex",
    "outbox",
    "alerts",
    "clusters",
    "takedowns",
    "schedule",
]


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_and_data_dir(command: str) -> None:
    result = run_cli(command, "--help")
    assert result.returncode == 0
    assert "--data-dir" in result.stdout
    assert "WILDWATCH_DATA_DIR" in result.stdout


def test_top_level_help_lists_the_commands() -> None:
    result = run_cli("--help")
    assert result.returncode == 0
    for command in [*COMMANDS, "sandbox", "extract", "sources", "saved-search", "db"]:
        assert command in result.stdout


def test_a_file_as_data_dir_is_one_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    result = run_cli("search", "ivory", data_dir=blocker)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"Error: data directory {blocker} exists and is not a directory"
    ]


def test_data_dir_from_the_environment(tmp_path: Path) -> None:
    result = run_cli("search", "ivory", env={"WILDWATCH_DATA_DIR": str(tmp_path / "d")})
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "d" / "wildwatch.db").exists()


def test_unknown_source_names_the_known_ones(tmp_path: Path) -> None:
    result = run_cli("crawl", "no-such-site", data_dir=tmp_path)
    assert result.returncode == 1
    assert "no source named 'no-such-site'" in result.stderr
    assert "sandbox-bazaar" in result.stderr


def test_search_prints_hits_from_the_store(crawled_store) -> None:  # type: ignore[no-untyped-def]
    result = run_cli("search", "象牙", "--limit", "5", data_dir=crawled_store.data_dir)
    assert result.returncode == 0, result.stderr
    rows = [row for row in result.stdout.splitlines() if not row.startswith(" ")]
    assert 1 <= len(rows) <= 5
    assert all("sandbox-bazaar:" in row for row in rows)


def test_sandbox_command_serves_the_marketplace(tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    log = tmp_path / "sandbox.log"
    with log.open("w") as sink:
        proc = subprocess.Popen(
            [WILDWATCH, "sandbox", "--port", str(port)], stdout=sink, stderr=subprocess.STDOUT
        )
        try:
            deadline, body = time.monotonic() + 60, None
            while body is None and time.monotonic() < deadline and proc.poll() is None:
                try:
                    url = f"http://127.0.0.1:{port}/search?q=&page=1"
                    with urllib.request.urlopen(url, timeout=5) as response:
                        body = response.read().decode()
                except OSError:
                    time.sleep(0.3)
            assert body is not None, log.read_text()
            assert body.count('class="result-link"') == 20
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    assert f"sandbox bazaar at http://127.0.0.1:{port}" in log.read_text()


def test_schedule_lists_a_crawl_and_a_takedown_job_per_scheduled_source(tmp_path: Path) -> None:
    result = run_cli("schedule", "--list", data_dir=tmp_path)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert any(line.startswith("crawl:sandbox-bazaar") and "6:00:00" in line for line in lines)
    assert any(line.startswith("takedowns:sandbox-bazaar") and "1 day" in line for line in lines)
    assert any(line.startswith("clusters ") and "1:00:00" in line for line in lines)
    assert not any(line.startswith("outbox") for line in lines)  # no Elasticsearch here


def test_crawl_refuses_bad_requests_with_one_line(tmp_path: Path) -> None:
    relative = run_cli("crawl", "--all", data_dir=tmp_path)
    assert relative.returncode == 1
    assert "is relative and no base_url is set" in relative.stderr
    assert "Traceback" not in relative.stderr
    both = run_cli("crawl", "sandbox-bazaar", "--url", "http://example.org/x", data_dir=tmp_path)
    assert both.returncode == 2 and "one of them" in both.stderr
    unknown = run_cli("crawl", "nosuch", data_dir=tmp_path)
    assert unknown.returncode == 1 and "no source named 'nosuch'" in unknown.stderr
    bad_url = run_cli("crawl", "--url", "ftp://example.org/x", data_dir=tmp_path)
    assert bad_url.returncode == 1 and "not an http(s) URL" in bad_url.stderr
