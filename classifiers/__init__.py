"""wildwatch classifiers: score listing text for likely illegal wildlife trade.

The full classifier (:class:`WildlifeClassifier`) combines three readers of a listing
through a learned, calibrated head::

    normalize -> TermMatcher -> rule signals ─┐
    language ID -> spaCy entity rules ────────┼─> WildlifeHead -> risk, tier, reasons
    TextEncoder (any Hugging Face model) ─────┘

The rules alone (:class:`BaselineClassifier`) are a multilingual term matcher in three
stages, each usable alone::

    normalize (fold disguises, keep offsets) -> TermMatcher (find terms) -> Scorer

    >>> from classifiers import BaselineClassifier
    >>> result = BaselineClassifier.default().classify("Elephant ivory tusk for sale", "DM me")
    >>> result.flagged, result.tier
    (True, 'high')

All knowledge (terms in eleven languages, curated species with CITES appendices,
the CITES checklist, folding tables) is data under ``classifiers/data``.
"""

from classifiers.baseline import BaselineClassifier
from classifiers.encoder import TextEncoder
from classifiers.errors import ClassifierError, LexiconError
from classifiers.head import WildlifeHead
from classifiers.item import ListingText
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
from classifiers.wildlife import WildlifeClassifier

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
    "ListingText",
    "NormalizedText",
    "Normalizer",
    "Scorer",
    "ScoringConfig",
    "SpeciesInfo",
    "Term",
    "TermMatcher",
    "TextEncoder",
    "WildlifeClassifier",
    "WildlifeHead",
    "noisy_or",
    "normalize",
]
