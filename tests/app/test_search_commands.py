"""`wildwatch search`, `reindex`, `outbox`, `saved-search` and `alerts` on a store filled by
a real crawl of the sandbox."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from indexer import Database, ListingStore
from sandbox import SandboxServer, build_corpus
from tests.conftest import SANDBOX_SEED, CrawledStore, run_cli
from tests.indexer.es_standin import EsStandIn


def _search(data_dir: Path, *args: str) -> dict:
    result = run_cli("search", *args, "--json", data_dir=data_dir)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_search_finds_chinese_inside_unspaced_text_with_highlights(
    crawled_store: CrawledStore,
) -> None:
    found = _search(crawled_store.data_dir, "象牙", "--limit", "50")
    assert found["total"] >= len(found["hits"]) > 0
    for hit in found["hits"]:
        listing = hit["listing"]
        assert "象牙" in f"{listing['title']}\n{listing.get('description') or ''}"
        marked = " ".join(f for fragments in hit["highlights"].values() for f in fragments)
        assert "<mark>" in marked
        assert "象" in marked and "牙" in marked


def test_filters_and_facets_agree(crawled_store: CrawledStore) -> None:
    everything = _search(crawled_store.data_dir, "--facet", "tier", "--limit", "0")
    tiers = {b["value"]: b["count"] for b in everything["facets"]["tier"]}
    assert sum(tiers.values()) == everything["total"] == crawled_store.report["stored"]
    high = _search(crawled_store.data_dir, "--tier", "high", "--limit", "500")
    assert high["total"] == tiers["high"]
    assert {h["listing"]["classification"]["tier"] for h in high["hits"]} == {"high"}


def test_sort_by_price_ascending(crawled_store: CrawledStore) -> None:
    found = _search(crawled_store.data_dir, "--sort", "price", "--asc", "--limit", "100")
    prices = [h["listing"]["price"] for h in found["hits"] if h["listing"].get("price") is not None]
    assert len(prices) > 10
    assert prices == sorted(prices)


def test_a_date_range_in_the_future_finds_nothing(crawled_store: CrawledStore) -> None:
    assert _search(crawled_store.data_dir, "象牙", "--from", "2099-01-01")["total"] == 0


def test_a_bad_filter_is_one_clear_error(crawled_store: CrawledStore) -> None:
    result = run_cli("search", "--appendix", "IV", data_dir=crawled_store.data_dir)
    assert result.returncode == 1
    [line] = result.stderr.strip().splitlines()
    assert "appendix" in line and "I, II or III" in line
    result = run_cli(
        "search", "--min-price", "50", "--max-price", "10", data_dir=crawled_store.data_dir
    )
    assert result.returncode == 1
    assert "price_min is above price_max" in result.stderr


def test_table_output_shows_hits_and_marks_matches(crawled_store: CrawledStore) -> None:
    result = run_cli("search", "象牙", "--limit", "3", data_dir=crawled_store.data_dir)
    assert result.returncode == 0, result.stderr
    rows = [r for r in result.stdout.splitlines() if "sandbox-bazaar:" in r]
    assert 1 <= len(rows) <= 3
    assert "[象牙]" in result.stdout or ("[象" in result.stdout and "牙]" in result.stdout)
    assert "<mark>" not in result.stdout
    assert "of" in result.stderr and "result(s)" in result.stderr


def test_reindex_rebuilds_the_embedded_index(crawled_store: CrawledStore) -> None:
    before = _search(crawled_store.data_dir, "象牙", "--limit", "500")
    result = run_cli("reindex", data_dir=crawled_store.data_dir)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (
        f"indexed {crawled_store.report['stored']} listing(s) on sqlite"
    )
    after = _search(crawled_store.data_dir, "象牙", "--limit", "500")
    assert [h["listing"]["id"] for h in after["hits"]] == [
        h["listing"]["id"] for h in before["hits"]
    ]


@pytest.fixture(scope="module")
def small_sandbox() -> Iterator[SandboxServer]:
    with SandboxServer(corpus=build_corpus(SANDBOX_SEED, 30)) as running:
        yield running


def test_a_crawl_while_the_index_is_down_is_replayed_later(
    small_sandbox: SandboxServer, tmp_path: Path
) -> None:
    with EsStandIn() as standin:
        env = {"WILDWATCH_ES_URL": standin.url, "WILDWATCH_ES_PREFIX": "crawl"}
        standin.go_down()
        crawl = run_cli(
            "crawl",
            "sandbox-bazaar",
            "--base-url",
            small_sandbox.url,
            "--no-screenshots",
            data_dir=tmp_path,
            env=env,
        )
        assert crawl.returncode == 0, crawl.stderr
        stored = json.loads(crawl.stdout.splitlines()[-1])["stored"]
        waiting = run_cli("outbox", data_dir=tmp_path, env=env)
        assert json.loads(waiting.stdout)["pending"] >= stored == 30

        still_down = run_cli("outbox", "--replay", data_dir=tmp_path, env=env)
        assert still_down.returncode == 1
        assert "index unavailable" in still_down.stderr

        standin.come_back()
        replay = run_cli("outbox", "--replay", data_dir=tmp_path, env=env)
        assert replay.returncode == 0, replay.stderr
        assert json.loads(replay.stdout)["pending"] == 0
        indexed = standin.documents("crawl-listings")
        database = Database.for_data_dir(tmp_path)
        with database.session() as session:
            store = ListingStore(session)
            assert set(indexed) == {listing.id for listing in store.flagged(limit=1000)} | {
                i for i in indexed if store.get(i) is not None
            }
            assert len(indexed) == store.counts().listings == 30
        database.dispose()

        # A rebuild goes to a new index and moves the alias; nothing is lost.
        before = standin.alias_targets("crawl-listings")
        rebuilt = run_cli("reindex", data_dir=tmp_path, env=env)
        assert rebuilt.returncode == 0, rebuilt.stderr
        assert "indexed 30 listing(s) on elasticsearch" in rebuilt.stdout
        after = standin.alias_targets("crawl-listings")
        assert after and after.isdisjoint(before)
        assert len(standin.documents("crawl-listings")) == 30


def test_saved_search_alerts_on_matching_listings(
    small_sandbox: SandboxServer, tmp_path: Path
) -> None:
    saved = run_cli(
        "saved-search", "add", "ivory, high risk", "象牙", "--tier", "high", data_dir=tmp_path
    )
    assert saved.returncode == 0, saved.stderr
    assert json.loads(saved.stdout)["alerts"] == 0  # the store is empty yet
    crawl = run_cli(
        "crawl",
        "sandbox-bazaar",
        "--base-url",
        small_sandbox.url,
        "--no-screenshots",
        data_dir=tmp_path,
    )
    assert crawl.returncode == 0, crawl.stderr

    expected = {h["listing"]["id"] for h in _search(tmp_path, "象牙", "--tier", "high")["hits"]}
    shown = run_cli("alerts", "--json", "--mark-sent", data_dir=tmp_path)
    assert shown.returncode == 0, shown.stderr
    alerts = [json.loads(line) for line in shown.stdout.splitlines()]
    assert {a["listing_id"] for a in alerts} == expected
    assert {a["saved_search"] for a in alerts} <= {"ivory, high risk"}
    # Sent alerts are not shown again; a second crawl of the same pages raises none.
    assert run_cli("alerts", "--json", data_dir=tmp_path).stdout.strip() == ""

    listed = run_cli("saved-search", "list", "--json", data_dir=tmp_path)
    [entry] = [json.loads(line) for line in listed.stdout.splitlines()]
    assert entry["query"] == {"text": "象牙", "tier": ["high"]}
