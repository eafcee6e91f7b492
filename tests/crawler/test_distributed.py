"""Distributed crawling: two crawler processes share one Bazaar frontier in a real Redis.

Each worker is ``python -m crawler sandbox-bazaar ... --set WILDWATCH_REDIS_URL=...``
against the sandbox over HTTP; together they must find every listing once.
"""

from __future__ import annotations

import json
import math
import shutil
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from crawler.distributed import SharedFrontierError, frontier_keys, redis_settings, reset_frontier
from sandbox.corpus import Corpus
from sandbox.market import PAGE_SIZE, MarketSite
from sandbox.server import Request, Response, SandboxServer
from tests.crawler.conftest import ROOT

SOURCE = "sandbox-bazaar"
SOURCES_FILE = ROOT / "config" / "sources.yaml"
REDIS_SERVER = Path("/usr/bin/redis-server")
# Each worker sends about ten requests a second, a couple at a time, so that one
# worker cannot take the whole frontier before the other looks at the queue again
# (an idle worker looks every 5 s). The idle timeout outlasts the slow first page.
WORKER_SETTINGS = {
    "DOWNLOAD_DELAY": 0.1,
    "CONCURRENT_REQUESTS": 2,
    "WILDWATCH_REDIS_IDLE_TIMEOUT": 6,
}
FIRST_PAGE_DELAY = 3.0


class SlowFirstResults:
    """The Bazaar, answering the first results page (the start URL) after a pause.

    Meanwhile the worker that did not get the start URL finds the shared queue
    empty: without the idle wait it would finish at once, having read nothing.
    """

    def __init__(self, corpus: Corpus) -> None:
        self.site = MarketSite(corpus)
        self.name = self.site.name

    def handle(self, request: Request) -> Response:
        if request.path == "/search" and request.arg("page", "1") == "1":
            time.sleep(FIRST_PAGE_DELAY)
        return self.site.handle(request)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A fresh redis-server on a free loopback port, stopped at the end."""
    binary = str(REDIS_SERVER) if REDIS_SERVER.exists() else shutil.which("redis-server")
    if binary is None:
        pytest.fail(
            "redis-server is not installed: install it (apt-get install redis-server; "
            "`make test` does) to test distributed crawling"
        )
    port = _free_port()
    log = tmp_path_factory.mktemp("redis") / "redis.log"
    command = [binary, "--port", str(port), "--bind", "127.0.0.1"]
    command += ["--save", "", "--appendonly", "no"]
    with log.open("w") as out:
        process = subprocess.Popen(
            command,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"redis://127.0.0.1:{port}/0"
    try:
        _wait_until_up(url, process, log)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def _wait_until_up(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    client = redis.Redis.from_url(url, socket_connect_timeout=1)
    deadline = time.monotonic() + 15
    try:
        while True:
            if process.poll() is not None:
                pytest.fail(f"redis-server exited at start:\n{log.read_text()}")
            try:
                if client.ping():
                    return
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    pytest.fail(f"redis-server did not answer PING in 15 s:\n{log.read_text()}")
                time.sleep(0.05)
    finally:
        client.close()


def _worker_command(base_url: str, redis_url: str, output: Path) -> list[str]:
    command = [sys.executable, "-m", "crawler", SOURCE, "--sources", str(SOURCES_FILE)]
    command += ["--base-url", base_url, "--output", str(output)]
    settings = {"WILDWATCH_REDIS_URL": redis_url, **WORKER_SETTINGS}
    for name, value in settings.items():
        command += ["--set", f"{name}={json.dumps(value)}"]
    return command


def _listing_ids(output: Path) -> list[str]:
    if not output.exists():
        return []
    records = [json.loads(line) for line in output.read_text().splitlines()]
    return [r["listing"]["platform_id"] for r in records if "listing" in r]


def test_two_workers_share_one_frontier_and_fetch_each_listing_once(
    redis_url: str, tmp_path: Path
) -> None:
    with SandboxServer(seed=7, size=120, site_factory=SlowFirstResults) as server:
        reset_frontier(redis_url, SOURCE)  # a fresh distributed crawl
        outputs = [tmp_path / f"worker-{n}.jsonl" for n in (1, 2)]
        logs = [tmp_path / f"worker-{n}.log" for n in (1, 2)]
        workers = []
        for output, log in zip(outputs, logs, strict=True):
            with log.open("w") as out:
                command = _worker_command(server.url, redis_url, output)
                workers.append(
                    subprocess.Popen(command, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
                )
        try:
            codes = [worker.wait(timeout=120) for worker in workers]
        finally:
            for worker in workers:
                if worker.poll() is None:
                    worker.kill()
        requests = server.requests
        expected = {listing.listing_id for listing in server.corpus.listings}

    for code, log in zip(codes, logs, strict=True):
        assert code == 0, log.read_text()[-3000:]
    first, second = (_listing_ids(output) for output in outputs)
    # The work was shared: each worker read listings.
    assert first, f"worker 1 read no listing:\n{logs[0].read_text()[-2000:]}"
    assert second, f"worker 2 read no listing:\n{logs[1].read_text()[-2000:]}"
    # Nothing read twice, by one worker or by both, and nothing missed.
    both = first + second
    assert len(both) == len(set(both)), sorted(k for k, n in Counter(both).items() if n > 1)
    assert set(both) == expected
    # The site saw each listing page once, and each result page once (every worker
    # starts from the same start URL).
    listing_hits = Counter(r.path for r in requests if r.path.startswith("/listing/"))
    assert listing_hits == Counter({f"/listing/{listing_id}": 1 for listing_id in expected})
    search_hits = Counter(f"{r.path}?{r.query}" for r in requests if r.path == "/search")
    assert len(search_hits) == math.ceil(len(expected) / PAGE_SIZE)
    assert set(search_hits.values()) == {1}, search_hits

    # The frontier outlives the workers (one stopping does not wipe it for the
    # others) until reset: the dupefilter remembers every page fetched.
    keys = frontier_keys(SOURCE)
    client = redis.Redis.from_url(redis_url)
    try:
        assert client.scard(keys.dupefilter) == len(expected) + len(search_hits)
        assert client.zcard(keys.queue) == 0
        reset_frontier(redis_url, SOURCE)
        assert client.exists(keys.dupefilter, keys.queue) == 0
    finally:
        client.close()


def test_reset_clears_only_its_own_source(redis_url: str) -> None:
    client = redis.Redis.from_url(redis_url)
    try:
        for name in ("bazaar-a", "bazaar-b"):
            keys = frontier_keys(name)
            client.sadd(keys.dupefilter, "fingerprint")
            client.zadd(keys.queue, {b"request": 0})
        assert reset_frontier(redis_url, "bazaar-a") == 2
        kept = frontier_keys("bazaar-b")
        gone = frontier_keys("bazaar-a")
        assert client.exists(gone.dupefilter, gone.queue) == 0
        assert client.exists(kept.dupefilter, kept.queue) == 2
    finally:
        client.flushdb()
        client.close()


def test_unreachable_redis_fails_before_crawling_without_showing_the_password(
    tmp_path: Path,
) -> None:
    url = f"redis://:s3cret-pass@127.0.0.1:{_free_port()}/0"
    with SandboxServer(seed=7, size=20) as server:
        command = _worker_command(server.url, url, tmp_path / "items.jsonl")
        proc = subprocess.run(
            command, cwd=ROOT, capture_output=True, text=True, timeout=60, check=False
        )
        fetched = server.requests
    assert proc.returncode == 2, proc.stderr
    assert "cannot reach Redis at redis://:***@127.0.0.1:" in proc.stderr
    assert "s3cret-pass" not in proc.stderr + proc.stdout
    assert fetched == []


@pytest.mark.parametrize(
    ("url", "source", "message"),
    [
        ("http://127.0.0.1:6379/0", SOURCE, "not a Redis URL"),
        ("redis://127.0.0.1:port/0", SOURCE, "bad port"),
        ("redis:///0", SOURCE, "names no host"),
        ("redis://127.0.0.1:6379/0", "Bazaar %(spider)s", "not a source name"),
    ],
)
def test_bad_frontier_configuration_is_refused(url: str, source: str, message: str) -> None:
    with pytest.raises(SharedFrontierError, match=message):
        redis_settings(url, source)
