"""The full classifier: rules, entities and a transformer, combined by a learned head.

    text ─┬─ normalise → match terms → rule signals (0..1 each) ─┐
          ├─ language ID → spaCy entity rules (contacts, prices) ─┼─ head → calibrated risk
          └─ transformer encoder (any Hugging Face model dir) ────┘

The output keeps the foundation's contract (:class:`crawler.listing.Classification`):
``risk`` is the head's calibrated probability that the listing really offers a product
of a protected species, ``wildlife_product`` the same probability (the labelled corpus
marks offers of protected species; legal wildlife goods are negatives), the tier bands
and the 0.45 flag threshold are those of the baseline, ``species`` come from the
lexicon, and ``reasons`` are the lexicon hits plus contact details, each with a span
into ``title + "\\n" + description``. A listing the head flags without any lexicon hit
gets the words whose removal lowers its score most as ``model`` reasons.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from classifiers.baseline import BaselineClassifier
from classifiers.decode import CodeWordDecoder
from classifiers.encoder import DEFAULT_LAYERS, TextEncoder, default_encoder_dir
from classifiers.errors import ClassifierError
from classifiers.head import WildlifeHead
from classifiers.item import ListingText
from classifiers.matcher import Hit
from classifiers.scoring import Signals
from crawler.listing import Classification, Reason, SpeciesMatch, Tier

if TYPE_CHECKING:
    from classifiers.entities import Entity

__all__ = [
    "SHIPPED_HEAD",
    "FeatureExtractor",
    "ListingText",
    "Scored",
    "WildlifeClassifier",
    "feature_names",
]

SHIPPED_HEAD = Path(__file__).resolve().parent / "models" / "wildlife-head.json"
ENTITY_FEATURES = ("contact", "price_mention", "quantity", "price_given", "quoted_title")
_WORD_RE = re.compile(r"\w+", re.UNICODE)
# A short phrase in quotes in the title: sellers put stand-in names in scare quotes
# ('ox bone', 「牛骨」, « armure »), the quotes telling buyers it means something else.
_QUOTED_RE = re.compile(
    r"""(?:'[^'\n]{2,24}'|"[^"\n]{2,24}"|‘[^’\n]{2,24}’|“[^”\n]{2,24}”|«[^»\n]{1,24}»"""
    r"""|「[^」\n]{1,12}」|『[^』\n]{1,12}』)"""
)


def feature_names(dim: int) -> tuple[str, ...]:
    """Names of the head's inputs: rule signals, entity cues, then the encoder's vector
    of the whole listing and of the title alone (the title names the goods; a long
    description of shipping terms would otherwise drown it in the mean)."""
    return (
        *(f"rule.{name}" for name in Signals.NUMERIC),
        *(f"entity.{name}" for name in ENTITY_FEATURES),
        *(f"enc.{i}" for i in range(dim)),
        *(f"enc_title.{i}" for i in range(dim)),
    )


@dataclass(frozen=True, slots=True)
class Parsed:
    """The rule-based reading of one listing."""

    signals: Signals
    hits: tuple[Hit, ...]
    entities: tuple[Entity, ...]
    language: str
    decoded: tuple[Hit, ...] = ()  # the code words read as their meaning
    unattached: tuple[Hit, ...] = ()  # colour words naming no goods: the encoder skips them


@dataclass(frozen=True)
class Scored:
    """A classification plus what it was made from, for training and evaluation."""

    classification: Classification
    language: str
    features: np.ndarray


class FeatureExtractor:
    """Rules, language ID, entities and encoder: everything before the head."""

    def __init__(
        self,
        encoder: TextEncoder,
        rules: BaselineClassifier | None = None,
        decoder: CodeWordDecoder | None = None,
    ) -> None:
        from classifiers.entities import EntityRecognizer
        from classifiers.langid import LanguageIdentifier

        self.encoder = encoder
        self.rules = rules or BaselineClassifier.default()
        self.languages = LanguageIdentifier.default()
        self.entities = EntityRecognizer(self.rules.lexicon, matcher=self.rules.matcher)
        self.decoder = decoder or CodeWordDecoder.load(self.rules.lexicon.data_dir)
        self.feature_names = feature_names(encoder.dim)

    def parse(self, item: ListingText) -> Parsed:
        text = item.text
        found = self.rules.matcher.matches(text)
        hits = found.hits
        lang = item.lang or self.languages.identify(text).lang
        entities = tuple(self.entities.entities(text, lang=lang, hits=hits))
        by_weight = any(
            e.label == "QUANTITY" and e.attrs.get("dimension") == "mass" for e in entities
        )
        prices = [(e.key, float(e.value)) for e in entities if e.label == "PRICE" and e.value]
        if item.price is not None:
            prices.append((item.currency, item.price))
        decoded = tuple(self.decoder.decodable(hits, by_weight=by_weight, prices=prices))
        # The signals read the code words as their meaning, like the encoder does;
        # the hits (and so the reasons) stay on the text as written.
        read = self.rules.matcher(self.decoder(text, decoded, lang)) if decoded else hits
        signals = self.rules.scorer.signals(read, price=item.price)
        return Parsed(signals, tuple(hits), entities, lang, decoded, tuple(found.unattached))

    def model_text(self, item: ListingText, parsed: Parsed) -> tuple[str, int]:
        """What the encoder reads of `item`, and how long its title part is.

        The encoder reads the folded text: spaced letters, homoglyphs, leetspeak,
        traditional characters are undone, emoji become words of the listing's
        language, code words their meaning and colour words that name no goods are
        left out (:mod:`classifiers.decode`), so a disguise moves the vector as little
        as it moves the rules. Runs of spaces left where a disguise was removed are
        collapsed too: the tokenizer would otherwise see "shark  fin" and "shark fin"
        differently.
        """
        fold = self.rules.normalizer
        lang = parsed.language
        decode, drop = parsed.decoded, parsed.unattached
        cut = len(item.title)  # hits' spans are into item.text: title, "\n", description
        title = self.decoder(
            item.title,
            [h for h in decode if h.end <= cut],
            lang,
            drop=[h for h in drop if h.end <= cut],
        )
        title = " ".join(fold(title, lang).text.split())
        if not item.description:
            return title, len(title)
        at = cut + 1

        def in_body(hits: tuple[Hit, ...]) -> list[Hit]:
            return [replace(h, start=h.start - at, end=h.end - at) for h in hits if h.end > at]

        body = self.decoder(item.description, in_body(decode), lang, drop=in_body(drop))
        body = " ".join(fold(body, lang).text.split())
        return (f"{title}\n{body}" if body else title), len(title)

    def analyse(self, items: Sequence[ListingText]) -> tuple[list[Parsed], np.ndarray]:
        """Parse each item and build the head's input rows for them."""
        parsed = [self.parse(item) for item in items]
        read = [self.model_text(item, p) for item, p in zip(items, parsed, strict=True)]
        whole, heads = self.encoder.encode_with_head([t for t, _ in read], [n for _, n in read])
        n = len(items)
        n_rules = len(Signals.NUMERIC)
        n_fixed = n_rules + len(ENTITY_FEATURES)
        dim = whole.shape[1]
        rows = np.zeros((n, n_fixed + 2 * dim), dtype=np.float64)
        for i, (p, item) in enumerate(zip(parsed, items, strict=True)):
            labels = {e.label for e in p.entities}
            rows[i, :n_rules] = p.signals.vector()
            rows[i, n_rules:n_fixed] = (
                float("CONTACT" in labels),
                float("PRICE" in labels),
                float("QUANTITY" in labels),
                float(item.price is not None and item.price > 0),
                float(_QUOTED_RE.search(item.title) is not None),
            )
        rows[:, n_fixed : n_fixed + dim] = whole
        rows[:, n_fixed + dim :] = heads
        return parsed, rows


class WildlifeClassifier:
    """Scores listings with the full pipeline. Build once and reuse (loading takes a
    few seconds); one instance runs one batch at a time."""

    def __init__(
        self,
        head: WildlifeHead | str | Path | None = None,
        *,
        encoder: TextEncoder | str | Path | None = None,
        rules: BaselineClassifier | None = None,
    ) -> None:
        self.head = (
            head if isinstance(head, WildlifeHead) else WildlifeHead.load(head or SHIPPED_HEAD)
        )
        if not isinstance(encoder, TextEncoder):
            settings = self.head.encoder
            encoder = TextEncoder(
                encoder or default_encoder_dir(),
                max_length=int(settings.get("max_length", 64)),
                prefix=str(settings.get("prefix", "query: ")),
                precision=str(settings.get("precision", "bf16")),
                layers=settings.get("layers", DEFAULT_LAYERS),
            )
        expected = self.head.encoder.get("fingerprint")
        if expected and expected != encoder.fingerprint:
            raise ClassifierError(
                f"the classifier head was trained on another encoder ({expected}, this one is "
                f"{encoder.fingerprint}): run `wildwatch train` with this encoder"
            )
        self.extractor = FeatureExtractor(encoder, rules)
        if tuple(self.head.feature_names) != self.extractor.feature_names:
            raise ClassifierError("the classifier head was made for other features; retrain it")
        self.config = self.extractor.rules.config
        self.model_name = str(self.head.meta.get("name", "wildlife-head"))

    @classmethod
    def default(cls) -> WildlifeClassifier:
        """The shipped head on the default encoder, loaded once and shared."""
        return _default_classifier()

    # -- scoring -------------------------------------------------------------------

    def classify(
        self,
        title: str,
        description: str | None = None,
        *,
        lang: str | None = None,
        price: float | None = None,
        currency: str | None = None,
    ) -> Classification:
        """Score one listing; reason offsets point into ``listing_text(title, description)``."""
        item = ListingText(title, description, lang, price, currency)
        return self.score_many([item])[0].classification

    def classify_many(self, items: Iterable[ListingText]) -> list[Classification]:
        """Score many listings at once (the encoder batches them: much faster)."""
        return [s.classification for s in self.score_many(list(items))]

    def score_many(self, items: Sequence[ListingText]) -> list[Scored]:
        if not items:
            return []
        parsed, rows = self.extractor.analyse(items)
        probabilities = self.head.probabilities(rows)
        out = []
        for item, parsed_item, row, p in zip(items, parsed, rows, probabilities, strict=True):
            signals, hits, entities, lang = (
                parsed_item.signals,
                parsed_item.hits,
                parsed_item.entities,
                parsed_item.language,
            )
            risk = round(float(p), 4)
            reasons = [Reason(kind=h.kind, term=h.text, start=h.start, end=h.end) for h in hits]
            reasons += [
                Reason(kind="contact", term=e.text, start=e.start, end=e.end)
                for e in entities
                if e.label == "CONTACT"
            ]
            flagged = risk >= self.config.flag_threshold
            if flagged and not any(r.kind != "contact" for r in reasons):
                reasons += self._occlusion_reasons(item, p)
            reasons.sort(key=lambda r: (r.start, r.end))
            tier: Tier = next((name for name, low in self.config.tier_bands if risk >= low), "none")
            classification = Classification(
                wildlife_product=risk,
                risk=risk,
                flagged=flagged,
                tier=tier,
                species=[
                    SpeciesMatch(
                        name=s.name,
                        scientific_name=s.scientific_name,
                        cites_appendix=s.cites_appendix,
                    )
                    for s in signals.species
                ],
                reasons=reasons,
                model=self.model_name,
                language=lang,
            )
            out.append(Scored(classification, lang, row))
        return out

    def _occlusion_reasons(self, item: ListingText, base: float, top: int = 3) -> list[Reason]:
        """Words whose removal lowers the score most, for flags no term explains."""
        text = item.text
        # Words of the title first: it names the goods. Each candidate costs one more
        # pass through the encoder, so only the first 24 are tried.
        words = list(_WORD_RE.finditer(text))[:24]
        if not words:
            return []
        variants = [
            ListingText(
                text[: w.start()] + " " * (w.end() - w.start()) + text[w.end() :],
                None,
                item.lang,
                item.price,
                item.currency,
            )
            for w in words
        ]
        _, rows = self.extractor.analyse(variants)
        drops = base - self.head.probabilities(rows)
        ranked = sorted(range(len(words)), key=lambda i: -drops[i])[:top]
        return [
            Reason(kind="model", term=words[i].group(), start=words[i].start(), end=words[i].end())
            for i in sorted(ranked)
            if drops[i] > 0.02
        ]


@lru_cache(maxsize=1)
def _default_classifier() -> WildlifeClassifier:
    return WildlifeClassifier()
