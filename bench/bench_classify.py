"""Throughput and peak memory of each classifier stage on realistic listings.

Run: ``python bench/bench_classify.py [-n 2000] [--seed 20261121]``. The listings are
the sandbox marketplace's (multilingual offers, look-alikes and ordinary goods with
descriptions of real length), generated from a seed, so the figures do not depend on
the labelled corpus. Prints listings per second for

- the rules stage (normalise, match terms, rule signals) on one core,
- rules + language ID + spaCy entities on one core,
- the full classifier (rules, entities, transformer, head) in batches of 64, with
  torch on one thread and on every core,

then load time and the process's maximum RSS.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from classifiers.item import ListingText
from sandbox.corpus import build_corpus


def _rate(count: int, seconds: float) -> str:
    return f"{count / seconds:,.0f} listings/s ({count} in {seconds:.2f} s)"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--count", type=int, default=2_000, help="listings per stage")
    parser.add_argument("--seed", type=int, default=20261121)
    parser.add_argument("--batch", type=int, default=256)
    args = parser.parse_args(argv)

    corpus = build_corpus(seed=args.seed).listings
    items = [
        ListingText(c.title, c.description, None, None, None)
        for c in (corpus * (args.count // len(corpus) + 1))[: args.count]
    ]
    mean_chars = sum(len(i.text) for i in items) / len(items)

    import torch

    from classifiers.wildlife import WildlifeClassifier

    started = time.perf_counter()
    classifier = WildlifeClassifier()
    loaded = time.perf_counter() - started
    extractor = classifier.extractor
    rules = extractor.rules

    started = time.perf_counter()
    for item in items:
        rules.scorer.signals(rules.matcher(item.text), price=item.price)
    rules_s = time.perf_counter() - started

    # Each language's spaCy pipeline is built on first use; build them untimed.
    for item in {c.language: item for c, item in zip(corpus, items, strict=False)}.values():
        extractor.parse(item)
    started = time.perf_counter()
    for item in items:
        extractor.parse(item)
    parse_s = time.perf_counter() - started

    results = {}
    for threads in sorted({1, os.cpu_count() or 1}, reverse=True):
        torch.set_num_threads(threads)
        classifier.classify_many(items[: args.batch])  # warm-up
        started = time.perf_counter()
        for start in range(0, len(items), args.batch):
            classifier.classify_many(items[start : start + args.batch])
        results[threads] = time.perf_counter() - started

    rss_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"listings: {len(items)} from the sandbox corpus, mean {mean_chars:.0f} characters")
    print(f"load (rules, entities, encoder, head): {loaded:.2f} s")
    print(f"rules stage, one core:                 {_rate(len(items), rules_s)}")
    print(f"rules + language ID + entities, one core: {_rate(len(items), parse_s)}")
    for threads, seconds in results.items():
        print(
            f"full classifier, torch {threads} thread(s), batch {args.batch}: "
            f"{_rate(len(items), seconds)}"
        )
    print(f"max RSS: {rss_mib:.0f} MiB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
