"""Stage 1 of the baseline: fold listing text into one canonical form with a map back.

Sellers disguise terms so that filters miss them: full-width letters, zero-width
characters, Cyrillic look-alikes, ``1v0ry``, ``i.v.o.r.y``, ``t ê  g i á c``, emoji,
traditional characters. :class:`Normalizer` undoes those tricks and records, for every
character of the folded text, the span of the original text it came from, so a match
found in folded text maps back to exact ``[start, end)`` offsets in what the seller
wrote.

Folding, in order:

1. per character (or base + combining marks): drop invisible characters, Unicode
   NFKC (full-width -> ASCII), casefold, Cyrillic/Greek look-alikes -> Latin,
   traditional -> simplified Chinese (one character to one, so offsets stay exact),
   ``œ`` -> ``oe`` and similar;
2. emoji that stand for animals and parts become words in the script around them:
   Chinese or Japanese next to Han or kana (``🐘牙`` -> ``象牙``), Thai next to Thai
   (``กำไล🐘`` -> ``กำไลงาช้าง``), Vietnamese in Vietnamese text (``Nanh 🐯`` ->
   ``nanh hổ``), otherwise English words padded as words of their own (``🐘 bangle``
   -> `` ivory  bangle``). Every character of the word maps back to the emoji. Next
   to the words of a trade name an emoji can stand for another animal than its own:
   🐦 is any bird, but ``🐦红`` is 鹤顶红 and ``🐦 ivory`` hornbill ivory;
3. letters spaced or dotted apart are closed up: runs of single letters joined by one
   repeated separator (``i v o r y``, ``i-v-o-r-y``, ``h.ổ``), spaced words two spaces
   apart (``t ê  g i á c`` -> ``tê giác``), and Thai letters spaced or dotted apart
   inside Thai text (``กำไลง า ช้ า งแท้``, ``น.ก.เ.งื.อ.ก``); a lone separator
   between two Han characters goes;
4. digits and ``@`` inside a token that mixes letters and digits are read as letters
   (``1v0ry`` -> ``ivory``; in Vietnamese text also ``v01`` and ``7ê``), except
   quantities and prices such as ``5kg`` or ``2tr5`` and tokens with digits that are
   no letter look-alike (``xy8866``).

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
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

from classifiers.errors import LexiconError

__all__ = [
    "DATA_DIR",
    "EmojiInName",
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
_KANA = "\u3040-\u30ff"
# Thai letters (consonants and the vowels written on the line) and the marks written
# above or below them. A Thai "piece" is one letter with its marks: ช้, นิ่, งื. The
# repetition and abbreviation signs ๆ and ฯ are no letters here: standard spelling
# puts spaces around ๆ (ดี ๆ).
_THAI_LETTER = "\u0e01-\u0e2e\u0e30\u0e32\u0e33\u0e40-\u0e45"
_THAI_MARK = "\u0e31\u0e34-\u0e3a\u0e47-\u0e4e"
_THAI_PIECE = f"[{_THAI_LETTER}][{_THAI_MARK}]*"
_THAI_ANY_RE = re.compile(f"[{_THAI_LETTER}{_THAI_MARK}]")
# Leading vowels (เ แ โ ใ ไ) are written before their consonant, so a Thai chunk can
# never end in one, and a chunk cannot start with a following vowel or a mark: a space
# in such a place was put there to split a word.
_THAI_LEADING = frozenset("\u0e40\u0e41\u0e42\u0e43\u0e44")
_THAI_FOLLOWING = frozenset("\u0e30\u0e32\u0e33\u0e45") | frozenset(
    chr(c) for c in (0x0E31, *range(0x0E34, 0x0E3B), *range(0x0E47, 0x0E4F))
)
# A letter or digit of any script except Thai (Thai has its own rule, since it is
# written without spaces between words).
_WORD = r"[^\W_\u0e00-\u0e7f]"
# Letters only Vietnamese uses (after folding; đ folds to d and is checked in the
# original): ă ơ ư ĩ ũ and the tone-marked vowels of Latin Extended Additional.
_VIETNAMESE_RE = re.compile("[\u0103\u01a1\u01b0\u0129\u0169\u1ea0-\u1ef9]")
# Latin letters whose accents `plain` removes; other scripts are left alone.
_LATIN_RANGES = ((0x00C0, 0x0250), (0x1E00, 0x1F00))
# A number followed by a short unit is a quantity or price, not leetspeak: 5kg, 10cm,
# 3pcs, 24k, 500k; Vietnamese writes 2tr5 (2.5 million) and 1kg2 (1.2 kg).
_QUANTITY_RE = re.compile(r"\d+(?:[.,]\d+)?[a-z]{1,3}\d*")
_LETTERS = "a-z\u00df-\u00f6\u00f8-\u024f\u1e00-\u1eff"
_LEET_TOKEN_RE = re.compile(f"[0-9@{_LETTERS}]+")
# Letters followed by two or more digits name a model (iphone13, rtx3070), not leet.
_MODEL_RE = re.compile(f"[@{_LETTERS}]+[0-9]{{2,}}")
# How far (in folded characters) an emoji looks for the letters that decide its script.
_EMOJI_REACH = 4


@dataclass(frozen=True, slots=True)
class EmojiInName:
    """An emoji that, written inside a trade name, stands for a particular animal.

    Sellers put an animal's emoji where its name goes: 🐦 is any bird, but in 🐦红 it
    replaces 鹤顶 of 鹤顶红 (hornbill casque) and in "🐦 ivory" the hornbill of
    "hornbill ivory". The emoji is read so only when the next word is one of
    ``before`` (and none of ``not_before``: 🐦红色 is a red colour) or the previous
    word one of ``after``; ``words`` gives the animal's name by language code or by
    script (``latin``, ``han``, ``thai``, ``vi``), ``latin`` being required.
    """

    before: tuple[str, ...]
    after: tuple[str, ...]
    not_before: tuple[str, ...]
    words: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class FoldTables:
    """The character tables :class:`Normalizer` applies, as loaded from ``fold.json``.

    ``emoji`` holds the English words used in Latin text; ``emoji_by_script`` the
    words for Han (Chinese and Japanese), Thai and Vietnamese text, for the emoji
    that have one; ``emoji_by_language`` the words in one language, used when the
    caller knows the listing's language (the encoder reads "peau de léopard", not
    "peau de leopard" in English); ``emoji_in_names`` the emoji that stand for another
    animal inside a trade name. ``traditional_to_simplified`` merges the broad table derived from
    OpenCC with the hand-written domain table (which wins).
    """

    removable: frozenset[str]
    homoglyphs: Mapping[str, str]
    latin_expansions: Mapping[str, str]
    traditional_to_simplified: Mapping[str, str]
    leet: Mapping[str, str]
    separators: str
    emoji: Mapping[str, str]
    emoji_by_script: Mapping[str, Mapping[str, str]] = field(
        default_factory=lambda: MappingProxyType({})
    )
    emoji_by_language: Mapping[str, Mapping[str, str]] = field(
        default_factory=lambda: MappingProxyType({})
    )
    emoji_in_names: Mapping[str, EmojiInName] = field(default_factory=lambda: MappingProxyType({}))

    @classmethod
    def load(cls, data_dir: str | Path | None = None) -> FoldTables:
        """Load the shipped tables (or the ``fold.json`` under `data_dir`)."""
        return cls.from_file(Path(data_dir or DATA_DIR) / FOLD_FILE)

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

        def char_map(value: Any, name: str, *, single_value: bool = False) -> Mapping[str, str]:
            if not isinstance(value, dict) or not all(
                isinstance(k, str)
                and isinstance(v, str)
                and len(k) == 1
                and (len(v) == 1 or not single_value)
                for k, v in value.items()
            ):
                what = "single characters" if single_value else "strings"
                raise LexiconError(f"{path}: {name!r} must map single characters to {what}")
            return MappingProxyType(dict(value))

        removable = raw.get("removable")
        if not isinstance(removable, list) or not all(
            isinstance(c, str) and len(c) == 1 for c in removable
        ):
            raise LexiconError(f"{path}: 'removable' must be a list of single characters")
        separators = raw.get("separators")
        if not isinstance(separators, str) or not separators:
            raise LexiconError(f"{path}: 'separators' must be a non-empty string")
        emoji = char_map(raw.get("emoji"), "emoji")
        if not all(re.fullmatch(r"[a-z]+(?: [a-z]+)*", v) for v in emoji.values()):
            raise LexiconError(f"{path}: 'emoji' values must be lower-case ASCII words")
        by_script = raw.get("emoji_by_script", {})
        if not isinstance(by_script, dict):
            raise LexiconError(f"{path}: 'emoji_by_script' must map script names to tables")
        unknown = set(by_script) - {"han", "thai", "vi"}
        if unknown:
            raise LexiconError(f"{path}: 'emoji_by_script' has unknown scripts {sorted(unknown)}")
        scripts = {
            name: char_map(table, f"emoji_by_script.{name}") for name, table in by_script.items()
        }
        by_language = raw.get("emoji_by_language", {})
        if not isinstance(by_language, dict):
            raise LexiconError(f"{path}: 'emoji_by_language' must map language codes to tables")
        languages = {
            name: char_map(table, f"emoji_by_language.{name}")
            for name, table in by_language.items()
        }
        in_names = {
            char: _emoji_in_name(path, char, entry)
            for char, entry in raw.get("emoji_in_names", {}).items()
            if not char.startswith("_")
        }
        # One character to one: a longer replacement would break the offset map's
        # fast path and a shorter one would lose characters.
        hand = char_map(
            raw.get("traditional_to_simplified"), "traditional_to_simplified", single_value=True
        )
        derived = char_map(
            raw.get("traditional_to_simplified_opencc", {}),
            "traditional_to_simplified_opencc",
            single_value=True,
        )
        return cls(
            removable=frozenset(removable),
            homoglyphs=char_map(raw.get("homoglyphs"), "homoglyphs"),
            latin_expansions=char_map(raw.get("latin_expansions"), "latin_expansions"),
            traditional_to_simplified=MappingProxyType({**derived, **hand}),
            leet=char_map(raw.get("leet"), "leet"),
            separators=separators,
            emoji=emoji,
            emoji_by_script=MappingProxyType(scripts),
            emoji_by_language=MappingProxyType(languages),
            emoji_in_names=MappingProxyType(in_names),
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
        self._seps = frozenset(tables.separators)
        # Spaced letters: single letters one space apart, in words two spaces (or a
        # spaced hyphen) apart: "i v o r y", "t ê  g i á c", "a r a r a - a z u l".
        grouped = rf"{_WORD}(?: {_WORD})+(?:(?:  | - ){_WORD}(?: {_WORD})+)*"
        # Other separators: one punctuation mark, optionally padded by single spaces,
        # or two spaces; the back-reference makes every gap use the same one.
        uniform = rf"{_WORD}(?P<sep> ?[{seps}] ?|  )(?:{_WORD}(?P=sep))*{_WORD}"
        self._collapse_re = re.compile(
            rf"(?<![^\W_])(?:(?P<grouped>{grouped})|(?P<uniform>{uniform}))(?![^\W_])"
        )
        # Thai letters spaced or dotted apart; the run may be glued to Thai text on
        # either side, as Thai puts no spaces between words.
        self._thai_re = re.compile(
            rf"{_THAI_PIECE}(?P<tsep> | ?[{seps}] ?)(?:{_THAI_PIECE}(?P=tsep))+{_THAI_PIECE}"
        )
        han_seps = "".join(re.escape(c) for c in tables.separators if c != ",")
        # Commas stay: in Chinese they separate clauses, and closing them up would
        # make matches straddle two clauses.
        self._han_gap_re = re.compile(f"(?<=[{_HAN}])[{han_seps}](?=[{_HAN}])")
        leet_chars = "".join(re.escape(c) for c in tables.leet)
        self._leet_hint_re = re.compile(f"[{_LETTERS}][{leet_chars}]|[{leet_chars}][{_LETTERS}]")
        self._leet_table = str.maketrans(dict(tables.leet))
        self._strip_table = self._build_strip_table()
        emoji = sorted(
            set(tables.emoji).union(
                tables.emoji_in_names,
                *tables.emoji_by_script.values(),
                *tables.emoji_by_language.values(),
            )
        )
        self._emoji_re = (
            re.compile("[" + "".join(re.escape(c) for c in emoji) + "]") if emoji else None
        )
        # Replacement words, folded like any text so terms and emoji words meet.
        self._emoji_words = {
            script: {char: self._fold_word(word) for char, word in table.items()}
            for script, table in (("latin", tables.emoji), *tables.emoji_by_script.items())
        }
        self._emoji_words_by_language = {
            lang: {char: self._fold_word(word) for char, word in table.items()}
            for lang, table in tables.emoji_by_language.items()
        }
        self._emoji_in_names = {
            char: _NameContext(name, self._fold_word)
            for char, name in tables.emoji_in_names.items()
        }

    @classmethod
    def from_file(cls, path: str | Path) -> Normalizer:
        """Build a normalizer from a ``fold.json`` file."""
        return cls(FoldTables.from_file(path))

    def __call__(self, text: str, lang: str | None = None) -> NormalizedText:
        """Fold `text`; see the module docstring for what is folded and in what order.

        With `lang`, emoji become words of that language where the tables have one
        (for a model reading the text); without it, the script around each emoji
        decides, with English for Latin text (what the term matcher expects).
        """
        folded, starts, ends = self._fold(text)
        if self._emoji_re is not None and self._emoji_re.search(folded):
            folded, starts, ends = self._expand_emoji(text, folded, starts, ends, lang)
        folded, starts, ends = self._collapse(folded, starts, ends)
        folded = self._unleet(text, folded)
        return NormalizedText(text, folded, folded.translate(self._strip_table), starts, ends)

    # -- stage 1: characters ------------------------------------------------------

    def _fold_char(self, char: str) -> str:
        tables = self.tables
        if char in tables.removable:
            return ""
        out = []
        for c in unicodedata.normalize("NFKC", char).casefold():
            c = tables.homoglyphs.get(c, c)
            c = tables.traditional_to_simplified.get(c, c)
            out.append(tables.latin_expansions.get(c, c))
        return _drop_marks_after_latin("".join(out))

    def _fold_word(self, word: str) -> str:
        return "".join(self._cache[ord(c)] for c in unicodedata.normalize("NFC", word))

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

    # -- stage 2: emoji -------------------------------------------------------------

    def _expand_emoji(
        self, original: str, text: str, starts: list[int], ends: list[int], lang: str | None
    ) -> tuple[str, list[int], list[int]]:
        assert self._emoji_re is not None
        in_language = self._emoji_words_by_language.get(lang or "", {})
        pieces: list[str] = []
        new_starts: list[int] = []
        new_ends: list[int] = []
        last = 0
        vietnamese: bool | None = None
        for m in self._emoji_re.finditer(text):
            i = m.start()
            script = _emoji_script(text, i)
            if script == "latin":
                if vietnamese is None:
                    vietnamese = _is_vietnamese(original, text)
                script = "vi" if vietnamese else "latin"
            in_name = self._emoji_in_names.get(m.group())
            if in_name is not None and in_name.fits(text, i):
                word = in_name.word(lang, script)
            else:
                word = in_language.get(m.group()) or self._emoji_words.get(script, {}).get(
                    m.group()
                )
            if word and script in ("han", "thai"):
                # Written inside the word, without spaces; drop what the seller
                # already wrote next to it: 🐘牙 -> 象牙, not 象牙牙.
                n = len(word)
                word = _trim_overlap(word, text[max(0, i - n) : i], text[i + 1 : i + 1 + n])
            else:
                word = word or self._emoji_words["latin"].get(m.group())
                if not word:
                    continue  # no word for this script and no English one: keep it
                # Padded so the word stands on its own next to letters: 🐘ivory.
                word = f" {word} "
            pieces.append(text[last:i])
            new_starts.extend(starts[last:i])
            new_ends.extend(ends[last:i])
            pieces.append(word)
            # Every character of the word, padding included, maps to the emoji.
            new_starts.extend([starts[i]] * len(word))
            new_ends.extend([ends[i]] * len(word))
            last = i + 1
        pieces.append(text[last:])
        new_starts.extend(starts[last:])
        new_ends.extend(ends[last:])
        return "".join(pieces), new_starts, new_ends

    # -- stage 3: separator tricks ------------------------------------------------

    def _collapse(
        self, text: str, starts: list[int], ends: list[int]
    ) -> tuple[str, list[int], list[int]]:
        drop: set[int] = set()
        for m in self._collapse_re.finditer(text):
            if m.group("grouped") is not None:
                self._drop_grouped(text, m, drop)
            else:
                self._drop_uniform(text, m, drop)
        if _THAI_ANY_RE.search(text):
            for m in self._thai_re.finditer(text):
                self._drop_thai(text, m, drop)
        drop.update(m.start() for m in self._han_gap_re.finditer(text))
        if not drop:
            return text, starts, ends
        keep = [i for i in range(len(text)) if i not in drop]
        return (
            "".join(text[i] for i in keep),
            [starts[i] for i in keep],
            [ends[i] for i in keep],
        )

    @staticmethod
    def _drop_grouped(text: str, m: re.Match[str], drop: set[int]) -> None:
        run = m.group()
        if sum(c.isalpha() for c in run) < 2 or sum(c.isalnum() for c in run) < 3:
            return  # "1 2 3", "5 x 3" and "a b" stay as they are
        start = m.start()
        for k, c in enumerate(run):
            if c != " ":
                continue
            if run[k + 1] == " ":
                drop.add(start + k)  # two spaces between words: keep one
            elif run[k - 1] != " ":
                drop.add(start + k)  # between letters, or around the hyphen of " - "

    def _drop_uniform(self, text: str, m: re.Match[str], drop: set[int]) -> None:
        run = m.group()
        sep = m.group("sep")
        pieces = [c for c in run if c not in self._seps]
        if sum(c.isalpha() for c in pieces) < 2:
            return
        mark = sep.strip()
        after = text[m.end() : m.end() + len(sep)]
        if len(pieces) == 2 and (
            # Two letters only when a Vietnamese syllable was split (h.ổ): "A/B",
            # "e.g." and "x-y" stay.
            mark != sep or mark not in ".-_·" or after == sep or all(c.isascii() for c in pieces)
        ):
            return
        if mark == "." and after == "." and len(pieces) <= 3 and all(c.isascii() for c in pieces):
            return  # an abbreviation: U.S.A.
        drop.update(i for i in range(m.start(), m.end()) if text[i] in self._seps)

    def _drop_thai(self, text: str, m: re.Match[str], drop: set[int]) -> None:
        sep = m.group("tsep")
        start, end = m.start(), m.end()
        if sep == " ":
            glued_head = start > 0 and bool(_THAI_ANY_RE.match(text, start - 1))
            glued_tail = end < len(text) and bool(_THAI_ANY_RE.match(text, end))
            gaps = [i for i in range(start, end) if text[i] == " "]
            whole = len(gaps) + 1 - glued_head - glued_tail
            # Thai puts spaces between phrases, and short words between them are
            # normal (ราคา ก็ ถูก). Three or more one-letter pieces in a row, or a
            # space that splits a syllable (after a leading vowel, before a following
            # vowel or mark), mean the letters were spaced apart.
            broken = any(
                text[i - 1] in _THAI_LEADING or text[i + 1] in _THAI_FOLLOWING for i in gaps
            )
            if whole < 3 and not broken:
                return
        drop.update(i for i in range(start, end) if text[i] in self._seps)

    # -- stage 4: leetspeak -------------------------------------------------------

    def _unleet(self, original: str, text: str) -> str:
        if not self._leet_hint_re.search(text):
            return text
        leet = self.tables.leet
        pieces: list[str] = []
        last = 0
        vietnamese: bool | None = None
        for m in _LEET_TOKEN_RE.finditer(text):
            token = m.group()
            if not any(c in leet for c in token) or _QUANTITY_RE.fullmatch(token):
                continue
            if any(c.isdigit() and c not in leet for c in token):
                continue  # xy8866, abc123: digits that are no letter look-alike
            letters = sum(c.isalpha() for c in token)
            if letters >= 2 and _MODEL_RE.fullmatch(token):
                continue  # iphone13, rtx3070: a name followed by a number
            if letters < 2:
                # One letter: a short Vietnamese syllable (v01, 7ê) in Vietnamese
                # text; elsewhere such tokens are model names (s10, a4, i7).
                if not letters or not _short_leet(token):
                    continue
                if vietnamese is None:
                    vietnamese = _is_vietnamese(original, text)
                if not vietnamese:
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


class _NameContext:
    """An :class:`EmojiInName` compiled: does an emoji at ``i`` sit inside the name?"""

    __slots__ = ("_after", "_before", "_words")

    def __init__(self, name: EmojiInName, fold: Any) -> None:
        def either(words: Sequence[str]) -> str:
            return "|".join(re.escape(fold(w)) for w in sorted(words, key=len, reverse=True))

        unless = f"(?! ?(?:{either(name.not_before)}))" if name.not_before else ""
        # A Latin word must end there ("ivory", not "ivorytone"); Han and Thai run on.
        self._before = (
            re.compile(f"{unless} ?(?:{either(name.before)})(?![{_LETTERS}])")
            if name.before
            else None
        )
        self._after = (
            re.compile(f"(?<![{_LETTERS}])(?:{either(name.after)}) ?$") if name.after else None
        )
        self._words = {key: fold(word) for key, word in name.words.items()}

    def fits(self, text: str, i: int) -> bool:
        if self._before is not None and self._before.match(text, i + 1):
            return True
        return self._after is not None and self._after.search(text, max(0, i - 32), i) is not None

    def word(self, lang: str | None, script: str) -> str:
        return self._words.get(lang or "") or self._words.get(script) or self._words["latin"]


def _emoji_in_name(path: Path, char: str, entry: Any) -> EmojiInName:
    """Check one ``emoji_in_names`` entry of ``fold.json``."""

    def words(key: str) -> tuple[str, ...]:
        value = entry.get(key, [])
        if not isinstance(value, list) or not all(isinstance(w, str) and w for w in value):
            raise LexiconError(f"{path}: emoji_in_names.{char}.{key} must be a list of words")
        return tuple(value)

    if len(char) != 1 or not isinstance(entry, dict):
        raise LexiconError(f"{path}: 'emoji_in_names' must map single characters to objects")
    names = entry.get("words")
    if (
        not isinstance(names, dict)
        or "latin" not in names
        or not all(isinstance(v, str) and v.strip() for v in names.values())
    ):
        raise LexiconError(
            f"{path}: emoji_in_names.{char}.words must map languages or scripts to words, "
            "'latin' included"
        )
    before = words("before")
    if not before and not entry.get("after"):
        raise LexiconError(f"{path}: emoji_in_names.{char} needs 'before' or 'after' words")
    return EmojiInName(
        before=before,
        after=words("after"),
        not_before=words("not_before"),
        words=MappingProxyType(dict(names)),
    )


def _emoji_script(text: str, at: int) -> str:
    """The script of the nearest letter around an emoji: han, thai or latin.

    The nearest letter within a few characters on the same line decides (the one
    after the emoji on a tie), so 🐘牙 and 古い🐘の read as Chinese/Japanese.
    """
    best = (_EMOJI_REACH + 1, "latin")
    for step in (1, -1):
        j = at + step
        while 0 <= j < len(text) and abs(j - at) <= _EMOJI_REACH and text[j] != "\n":
            c = text[j]
            if c.isalpha():
                if abs(j - at) < best[0]:
                    best = (abs(j - at), _letter_script(c))
                break
            j += step
    return best[1]


def _letter_script(char: str) -> str:
    if re.match(f"[{_HAN}{_KANA}]", char):
        return "han"
    if "\u0e00" <= char <= "\u0e7f":
        return "thai"
    return "latin"


def _is_vietnamese(original: str, folded: str) -> bool:
    """Whether the text uses letters only Vietnamese has (ơ, ư, ă, tone-marked vowels, đ)."""
    return bool(_VIETNAMESE_RE.search(folded)) or "đ" in original or "Đ" in original


def _short_leet(token: str) -> bool:
    """One letter with leet digits that can be a Vietnamese syllable: v01, 7ê, h0."""
    letter = next(c for c in token if c.isalpha())
    if not letter.isascii():
        return True  # 7ê: the accent shows a word was meant
    # v01 (voi): numbers are not written with a leading zero; not a4, i7, s10, x10.
    return token[0] == letter and len(token) >= 3 and token[1] == "0"


def _trim_overlap(word: str, before: str, after: str) -> str:
    """Drop the part of `word` the text already spells next to it (🐘牙 -> 象 + 牙)."""
    for k in range(len(word) - 1, 0, -1):
        if after.startswith(word[-k:]):
            word = word[:-k]
            break
    for k in range(len(word) - 1, 0, -1):
        if before.endswith(word[:k]):
            return word[k:]
    return word


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
