"""The baseline classifier: normalise -> match terms -> score, from the files in ``data``.

Each stage is its own object (:class:`~classifiers.normalize.Normalizer`,
:class:`~classifiers.matcher.TermMatcher`, :class:`~classifiers.scoring.Scorer`) so
later components (spaCy entity rules, a transformer) can reuse or replace one stage.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

from classifiers.item import ListingText
from classifiers.lexicon import Lexicon
from classifiers.matcher import Hit, TermMatcher
from classifiers.normalize import Normalizer
from classifiers.scoring import Scorer, ScoringConfig
from crawler.listing import Classification, listing_text

__all__ = ["BaselineClassifier"]


class BaselineClassifier:
    """Scores listing text for likely illegal wildlife products and says why.

    Build one per data directory and reuse it: loading compiles every term of every
    language once. ``BaselineClassifier.default()`` shares one built from the shipped
    data. Instances are read-only after construction and safe to share across threads.
    """

    def __init__(
        self, data_dir: str | Path | None = None, *, config: ScoringConfig | None = None
    ) -> None:
        self.lexicon = Lexicon.load(data_dir)
        self.normalizer = Normalizer(self.lexicon.tables)
        self.matcher = TermMatcher(self.lexicon.terms, self.normalizer)
        self.scorer = Scorer(self.lexicon.species, config or ScoringConfig())

    @classmethod
    def default(cls) -> BaselineClassifier:
        """The classifier for the shipped data, loaded on first use and then shared."""
        return _default_classifier()

    @property
    def config(self) -> ScoringConfig:
        """The scoring constants in use (thresholds, tier bands, weights)."""
        return self.scorer.config

    def hits(self, title: str, description: str | None = None) -> list[Hit]:
        """The term hits behind a classification, with offsets into ``listing_text``."""
        return self.matcher(listing_text(title, description))

    def classify(
        self,
        title: str,
        description: str | None = None,
        *,
        lang: str | None = None,
        price: float | None = None,
        currency: str | None = None,
    ) -> Classification:
        """Score one listing; reason offsets point into ``listing_text(title, description)``.

        `lang` and `currency` are accepted for the interface later models share and
        are not used by the baseline: listings mix languages, so every language's terms
        are always matched, and prices are not compared across currencies. A positive
        `price` counts as a sign that the text is an offer.
        """
        del lang, currency  # part of the shared interface; see the docstring
        return self.scorer.score(self.hits(title, description), price=price)

    def classify_many(self, items: Iterable[ListingText]) -> list[Classification]:
        """Score many listings; the rules need no batching, this mirrors the full model."""
        return [
            self.classify(i.title, i.description, lang=i.lang, price=i.price, currency=i.currency)
            for i in items
        ]


@lru_cache(maxsize=1)
def _default_classifier() -> BaselineClassifier:
    return BaselineClassifier()
