"""Code words rewritten as what they stand for, for the model that reads the listing.

The rules already score a code word ("ông ba mươi", 黄金胆, "white plastic"), but the
encoder reads words, and a seller's euphemism is exactly the word it has not learnt
to read as wildlife. Before the encoder sees a listing, each code word the lexicon
knows is replaced by its meaning written in the listing's language
(``data/code_meanings.json``), so "Nanh ông ba mươi bọc vàng" is read as "Nanh hổ bọc
vàng".

Ambiguous code words are not rewritten on their own: "corne noire" is also buffalo
horn and "big cat" is also a cat. Only a code word the lexicon weighs as specific
(``weight >= specific_weight``) is rewritten by itself; an ambiguous one needs
support from the same listing: an animal part (tooth, claw, scale, skin), a named
species, another specific code word, a concealment phrase, or goods sold by weight
(raw horn, scales and bile are sold by the kilo or the gram; combs are not). The rules are not
changed by this; they see the text as written.

A look-alike that sellers also use as a cover name ("os de bœuf", "hueso de vaca" for
ivory: the term's ``cover_for``) is an honest product name first, so it is read as its
cover meaning only on stronger support: a concealment phrase, a named species, a
specific code word, goods sold by weight, or an insistence that the bone is genuine
("auténtica", "legítimo"), which nobody selling cow bone needs to make; and never when
the listing asks the price of the honest product (``data/cover_prices.json``: a
bone bracelet at 12 € is a bone bracelet).

The rewrite can also leave words out: the matcher's unattached colour words ("颜色正",
"warna merah bagus": a colour praised, not a look-alike named) are dropped, because
the encoder reads a bare "colour" as the "ivory colour" look-alikes it learnt from.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from types import MappingProxyType

from classifiers.errors import LexiconError
from classifiers.matcher import Hit
from classifiers.normalize import DATA_DIR

__all__ = ["COVER_PRICES_FILE", "MEANINGS_FILE", "CodeWordDecoder"]

MEANINGS_FILE = "code_meanings.json"
COVER_PRICES_FILE = "cover_prices.json"


class CodeWordDecoder:
    """Rewrites the code words in a text as their meanings, where the listing supports it."""

    def __init__(
        self,
        meanings: Mapping[str, Mapping[str, str]],
        *,
        specific_weight: float = 0.5,
        cheap_below: Mapping[str, float] | None = None,
    ) -> None:
        self.meanings = MappingProxyType(
            {concept: MappingProxyType(dict(table)) for concept, table in meanings.items()}
        )
        self.specific_weight = specific_weight
        self.cheap_below = MappingProxyType(dict(cheap_below or {}))

    @classmethod
    def load(cls, data_dir: str | Path | None = None) -> CodeWordDecoder:
        """Load ``code_meanings.json`` from `data_dir` (default: the shipped data)."""
        path = Path(data_dir or DATA_DIR) / MEANINGS_FILE
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise LexiconError(f"{path}: cannot read code-word meanings ({exc.strerror})") from exc
        except json.JSONDecodeError as exc:
            raise LexiconError(f"{path}:{exc.lineno}: not valid JSON ({exc.msg})") from exc
        if not isinstance(raw, dict):
            raise LexiconError(f"{path}: expected a JSON object at the top level")
        meanings: dict[str, dict[str, str]] = {}
        for concept, table in raw.items():
            if concept.startswith("_"):
                continue
            if (
                not isinstance(table, dict)
                or "en" not in table
                or not all(
                    isinstance(k, str) and isinstance(v, str) and v.strip()
                    for k, v in table.items()
                )
            ):
                raise LexiconError(
                    f"{path}: {concept!r} must map language codes to non-empty words, "
                    "English ('en') included"
                )
            meanings[concept] = table
        return cls(meanings, cheap_below=_load_cheap_below(Path(data_dir or DATA_DIR)))

    def meaning(self, concept: str, lang: str | None) -> str | None:
        """`concept` written in `lang` (traditional Chinese falls back to simplified,
        anything else to English); None for a concept with no meaning on file."""
        table = self.meanings.get(concept)
        if table is None:
            return None
        for key in (lang, "zh" if lang == "zh-Hant" else None, "en"):
            if key and key in table:
                return table[key]
        return None

    def decodable(
        self,
        hits: Sequence[Hit],
        *,
        by_weight: bool = False,
        prices: Iterable[tuple[str | None, float]] = (),
    ) -> list[Hit]:
        """The code-word (and cover-name) hits to rewrite, given everything else found
        in the listing (`by_weight`: the listing gives a mass, "1,1 kg", "2两";
        `prices`: the (ISO 4217 currency, amount) pairs it asks)."""
        codes = [h for h in hits if h.kind == "code_word" and h.term.concept in self.meanings]
        covers = [h for h in hits if h.kind == "lookalike" and h.term.cover_for in self.meanings]
        if not codes and not covers:
            return []
        if covers and self.cheap(prices):
            covers = []
        strong = by_weight or any(self._supports_cover(h) for h in hits)
        supported = strong or any(self._supports(h) for h in hits)
        chosen = [h for h in codes if supported or h.term.weight >= self.specific_weight]
        return chosen + (covers if strong else [])

    def cheap(self, prices: Iterable[tuple[str | None, float]]) -> bool:
        """Whether any of `prices` is below what the honest look-alike costs."""
        return any(
            currency in self.cheap_below and amount < self.cheap_below[currency]
            for currency, amount in prices
        )

    def _supports_cover(self, hit: Hit) -> bool:
        term = hit.term
        if hit.kind in ("species", "code_word"):
            return hit.kind == "species" or term.weight >= self.specific_weight
        if hit.kind == "claim":
            return term.concept == "genuine" and term.weight >= self.specific_weight
        return term.concept == "concealment"

    def _supports(self, hit: Hit) -> bool:
        term = hit.term
        if hit.kind == "species" or term.concept == "concealment":
            return True
        if hit.kind == "product":
            # An animal part wants an animal; a generic object (comb, carving) does not.
            return (term.needs_species and term.concept != "object") or (
                term.implies is not None and term.weight >= self.specific_weight
            )
        return hit.kind == "code_word" and term.weight >= self.specific_weight

    def __call__(
        self, text: str, hits: Iterable[Hit], lang: str | None, *, drop: Iterable[Hit] = ()
    ) -> str:
        """`text` with each of `hits` (spans into `text`) replaced by its meaning, and
        each of `drop` left out."""
        edits = [(h, self.meaning(h.term.cover_for or h.term.concept, lang)) for h in hits]
        edits += [(h, "") for h in drop]
        pieces: list[str] = []
        last = 0
        for hit, word in sorted(edits, key=lambda e: e[0].start):
            if word is None or hit.start < last:
                continue  # overlapping hits: the first one wins
            pieces += [text[last : hit.start], word]
            last = hit.end
        pieces.append(text[last:])
        return "".join(pieces)


def _load_cheap_below(root: Path) -> dict[str, float]:
    path = root / COVER_PRICES_FILE
    if not path.exists():
        return {}
    try:
        table = json.loads(path.read_text(encoding="utf-8")).get("cheap_below", {})
    except (OSError, json.JSONDecodeError, AttributeError) as exc:
        raise LexiconError(f"{path}: cannot read cover prices ({exc})") from exc
    if not isinstance(table, dict) or not all(
        isinstance(k, str) and isinstance(v, int | float) and v > 0 for k, v in table.items()
    ):
        raise LexiconError(f"{path}: 'cheap_below' must map ISO 4217 codes to positive amounts")
    return {k: float(v) for k, v in table.items()}
