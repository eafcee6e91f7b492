"""Throughput and peak memory of language identification and entity extraction.

Run: ``python bench/bench_entities.py [-n 5000] [--seed 7]``. Listings come from the
sandbox corpus (``sandbox.corpus.build_corpus``, itself seeded): each benchmark text
is a listing's title and description, padded with further descriptions of the same
language to about 300 characters, the size of an average marketplace listing.
Prints load time, listings per second on one core (CPU time of the single-threaded
process, with wall time beside it) for language identification alone and for full
extraction (``EntityRecognizer.entities`` with the language identified),
agreement with the corpus's own language labels, entity counts by label, and peak
memory: Python allocations via tracemalloc over a fresh load and a sample, and the
maximum RSS of the process.
"""

from __future__ import annotations

import argparse
import random
import resource
import sys
import time
import tracemalloc
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from classifiers.entities import EntityRecognizer
from classifiers.langid import LanguageIdentifier
from crawler.listing import listing_text
from sandbox.corpus import build_corpus

DESCRIPTION_CHARS = 300


def make_texts(count: int, seed: int) -> list[tuple[str, str]]:
    """`count` (corpus language, listing text) pairs, reproducibly."""
    rng = random.Random(seed)
    listings = build_corpus().listings
    by_language: dict[str, list[str]] = {}
    for listing in listings:
        by_language.setdefault(listing.language, []).append(listing.description or "")
    out = []
    for _ in range(count):
        listing = rng.choice(listings)
        description = listing.description or ""
        pool = by_language[listing.language]
        while len(description) < DESCRIPTION_CHARS:
            description = f"{description} {rng.choice(pool)}".strip()
        out.append((listing.language, listing_text(listing.title, description)))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--count", type=int, default=5_000, help="listings to process")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)

    samples = make_texts(args.count, args.seed)
    texts = [text for _, text in samples]
    started = time.perf_counter()
    recognizer = EntityRecognizer()
    identifier = recognizer.identifier
    for lang in ("en", "zh", "zh-Hant", "vi", "th", "id", "ms", "fr", "es", "pt", "de", "ja"):
        recognizer.pipeline(lang)  # jieba and every blank pipeline, outside the timing
    loaded = time.perf_counter() - started

    # Timed passes without tracemalloc, which slows allocation-heavy code several-fold.
    # CPU time of this process is the one-core figure; wall time is shown beside it
    # because it also counts waiting for the CPU when other work shares the machine.
    wall, cpu = time.perf_counter(), time.process_time()
    guesses = [identifier.identify(text) for text in texts]
    langid_wall, langid_cpu = time.perf_counter() - wall, time.process_time() - cpu

    wall, cpu = time.perf_counter(), time.process_time()
    labels: Counter[str] = Counter()
    for text in texts:
        labels.update(entity.label for entity in recognizer.entities(text))
    entities_wall, entities_cpu = time.perf_counter() - wall, time.process_time() - cpu

    agree = sum(
        guess.lang.split("-")[0] == corpus_lang
        for (corpus_lang, _), guess in zip(samples, guesses, strict=True)
    )

    # Memory pass: a fresh identifier and recognizer (load) and a sample, traced.
    tracemalloc.start()
    traced = EntityRecognizer(identifier=LanguageIdentifier())
    _, load_peak = tracemalloc.get_traced_memory()
    for text in texts[: max(1, len(texts) // 10)]:
        traced.entities(text)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux

    mean_chars = sum(map(len, texts)) / len(texts)
    print(f"load: {loaded:.2f} s (lexicon, language model, 12 pipelines, jieba)")
    print(f"texts: {len(texts)} listings, {mean_chars:.0f} characters on average")
    print(
        f"language id: {len(texts) / langid_cpu:,.0f} listings/s per core "
        f"({len(texts) / langid_wall:,.0f}/s wall), "
        f"{agree / len(texts):.1%} agree with the corpus labels (zh-Hant counted as zh)"
    )
    print(
        f"entities: {len(texts) / entities_cpu:,.0f} listings/s per core "
        f"({len(texts) / entities_wall:,.0f}/s wall), language id included, "
        f"{sum(labels.values())} entities"
    )
    print("  by label: " + ", ".join(f"{label} {n}" for label, n in sorted(labels.items())))
    print(
        f"peak traced memory: {load_peak / 2**20:.1f} MiB after load, "
        f"{peak / 2**20:.1f} MiB while extracting"
    )
    print(f"max RSS (two recognizers loaded): {rss_kib / 1024:.1f} MiB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
