"""The whole path over real HTTP: sandbox -> Scrapy spider -> classifier -> SQLite store."""

from __future__ import annotations

import json
import socket
import subprocess
import time
import urllib.request
from collections import defaultdict
from pathlib import Path

from crawler.listing import Classification
from indexer import Database, ListingStore
from indexer.clusters import seller_cluster_summaries
from indexer.search import SearchQuery
from indexer.search.service import search
from indexer.search.sqlite import SqliteBackend
from tests.conftest import WILDWATCH, CrawledStore, run_cli

PLATFORM = "sandbox-bazaar"


def verdicts_by_category(crawled: CrawledStore) -> dict[str, list[Classification]]:
    """The stored verdict on every sandbox listing, grouped by its true category."""
    out: dict[str, list[Classification]] = defaultdict(list)
    with crawled.database.session() as session:
        store = ListingStore(session)
        for item in crawled.server.corpus.listings:
            stored = store.get(f"{PLATFORM}:{item.listing_id}")
            assert stored is not None and stored.classification is not None, item.listing_id
            out[item.category].append(stored.classification)
    return out


def test_crawl_stores_every_sandbox_listing_once(crawled_store: CrawledStore) -> None:
    corpus = crawled_store.server.corpus.listings
    with crawled_store.database.session() as session:
        counts = ListingStore(session).counts(platform=PLATFORM)
    assert crawled_store.report["stored"] == len(corpus) == counts.listings
    assert crawled_store.report["errors"] == 0
    fetched = [r.path for r in crawled_store.server.requests if r.path.startswith("/listing/")]
    assert len(fetched) == len(set(fetched)) == len(corpus)


def test_crawl_obeys_robots_txt(crawled_store: CrawledStore) -> None:
    paths = [r.path for r in crawled_store.server.requests]
    assert "/robots.txt" in paths
    assert not [p for p in paths if p.startswith("/private")]


def test_stored_fields_match_the_pages(crawled_store: CrawledStore) -> None:
    with crawled_store.database.session() as session:
        store = ListingStore(session)
        for item in crawled_store.server.corpus.listings[:60]:
            stored = store.get(f"{PLATFORM}:{item.listing_id}")
            assert stored is not None
            assert stored.title == item.title
            assert stored.currency == item.currency
            assert stored.price == float(item.price)
            assert stored.seller is not None and stored.seller.id == item.seller_id
            assert stored.language == item.language
            assert stored.crawl is not None and stored.crawl.status == 200


def test_clear_offers_rank_above_lookalikes_and_ordinary_goods(crawled_store: CrawledStore) -> None:
    verdicts = verdicts_by_category(crawled_store)
    illegal = [v.risk for v in verdicts["illegal"]]
    others = [v.risk for v in verdicts["lookalike"] + verdicts["ordinary"]]
    # Share of (clear offer, harmless listing) pairs ordered the right way round.
    pairs = sum(1 for a in illegal for b in others if a > b)
    ties = sum(1 for a in illegal for b in others if a == b)
    auc = (pairs + ties / 2) / (len(illegal) * len(others))
    assert auc >= 0.97, f"ranking AUC {auc:.3f}"
    flagged_illegal = sum(v.flagged for v in verdicts["illegal"]) / len(illegal)
    assert flagged_illegal >= 0.9, f"only {flagged_illegal:.0%} of clear offers flagged"
    assert not any(v.flagged for v in verdicts["ordinary"]), "an ordinary listing was flagged"
    flagged_lookalikes = sum(v.flagged for v in verdicts["lookalike"]) / len(verdicts["lookalike"])
    assert flagged_lookalikes <= 0.05, f"{flagged_lookalikes:.0%} of look-alikes flagged"


def test_review_queue_top_is_real_offers(crawled_store: CrawledStore) -> None:
    categories = {
        f"{PLATFORM}:{x.listing_id}": x.category for x in crawled_store.server.corpus.listings
    }
    n_offers = sum(c in {"illegal", "coded"} for c in categories.values())
    with crawled_store.database.session() as session:
        top = ListingStore(session).flagged(limit=n_offers // 2)
    offers = sum(categories[x.id] in {"illegal", "coded"} for x in top)
    assert offers / len(top) >= 0.95


def test_chinese_query_finds_the_chinese_ivory_listings(crawled_store: CrawledStore) -> None:
    expected = {
        f"{PLATFORM}:{x.listing_id}"
        for x in crawled_store.server.corpus.listings
        if "象牙" in f"{x.title}\n{x.description}"
    }
    assert len(expected) >= 3
    with crawled_store.database.session() as session:
        result = search(session, SqliteBackend(session), SearchQuery(text="象牙", limit=500))
    assert {h.listing.id for h in result.hits} == expected
    assert result.total == len(expected)


def test_demo_once_summary_matches_the_store(tmp_path: Path) -> None:
    result = run_cli("demo", "--once", "--no-screenshots", data_dir=tmp_path)
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert Path(summary["db"]) == tmp_path.resolve() / "wildwatch.db"
    assert summary["crawled"] == summary["store_listings"] >= 500
    assert summary["flagged"] == summary["store_flagged"] > 0
    assert sum(summary["by_tier"].values()) == summary["crawled"]
    # Seller clusters are built, so the review app's cluster view is not empty: the
    # sandbox's traders who post under two accounts are tied.
    database = Database(f"sqlite:///{summary['db']}")
    try:
        with database.session() as session:
            clusters = seller_cluster_summaries(session)
    finally:
        database.dispose()
    assert summary["seller_clusters"] == len(clusters) > 0
    assert summary["tied_accounts"] == sum(len(c.accounts) for c in clusters)
    # Running it again updates the same listings rather than adding copies.
    again = run_cli("demo", "--once", "--no-screenshots", data_dir=tmp_path)
    second = json.loads(again.stdout.splitlines()[-1])
    assert second["store_listings"] == summary["store_listings"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_demo_ends_by_serving_the_review_app(tmp_path: Path) -> None:
    port = _free_port()
    log = tmp_path / "demo.log"
    # Output goes to a file: a full pipe would stall the server.
    with log.open("w") as sink:
        proc = subprocess.Popen(
            [
                WILDWATCH,
                "demo",
                "--no-screenshots",
                "--port",
                str(port),
                "--data-dir",
                str(tmp_path / "data"),
            ],
            stdout=sink,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            deadline = time.monotonic() + 240
            page = None
            while time.monotonic() < deadline and proc.poll() is None:
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as resp:
                        page = resp.read().decode()
                        break
                except OSError:
                    time.sleep(0.5)
            assert page is not None, log.read_text()
            assert "Flagged listings" in page
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    out = log.read_text()
    assert f"review app: http://127.0.0.1:{port}/" in out
    assert "flagged" in out


def test_every_stored_reason_points_at_its_text(crawled_store: CrawledStore) -> None:
    with crawled_store.database.session() as session:
        flagged = ListingStore(session).flagged(limit=1000)
    assert flagged
    for listing in flagged:
        assert listing.classification is not None
        reasons = listing.classification.reasons
        assert any(r.kind != "contact" for r in reasons), listing.id
        for reason in reasons:
            assert listing.text[reason.start : reason.end] == reason.term, (listing.id, reason)
