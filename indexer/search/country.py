"""The country of a listing: from the place it names, else from a one-country currency.

A listing's location is free text in any language ("Lagos, Nigeria", "Hà Nội",
"香港", "กรุงเทพฯ"). It is folded (case, Latin diacritics, đ) and cut into words,
and every country name and city the data files know is looked up in it: spaced
names as word sequences, names in scripts without spaces (Chinese, Japanese, Thai)
as substrings. The longest name wins where two overlap ("Mỹ Tho" is a city in
Vietnam, not "Mỹ", the United States); a country name beats a city, and the last one
written wins ("Lagos, Nigeria"). Names of three letters or fewer ("Lào", "Đức") count
only when they stand alone between commas, so "Thủ Đức" is not Germany.

With no place found, a currency that only one country uses names it (VND, THB,
NGN, ...); EUR, USD and the like do not. Data: ``indexer/data/countries.json``
(generated from ISO 3166-1 names) and ``places.json`` (hand-written); see
``indexer/data/SOURCES.md``.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from types import MappingProxyType

from indexer.fts import fold_letters

__all__ = ["DATA_DIR", "PlaceNames", "country_of", "place_names"]

DATA_DIR = Path(__file__).resolve().parents[1] / "data"
COUNTRIES_FILE = "countries.json"
PLACES_FILE = "places.json"

# Scripts written without spaces, where a name is found inside a longer run.
_UNSPACED = "\u0e00-\u0e7f\u0e80-\u0eff\u1000-\u109f\u1780-\u17ff\u3400-\u4dbf\u4e00-\u9fff"
_KANA = "\u3040-\u309f\u30a0-\u30ff\u31f0-\u31ff"
_TOKEN = re.compile(f"[{_UNSPACED}]+|[{_KANA}\u30fc]+|[^\\W{_UNSPACED}{_KANA}]+")
_IS_UNSPACED = re.compile(f"[{_UNSPACED}]+")
# What separates the parts of an address: "Lagos, Nigeria", "Hà Nội - Việt Nam".
_SEGMENT = re.compile(r"[,;/|()\[\]\n\u3001\uff0c\uff08\uff09]|\s[-\u2013\u2014]\s")
_SHORT = 3


def _fold(value: str) -> str:
    value = unicodedata.normalize("NFKC", value).casefold()
    decomposed = unicodedata.normalize("NFD", fold_letters(value))
    # Drop marks on Latin, Greek and Cyrillic letters only: Thai vowel signs are letters.
    kept: list[str] = []
    for char in decomposed:
        if unicodedata.category(char) == "Mn" and kept and kept[-1] < "\u0530":
            continue
        kept.append(char)
    return unicodedata.normalize("NFC", "".join(kept))


def _tokens(folded: str) -> list[str]:
    return _TOKEN.findall(folded)


@dataclass(frozen=True)
class _Place:
    code: str
    is_country: bool
    #: Counts only when it stands alone between separators (a spaced name of 3 letters or less).
    alone_only: bool


@dataclass(frozen=True)
class _Found:
    start: int
    end: int
    place: _Place
    whole_segment: bool


@dataclass(frozen=True)
class PlaceNames:
    """Folded place names -> the country they are in; currencies -> their one country."""

    spaced: Mapping[str, _Place]
    unspaced: Mapping[str, _Place]
    longest_words: int
    longest_run: int
    currencies: Mapping[str, str]

    @classmethod
    def load(cls, data_dir: Path = DATA_DIR) -> PlaceNames:
        countries = json.loads((data_dir / COUNTRIES_FILE).read_text(encoding="utf-8"))
        places = json.loads((data_dir / PLACES_FILE).read_text(encoding="utf-8"))
        unwanted = {_fold(name) for name in places.get("not_names", [])}
        spaced: dict[str, _Place] = {}
        unspaced: dict[str, _Place] = {}
        ambiguous: set[str] = set()
        entries = [
            (code, name, True)
            for table in (countries["countries"], places["names"])
            for code, names in table.items()
            for name in names
        ]
        entries += [
            (code, name, False) for code, names in places["cities"].items() for name in names
        ]
        for code, name, is_country in entries:
            if len(code) != 2 or not code.isupper():
                raise ValueError(f"{code!r} is not an ISO 3166-1 alpha-2 code")
            folded = _fold(name)
            words = _tokens(folded)
            if not words or folded in unwanted:
                continue
            if len(words) == 1 and _IS_UNSPACED.fullmatch(words[0]):
                table, key = unspaced, words[0]
                place = _Place(code, is_country, alone_only=False)
            else:
                table, key = spaced, " ".join(words)
                letters = sum(1 for c in folded if c.isalpha())
                place = _Place(code, is_country, alone_only=letters <= _SHORT)
            known = table.get(key)
            if known is not None and known.code != code:
                ambiguous.add(key)  # the same name in two countries tells nothing
            elif known is None or (is_country and not known.is_country):
                table[key] = place
        for key in ambiguous:
            spaced.pop(key, None)
            unspaced.pop(key, None)
        currencies = {**countries["currencies"], **places["currencies"]}
        for shared in places["shared_currencies"]:
            currencies.pop(shared, None)
        return cls(
            spaced=MappingProxyType(spaced),
            unspaced=MappingProxyType(unspaced),
            longest_words=max((len(k.split()) for k in spaced), default=1),
            longest_run=max((len(k) for k in unspaced), default=1),
            currencies=MappingProxyType(currencies),
        )

    def find(self, location: str) -> str | None:
        """The country a location names, or None."""
        found: list[_Found] = []
        offset = 0
        for segment in _SEGMENT.split(_fold(location)):
            found += self._in_segment(segment, offset)
            offset += len(segment) + 1
        chosen = _longest_first(found)
        usable = [f for f in chosen if f.whole_segment or not f.place.alone_only]
        for want_country in (True, False):
            candidates = [f for f in usable if f.place.is_country == want_country]
            if candidates:
                return max(candidates, key=lambda f: f.start).place.code
        return None

    def _in_segment(self, segment: str, offset: int) -> list[_Found]:
        spans = [(m.start(), m.end(), m.group()) for m in _TOKEN.finditer(segment)]
        found: list[_Found] = []
        for i in range(len(spans)):
            for n in range(1, min(self.longest_words, len(spans) - i) + 1):
                key = " ".join(text for _, _, text in spans[i : i + n])
                place = self.spaced.get(key)
                if place is not None:
                    whole = i == 0 and i + n == len(spans)
                    start, end = spans[i][0] + offset, spans[i + n - 1][1] + offset
                    found.append(_Found(start, end, place, whole))
        for start, _, run in spans:
            if not _IS_UNSPACED.fullmatch(run):
                continue
            for i in range(len(run)):
                for j in range(i + 1, min(len(run), i + self.longest_run) + 1):
                    place = self.unspaced.get(run[i:j])
                    if place is not None:
                        whole = len(spans) == 1 and i == 0 and j == len(run)
                        found.append(_Found(offset + start + i, offset + start + j, place, whole))
        return found


def _longest_first(found: list[_Found]) -> list[_Found]:
    chosen: list[_Found] = []
    for item in sorted(found, key=lambda f: (-(f.end - f.start), f.start)):
        if all(item.end <= c.start or item.start >= c.end for c in chosen):
            chosen.append(item)
    return chosen


@cache
def place_names() -> PlaceNames:
    """The shipped place names, loaded once per process."""
    return PlaceNames.load()


@lru_cache(maxsize=65_536)
def country_of(location: str | None, currency: str | None = None) -> str | None:
    """ISO 3166-1 alpha-2 of where a listing is, or None when neither tells.

    Listings from one place repeat the same location text, hence the cache.
    """
    names = place_names()
    if location:
        code = names.find(location[:300])
        if code is not None:
            return code
    if currency:
        return names.currencies.get(currency.strip().upper())
    return None
