"""Train the learned head: features from the corpus (plus reviewer verdicts), fit on
train, choose regularisation and calibrate on dev, report on the fixed test split."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import numpy as np

from classifiers.evaluation import Example
from classifiers.head import WildlifeHead, fit_head
from classifiers.item import ListingText
from classifiers.wildlife import FeatureExtractor

__all__ = [
    "ENCODER_BLOCK_SCALE",
    "HEAD_L2",
    "corpus_examples",
    "data_fingerprint",
    "featurise",
    "shortened",
    "train_head",
]

# How the head is regularised. The dev split comes from the same generator as the
# training split, so its log-loss rewards encoder weights that fit the generator's
# phrasing: chosen by dev alone, the head missed plain offers such as "Old ivory
# bangle, 68mm. $450" that the rules read at once. The encoder blocks are therefore
# shrunk harder than the rules and entities, by a fixed prior rather than by dev.
# Both values were chosen on the hand-written probe listings (corpus/probe.jsonl;
# see MODEL_CARD.md), which makes that set a check, not an unbiased estimate.
ENCODER_BLOCK_SCALE = {"enc.": 0.35, "enc_title.": 0.35}
HEAD_L2 = (1e-3,)

_FIRST_CLAUSE_RE = re.compile(r"(?<=[.!?。！？])\s+|[,，、;；]\s*|\n")


def corpus_examples(split: str | None = None) -> list[Example]:
    """The labelled corpus as :class:`Example` records (one split, or all)."""
    from classifiers.corpus import load_corpus

    return [
        Example(
            item=ListingText(row.title, row.description, row.lang, row.price, row.currency),
            label=int(row.label),
            lang=row.lang,
            category=row.category,
            family=row.family,
            id=row.id,
        )
        for row in load_corpus(split)
    ]


def data_fingerprint(examples: Sequence[Example]) -> str:
    """A short hash of the training rows, recorded in the head for provenance."""
    digest = hashlib.sha256()
    for e in examples:
        digest.update(
            json.dumps([e.item.title, e.item.description, e.label], ensure_ascii=False).encode()
        )
    return digest.hexdigest()[:16]


def shortened(example: Example) -> Example | None:
    """`example` cut to its title and the first clause of its description (None when
    that changes nothing).

    Real listings are often a title and a line; the generated ones nearly always
    carry contact and shipping lines, and a head trained on them alone learns that
    a bare "Ivory bangle, $450" is ordinary. Training on both forms removes that cue.
    """
    description = example.item.description
    if not description:
        return None
    first = _FIRST_CLAUSE_RE.split(description.strip(), maxsplit=1)[0] or None
    if first == description:
        return None
    return replace(example, item=replace(example.item, description=first))


def featurise(
    extractor: FeatureExtractor,
    examples: Sequence[Example],
    *,
    batch_size: int = 128,
    progress: Callable[[int, int], None] | None = None,
) -> np.ndarray:
    rows = []
    for start in range(0, len(examples), batch_size):
        chunk = examples[start : start + batch_size]
        rows.append(extractor.analyse([e.item for e in chunk])[1])
        if progress:
            progress(min(start + batch_size, len(examples)), len(examples))
    return np.vstack(rows) if rows else np.zeros((0, len(extractor.feature_names)))


def train_head(
    extractor: FeatureExtractor,
    train: Sequence[Example],
    dev: Sequence[Example],
    *,
    weights: Sequence[float] | None = None,
    name: str = "wildlife-head",
    meta: dict[str, Any] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> WildlifeHead:
    """Fit a head on `train` plus its :func:`shortened` forms (optionally weighted
    per row), calibrated on `dev`."""
    weights = [1.0] * len(train) if weights is None else list(weights)
    short = [(s, w) for e, w in zip(train, weights, strict=True) if (s := shortened(e))]
    train = [*train, *(s for s, _ in short)]
    weights += [w for _, w in short]
    train_x = featurise(extractor, train, progress=progress)
    dev_x = featurise(extractor, dev, progress=progress)
    train_y = np.array([e.label for e in train], dtype=np.float64)
    dev_y = np.array([e.label for e in dev], dtype=np.float64)
    languages = sorted({e.lang for e in train})
    return fit_head(
        extractor.feature_names,
        train_x,
        train_y,
        dev_x,
        dev_y,
        sample_weight=np.asarray(weights, dtype=np.float64),
        l2_grid=HEAD_L2,
        block_scale=ENCODER_BLOCK_SCALE,
        encoder=extractor.encoder.describe(),
        meta={
            **(meta or {}),
            "name": name,
            "trained_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "train_rows": len(train),
            "dev_rows": len(dev),
            "train_fingerprint": data_fingerprint(train),
            "languages": languages,
        },
    )
