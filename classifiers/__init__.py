"""wildwatch classifiers: score listing text for likely illegal wildlife trade.

The baseline is a multilingual term matcher in three stages, each usable alone::

    normalize (fold disguises, keep offsets) -> TermMatcher (find terms) -> Scorer

    >>> from classifiers import BaselineClassifier
    >>> result = BaselineClassifier.default().classify("Elephant ivory tusk for sale", "DM me")
    >>> result.flagged, result.tier
    (True, 'high')

All knowledge (terms in eleven languages, curated species with CITES appendices,
the CITES checklist, folding tables) is data under ``classifiers/data``.
"""

from classifiers.baseline import BaselineClassifier
from classifiers.errors import ClassifierError, LexiconError
from classifiers.lexicon import KINDS, Lexicon, SpeciesInfo, Term
from classifiers.matcher import Hit, TermMatcher
from classifiers.normalize import DATA_DIR, FoldTables, NormalizedText, Normalizer, normalize
from classifiers.scoring import (
    FLAG_THRESHOLD,
    MODEL_NAME,
    TIER_BANDS,
    Scorer,
    ScoringConfig,
    noisy_or,
)

__all__ = [
    "DATA_DIR",
    "FLAG_THRESHOLD",
    "KINDS",
    "MODEL_NAME",
    "TIER_BANDS",
    "BaselineClassifier",
    "ClassifierError",
    "FoldTables",
    "Hit",
    "Lexicon",
    "LexiconError",
    "NormalizedText",
    "Normalizer",
    "Scorer",
    "ScoringConfig",
    "SpeciesInfo",
    "Term",
    "TermMatcher",
    "noisy_or",
    "normalize",
]
