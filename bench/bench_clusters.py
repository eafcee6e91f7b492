"""Repost clustering at scale: fingerprint rate, pair finding at 1M, a store round trip.

Run: ``python bench/bench_clusters.py [-n 1000000] [--store 100000] [--seed 7]``.

1. Fingerprints per second (fold, shingle, MinHash, SimHash) on the sandbox
   marketplace's listings, one core.
2. Pair finding and connected components over `-n` listings held in memory, as
   `RepostClusterer` holds them: synthetic signatures and photo hashes with planted
   reposts (a fifth of the listings: text copies with ~10% of the signature changed,
   and reworded copies with a copied photo, 0-6 bits flipped). Prints the time of
   each step, the recall of planted reposts, false joins, and peak memory.
3. With `--store N`: N listings and their fingerprints written to a fresh SQLite
   store, then `RepostClusterer.update()` twice (the second finds nothing to
   recompute) and `SellerClusterer.update()`; the time of each.

Synthetic photo hashes are uniform; real ones are less so, which makes the 16-bit
chunk buckets fuller than here.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from indexer.clusters.components import connected_components
from indexer.clusters.minhash import NUM_PERMUTATIONS, default_fingerprinter
from indexer.clusters.reposts import RepostData, RepostRules, find_repost_pairs


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def bench_fingerprints(count: int, seed: int) -> None:
    from sandbox.corpus import build_corpus

    corpus = build_corpus(seed=seed).listings
    texts = [f"{c.title}\n{c.description or ''}" for c in corpus]
    texts = (texts * (count // len(texts) + 1))[:count]
    fingerprinter = default_fingerprinter()
    fingerprinter.fingerprint("warm up")
    started = time.perf_counter()
    for text in texts:
        fingerprinter.fingerprint(text)
    took = time.perf_counter() - started
    mean = sum(map(len, texts)) / len(texts)
    print(f"fingerprints: {count / took:,.0f} listings/s (mean {mean:.0f} chars, one core)")


def synthetic(count: int, seed: int) -> tuple[RepostData, np.ndarray, np.ndarray, np.ndarray]:
    """Listings with planted reposts: the data, each listing's origin, the reposts
    planted as text copies, and those planted as reworded text with a copied photo."""
    rng = np.random.default_rng(seed)
    signatures = rng.integers(0, 2**32 - 1, (count, NUM_PERMUTATIONS), dtype=np.uint32)
    origin = np.arange(count)
    reposts = np.sort(rng.choice(np.arange(1, count), size=count // 5, replace=False))
    originals = np.setdiff1d(np.arange(count), reposts)
    # Each repost copies an original posted before it.
    before = np.searchsorted(originals, reposts)
    origin[reposts] = originals[(rng.random(len(reposts)) * before).astype(np.int64)]
    by_photo = rng.random(len(reposts)) < 0.5
    # Text copies: ~10% of slots differ. Reworded copies: ~65% differ, photo copied.
    change = np.where(by_photo, 0.65, 0.1)[:, None]
    mask = rng.random((len(reposts), NUM_PERMUTATIONS)) < change
    copied = signatures[origin[reposts]]
    signatures[reposts] = np.where(mask, signatures[reposts], copied)
    photos_per = rng.integers(0, 3, count)
    owner = np.repeat(np.arange(count), photos_per)
    hashes = rng.integers(0, 2**63, len(owner), dtype=np.uint64) * np.uint64(2)
    first_photo = np.full(count, -1)
    starts = np.cumsum(photos_per) - photos_per
    first_photo[photos_per > 0] = starts[photos_per > 0]
    # Photo reposts carry their origin's first photo, a few bits flipped.
    photo_copies = []
    for index, source in zip(reposts[by_photo], origin[reposts[by_photo]], strict=True):
        if first_photo[index] < 0 or first_photo[source] < 0:
            continue  # one of the two has no photo: only the (reworded) text is left
        photo_copies.append(index)
        bits = rng.choice(64, size=int(rng.integers(0, 4)) * 2, replace=False)
        flip = np.uint64(sum(1 << int(b) for b in bits))
        hashes[first_photo[index]] = hashes[first_photo[source]] ^ flip
    data = RepostData(
        ids=[f"l{i}" for i in range(count)],
        signatures=signatures,
        shingles=np.full(count, 100),
        photo_owner=owner.astype(np.int64),
        photo_hashes=hashes,
    )
    return data, origin, reposts[~by_photo], np.asarray(photo_copies, dtype=np.int64)


def bench_pairs(count: int, seed: int) -> None:
    started = time.perf_counter()
    data, origin, text_copies, photo_copies = synthetic(count, seed)
    print(
        f"synthetic: {count:,} listings, {len(data.photo_hashes):,} photos "
        f"({time.perf_counter() - started:.1f} s); signatures "
        f"{data.signatures.nbytes / 2**20:.0f} MiB"
    )
    started = time.perf_counter()
    pairs = find_repost_pairs(data, RepostRules())
    found = time.perf_counter() - started
    started = time.perf_counter()
    labels = connected_components(count, pairs.a, pairs.b)
    components = time.perf_counter() - started
    joined = labels == labels[origin]
    wrong = int(np.sum(origin[pairs.a] != origin[pairs.b]))
    print(
        f"pairs: {pairs.text_pairs:,} by text, {pairs.photo_pairs:,} by photo in {found:.1f} s; "
        f"components in {components:.1f} s"
    )
    print(
        f"joined to their origin: text copies {joined[text_copies].mean():.1%}, "
        f"reworded with a copied photo {joined[photo_copies].mean():.1%}; "
        f"false pairs: {wrong}"
    )
    print(f"peak memory: {_peak_mb():,.0f} MiB")


def bench_store(count: int, seed: int) -> None:
    from sqlalchemy import insert

    from indexer import Database
    from indexer.clusters.minhash import input_digest
    from indexer.clusters.reposts import RepostClusterer
    from indexer.clusters.sellers import SellerClusterer
    from indexer.models import ListingFingerprintRow, ListingRow

    data = synthetic(count, seed)[0]
    with tempfile.TemporaryDirectory() as tmp:
        database = Database.for_data_dir(Path(tmp))
        database.create_schema()
        start = datetime(2026, 1, 1, tzinfo=UTC)
        photos: list[list[str]] = [[] for _ in range(count)]
        for index, value in zip(data.photo_owner, data.photo_hashes, strict=True):
            photos[index].append(f"{int(value):016x}")
        started = time.perf_counter()
        with database.session() as session:
            for low in range(0, count, 10_000):
                rows = range(low, min(low + 10_000, count))
                text = "bench listing"
                session.execute(
                    insert(ListingRow),
                    [
                        {
                            "id": data.ids[i],
                            "platform": f"p{i % 5}",
                            "url": f"https://p.example/{i}",
                            "title": text,
                            "seller_id": f"s{i // 3}",
                            "image_urls": [],
                            "image_hashes": photos[i],
                            "evidence": [],
                            "first_seen": start + timedelta(seconds=i),
                            "last_seen": start + timedelta(seconds=i),
                        }
                        for i in rows
                    ],
                )
                # Stored as the clusterer stores them, with the digest of what the
                # listing holds, so the update finds nothing to recompute.
                session.execute(
                    insert(ListingFingerprintRow),
                    [
                        {
                            "listing_id": data.ids[i],
                            "minhash": data.signatures[i].tolist(),
                            "simhash": 0,
                            "image_hashes": photos[i],
                            "computed_at": start,
                            "input_sha256": input_digest(text, photos[i]),
                            "shingle_count": 100,
                        }
                        for i in rows
                    ],
                )
        print(f"store: {count:,} listings written in {time.perf_counter() - started:.1f} s")
        for run in ("first", "again"):
            started = time.perf_counter()
            with database.session() as session:
                report = RepostClusterer(session).update()
            print(
                f"repost update ({run}): {time.perf_counter() - started:.1f} s, "
                f"{report.clusters:,} clusters, {report.changed_listings:,} listings changed"
            )
        started = time.perf_counter()
        with database.session() as session:
            sellers = SellerClusterer(session).update()
        print(
            f"seller update: {time.perf_counter() - started:.1f} s, "
            f"{sellers.clusters:,} clusters of {sellers.tied_accounts:,} accounts"
        )
        database.dispose()
    print(f"peak memory: {_peak_mb():,.0f} MiB")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--count", type=int, default=1_000_000)
    parser.add_argument("--fingerprints", type=int, default=5_000)
    parser.add_argument("--store", type=int, default=0, help="listings for the store run")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    if args.fingerprints:
        bench_fingerprints(args.fingerprints, args.seed)
    if args.count:
        bench_pairs(args.count, args.seed)
    if args.store:
        bench_store(args.store, args.seed)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
