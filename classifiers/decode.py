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
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from types import MappingProxyType

from classifiers.errors import LexiconError
from classifiers.matcher import Hit
from classifiers.normalize import DATA_DIR

__all__ = ["MEANINGS_FILE", "CodeWordDecoder"]

MEANINGS_FILE = "code_meanings.json"


class CodeWordDecoder:
    """Rewrites the code words in a text as their meanings, where the listing supports it."""

    def __init__(
        self, meanings: Mapping[str, Mapping[str, str]], *, specific_weight: float = 0.5
    ) -> None:
        self.meanings = MappingProxyType(
            {concept: MappingProxyType(dict(table)) for concept, table in meanings.items()}
        )
        self.specific_weight = specific_weight

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
        return cls(meanings)

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

    def decodable(self, hits: Sequence[Hit], *, by_weight: bool = False) -> list[Hit]:
        """The code-word hits to rewrite, given everything else found in the listing
        (`by_weight`: the listing gives a mass, "1,1 kg", "2两")."""
        codes = [h for h in hits if h.kind == "code_word" and h.term.concept in self.meanings]
        if not codes:
            return []
        supported = by_weight or any(self._supports(h) for h in hits)
        return [h for h in codes if supported or h.term.weight >= self.specific_weight]

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

    def __call__(self, text: str, hits: Iterable[Hit], lang: str | None) -> str:
        """`text` with each of `hits` (spans into `text`) replaced by its meaning."""
        pieces: list[str] = []
        last = 0
        for hit in sorted(hits, key=lambda h: h.start):
            word = self.meaning(hit.term.concept, lang)
            if word is None or hit.start < last:
                continue  # overlapping hits: the first one wins
            pieces += [text[last : hit.start], word]
            last = hit.end
        pieces.append(text[last:])
        return "".join(pieces)
