"""Highlighted snippets of a listing's own text: escaped HTML, matched words in ``<mark>``.

The index stores text rewritten (bigrams, folded letters), so snippets are cut from
the original title and description instead, finding the query's words the way the
index does: whole words compared without case or Latin diacritics (``nga voi``
marks "Ngà Voi", ``dan`` marks "đàn"), and runs of Chinese, Japanese or Thai found
inside longer unspaced text (象牙 in 出售象牙手镯). Everything outside the marks is
escaped, so hostile listing text never becomes markup.
"""

from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import dataclass

from indexer.fts import UNSPACED, fold_letters, is_unspaced

__all__ = ["FRAGMENT_CHARS", "MAX_FRAGMENTS", "Highlighter"]

FRAGMENT_CHARS = 150
MAX_FRAGMENTS = 3
# A query piece: a run of unspaced script, or a word of anything else.
_PIECE = re.compile(f"[{UNSPACED}]+|[^\\W_{UNSPACED}]+")
_WORD = re.compile(f"[^\\W_{UNSPACED}]+")
# Fragment edges move to a space this close by, so words are not cut in half.
_SNAP = 20


def _fold_char(char: str) -> str:
    folded = fold_letters(char).casefold()
    if folded.isascii():
        return folded
    decomposed = unicodedata.normalize("NFD", folded)
    base = "".join(c for c in decomposed if unicodedata.category(c) != "Mn")
    # Marks on non-Latin letters (Thai vowels) are part of the letter, not accents.
    return base if base and base[0] < "\u0530" else folded


@dataclass(frozen=True)
class _Folded:
    text: str
    #: For every character of `text`, the index of the original character it came from.
    origin: list[int]

    @classmethod
    def of(cls, value: str) -> _Folded:
        chars: list[str] = []
        origin: list[int] = []
        for index, char in enumerate(value):
            folded = _fold_char(char)
            chars.append(folded)
            origin.extend([index] * len(folded))
        return cls("".join(chars), origin)

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        return self.origin[start], self.origin[end - 1] + 1


class Highlighter:
    """Marks one query's words in any text: ``Highlighter("象牙 bangle").fragments(text)``."""

    def __init__(self, query: str) -> None:
        words: set[str] = set()
        runs: set[str] = set()
        for piece in _PIECE.findall(_Folded.of(query).text):
            (runs if is_unspaced(piece) else words).add(piece)
        self._words = frozenset(words)
        # Longest first, so 象牙手镯 is marked whole rather than as 象牙 and the rest.
        self._runs = tuple(sorted(runs, key=len, reverse=True))

    def __bool__(self) -> bool:
        return bool(self._words or self._runs)

    def spans(self, text: str) -> list[tuple[int, int]]:
        """Where the query's words are in `text`: sorted, non-overlapping ``[start, end)``."""
        if not self or not text:
            return []
        folded = _Folded.of(text)
        found: list[tuple[int, int]] = []
        if self._words:
            for m in _WORD.finditer(folded.text):
                if m.group() in self._words:
                    found.append(folded.original_span(m.start(), m.end()))
        for run in self._runs:
            start = folded.text.find(run)
            while start != -1:
                found.append(folded.original_span(start, start + len(run)))
                start = folded.text.find(run, start + len(run))
        return _merge(found)

    def fragments(
        self,
        text: str,
        *,
        fragment_chars: int | None = FRAGMENT_CHARS,
        max_fragments: int = MAX_FRAGMENTS,
    ) -> list[str]:
        """Escaped snippets of `text` around its matches; the whole text if `fragment_chars`
        is None. Empty when nothing in `text` matches."""
        spans = self.spans(text)
        if not spans:
            return []
        if fragment_chars is None:
            return [_render(text, 0, len(text), spans)]
        out: list[str] = []
        covered_to = 0
        for start, end in spans:
            if len(out) == max_fragments:
                break
            if start < covered_to:
                continue
            lo, hi = _window(text, start, end, fragment_chars, floor=covered_to)
            out.append(_render(text, lo, hi, spans))
            covered_to = hi
        return out


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def _window(text: str, start: int, end: int, size: int, *, floor: int) -> tuple[int, int]:
    """A stretch of about `size` characters around ``[start, end)``, never before `floor`."""
    lead = max(0, (size - (end - start)) // 3)
    lo = max(floor, start - lead)
    hi = min(len(text), max(end, lo + size))
    space = text.rfind(" ", max(floor, lo - _SNAP), lo + 1) if lo > floor else -1
    if space != -1 and space < start:
        lo = space + 1
    space = text.find(" ", hi - _SNAP if hi - _SNAP > end else end, hi)
    if hi < len(text) and space != -1:
        hi = space
    return lo, hi


def _render(text: str, lo: int, hi: int, spans: list[tuple[int, int]]) -> str:
    parts: list[str] = []
    cursor = lo
    for start, end in spans:
        if end <= lo or start >= hi:
            continue
        start, end = max(start, lo), min(end, hi)
        parts.append(html.escape(text[cursor:start]))
        parts.append(f"<mark>{html.escape(text[start:end])}</mark>")
        cursor = end
    parts.append(html.escape(text[cursor:hi]))
    return "".join(parts).strip()
