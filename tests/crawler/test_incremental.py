"""Incremental crawling over real HTTP: a re-run fetches no unchanged listing page, an
edited listing is fetched again, and crawl health is kept per run."""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from crawler.errors import SourceConfigError
from crawler.sources import load_sources, parse_interval, validate_source
from crawler.state import CrawlState
from sandbox import Corpus, MarketSite, SandboxServer, build_corpus
from tests.crawler.conftest import crawl_sources, write_sources
from tests.crawler.test_politeness import BAZAAR

ROOT = Path(__file__).resolve().parents[2]


def _listing_fetches(server: SandboxServer) -> list[str]:
    return [r.path for r in server.requests if r.path.startswith("/listing/")]


def test_a_rerun_fetches_only_what_changed(tmp_path: Path) -> None:
    corpus = build_corpus(7, 24)
    state_url = f"sqlite:///{tmp_path / 'state.db'}"
    sources = write_sources(tmp_path / "s.yaml", {"bazaar": BAZAAR})
    with SandboxServer(corpus=corpus) as server:

        def run() -> Any:
            server.clear_requests()
            out = crawl_sources(
                sources, ["bazaar"], tmp_path, base_url=server.url, state_url=state_url
            )
            assert out.returncode == 0, out.stderr
            return out

        first = run()
        assert len(first.listings) == 24
        assert len(_listing_fetches(server)) == 24

        second = run()
        assert _listing_fetches(server) == []  # nothing changed: no listing page fetched
        assert second.stats["bazaar"]["wildwatch/skipped/not_due"] == 24

        # A seller edits one listing's price and title: its result card changes.
        edited = corpus.listings[5]
        changed = dataclasses.replace(
            edited, title=edited.title + " (giảm giá)", price=edited.price + Decimal(10)
        )
        site = server.site
        assert isinstance(site, MarketSite)
        site.replace_corpus(
            Corpus(
                tuple(changed if x is edited else x for x in corpus.listings),
                corpus.sellers,
                corpus.seed,
            )
        )
        third = run()
        assert _listing_fetches(server) == [f"/listing/{edited.listing_id}"]
        assert [r["listing"]["title"] for r in third.listings] == [changed.title]

    runs = CrawlState(state_url).runs("bazaar")
    assert [r.counts["listings"] for r in runs] == [1, 0, 24]  # newest first
    assert runs[0].counts["unchanged"] == 23
    assert all(r.warnings == [] for r in runs)
    # The test source has a rule for the title only: the generic extractor found the rest.
    assert runs[-1].coverage["price"] == runs[-1].coverage["seller"] == 1.0


def test_a_drop_against_earlier_runs_is_reported(tmp_path: Path) -> None:
    state_url = f"sqlite:///{tmp_path / 'state.db'}"
    sources = write_sources(tmp_path / "s.yaml", {"bazaar": BAZAAR})
    for size in (20, 20, 4):  # the site "changes": most listings no longer show
        with SandboxServer(corpus=build_corpus(size, size)) as server:
            out = crawl_sources(
                sources, ["bazaar"], tmp_path, base_url=server.url, state_url=state_url
            )
            assert out.returncode == 0, out.stderr
    runs = CrawlState(state_url).runs("bazaar")
    assert runs[1].warnings == []
    assert runs[0].warnings == [
        "listings dropped: 4 seen this run against a median of 20 over the previous 2 runs"
    ]
    assert "listings dropped" in out.stderr


def test_sources_file_is_validated_with_the_source_kind_and_field(tmp_path: Path) -> None:
    bad = {
        "shop": {**BAZAAR, "politeness": {"download_delay": -1}},
    }
    with pytest.raises(SourceConfigError, match=r"'shop' \(html_marketplace\): politeness"):
        load_sources(write_sources(tmp_path / "a.yaml", bad))
    with pytest.raises(SourceConfigError, match="kind: must be one of"):
        validate_source("x", {"kind": "gopher", "platform": "x"})
    with pytest.raises(SourceConfigError, match="keywords need a search_url"):
        validate_source("x", {**BAZAAR, "keywords": ["ivory"]})
    with pytest.raises(SourceConfigError, match=r"schedule: .*not an interval"):
        validate_source("x", {**BAZAAR, "schedule": "often"})
    with pytest.raises(SourceConfigError, match=r"hashtags: .*at least 1"):
        validate_source("m", {"kind": "mastodon", "platform": "m", "hashtags": []})


def test_keywords_expand_into_search_urls() -> None:
    source = validate_source(
        "x",
        {
            **BAZAAR,
            "start_urls": [],
            "search_url": "/search?q={keyword}",
            "keywords": ["ngà voi", "rhino horn"],
        },
    )
    assert source.resolved_start_urls("http://h:1") == [
        "http://h:1/search?q=ng%C3%A0+voi",
        "http://h:1/search?q=rhino+horn",
    ]
    assert parse_interval("6h").total_seconds() == 21600
    assert parse_interval(90).total_seconds() == 90


def test_the_shipped_sources_file_is_valid() -> None:
    sources = load_sources(ROOT / "config" / "sources.yaml")
    assert "sandbox-bazaar" in sources
