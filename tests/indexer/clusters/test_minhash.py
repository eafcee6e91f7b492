"""Text fingerprints: what counts as the same text, and how well MinHash measures it."""

from __future__ import annotations

import random

import numpy as np
import pytest

from indexer.clusters.minhash import (
    NUM_PERMUTATIONS,
    TextFingerprinter,
    default_fingerprinter,
    estimated_jaccard,
    simhash_distance,
)

_LINES = (
    "ivory bangle carved old stock estate shipping worldwide discreet packaging weight inner",
    "diameter patina cracks price offer contact private collection hong kong",
)
WORDS = tuple(word for line in _LINES for word in line.split())


@pytest.mark.parametrize(
    ("disguised", "plain"),
    [
        ("ＩＶＯＲＹ b.a.n.g.l.e for sale", "ivory bangle for sale"),
        ("Ivory bangle https://shop.example/x?id=1 for sale", "ivory bangle for sale"),
        ("Ivory bangle, seller@shop.example, for sale!", "ivory bangle for sale"),
        ("Price 1,200.50 USD, weight 52 g", "price 9 usd weight 7 g"),
        ("象牙 手镯，老货！", "象牙手镯老货"),
        ("Vòng tay ngà voi", "vong tay nga voi"),
    ],
)
def test_disguises_links_and_numbers_do_not_change_the_canonical_text(
    disguised: str, plain: str
) -> None:
    fingerprinter = default_fingerprinter()
    assert fingerprinter.canonical(disguised) == fingerprinter.canonical(plain)


def _exact_jaccard(fingerprinter: TextFingerprinter, a: str, b: str) -> float:
    sa = set(fingerprinter.shingle_hashes(fingerprinter.canonical(a)).tolist())
    sb = set(fingerprinter.shingle_hashes(fingerprinter.canonical(b)).tolist())
    return len(sa & sb) / len(sa | sb)


def test_estimate_follows_the_exact_jaccard() -> None:
    rng = random.Random(3)
    fingerprinter = default_fingerprinter()
    errors = []
    for changed in range(0, 40, 2):
        words = [rng.choice(WORDS) for _ in range(40)]
        edited = list(words)
        for position in rng.sample(range(40), changed):
            edited[position] = rng.choice(WORDS) + "x"
        a, b = " ".join(words), " ".join(edited)
        exact = _exact_jaccard(fingerprinter, a, b)
        estimate = estimated_jaccard(
            fingerprinter.fingerprint(a).signature, fingerprinter.fingerprint(b).signature
        )
        errors.append(abs(estimate - exact))
    # 64 slots: standard error at most 1/16; no estimate is off by more than 4 of them.
    assert max(errors) <= 0.25
    assert float(np.mean(errors)) <= 0.07


def test_signatures_are_the_same_in_every_process() -> None:
    """Stored signatures are compared with new ones: the hash functions are seeded."""
    text = "Old stock ivory bangle, estate piece"
    fresh = TextFingerprinter()
    first = default_fingerprinter().fingerprint(text)
    again = fresh.fingerprint(text)
    assert first.signature.dtype == np.uint32 and len(first.signature) == NUM_PERMUTATIONS
    assert np.array_equal(first.signature, again.signature)
    assert first.simhash == again.simhash
    other = TextFingerprinter(seed=1).fingerprint(text)
    assert not np.array_equal(first.signature, other.signature)


def test_simhash_is_close_for_near_copies_and_fits_a_bigint() -> None:
    fingerprinter = default_fingerprinter()
    base = " ".join(WORDS) * 2
    copy = base.replace("worldwide", "everywhere")
    other = "Mountain bike with 21 gears and new tyres, pick up in Leeds only, cash on collection"
    h_base, h_copy, h_other = (fingerprinter.fingerprint(t).simhash for t in (base, copy, other))
    assert simhash_distance(h_base, h_copy) < simhash_distance(h_base, h_other)
    for value in (h_base, h_copy, h_other):
        assert -(2**63) <= value < 2**63


def test_empty_text_resembles_nothing() -> None:
    fingerprinter = default_fingerprinter()
    empty = fingerprinter.fingerprint("🙂 !!! ...")
    assert empty.shingles == 0
    assert estimated_jaccard(empty.signature, empty.signature) == 0.0
    assert fingerprinter.fingerprint("ab").shingles == 1  # shorter than one shingle: one


def test_very_long_text_is_capped() -> None:
    fingerprinter = default_fingerprinter()
    head = " ".join(WORDS) * 40
    assert np.array_equal(
        fingerprinter.fingerprint(head[:5000] + " tail one").signature,
        fingerprinter.fingerprint(head[:5000] + " another tail").signature,
    )
