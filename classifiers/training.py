"""Train the learned head: features from the corpus (plus reviewer verdicts), fit on
train, choose regularisation and calibrate on dev, report on the fixed test split."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

import numpy as np

from classifiers.evaluation import Example
from classifiers.head import WildlifeHead, fit_head
from classifiers.item import ListingText
from classifiers.wildlife import FeatureExtractor

__all__ = ["corpus_examples", "data_fingerprint", "featurise", "train_head"]


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
    """Fit a head on `train` (optionally weighted per row), calibrated on `dev`."""
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
        sample_weight=None if weights is None else np.asarray(weights, dtype=np.float64),
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
