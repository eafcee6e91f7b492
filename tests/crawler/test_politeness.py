"""Politeness and safety, over real HTTP: Retry-After honoured, failures retried with
growing pauses, a daily budget, private addresses refused, responses size-capped."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from crawler.middlewares import is_public_address, retry_after_seconds
from crawler.state import CrawlState
from sandbox import MarketSite, Request, Response, SandboxServer, build_corpus
from sandbox.throttle import ThrottledSite
from tests.crawler.conftest import crawl_sources, write_sources

BAZAAR: dict[str, Any] = {
    "kind": "html_marketplace",
    "platform": "sandbox-bazaar",
    "start_urls": ["/search?q="],
    "result_links": "a.result-link::attr(href)",
    "result_card": "li.result",
    "next_page": "a[rel~=next]::attr(href)",
    "listing_id": "/listing/(?P<id>[A-Za-z0-9_-]+)",
    "allow_private": True,
    "politeness": {"download_delay": 0, "concurrency": 1, "backoff": 0.2},
    "fields": {"title": "h1.listing-title::text"},
}


@pytest.fixture(scope="module")
def corpus() -> Any:
    return build_corpus(7, 12)


@contextmanager
def _serve(site_factory: Any, corpus: Any) -> Iterator[SandboxServer]:
    with SandboxServer(corpus=corpus, site_factory=site_factory) as server:
        yield server


def test_a_host_answering_429_is_not_hit_again_before_retry_after(
    corpus: Any, tmp_path: Path
) -> None:
    throttled: list[ThrottledSite] = []

    def factory(c: Any) -> ThrottledSite:
        throttled.append(ThrottledSite(MarketSite(c), retry_after=2, limit=2))
        return throttled[0]

    with _serve(factory, corpus) as server:
        sources = write_sources(tmp_path / "s.yaml", {"bazaar": BAZAAR})
        out = crawl_sources(sources, ["bazaar"], tmp_path, base_url=server.url)
        assert out.returncode == 0, out.stderr
        site = throttled[0]
        assert len(site.throttled) == 2
        assert site.violations == []  # never asked again while told to wait
        log = server.requests
        for i, record in enumerate(log):
            if record.status == 429:
                after = log[i + 1]
                assert (after.time - record.time).total_seconds() >= 1.9, (record, after)
        # Nothing lost: the throttled pages were fetched once the wait was over.
        assert sorted(r["listing"]["platform_id"] for r in out.listings) == sorted(
            x.listing_id for x in corpus.listings
        )
        stats = out.stats["bazaar"]
        assert stats["wildwatch/politeness/slowed/429"] == 2
        assert stats["wildwatch/politeness/waited"] >= 1


class FlakySite:
    """Answers 500 to the first `failures` requests of each listing page."""

    name = "flaky"

    def __init__(self, corpus: Any, failures: int) -> None:
        self.inner = MarketSite(corpus)
        self.failures = failures
        self.seen: dict[str, list[datetime]] = {}
        self._lock = threading.Lock()

    def handle(self, request: Request) -> Response:
        if request.path.startswith("/listing/"):
            with self._lock:
                times = self.seen.setdefault(request.path, [])
                times.append(datetime.now(UTC))
                if len(times) <= self.failures:
                    return Response.text("500 oops\n", 500)
        return self.inner.handle(request)


def test_failures_are_retried_after_growing_pauses(tmp_path: Path) -> None:
    corpus = build_corpus(7, 3)
    sites: list[FlakySite] = []

    def factory(c: Any) -> FlakySite:
        sites.append(FlakySite(c, failures=2))
        return sites[0]

    with _serve(factory, corpus) as server:
        sources = write_sources(tmp_path / "s.yaml", {"bazaar": BAZAAR})
        out = crawl_sources(sources, ["bazaar"], tmp_path, base_url=server.url)
        assert out.returncode == 0, out.stderr
        assert len(out.listings) == 3  # each page came through on its third try
        for times in sites[0].seen.values():
            assert len(times) == 3
            first, second = (b - a for a, b in itertools.pairwise(times))
            assert first >= timedelta(seconds=0.19)  # backoff 0.2 s, then 0.4 s
            assert second >= timedelta(seconds=0.39)


def test_retry_after_reads_seconds_and_dates() -> None:
    now = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
    assert retry_after_seconds(b"2") == 2.0
    assert retry_after_seconds("Sun, 22 Nov 2026 12:00:30 GMT", now) == 30.0
    assert retry_after_seconds("Sun, 22 Nov 2026 11:00:00 GMT", now) == 0.0
    assert retry_after_seconds("soon") is None
    assert retry_after_seconds(None) is None


def test_a_daily_budget_stops_the_source_for_the_day(corpus: Any, tmp_path: Path) -> None:
    state_url = f"sqlite:///{tmp_path / 'state.db'}"
    source = {**BAZAAR, "politeness": {**BAZAAR["politeness"], "daily_budget": 5}}
    with _serve(MarketSite, corpus) as server:
        sources = write_sources(tmp_path / "s.yaml", {"bazaar": source})
        first = crawl_sources(
            sources, ["bazaar"], tmp_path, base_url=server.url, state_url=state_url
        )
        assert first.returncode == 0, first.stderr
        assert first.stats["bazaar"]["finish_reason"] == "daily_budget"
        assert len(server.requests) == 5
        server.clear_requests()
        again = crawl_sources(
            sources, ["bazaar"], tmp_path, base_url=server.url, state_url=state_url
        )
        assert again.returncode == 0, again.stderr
        assert server.requests == []  # the day's budget is spent across runs
        assert CrawlState(state_url).spent("bazaar", datetime.now(UTC).date()) >= 5


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("127.0.0.1", False),
        ("10.1.2.3", False),
        ("192.168.0.10", False),
        ("172.16.5.4", False),
        ("169.254.169.254", False),  # cloud metadata
        ("::1", False),
        ("fe80::1", False),
        ("fd00::1", False),
        ("::ffff:127.0.0.1", False),
        ("0.0.0.0", False),
        ("224.0.0.1", False),
        ("93.184.216.34", True),
        ("2606:4700::1111", True),
    ],
)
def test_public_addresses(address: str, public: bool) -> None:
    assert is_public_address(address) is public


def test_private_hosts_are_refused_unless_the_source_allows_them(
    corpus: Any, tmp_path: Path
) -> None:
    source = {**BAZAAR, "allow_private": False}
    with _serve(MarketSite, corpus) as server:
        sources = write_sources(tmp_path / "s.yaml", {"bazaar": source})
        out = crawl_sources(sources, ["bazaar"], tmp_path, base_url=server.url)
        assert out.returncode == 0, out.stderr
        assert server.requests == []  # not even robots.txt
        assert out.listings == []
        assert out.stats["bazaar"]["wildwatch/refused/private_address"] >= 1
        assert "non-public address 127.0.0.1" in out.stderr


def test_responses_over_the_size_cap_are_dropped(corpus: Any, tmp_path: Path) -> None:
    source = {**BAZAAR, "max_bytes": 4096}
    with _serve(MarketSite, corpus) as server:
        sources = write_sources(tmp_path / "s.yaml", {"bazaar": source})
        out = crawl_sources(sources, ["bazaar"], tmp_path, base_url=server.url)
        assert out.returncode == 0, out.stderr
        assert out.listings == []  # every page of the sandbox is larger than 4 KiB
        assert "larger than download max size (4096)" in out.stderr
