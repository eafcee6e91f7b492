"""Stage 1 of the baseline: fold listing text into one canonical form with a map back.

Sellers disguise terms so that filters miss them: full-width letters, zero-width
characters, Cyrillic look-alikes, ``1v0ry``, ``i.v.o.r.y``, emoji, traditional
characters. :class:`Normalizer` undoes those tricks and records, for every character
of the folded text, the span of the original text it came from, so a match found in
folded text maps back to exact ``[start, end)`` offsets in what the seller wrote.

Folding, in order:

1. per character (or base + combining marks): drop invisible characters, map emoji
   to a concept word (``🐘`` -> `` elephant ``), Unicode NFKC (full-width -> ASCII),
   casefold, Cyrillic/Greek look-alikes -> Latin, traditional -> simplified Chinese
   for the characters in the table, ``œ`` -> ``oe`` and similar;
2. runs of three or more single letters joined by one repeated separator are closed
   up (``i v o r y``, ``i-v-o-r-y``); a lone separator between two Han characters goes;
3. digits and ``@`` inside a token that mixes letters and digits are read as letters
   (``1v0ry`` -> ``ivory``), except quantities such as ``5kg``.

The result keeps accents in ``text``; ``plain`` is the same string with Latin
diacritics removed (same length, same offsets), so Vietnamese, French or German terms
also match when written without accents. All tables live in ``data/fold.json``.
"""

from __future__ import annotations

import json
import re
import threading
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

from classifiers.errors import LexiconError

__all__ = [
    "DATA_DIR",
    "FoldTables",
    "NormalizedText",
    "Normalizer",
    "default_normalizer",
    "normalize",
]

DATA_DIR = Path(__file__).resolve().parent / "data"
FOLD_FILE = "fold.json"

# Combining marks that composition can merge into the letter before them: Latin
# accents and kana voicing marks. Thai vowel and tone marks are deliberately absent:
# they are never removed, so Thai text takes the fast path.
_MARKS = "\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f\u3099\u309a"
_MARK_RE = re.compile(f"[{_MARKS}]")
_CLUSTER_RE = re.compile(f"(?s).[{_MARKS}]*")
_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
# Latin letters whose accents `plain` removes; other scripts are left alone.
_LATIN_RANGES = ((0x00C0, 0x0250), (0x1E00, 0x1F00))
# A number followed by a short unit is a quantity, not leetspeak: 5kg, 10cm, 3pcs, 24k.
_QUANTITY_RE = re.compile(r"\d+(?:[.,]\d+)?[a-z]{1,3}")
_LEET_TOKEN_RE = re.compile(r"[0-9a-z@\u00df-\u00f6\u00f8-\u024f\u1e00-\u1eff]+")


@dataclass(frozen=True, slots=True)
class FoldTables:
    """The character tables :class:`Normalizer` applies, as loaded from ``fold.json``."""

    removable: frozenset[str]
    homoglyphs: Mapping[str, str]
    latin_expansions: Mapping[str, str]
    traditional_to_simplified: Mapping[str, str]
    leet: Mapping[str, str]
    separators: str
    emoji: Mapping[str, str]

    @classmethod
    def from_file(cls, path: str | Path) -> FoldTables:
        """Load and check the tables; raises :class:`LexiconError` naming the file."""
        path = Path(path)
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise LexiconError(f"{path}: cannot read folding tables ({exc.strerror})") from exc
        except json.JSONDecodeError as exc:
            raise LexiconError(f"{path}:{exc.lineno}: not valid JSON ({exc.msg})") from exc
        if not isinstance(raw, dict):
            raise LexiconError(f"{path}: expected a JSON object at the top level")

        def char_map(name: str, *, single_key: bool = True) -> Mapping[str, str]:
            value = raw.get(name)
            if not isinstance(value, dict) or not all(
                isinstance(k, str) and isinstance(v, str) and (len(k) == 1 or not single_key)
                for k, v in value.items()
            ):
                raise LexiconError(f"{path}: {name!r} must map single characters to strings")
            return MappingProxyType(dict(value))

        removable = raw.get("removable")
        if not isinstance(removable, list) or not all(
            isinstance(c, str) and len(c) == 1 for c in removable
        ):
            raise LexiconError(f"{path}: 'removable' must be a list of single characters")
        separators = raw.get("separators")
        if not isinstance(separators, str) or not separators:
            raise LexiconError(f"{path}: 'separators' must be a non-empty string")
        emoji = char_map("emoji")
        if not all(re.fullmatch(r"[a-z]+", v) for v in emoji.values()):
            raise LexiconError(f"{path}: 'emoji' values must be lower-case ASCII words")
        return cls(
            removable=frozenset(removable),
            homoglyphs=char_map("homoglyphs"),
            latin_expansions=char_map("latin_expansions"),
            traditional_to_simplified=char_map("traditional_to_simplified"),
            leet=char_map("leet"),
            separators=separators,
            emoji=emoji,
        )


@dataclass(frozen=True, slots=True)
class NormalizedText:
    """Folded text plus, per folded character, the original span it came from.

    ``text`` and ``plain`` have the same length; ``starts[i]``/``ends[i]`` give the
    original span of folded character ``i``. Treat the lists as read-only.
    """

    original: str
    text: str
    plain: str
    starts: Sequence[int]
    ends: Sequence[int]

    def span(self, start: int, end: int) -> tuple[int, int]:
        """Map a folded ``[start, end)`` to the ``[start, end)`` of the original text."""
        if not 0 <= start <= end <= len(self.text):
            raise IndexError(f"span {start}:{end} outside folded text of {len(self.text)}")
        if start == end:
            pos = self.starts[start] if start < len(self.starts) else len(self.original)
            return pos, pos
        return self.starts[start], self.ends[end - 1]

    def original_slice(self, start: int, end: int) -> str:
        """The original text behind folded ``[start, end)``."""
        a, b = self.span(start, end)
        return self.original[a:b]


class _FoldCache(dict[int, str]):
    """``str.translate`` table that folds each new code point on first sight.

    Characters whose fold is not exactly one character (invisible ones, emoji,
    ligatures) are also recorded, compiled into a pattern that tells whether a text
    needs the slow path that tracks offsets. Writers hold a lock; a character is
    recorded as irregular before it becomes visible in the table, so a reader that
    finds it in the table also finds the pattern out of date and rebuilds it.
    """

    __slots__ = ("_fold", "_irregular", "_lock", "_pattern")

    def __init__(self, fold: Any) -> None:
        super().__init__()
        self._fold = fold
        self._irregular: list[str] = []
        self._lock = threading.Lock()
        self._pattern: tuple[int, re.Pattern[str] | None] = (0, None)

    def __missing__(self, codepoint: int) -> str:
        with self._lock:
            if codepoint in self:
                return dict.__getitem__(self, codepoint)
            folded = self._fold(chr(codepoint))
            if len(folded) != 1:
                self._irregular.append(chr(codepoint))
            self[codepoint] = folded
            return folded

    def irregular_pattern(self) -> re.Pattern[str] | None:
        """A pattern matching any character seen so far that does not fold to one."""
        count, pattern = self._pattern
        if count != len(self._irregular):
            with self._lock:
                chars = tuple(self._irregular)
                body = "".join(re.escape(c) for c in chars)
                pattern = re.compile(f"[{body}]") if chars else None
                self._pattern = (len(chars), pattern)
        return pattern


class Normalizer:
    """Folds text for matching and keeps an exact map back to the original offsets.

    One instance is safe to share; it caches per-character folds as it goes.
    """

    def __init__(self, tables: FoldTables) -> None:
        self.tables = tables
        self._cache = _FoldCache(self._fold_char)
        seps = "".join(re.escape(c) for c in tables.separators if not c.isspace())
        # A separator is one punctuation mark, optionally padded by single spaces, or
        # one or two spaces; the back-reference makes every gap use the same one.
        self._collapse_re = re.compile(
            rf"(?<![^\W_])[^\W_](?P<sep> ?[{seps}] ?| {{1,2}})(?:[^\W_](?P=sep))+[^\W_](?![^\W_])"
        )
        han_seps = "".join(re.escape(c) for c in tables.separators if c != ",")
        # Commas stay: in Chinese they separate clauses, and closing them up would
        # make matches straddle two clauses.
        self._han_gap_re = re.compile(f"(?<=[{_HAN}])[{han_seps}](?=[{_HAN}])")
        leet_chars = "".join(re.escape(c) for c in tables.leet)
        self._leet_hint_re = re.compile(f"[a-z][{leet_chars}]|[{leet_chars}][a-z]")
        self._leet_table = str.maketrans(dict(tables.leet))
        self._strip_table = self._build_strip_table()

    @classmethod
    def from_file(cls, path: str | Path) -> Normalizer:
        """Build a normalizer from a ``fold.json`` file."""
        return cls(FoldTables.from_file(path))

    def __call__(self, text: str) -> NormalizedText:
        """Fold `text`; see the module docstring for what is folded and in what order."""
        folded, starts, ends = self._fold(text)
        folded, starts, ends = self._collapse(folded, starts, ends)
        folded = self._unleet(folded)
        return NormalizedText(text, folded, folded.translate(self._strip_table), starts, ends)

    # -- stage 1: characters ------------------------------------------------------

    def _fold_char(self, char: str) -> str:
        tables = self.tables
        if char in tables.removable:
            return ""
        concept = tables.emoji.get(char)
        if concept:
            # Padded so the concept is a word of its own next to letters: 🐘ivory.
            return f" {concept} "
        out = []
        for c in unicodedata.normalize("NFKC", char).casefold():
            c = tables.homoglyphs.get(c, c)
            c = tables.traditional_to_simplified.get(c, c)
            out.append(tables.latin_expansions.get(c, c))
        return _drop_marks_after_latin("".join(out))

    def _fold(self, text: str) -> tuple[str, list[int], list[int]]:
        cache = self._cache
        if _MARK_RE.search(text):
            return self._fold_clusters(text)
        folded = text.translate(cache)
        irregular = cache.irregular_pattern()
        if irregular is None or not irregular.search(text):
            # Every character folded to exactly one: the offset map is the identity.
            n = len(text)
            return folded, list(range(n)), list(range(1, n + 1))
        starts: list[int] = []
        for i, char in enumerate(text):
            width = len(cache[ord(char)])
            if width == 1:
                starts.append(i)
            elif width:
                starts.extend([i] * width)
        return folded, starts, [s + 1 for s in starts]

    def _fold_clusters(self, text: str) -> tuple[str, list[int], list[int]]:
        # Slow path for decomposed text: a base letter and its combining marks fold as
        # one unit, so "e" + U+0302 composes to "ê" before matching.
        cache = self._cache
        pieces: list[str] = []
        starts: list[int] = []
        ends: list[int] = []
        for m in _CLUSTER_RE.finditer(text):
            unit = m.group()
            if len(unit) == 1:
                folded = cache[ord(unit)]
            else:
                composed = unicodedata.normalize("NFC", unit)
                folded = _drop_marks_after_latin("".join(cache[ord(c)] for c in composed))
            pieces.append(folded)
            starts.extend([m.start()] * len(folded))
            ends.extend([m.end()] * len(folded))
        return "".join(pieces), starts, ends

    # -- stage 2: separator tricks ------------------------------------------------

    def _collapse(
        self, text: str, starts: list[int], ends: list[int]
    ) -> tuple[str, list[int], list[int]]:
        drop: set[int] = set()
        for m in self._collapse_re.finditer(text):
            run = m.group()
            if sum(c.isalpha() for c in run) < 2:
                continue  # "1 2 3" or "5 x 3" stay as they are
            drop.update(i for i in range(m.start(), m.end()) if not (text[i].isalnum()))
        drop.update(m.start() for m in self._han_gap_re.finditer(text))
        if not drop:
            return text, starts, ends
        keep = [i for i in range(len(text)) if i not in drop]
        return (
            "".join(text[i] for i in keep),
            [starts[i] for i in keep],
            [ends[i] for i in keep],
        )

    # -- stage 3: leetspeak -------------------------------------------------------

    def _unleet(self, text: str) -> str:
        if not self._leet_hint_re.search(text):
            return text
        leet = self.tables.leet
        pieces: list[str] = []
        last = 0
        for m in _LEET_TOKEN_RE.finditer(text):
            token = m.group()
            letters = sum(c.isalpha() for c in token)
            if letters < 2 or not any(c in leet for c in token) or _QUANTITY_RE.fullmatch(token):
                continue
            pieces.append(text[last : m.start()])
            pieces.append(token.translate(self._leet_table))
            last = m.end()
        if not pieces:
            return text
        pieces.append(text[last:])
        return "".join(pieces)

    # -- plain view -----------------------------------------------------------------

    @staticmethod
    def _build_strip_table() -> dict[int, str]:
        table: dict[int, str] = {}
        for low, high in _LATIN_RANGES:
            for codepoint in range(low, high):
                char = chr(codepoint)
                base = "".join(
                    c for c in unicodedata.normalize("NFD", char) if not unicodedata.combining(c)
                )
                # Only one-for-one replacements, so `plain` shares `text`'s offsets.
                if len(base) == 1 and base != char and base.isascii():
                    table[codepoint] = base
        return table


def _drop_marks_after_latin(text: str) -> str:
    """Remove combining marks that follow a Latin letter (left over after composition)."""
    if not _MARK_RE.search(text):
        return text
    out: list[str] = []
    for c in text:
        if unicodedata.combining(c) and out and _is_latin(out[-1]):
            continue
        out.append(c)
    return "".join(out)


def _is_latin(char: str) -> bool:
    return (
        (char.isascii() and char.isalpha())
        or "\u00c0" <= char <= "\u024f"
        or ("\u1e00" <= char <= "\u1eff")
    )


@lru_cache(maxsize=4)
def default_normalizer(data_dir: str | None = None) -> Normalizer:
    """The normalizer for the shipped tables (or those under `data_dir`), built once."""
    return Normalizer.from_file(Path(data_dir or DATA_DIR) / FOLD_FILE)


def normalize(text: str) -> NormalizedText:
    """Fold `text` with the shipped tables; see :class:`Normalizer`."""
    return default_normalizer()(text)
