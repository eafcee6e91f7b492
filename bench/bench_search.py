"""Bulk indexing rate and query latency of the embedded SQLite search index.

Run: ``python bench/bench_search.py [--listings 100000] [--queries 300] [--seed 20261121]
[--dir DIR]``. It fills a fresh store with synthetic listings, then rebuilds the index
from it and times searches. The listings are recombined from the sandbox marketplace's
multilingual texts (Chinese, Thai, Vietnamese, Indonesian, English, French, Spanish,
Portuguese), sentence pieces shuffled within a language so that every listing is
different but reads like the real ones; platforms, risk tiers, species and countries
are skewed the way a crawl's are (a few large platforms, most listings harmless). The
same seed gives the same store and the same queries.

Prints the store fill rate (bulk inserts of listings and classifications), the index
rebuild rate (`SqliteIndex.rebuild`, documents per second), the database size, and
p50/p95 latency of five kinds of query:

- full-text: one or two words;
- filtered full-text: words + platform + risk tier + a 90-day date range;
- filters only: platform + tier + country;
- full-text with facets: words + six facets counted over all matches;
- sort by risk: the flagged listings of one platform, riskiest first.

Each latency is the backend's answer (ids, total, facets, highlights) plus reading the
page of 20 listings from the store, as `indexer.search.service.search` does.
"""

from __future__ import annotations

import argparse
import random
import re
import resource
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import insert
from sqlalchemy.orm import Session

from classifiers.lexicon import Lexicon
from indexer import Database
from indexer.models import ClassificationRow, ListingRow, ReviewRow, TakedownRow
from indexer.search import SearchQuery
from indexer.search.service import read_listings
from indexer.search.sqlite import SqliteBackend, SqliteIndex
from sandbox.corpus import build_corpus

PLATFORMS = [f"platform-{i:02d}" for i in range(12)]
TIERS = ("none", "low", "medium", "high")
TIER_WEIGHTS = (0.62, 0.2, 0.11, 0.07)
TIER_RISK = {"none": (0.0, 0.2), "low": (0.2, 0.5), "medium": (0.5, 0.75), "high": (0.75, 1.0)}
START = datetime(2024, 1, 1, tzinfo=UTC)
SPAN_DAYS = 730
FACETS = ["platform", "tier", "country", "language", "species", "family"]
_PIECES = re.compile(r"[^,.!?;:，。！？；：\n]+")
_WORD = re.compile(r"[^\W\d_]{3,}")
_UNSPACED = re.compile(r"[\u0e00-\u0e7f\u3400-\u9fff]+")


def _zipf(count: int, s: float = 1.1) -> list[float]:
    return [1 / (rank**s) for rank in range(1, count + 1)]


class Generator:
    """Synthetic listings recombined from the sandbox corpus, reproducible from a seed."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        corpus = build_corpus(seed=seed).listings
        self.base = corpus
        self.pieces: dict[str, list[str]] = {}
        for listing in corpus:
            for piece in _PIECES.findall(listing.description):
                if piece.strip():
                    self.pieces.setdefault(listing.language, []).append(piece.strip())
        lexicon = Lexicon.load()
        species = [s for s in lexicon.species.values() if s.scientific_name and s.cites_appendix]
        species.sort(key=lambda s: s.key)
        self.species = species[:400]
        self.species_weights = _zipf(len(self.species))
        self.products = sorted({t.term for t in lexicon.terms if t.family})
        self.platform_weights = _zipf(len(PLATFORMS), 1.3)

    def listing(self, number: int) -> tuple[dict[str, Any], dict[str, Any]]:
        rng = self.rng
        base = rng.choice(self.base)
        pieces = self.pieces[base.language]
        sep = "" if base.language in ("zh", "th") else ". "
        description = sep.join(rng.sample(pieces, k=min(len(pieces), rng.randint(3, 9))))
        title = base.title if rng.random() < 0.6 else f"{base.title} {rng.choice(pieces)}"[:200]
        posted = START + timedelta(seconds=rng.randrange(SPAN_DAYS * 86_400))
        listing_id = f"{rng.choices(PLATFORMS, self.platform_weights)[0]}:{number}"
        tier = rng.choices(TIERS, TIER_WEIGHTS)[0]
        low, high = TIER_RISK[tier]
        risk = round(rng.uniform(low, high), 4)
        listing = {
            "id": listing_id,
            "platform": listing_id.split(":")[0],
            "platform_id": str(number),
            "url": f"https://example.test/{number}",
            "title": title,
            "description": f"{description} #{number}",
            "price": round(rng.lognormvariate(5, 2), 2),
            "currency": base.currency,
            "seller_id": f"s{rng.randrange(number // 20 + 1)}",
            "seller_name": f"seller {rng.randrange(50_000)}",
            "location": base.location,
            "posted_at": posted,
            "language": base.language,
            "image_urls": [],
            "hashtags": [],
            "comments": [],
            "first_seen": posted,
            "last_seen": posted + timedelta(days=3),
            "evidence": [],
            "image_hashes": [],
            "seller_cluster": f"sc-{rng.randrange(2000)}" if rng.random() < 0.05 else None,
        }
        species = []
        reasons = []
        if tier != "none":
            for info in rng.choices(self.species, self.species_weights, k=rng.randint(1, 2)):
                species.append(
                    {
                        "name": info.name,
                        "scientific_name": info.scientific_name,
                        "cites_appendix": info.cites_appendix,
                    }
                )
            term = rng.choice(self.products)
            reasons.append({"kind": "product", "term": term, "start": 0, "end": len(term)})
        classification = {
            "listing_id": listing_id,
            "wildlife_product": risk,
            "risk": risk,
            "flagged": risk >= 0.5,
            "tier": tier,
            "species": species,
            "reasons": reasons,
            "model": "bench",
            "classified_at": posted,
        }
        return listing, classification

    def query_words(self, rng: random.Random, count: int) -> list[str]:
        """Words people would type: frequent and rare ones, in every language of the corpus."""
        counts: Counter[str] = Counter()
        for listing in self.base:
            text = listing.text.casefold()
            for run in _UNSPACED.findall(text):
                counts.update(run[i : i + 2] for i in range(len(run) - 1))
            counts.update(_WORD.findall(_UNSPACED.sub(" ", text)))
        pool = [word for word, _ in counts.most_common(600)]
        return [rng.choice(pool) for _ in range(count)]


def fill_store(database: Database, generator: Generator, count: int) -> float:
    """Bulk-insert `count` listings with their classifications; the seconds the inserts took
    (generating the listings is not counted)."""
    batch = 5_000
    inserting = 0.0
    with database.session() as session:
        for start in range(0, count, batch):
            rows = [generator.listing(n) for n in range(start, min(count, start + batch))]
            # A few verdicts on the riskiest, a few takedowns: the document build reads both.
            reviews = [
                {"listing_id": listing["id"], "verdict": "confirm", "created_at": seen}
                for listing, c in rows
                if c["tier"] == "high" and (seen := listing["last_seen"]).day % 3 == 0
            ]
            takedowns = [
                {"listing_id": listing["id"], "removed_at": listing["last_seen"], "status": 404}
                for listing, _ in rows[::97]
            ]
            started = time.perf_counter()
            session.execute(insert(ListingRow), [listing for listing, _ in rows])
            session.execute(insert(ClassificationRow), [c for _, c in rows])
            if reviews:
                session.execute(insert(ReviewRow), reviews)
            session.execute(insert(TakedownRow), takedowns)
            inserting += time.perf_counter() - started
        started = time.perf_counter()
    return inserting + time.perf_counter() - started  # with the commit


def _percentiles(samples: list[float]) -> str:
    ordered = sorted(samples)
    p50 = statistics.median(ordered)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return f"p50 {p50 * 1000:7.1f} ms   p95 {p95 * 1000:7.1f} ms"


def time_queries(
    session: Session, queries: list[SearchQuery]
) -> tuple[list[float], list[float], list[int]]:
    backend = SqliteBackend(session)
    backend_s, total_s, totals = [], [], []
    for query in queries:
        started = time.perf_counter()
        answer = backend.search(query)
        answered = time.perf_counter()
        read_listings(session, [hit.listing_id for hit in answer.hits])
        done = time.perf_counter()
        backend_s.append(answered - started)
        total_s.append(done - started)
        totals.append(answer.total)
    return backend_s, total_s, totals


def query_mix(generator: Generator, count: int, seed: int) -> dict[str, list[SearchQuery]]:
    # A generator of its own: the same queries whether or not the store was just filled.
    rng = random.Random(seed)
    words = generator.query_words(rng, count * 2)
    countries = ["VN", "TH", "CN", "ID", "NG", "FR", "ES", "BR"]

    def window() -> dict[str, datetime]:
        start = START + timedelta(days=rng.randrange(SPAN_DAYS - 90))
        return {"date_from": start, "date_to": start + timedelta(days=90)}

    def text(i: int) -> str:
        return words[i] if i % 3 else f"{words[i]} {words[count + i]}"

    make: dict[str, Callable[[int], SearchQuery]] = {
        "full-text": lambda i: SearchQuery(text=text(i)),
        "filtered full-text": lambda i: SearchQuery(
            text=text(i),
            platform=[rng.choice(PLATFORMS[:4])],
            tier=["high", "medium"],
            **window(),
        ),
        "filters only": lambda i: SearchQuery(
            platform=[rng.choice(PLATFORMS[:6])],
            tier=[rng.choice(TIERS)],
            country=[rng.choice(countries)],
        ),
        "full-text with facets": lambda i: SearchQuery(text=text(i), facets=FACETS),
        "sort by risk": lambda i: SearchQuery(
            platform=[rng.choice(PLATFORMS[:6])], flagged=True, sort="risk"
        ),
    }
    return {name: [build(i) for i in range(count)] for name, build in make.items()}


def build_index(database: Database, generator: Generator, count: int) -> None:
    fill_s = fill_store(database, generator, count)
    print(f"store fill (bulk insert):   {_rate(count, fill_s, 'listings')}")
    started = time.perf_counter()
    with database.session() as session:
        indexed = SqliteIndex(session).rebuild()
    rebuild_s = time.perf_counter() - started
    print(f"index rebuild from store:   {_rate(indexed, rebuild_s, 'docs')}")
    with database.engine.begin() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")


def _rate(count: int, seconds: float, unit: str) -> str:
    return f"{count / seconds:,.0f} {unit}/s ({count:,} in {seconds:.1f} s)"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--listings", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=300, help="queries of each kind")
    parser.add_argument("--seed", type=int, default=20261121)
    parser.add_argument("--dir", type=Path, help="where the store goes (default: a temp dir)")
    parser.add_argument(
        "--keep",
        type=Path,
        help="keep the store in this directory; if it holds one already, time the queries only",
    )
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="bench-search-", dir=args.dir) as tmp:
        where = args.keep or Path(tmp)
        reuse = (where / "wildwatch.db").exists()
        database = Database.for_data_dir(where)
        started = time.perf_counter()
        # On a kept store made by an older index version, this rebuilds the index.
        database.create_schema()
        generator = Generator(args.seed)
        if reuse:
            print(
                f"reusing the store in {where}: fill not timed; "
                f"schema check (and any index rebuild) {time.perf_counter() - started:.1f} s"
            )
        else:
            build_index(database, generator, args.listings)
        size = sum(p.stat().st_size for p in where.iterdir() if p.name.startswith("wildwatch"))
        print(
            f"database size:              {size / 2**20:,.0f} MiB "
            f"({size / args.listings:,.0f} bytes per listing, store and index)"
        )
        mix = query_mix(generator, args.queries, args.seed)
        with database.session() as session:
            time_queries(session, [q for qs in mix.values() for q in qs[:10]])  # warm-up
            print(f"query latency over {args.queries} queries each (backend / with store read):")
            for name, queries in mix.items():
                backend_s, total_s, totals = time_queries(session, queries)
                print(
                    f"  {name:22s} backend {_percentiles(backend_s)}   "
                    f"total {_percentiles(total_s)}   "
                    f"median matches {statistics.median(totals):,.0f}"
                )
        database.dispose()
    rss_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"max RSS: {rss_mib:.0f} MiB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
