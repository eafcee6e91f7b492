"""Stage 2 of the baseline: find lexicon terms in normalised text.

Latin-script terms match whole words: the folded text is split into tokens and
n-grams are looked up in a dict keyed by token tuples (an English plural ``-s``/``-es``
on the last word is tolerated). Chinese, Japanese and Thai have no spaces, so their
terms match as substrings: a precompiled character class finds the positions where
some term can start and a dict answers which lengths exist there. A handful of Latin
terms marked ``substring`` (German compounds: *Mammutelfenbein*) go through one
alternation regex. Everything is dict lookups and C-level regex scans, which keeps
the baseline well above 2,000 short listings per second on one core.

Overlapping hits are resolved by containment: a hit lying strictly inside a longer
one is dropped, so "tiger balm" (look-alike) hides "tiger", and "not resin" (a claim)
hides "resin". A species name is hidden only by a longer species name or look-alike:
in "mammoth ivory" the mammoth stays named, which stops plain "ivory" elsewhere in
the listing from implying elephant. A species name that starts inside a product or
code word and runs past its end is a misreading of where the words split: in 犀牛角雕杯
(carved rhino-horn cup) 角雕 is not the harpy eagle.

A negation right before a look-alike or a product turns it into its opposite: "nada
de imitaciones", "kein Imitat", 不是树脂 claim the goods are genuine (one ``claim``
hit, concept ``genuine``); "kein Elfenbein", "no ivory" say they only look like it
(one ``lookalike`` hit, concept ``denied``). Japanese puts the negation after the
noun: 樹脂ではありません ("it is not resin") is the same claim.

A look-alike word marked ``needs_goods`` ("colour", 颜色) is kept only when a word
naming wildlife goods (a species, an animal product, a code word) stands right next
to it: "warna ivory" is an ivory colour, "warna merah bagus" just a nice red. The
ones dropped are still reported (:meth:`TermMatcher.matches`), so the encoder can be
kept from reading them either: it places a bare "colour" near the "ivory colour"
look-alikes it learnt from, and a seller praising the colour of real casque
("颜色正") would pull the offer down.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from classifiers.errors import LexiconError
from classifiers.lexicon import Term
from classifiers.normalize import NormalizedText, Normalizer

__all__ = ["Hit", "Matches", "TermMatcher"]

# Latin tokens of folded text (lower-case; `plain` is ASCII, `text` keeps accents).
_TOKEN_RE = re.compile(r"[0-9a-z\u00df-\u00f6\u00f8-\u024f\u1e00-\u1eff]+")
# What may stand between two words of one phrase: spaces, hyphens, apostrophes.
# Newlines, commas and full stops end a phrase.
_GAP_RE = re.compile(r"[ \t\-'’_/&·]{1,3}")
# What may stand between a negation and the look-alike it denies: "no es una copia".
_NEGATED_RE = re.compile(
    r"[ \t]{0,2}(?:(?:a|an|the|un|une|una|uno|um|uma|la|le|el|de|du|des|ein|eine|einen)"
    r"[ \t]{1,2})?"
)
# What may stand between a word and a negation that follows it: 樹脂製ではない.
_NEGATED_AFTER_RE = re.compile(r"[ \t]{0,2}(?:製|品)?[ \t]{0,2}")
# A product the seller says the goods are not ("kein Elfenbein") is a look-alike cue as
# strong as "resin"; concealment and code words still cancel it, as for any look-alike.
_DENIED_WEIGHT = 0.75
# What may stand between a colour word and the goods it names: "colour: ivory", 象牙色.
_BESIDE_RE = re.compile(r"[ \t\-'’_/&·:：]{0,3}")
_THAI_MARKS = frozenset(chr(c) for c in (0x0E31, *range(0x0E34, 0x0E3B), *range(0x0E47, 0x0E4F)))
_KATAKANA = ("\u30a0", "\u30ff")
_HIRAGANA = ("\u3040", "\u309f")
_HAN_RANGES = (("\u3400", "\u4dbf"), ("\u4e00", "\u9fff"), ("\uf900", "\ufaff"))


@dataclass(frozen=True, slots=True)
class Hit:
    """One term found in a listing: where in the original text, and as written there."""

    term: Term
    start: int
    end: int
    text: str
    norm_start: int
    norm_end: int
    via_emoji: bool = False

    @property
    def kind(self) -> str:
        """The reason kind: the term's kind, or ``emoji`` when an emoji stood for it."""
        return "emoji" if self.via_emoji else self.term.kind


@dataclass(frozen=True, slots=True)
class Matches:
    """The hits in one text, and the ``needs_goods`` words left out for naming no goods."""

    hits: list[Hit]
    unattached: list[Hit]


def _is_latin_key(key: str) -> bool:
    # Digits and punctuation do not decide; any letter outside Latin script does.
    return not any(c.isalpha() and not _TOKEN_RE.fullmatch(c) for c in key)


def _script(char: str) -> str:
    if _KATAKANA[0] <= char <= _KATAKANA[1]:
        return "kana"
    if _HIRAGANA[0] <= char <= _HIRAGANA[1]:
        return "hira"
    if any(low <= char <= high for low, high in _HAN_RANGES):
        return "han"
    if "\u0e00" <= char <= "\u0e7f":
        return "thai"
    return "other"


class TermMatcher:
    """Finds every :class:`Term` of a lexicon in text; build once, call per listing."""

    def __init__(self, terms: Iterable[Term], normalizer: Normalizer) -> None:
        self.normalizer = normalizer
        # Token tuple -> terms, for terms matched on the accent-free and accented views.
        self._words: dict[str, dict[tuple[str, ...], list[Term]]] = {"plain": {}, "exact": {}}
        self._prefixes: dict[str, set[tuple[str, ...]]] = {"plain": set(), "exact": set()}
        self._max_words = 1
        self._latin_sub: dict[str, list[Term]] = {}
        self._sub: dict[str, list[Term]] = {}
        self._sub_lengths: dict[str, list[int]] = {}
        for term in terms:
            self._add(term)
        self._latin_sub_re = (
            re.compile(
                "|".join(re.escape(k) for k in sorted(self._latin_sub, key=len, reverse=True))
            )
            if self._latin_sub
            else None
        )
        firsts = "".join(re.escape(c) for c in sorted(self._sub_lengths))
        self._first_re = re.compile(f"[{firsts}]") if firsts else None
        for lengths in self._sub_lengths.values():
            lengths.sort(reverse=True)

    def _add(self, term: Term) -> None:
        raw = term.term
        if raw.isascii() and raw.replace(" ", "").isalpha():
            # Fast path for plain ASCII words (most checklist names): folding would
            # only lower-case them.
            key = " ".join(raw.lower().split())
            plain = key
        else:
            folded = self.normalizer(raw)
            key = " ".join(folded.text.split())
            plain = " ".join(folded.plain.split())
        view = "exact" if term.accents == "exact" else "plain"
        key = key if view == "exact" else plain
        if not key:
            raise LexiconError(f"term {raw!r} ({term.lang}) is empty once normalised")
        if _is_latin_key(key) and term.match != "substring":
            tokens = tuple(_TOKEN_RE.findall(key))
            if not tokens:
                raise LexiconError(f"term {raw!r} ({term.lang}) has no letters to match")
            self._words[view].setdefault(tokens, []).append(term)
            for n in range(1, len(tokens)):
                self._prefixes[view].add(tokens[:n])
            self._max_words = max(self._max_words, len(tokens))
        elif _is_latin_key(key):
            self._latin_sub.setdefault(plain, []).append(term)
        else:
            self._sub.setdefault(plain, []).append(term)
            lengths = self._sub_lengths.setdefault(plain[0], [])
            if len(plain) not in lengths:
                lengths.append(len(plain))

    def __call__(self, text: str) -> list[Hit]:
        """Normalise `text` and return its hits, ordered by position."""
        return self.match(self.normalizer(text))

    def matches(self, text: str) -> Matches:
        """Like calling the matcher, plus the colour words dropped for standing alone."""
        return self._matches(self.normalizer(text))

    def match(self, normalized: NormalizedText) -> list[Hit]:
        """Return the hits in already normalised text, ordered by position."""
        return self._matches(normalized).hits

    def _matches(self, normalized: NormalizedText) -> Matches:
        found: list[tuple[int, int, Term]] = []
        plain = normalized.plain
        tokens = [(m.group(), m.start(), m.end()) for m in _TOKEN_RE.finditer(plain)]
        self._match_words(tokens, plain, "plain", found)
        if self._words["exact"]:
            text = normalized.text
            exact_tokens = (
                tokens
                if text == plain
                else [(m.group(), m.start(), m.end()) for m in _TOKEN_RE.finditer(text)]
            )
            self._match_words(exact_tokens, text, "exact", found)
        if self._latin_sub_re is not None:
            for m in self._latin_sub_re.finditer(plain):
                found.extend((m.start(), m.end(), t) for t in self._latin_sub[m.group()])
        if self._first_re is not None:
            self._match_substrings(plain, found)
        hits = _drop_straddling_species(self._resolve(found, normalized))
        if any(h.term.kind == "negation" for h in hits):
            hits = _negate_lookalikes(hits, normalized)
        if any(h.term.needs_goods for h in hits):
            return _keep_beside_goods(hits, normalized.text)
        return Matches(hits, [])

    def _match_words(
        self,
        tokens: Sequence[tuple[str, int, int]],
        text: str,
        view: str,
        found: list[tuple[int, int, Term]],
    ) -> None:
        index = self._words[view]
        prefixes = self._prefixes[view]
        count = len(tokens)
        for i in range(count):
            words: tuple[str, ...] = ()
            for j in range(i, min(count, i + self._max_words)):
                if j > i and not _GAP_RE.fullmatch(text, tokens[j - 1][2], tokens[j][1]):
                    break
                words = (*words, tokens[j][0])
                terms = index.get(words) or self._plural(index, words)
                if terms:
                    found.extend((tokens[i][1], tokens[j][2], t) for t in terms)
                if words not in prefixes:
                    break

    @staticmethod
    def _plural(
        index: dict[tuple[str, ...], list[Term]], words: tuple[str, ...]
    ) -> list[Term] | None:
        last = words[-1]
        if len(last) <= 3 or last[-1] != "s":
            return None
        terms = index.get((*words[:-1], last[:-1]))
        if terms is None and last.endswith("es") and len(last) > 4:
            terms = index.get((*words[:-1], last[:-2]))
        return terms

    def _match_substrings(self, text: str, found: list[tuple[int, int, Term]]) -> None:
        assert self._first_re is not None
        size = len(text)
        for m in self._first_re.finditer(text):
            pos = m.start()
            for length in self._sub_lengths[text[pos]]:
                end = pos + length
                if end > size:
                    continue
                terms = self._sub.get(text[pos:end])
                if not terms:
                    continue
                if end < size and text[end] in _THAI_MARKS:
                    # The next mark belongs to the last consonant: หมี is not in บะหมี่.
                    continue
                for term in terms:
                    if term.match == "word" and not self._script_bounded(text, pos, end):
                        continue
                    found.append((pos, end, term))

    @staticmethod
    def _script_bounded(text: str, start: int, end: int) -> bool:
        # "Word" for scripts without spaces: no neighbour of the same script, so
        # katakana サイ (rhino) does not match inside サイズ (size).
        first, last = _script(text[start]), _script(text[end - 1])
        before = _script(text[start - 1]) if start > 0 else ""
        after = _script(text[end]) if end < len(text) else ""
        return before != first and after != last

    @staticmethod
    def _resolve(found: list[tuple[int, int, Term]], normalized: NormalizedText) -> list[Hit]:
        if not found:
            return []
        found.sort(key=lambda h: (h[0], -h[1]))
        hits: list[Hit] = []
        seen: dict[tuple[int, int, str], int] = {}
        # Furthest end so far (and earliest start reaching it) over all hits, and over
        # the hits that may hide a species name: other species names and look-alikes.
        # A species inside a product or code phrase ("mammoth ivory") stays named.
        any_end, any_start = -1, -1
        name_end, name_start = -1, -1
        for start, end, term in found:
            is_species = term.kind == "species"
            best_end, best_start = (name_end, name_start) if is_species else (any_end, any_start)
            if best_end > end or (best_end == end and best_start < start):
                continue  # strictly inside a longer hit
            if end > any_end:
                any_end, any_start = end, start
            if (is_species or term.kind == "lookalike") and end > name_end:
                name_end, name_start = end, start
            ident = (start, end, term.kind)
            if ident in seen:
                # The same words in two languages or groups ("resin" en/de): one reason,
                # the stronger reading.
                index = seen[ident]
                if term.weight > hits[index].term.weight:
                    hits[index] = _hit(term, start, end, normalized)
                continue
            seen[ident] = len(hits)
            hits.append(_hit(term, start, end, normalized))
        return hits


def _drop_straddling_species(hits: list[Hit]) -> list[Hit]:
    """Drop species names that begin inside a product or code word and end beyond it."""
    goods = [h for h in hits if h.term.kind in ("product", "code_word")]
    if not goods:
        return hits
    return [
        h
        for h in hits
        if h.term.kind != "species"
        or not any(g.norm_start < h.norm_start < g.norm_end < h.norm_end for g in goods)
    ]


def _negate_lookalikes(hits: list[Hit], normalized: NormalizedText) -> list[Hit]:
    """Join each negation to the look-alike or product right after it (a genuineness
    claim, a look-alike); drop the negations that deny nothing the lexicon knows."""
    text = normalized.text
    negations = [h for h in hits if h.term.kind == "negation"]

    def denies(negation: Hit, hit: Hit) -> bool:
        if negation.term.follows:
            return hit.norm_end <= negation.norm_start and bool(
                _NEGATED_AFTER_RE.fullmatch(text, hit.norm_end, negation.norm_start)
            )
        return negation.norm_end <= hit.norm_start and bool(
            _NEGATED_RE.fullmatch(text, negation.norm_end, hit.norm_start)
        )

    out: list[Hit] = []
    for hit in hits:
        if hit.term.kind == "negation":
            continue
        denied_by = (
            next((n for n in negations if denies(n, hit)), None)
            if hit.term.kind in ("lookalike", "product")
            else None
        )
        if denied_by is None:
            out.append(hit)
            continue
        real = hit.term.kind == "lookalike"
        after = denied_by.term.follows
        first, last = (hit, denied_by) if after else (denied_by, hit)
        opposite = Term(
            term=f"{first.term.term}{'' if after else ' '}{last.term.term}",
            lang=hit.term.lang,
            kind="claim" if real else "lookalike",
            concept="genuine" if real else "denied",
            weight=denied_by.term.weight if real else _DENIED_WEIGHT,
        )
        out.append(_hit(opposite, first.norm_start, last.norm_end, normalized))
    return out


def _names_goods(hit: Hit) -> bool:
    term = hit.term
    return term.kind in ("species", "code_word") or (
        term.kind == "product" and term.concept != "object"
    )


def _keep_beside_goods(hits: list[Hit], text: str) -> Matches:
    """Set aside ``needs_goods`` hits with no goods word next to them (`text`: the folded
    text)."""
    goods = [h for h in hits if _names_goods(h)]

    def beside(hit: Hit) -> bool:
        for other in goods:
            if other.norm_start >= hit.norm_end:
                a, b = hit.norm_end, other.norm_start
            elif other.norm_end <= hit.norm_start:
                a, b = other.norm_end, hit.norm_start
            else:
                continue
            if _BESIDE_RE.fullmatch(text, a, b):
                return True
        return False

    kept: list[Hit] = []
    unattached: list[Hit] = []
    for hit in hits:
        (kept if not hit.term.needs_goods or beside(hit) else unattached).append(hit)
    return Matches(kept, unattached)


def _hit(term: Term, start: int, end: int, normalized: NormalizedText) -> Hit:
    a, b = normalized.span(start, end)
    text = normalized.original[a:b]
    return Hit(
        term=term,
        start=a,
        end=b,
        text=text,
        norm_start=start,
        norm_end=end,
        # Emoji fold to concept words; the original behind such a hit has no letters.
        via_emoji=not any(c.isalnum() for c in text),
    )
