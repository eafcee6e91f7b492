"""Stage 3 of the baseline: turn term hits into scores, a tier and reasons.

The model is deliberately small and readable; every constant is a field of
:class:`ScoringConfig`. Weights of hits with the same kind and concept do not add up
(the stronger wins); different concepts combine as a noisy-OR, ``1 - Π(1 - w)``.
Look-alike, news and code-word cues combine per distinct term instead: "lace
wedding dress" is more clearly a colour name than "dress" alone.

``wildlife_product`` = evidence × offer × (1 - look-alike) × (1 - news), where

- *evidence* combines specific products ("rhino horn", 象牙), species names (scaled
  by ``species_factor``, which rises towards 1 with trade context: "tiger" alone is
  weaker than "tiger bone", "slow loris for sale" offers an animal), parts that need
  a species ("bone", "skin"; scaled by ``orphan_part_factor`` when none is named) and
  code words; genuineness claims ("not resin", 保真) add a little;
- *offer* starts at ``offer_base`` (a marketplace listing is an offer by default) and
  rises with trade context (sell, price, WhatsApp, shipping) or a given price;
- *look-alike* cues (resin, toy, print, "ivory white", tiger balm) are cancelled in
  part by concealment, genuineness claims and code words, so "faux" next to "real
  elephant tusk, discreet shipping" does not zero out a real offer;
- *news* cues (seized, ban announced) count for less when the text also trades.

``risk`` = wildlife_product × legal risk, where legal risk is the highest risk among
the species found or implied (Appendix I 0.9, II 0.75, III 0.5; unlisted species
carry their own, e.g. mammoth 0.5 as a known cover for elephant ivory), raised by
concealment and code words and lowered a little by documentation claims.

``flagged`` is ``risk >= flag_threshold`` (0.45). Tiers: ``high`` from 0.70,
``medium`` from 0.45, ``low`` from 0.20, else ``none``; flagged listings are exactly
those in ``high`` or ``medium``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from classifiers.lexicon import SpeciesInfo
from classifiers.matcher import Hit
from crawler.listing import Classification, Reason, SpeciesMatch, Tier

__all__ = ["FLAG_THRESHOLD", "MODEL_NAME", "TIER_BANDS", "Scorer", "ScoringConfig", "Signals"]

MODEL_NAME = "baseline-terms-1"
FLAG_THRESHOLD = 0.45
#: Lower bound of each tier, highest first; below the last bound the tier is "none".
TIER_BANDS: tuple[tuple[Tier, float], ...] = (("high", 0.70), ("medium", 0.45), ("low", 0.20))


@dataclass(frozen=True, slots=True)
class ScoringConfig:
    """Every constant of the scoring model; see the module docstring for the formulas."""

    flag_threshold: float = FLAG_THRESHOLD
    tier_bands: tuple[tuple[Tier, float], ...] = TIER_BANDS
    #: A species name alone ("tiger") is weaker evidence of a product than "tiger bone";
    #: the gap closes as trade context grows ("African grey for sale" offers a bird).
    species_factor: float = 0.75
    #: A part ("bone", "skin") with no species named says little on its own.
    orphan_part_factor: float = 0.35
    #: Share of the remaining doubt a genuineness claim removes, once evidence exists.
    genuine_boost: float = 0.3
    offer_base: float = 0.7
    #: Trade evidence a given price adds (it has no span, so it is not a reason).
    price_signal: float = 0.3
    #: How far concealment, genuineness claims and code words cancel look-alike cues.
    lookalike_counter: float = 0.85
    #: How far trade context cancels news cues ("pre-ban ivory for sale ... ban").
    news_offer_relief: float = 0.6
    appendix_risk: tuple[tuple[str, float], ...] = (
        ("I", 0.9),
        ("I/II", 0.85),
        ("II", 0.75),
        ("III", 0.5),
    )
    #: Risk of a species that is not CITES-listed and carries no risk of its own.
    unlisted_risk: float = 0.2
    #: Risk when products or code words are found but no species can be named.
    unknown_species_risk: float = 0.35
    concealment_risk: float = 0.6
    code_risk: float = 0.35
    #: Largest cut documentation claims ("with CITES permit") make to legal risk.
    documented_relief: float = 0.3
    #: Species only implied by a product are listed once the product score reaches this.
    implied_species_min_wp: float = 0.3
    model: str = MODEL_NAME


def noisy_or(weights: Iterable[float]) -> float:
    """Combine independent pieces of evidence: ``1 - Π(1 - w)``."""
    doubt = 1.0
    for weight in weights:
        doubt *= 1.0 - weight
    return 1.0 - doubt


@dataclass
class _Evidence:
    """Hits grouped the way the formulas need them (concept or term -> strongest weight)."""

    species: dict[str, float]
    products: dict[str, float]
    parts: dict[str, float]
    code: dict[str, float]
    genuine: dict[str, float]
    documented: dict[str, float]
    trade: dict[str, float]
    conceal: dict[str, float]
    lookalike: dict[str, float]
    news: dict[str, float]
    implied: dict[str, set[str]]

    @classmethod
    def collect(cls, hits: Sequence[Hit]) -> _Evidence:
        ev = cls({}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {})
        for hit in hits:
            term = hit.term
            kind = term.kind
            if kind == "species":
                bucket = ev.species
            elif kind == "product":
                bucket = ev.parts if term.needs_species else ev.products
            elif kind == "code_word":
                bucket = ev.code
            elif kind == "claim":
                bucket = ev.documented if term.concept == "documented" else ev.genuine
            elif kind == "trade_context":
                bucket = ev.conceal if term.concept == "concealment" else ev.trade
            elif kind == "lookalike":
                bucket = ev.lookalike
            else:
                bucket = ev.news
            # Look-alike, news and code-word cues reinforce each other ("lace wedding
            # dress", "seized ... arrested", 老料 + 开门货); other kinds count once
            # per concept.
            slot = term.term if kind in ("lookalike", "news", "code_word") else term.concept
            if term.weight > bucket.get(slot, 0.0):
                bucket[slot] = term.weight
            if term.implies:
                ev.implied.setdefault(term.implies, set()).add(term.concept)
        return ev


@dataclass(frozen=True, slots=True)
class Signals:
    """What the formulas found in one listing, each in 0..1; the learned stage reads these."""

    species_score: float
    products: float
    parts: float
    code: float
    genuine: float
    documented: float
    trade: float
    conceal: float
    lookalike: float
    news: float
    evidence: float
    wildlife: float
    legal: float
    risk: float
    species: tuple[SpeciesInfo, ...]

    #: The fields that are numbers, in a fixed order (the learned stage's features).
    NUMERIC = (
        "species_score",
        "products",
        "parts",
        "code",
        "genuine",
        "documented",
        "trade",
        "conceal",
        "lookalike",
        "news",
        "evidence",
        "wildlife",
        "legal",
        "risk",
    )

    def vector(self) -> list[float]:
        return [getattr(self, name) for name in self.NUMERIC]


class Scorer:
    """Scores the hits of one listing against the species table of a lexicon."""

    def __init__(self, species: Mapping[str, SpeciesInfo], config: ScoringConfig) -> None:
        self.species = species
        self.config = config
        self._appendix_risk = dict(config.appendix_risk)

    def signals(self, hits: Sequence[Hit], *, price: float | None = None) -> Signals:
        """The intermediate quantities of the formulas, for one listing's hits."""
        cfg = self.config
        ev = _Evidence.collect(hits)

        trade = noisy_or(ev.trade.values())
        if price is not None and price > 0:
            trade = noisy_or((trade, cfg.price_signal))
        conceal = noisy_or(ev.conceal.values())
        dealing = noisy_or((trade, conceal))

        species_score = noisy_or(ev.species.values())
        species_factor = cfg.species_factor + (1.0 - cfg.species_factor) * dealing
        named = bool(ev.species) or bool(ev.implied)
        parts = noisy_or(ev.parts.values()) * (1.0 if named else cfg.orphan_part_factor)
        code = noisy_or(ev.code.values())
        genuine = noisy_or(ev.genuine.values())
        products = noisy_or(ev.products.values())
        evidence = noisy_or((products, parts, species_factor * species_score, code))
        if evidence > 0.0:
            evidence += (1.0 - evidence) * cfg.genuine_boost * genuine

        offer = cfg.offer_base + (1.0 - cfg.offer_base) * dealing
        counter = noisy_or((conceal, genuine, code))
        lookalike = noisy_or(ev.lookalike.values()) * (1.0 - cfg.lookalike_counter * counter)
        news = noisy_or(ev.news.values()) * (1.0 - cfg.news_offer_relief * dealing)
        wildlife = evidence * offer * (1.0 - lookalike) * (1.0 - news)

        species = self._species(ev) if evidence > 0.0 else []
        # With no species to name, products and code words still carry some risk.
        legal = max((self._risk_of(s) for s in species), default=cfg.unknown_species_risk)
        legal = noisy_or((legal, cfg.concealment_risk * conceal, cfg.code_risk * code))
        documented = noisy_or(ev.documented.values())
        legal *= 1.0 - cfg.documented_relief * documented * (1.0 - conceal)
        listed = [
            s for s in species if s.key in ev.species or wildlife >= cfg.implied_species_min_wp
        ]
        return Signals(
            species_score=species_score,
            products=products,
            parts=parts,
            code=code,
            genuine=genuine,
            documented=documented,
            trade=trade,
            conceal=conceal,
            lookalike=lookalike,
            news=news,
            evidence=evidence,
            wildlife=wildlife,
            legal=legal,
            risk=wildlife * legal if evidence > 0.0 else 0.0,
            species=tuple(listed),
        )

    def score(self, hits: Sequence[Hit], *, price: float | None = None) -> Classification:
        """Score one listing's hits; `price` > 0 counts as a sign of an offer."""
        sig = self.signals(hits, price=price)
        if sig.evidence <= 0.0:
            return self._result(0.0, 0.0, [], [])
        return self._result(sig.wildlife, sig.risk, sig.species, hits)

    def _species(self, ev: _Evidence) -> list[SpeciesInfo]:
        """Species named in the text, then those implied by products, strongest first."""
        named = sorted(ev.species, key=lambda k: -ev.species[k])
        found = [self.species[k] for k in named if k in self.species]
        for key, concepts in ev.implied.items():
            if key in ev.species or key not in self.species:
                continue
            # "mammoth ... ivory": ivory implies elephant unless a named species
            # already accounts for that product.
            if any(
                concepts & set(self.species[k].products) for k in ev.species if k in self.species
            ):
                continue
            found.append(self.species[key])
        return found

    def _risk_of(self, species: SpeciesInfo) -> float:
        if species.risk is not None:
            return species.risk
        appendix = species.cites_appendix
        if appendix is None:
            return self.config.unlisted_risk
        if appendix in self._appendix_risk:
            return self._appendix_risk[appendix]
        # "II/NC" or "I/III": the strictest listed part decides.
        parts = [self._appendix_risk[p] for p in appendix.split("/") if p in self._appendix_risk]
        return max(parts, default=self.config.unlisted_risk)

    def _result(
        self,
        wildlife: float,
        risk: float,
        species: Sequence[SpeciesInfo],
        hits: Sequence[Hit],
    ) -> Classification:
        cfg = self.config
        wildlife = round(min(max(wildlife, 0.0), 1.0), 4)
        risk = round(min(max(risk, 0.0), 1.0), 4)
        tier: Tier = next((name for name, low in cfg.tier_bands if risk >= low), "none")
        return Classification(
            wildlife_product=wildlife,
            risk=risk,
            flagged=risk >= cfg.flag_threshold,
            tier=tier,
            species=[
                SpeciesMatch(
                    name=s.name, scientific_name=s.scientific_name, cites_appendix=s.cites_appendix
                )
                for s in species
            ],
            reasons=[
                Reason(kind=h.kind, term=h.text, start=h.start, end=h.end)
                for h in sorted(hits, key=lambda h: (h.start, h.end))
            ],
            model=cfg.model,
        )
