"""Throughput and peak memory of the baseline classifier on synthetic listings.

Run: ``python bench/bench_classify_baseline.py [-n 20000] [--seed 7]``. Listings are
generated from small templates in several languages (offers, look-alikes, ordinary
goods, news, disguised forms), so the figures do not depend on any corpus. Prints
load time, listings per second on one core (untraced), and peak memory: Python
allocations via tracemalloc over a second load and a sample, and the maximum RSS.
"""

from __future__ import annotations

import argparse
import random
import resource
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from classifiers import BaselineClassifier

TEMPLATES = [
    ("Raw {animal} ivory {item} for sale", "{weight} kg, DM for price, {ship}"),
    ("{colour} {item} dress, size {size}", "Brand new with tags, {ship}"),
    ("Resin {animal} figurine, hand painted", "Height {size} cm, gift box"),
    ("出售象牙{zh_item} 老料 微信联系", "{weight}克 包邮 懂的私聊"),
    ("树脂{zh_animal}摆件 工艺品", "家居装饰 {size}厘米"),
    ("Bán ngà voi thật 100%", "liên hệ zalo {phone}, giao hàng kín"),
    ("ขายงาช้างแท้ ราคาถูก", "ทักไลน์ {phone} ส่งฟรี"),
    ("Jual cula badak asli", "hubungi WA {phone}, pengiriman aman"),
    ("Vends défense d'éléphant en ivoire", "prix à débattre, envoi discret"),
    ("Se vende colmillo de marfil auténtico", "envío discreto, {weight} kg"),
    ("Verkaufe Elfenbein Schnitzerei antik", "VB, Versand möglich"),
    ("象牙 印鑑 売ります", "登録票なし 送料無料"),
    ("Used {thing} in good condition", "Pick up only, {price} USD"),
    ("Authorities seized {weight} tonnes of ivory at the port", "Three people were arrested."),
    ("Raw i v o r y {item}", "🐘 real, not resin. WhatsApp {phone}"),
    ("Baby African grey parrots for sale", "hand fed, {ship}"),
]
FILL = {
    "animal": ["elephant", "african elephant", "mammoth", "🐘"],
    "item": ["bangle", "tusk", "carving", "beads", "chopsticks"],
    "colour": ["Ivory", "Cream", "Navy", "Tiger print"],
    "ship": ["worldwide shipping", "discreet packaging", "local pickup"],
    "zh_item": ["手镯", "手串", "筷子", "印章"],
    "zh_animal": ["大象", "老虎", "穿山甲"],
    "thing": ["mountain bike", "sofa", "iPhone 12", "washing machine", "guitar"],
    "size": ["8", "10", "38", "42"],
    "weight": ["1.2", "2.4", "5", "12"],
    "phone": ["0912 345 678", "+62 812 3456 789", "081-234-5678"],
    "price": ["50", "120", "999"],
}


def make_listings(count: int, seed: int) -> list[tuple[str, str]]:
    """`count` (title, description) pairs from the templates, reproducibly."""
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        title, desc = rng.choice(TEMPLATES)
        values = {key: rng.choice(options) for key, options in FILL.items()}
        out.append((title.format(**values), desc.format(**values)))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--count", type=int, default=20_000, help="listings to classify")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)

    listings = make_listings(args.count, args.seed)
    started = time.perf_counter()
    classifier = BaselineClassifier()
    loaded = time.perf_counter() - started

    # Timed pass without tracemalloc, which slows allocation-heavy code several-fold.
    started = time.perf_counter()
    flagged = sum(classifier.classify(t, d).flagged for t, d in listings)
    elapsed = time.perf_counter() - started

    # Memory pass: a fresh classifier (load) and a sample of listings, traced.
    tracemalloc.start()
    traced = BaselineClassifier()
    _, load_peak = tracemalloc.get_traced_memory()
    for title, description in listings[: max(1, len(listings) // 10)]:
        traced.classify(title, description)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux

    print(f"load: {loaded:.2f} s, {len(classifier.lexicon.terms)} terms")
    print(
        f"classified: {len(listings)} listings in {elapsed:.2f} s "
        f"= {len(listings) / elapsed:,.0f} listings/s (one core), {flagged} flagged"
    )
    print(
        f"peak traced memory: {load_peak / 2**20:.1f} MiB after load, "
        f"{peak / 2**20:.1f} MiB while classifying"
    )
    print(f"max RSS (two classifiers loaded): {rss_kib / 1024:.1f} MiB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
