"""Entities in listing text: species, products, code words, quantities, prices, contacts.

The baseline scores a listing; investigators also need its particulars: which species
and CITES appendix, how much (``2.4 kg``, ``6 pcs``, ``3斤``), at what price
(``2tr8`` is 2,800,000 VND), and above all how to reach the seller, because the same
WhatsApp number or WeChat id across listings ties them to one trader.

Each kind of entity has an extractor, a plain object that reads text and returns
:class:`Entity` records with exact ``[start, end)`` offsets:

- :class:`LexiconExtractor`: the baseline's :class:`~classifiers.matcher.TermMatcher`
  over the lexicon in ``classifiers/data`` (species with CITES appendix, products,
  code words), so entities and scores always agree;
- :class:`ContactExtractor`: phone numbers, messenger ids, e-mail and payment
  accounts, from the rules in ``data/contacts.json``, each with a normalised value;
- :class:`QuantityExtractor` and :class:`PriceExtractor`: a number with a unit or a
  currency, read with the number conventions of the listing's language.

The extractors also run as spaCy components (``wildwatch_lexicon_entities``,
``wildwatch_contact_entities``, ``wildwatch_quantity_entities``,
``wildwatch_price_entities``), so a pipeline can be assembled from config as spaCy
users expect; they add spans to ``doc.spans["wildwatch"]`` and their records to
``doc._.wildwatch_entities``. :class:`EntityRecognizer` is the plain API: it picks the
language (:mod:`classifiers.langid`), runs a cached blank pipeline for it and resolves
overlaps between kinds.
"""

from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Any, Protocol

import jieba
import spacy
from spacy.lang.zh import Chinese
from spacy.language import Language
from spacy.tokens import Doc
from spacy.vocab import Vocab

from classifiers.errors import LexiconError
from classifiers.langid import UNDETERMINED, LanguageIdentifier
from classifiers.lexicon import Lexicon, SpeciesInfo
from classifiers.matcher import Hit, TermMatcher
from classifiers.normalize import DATA_DIR, Normalizer

__all__ = [
    "COMPONENTS",
    "CONTACTS_FILE",
    "LABELS",
    "MULTIPLIERS",
    "PREFIX_CURRENCIES",
    "SPANS_KEY",
    "SUFFIX_CURRENCIES",
    "UNITS",
    "ContactExtractor",
    "ContactRules",
    "Entity",
    "EntityComponent",
    "EntityRecognizer",
    "LexiconExtractor",
    "PriceExtractor",
    "QuantityExtractor",
    "blank_pipeline",
    "doc_text",
    "lower_text",
    "parse_chinese_number",
    "parse_number",
    "record_entities",
    "resolve_overlaps",
    "whitespace_doc",
]

CONTACTS_FILE = "contacts.json"
SPANS_KEY = "wildwatch"
SPECIES, PRODUCT, CODE_WORD = "SPECIES", "PRODUCT", "CODE_WORD"
QUANTITY, PRICE, CONTACT = "QUANTITY", "PRICE", "CONTACT"
LABELS = (SPECIES, PRODUCT, CODE_WORD, QUANTITY, PRICE, CONTACT)

_EMPTY: Mapping[str, Any] = MappingProxyType({})


@dataclass(frozen=True, slots=True)
class Entity:
    """One thing found in a text; ``text == source[start:end]`` always holds.

    ``key`` says which one (species key, product or code concept, contact kind, unit,
    ISO 4217 currency) and ``value`` its normalised form (species name, matched term,
    contact id, number, amount), so entities from different listings compare.
    """

    label: str
    text: str
    start: int
    end: int
    key: str | None = None
    value: str | float | None = None
    attrs: Mapping[str, Any] = field(default_factory=lambda: _EMPTY, hash=False)


def _entity(
    source: str,
    label: str,
    start: int,
    end: int,
    key: str | None,
    value: str | float | None,
    **attrs: Any,
) -> Entity:
    """An entity whose text is cut from `source`, so offsets and text cannot disagree."""
    clean = {name: item for name, item in attrs.items() if item is not None}
    return Entity(label, source[start:end], start, end, key, value, MappingProxyType(clean))


class Extractor(Protocol):
    """What a spaCy component wraps: text (and its language) in, entities out."""

    def find(self, text: str, lang: str | None = None) -> list[Entity]: ...


# --------------------------------------------------------------------------- numbers

# Languages that write 1.250,50 (decimal comma); the others write 1,250.50.
_DECIMAL_COMMA = frozenset({"vi", "id", "fr", "es", "pt", "de"})
_SPACES_RE = re.compile(r"[\s\u00a0\u202f]")
# Amounts longer than this are not prices or weights but digit soup.
_MAX_DIGITS = 15


def parse_number(raw: str, lang: str | None = None, *, price: bool = False) -> float | None:
    """Read a written number by the conventions of `lang`; None when it is not one.

    A separator followed by exactly three digits is ambiguous (``1.500``): in a price
    it always groups thousands, since no currency here has three decimals; in a
    quantity it is the decimal mark if that is the language's decimal mark.
    """
    text = _SPACES_RE.sub("", raw)
    if not text or not text[0].isdigit():
        return None
    dots, commas = text.count("."), text.count(",")
    decimal: str | None = None
    if dots and commas:
        decimal = "." if text.rfind(".") > text.rfind(",") else ","
    elif dots or commas:
        sep = "." if dots else ","
        tail = len(text) - text.rfind(sep) - 1
        own_mark = "," if lang in _DECIMAL_COMMA else "."
        grouping = (dots or commas) > 1 or (tail == 3 and (price or sep != own_mark))
        decimal = None if grouping else sep
    for mark in ".,":
        if mark != decimal:
            text = text.replace(mark, "")
    text = text.replace(",", ".")
    if not text or len(text.replace(".", "")) > _MAX_DIGITS or text.endswith("."):
        return None
    try:
        return float(text)
    except ValueError:
        return None


_CN_DIGITS = MappingProxyType(
    {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "兩": 2, "三": 3, "四": 4, "五": 5}
    | {"六": 6, "七": 7, "八": 8, "九": 9}
)
_CN_SMALL = MappingProxyType({"十": 10, "百": 100, "千": 1000})
_CN_LARGE = MappingProxyType({"万": 10_000, "萬": 10_000})
_CN_NUMERALS = "".join([*_CN_DIGITS, *_CN_SMALL, *_CN_LARGE, "半"])


def parse_chinese_number(raw: str) -> float | None:
    """Read 三, 十二, 两百五十, 半 and the like; None for anything else."""
    if raw == "半":
        return 0.5
    total, section, digit = 0, 0, None
    for char in raw:
        if char in _CN_DIGITS:
            if digit is not None:
                return None  # 三三 is not a number
            digit = _CN_DIGITS[char]
        elif char in _CN_SMALL:
            section += (1 if digit is None else digit) * _CN_SMALL[char]
            digit = None
        elif char in _CN_LARGE:
            total += (section + (digit or 0)) * _CN_LARGE[char]
            section, digit = 0, None
        else:
            return None
    return float(total + section + (digit or 0))


# --------------------------------------------------------------------------- lexicon


class LexiconExtractor:
    """Species, product and code-word entities from the baseline's term matcher."""

    def __init__(self, lexicon: Lexicon, matcher: TermMatcher | None = None) -> None:
        self.lexicon = lexicon
        self.matcher = matcher or TermMatcher(lexicon.terms, Normalizer(lexicon.tables))

    @classmethod
    def for_dir(cls, data_dir: str | None = None) -> LexiconExtractor:
        """The extractor for a data directory (default: the shipped one), loaded once."""
        return _lexicon_extractor(data_dir)

    def find(
        self, text: str, lang: str | None = None, *, hits: Sequence[Hit] | None = None
    ) -> list[Entity]:
        """Every species, product and code word the lexicon finds; `lang` is not needed.

        `hits`: this extractor's matcher's hits in `text`, when the caller has them
        already (the classifier matches each listing once).
        """
        del lang  # listings mix languages: every language's terms are matched
        species = self.lexicon.species
        found: list[Entity] = []
        for hit in self.matcher(text) if hits is None else hits:
            term = hit.term
            emoji = True if hit.via_emoji else None
            if term.kind == "species":
                info: SpeciesInfo | None = species.get(term.concept)
                found.append(
                    _entity(
                        text,
                        SPECIES,
                        hit.start,
                        hit.end,
                        term.concept,
                        info.name if info else term.term,
                        cites_appendix=info.cites_appendix if info else None,
                        scientific_name=info.scientific_name if info else None,
                        term_lang=term.lang,
                        via_emoji=emoji,
                    )
                )
            elif term.kind in ("product", "code_word"):
                found.append(
                    _entity(
                        text,
                        PRODUCT if term.kind == "product" else CODE_WORD,
                        hit.start,
                        hit.end,
                        term.concept,
                        term.term,
                        implies=term.implies,
                        needs_species=True if term.needs_species else None,
                        term_lang=term.lang,
                        via_emoji=emoji,
                    )
                )
        return found


@lru_cache(maxsize=4)
def _lexicon_extractor(data_dir: str | None) -> LexiconExtractor:
    return LexiconExtractor(Lexicon.load(data_dir))


# --------------------------------------------------------------------------- contacts


@dataclass(frozen=True, slots=True)
class Channel:
    """One way to reach or pay a seller, as described in ``contacts.json``."""

    kind: str
    service: str | None
    cues: tuple[str, ...]
    mentions: frozenset[str]
    links: tuple[str, ...]
    id_type: str
    link_id_type: str
    international: bool


@dataclass(frozen=True, slots=True)
class PhoneRules:
    """How bare phone numbers look and how their digits are read."""

    international: re.Pattern[str]
    local: tuple[re.Pattern[str], ...]
    digits: tuple[int, int]
    local_digits: tuple[int, int]
    cue_digits: tuple[int, int]
    trunk_prefix: str
    calling_codes: frozenset[str]

    def normalise(self, raw: str, *, international: bool = False) -> tuple[str, str, str | None]:
        """``(value, national, country_code)`` for a written number.

        The value keeps what the number says (digits with the country code when one
        is written, a local number as written); ``national`` drops the country code or
        the trunk prefix, so the two forms of one number compare equal.
        """
        digits = "".join(c for c in raw if c.isdigit())
        stripped = raw.lstrip()
        if stripped.startswith("00") and not international:
            digits, international = digits[2:], True
        if international or stripped.startswith("+"):
            code = self._calling_code(digits)
            national = digits[len(code) :]
            if "(0)" in raw and national.startswith("0"):
                national = national[1:]
            return digits, national, code
        national = digits
        if self.trunk_prefix and national.startswith(self.trunk_prefix):
            national = national[len(self.trunk_prefix) :]
        return digits, national, None

    def _calling_code(self, digits: str) -> str:
        for size in (1, 2):
            if digits[:size] in self.calling_codes:
                return digits[:size]
        return digits[:3]


@dataclass(frozen=True, slots=True)
class ContactRules:
    """The validated contents of ``contacts.json``."""

    channels: tuple[Channel, ...]
    id_patterns: Mapping[str, str]
    fillers: tuple[str, ...]
    not_ids: frozenset[str]
    phone: PhoneRules

    @classmethod
    def from_file(cls, path: str | Path | None = None) -> ContactRules:
        """Load and check the rules; raises :class:`LexiconError` naming the file."""
        path = Path(path) if path is not None else DATA_DIR / CONTACTS_FILE
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise LexiconError(f"{path}: cannot read contact rules ({exc.strerror})") from exc
        except json.JSONDecodeError as exc:
            raise LexiconError(f"{path}:{exc.lineno}: not valid JSON ({exc.msg})") from exc
        if not isinstance(raw, dict):
            raise LexiconError(f"{path}: expected a JSON object at the top level")
        try:
            patterns = {str(k): str(v) for k, v in raw["id_patterns"].items()}
            for name in ("phone", "handle", "email", "cashtag"):
                re.compile(patterns[name])
            channels = tuple(_channel(entry) for entry in raw["channels"])
            phone = _phone_rules(raw["phone"])
            fillers = tuple(str(f) for f in raw["fillers"])
            not_ids = frozenset(str(w).casefold() for w in raw["not_ids"])
        except (KeyError, TypeError, ValueError, AttributeError, re.error) as exc:
            raise LexiconError(f"{path}: invalid contact rules ({exc!r})") from exc
        return cls(channels, MappingProxyType(patterns), fillers, not_ids, phone)


_ID_TYPES = frozenset({"phone", "handle", "email", "cashtag", "account"})


def _channel(entry: Mapping[str, Any]) -> Channel:
    id_type = entry["id"]
    link_id_type = entry.get("link_id", "phone" if entry.get("international") else "handle")
    if id_type not in _ID_TYPES or link_id_type not in _ID_TYPES:
        raise ValueError(f"unknown id type in channel {entry.get('kind')!r}")
    cues = tuple(str(c) for c in entry.get("cues", ()))
    mentions = frozenset(str(m).casefold() for m in entry.get("mentions", ()))
    if not mentions <= {c.casefold() for c in cues}:
        raise ValueError(f"mentions of {entry['kind']!r} must also be cues")
    return Channel(
        kind=str(entry["kind"]),
        service=entry.get("service"),
        cues=cues,
        mentions=mentions,
        links=tuple(str(link) for link in entry.get("links", ())),
        id_type=id_type,
        link_id_type=link_id_type,
        international=bool(entry.get("international", False)),
    )


def _phone_rules(raw: Mapping[str, Any]) -> PhoneRules:
    def bounds(name: str) -> tuple[int, int]:
        low, high = raw[name]
        return int(low), int(high)

    return PhoneRules(
        international=re.compile(raw["international"]),
        local=tuple(re.compile(p) for p in raw["local"]),
        digits=bounds("digits"),
        local_digits=bounds("local_digits"),
        cue_digits=bounds("cue_digits"),
        trunk_prefix=str(raw["trunk_prefix"]),
        calling_codes=frozenset(str(c) for c in raw["calling_codes"]),
    )


_GROUP_RE = re.compile(r"\d+")
_LINK_ID_RE = re.compile(r"[A-Za-z0-9_.~@$+\-]{1,64}")
_TRAILING = ".-_~"


def _trim_phone(raw: str, low: int) -> str:
    """Drop a trailing one-digit group (``0912 345 678 2 pcs``) and stray brackets."""
    raw = raw.rstrip(" .-(")
    groups = list(_GROUP_RE.finditer(raw))
    digits = sum(len(g.group()) for g in groups)
    while len(groups) > 2 and len(groups[-1].group()) == 1 and digits - 1 >= low:
        digits -= 1
        raw = raw[: groups[-2].end()]
        groups.pop()
    return raw


_SCHEME_RE = re.compile(r"(?:https?://)?(?:www\.)?$")


def _link_start(lowered: str, start: int) -> int | None:
    """Where a link begins, scheme and ``www.`` included; None inside another word."""
    prefix = _SCHEME_RE.search(lowered, max(0, start - 12), start)
    begin = prefix.start() if prefix else start
    before = lowered[begin - 1] if begin else " "
    return None if before.isalnum() or before in "._/" else begin


class ContactExtractor:
    """Phone numbers, messenger ids, e-mail and payment accounts, with normalised values.

    One scan finds every cue word and link prefix of every channel; the id grammar of
    the channel is then tried right after it. Bare phone numbers and e-mail addresses
    are found by their own patterns. Overlaps are left to the caller (the longer
    contact wins in :class:`EntityRecognizer`).
    """

    def __init__(self, rules: ContactRules | None = None) -> None:
        self.rules = rules or ContactRules.from_file()
        patterns = self.rules.id_patterns
        self._by_cue: dict[str, Channel] = {}
        self._by_link: dict[str, Channel] = {}
        for channel in self.rules.channels:
            for cue in channel.cues:
                if self._by_cue.setdefault(_cue_key(cue), channel) is not channel:
                    raise LexiconError(f"contact cue {cue!r} belongs to two channels")
            for link in channel.links:
                self._by_link.setdefault(link.casefold(), channel)
        self._cue_re = _cue_pattern(self._by_cue)
        links = "|".join(re.escape(k) for k in sorted(self._by_link, key=len, reverse=True))
        self._link_re = re.compile(links or r"(?!)")
        fillers = "|".join(re.escape(f) for f in sorted(self.rules.fillers, key=len, reverse=True))
        ids = {
            "phone": patterns["phone"],
            "handle": patterns["handle"] + r"(?![\w@])",
            "email": patterns["email"],
            "cashtag": patterns["cashtag"],
        }
        ids["account"] = f"{ids['email']}|{ids['phone']}(?![\\w@])|{ids['handle']}"
        self._tails = {
            name: re.compile(
                r"[ \t]*(?P<sep>[:：=]|-(?=[ \t]))?[ \t]*"
                rf"(?:(?P<filler>{fillers})(?![A-Za-z0-9])[ \t]*[:：]?[ \t]*)?"
                rf"(?P<id>{pattern})",
                re.IGNORECASE,
            )
            for name, pattern in ids.items()
        }
        self._email_re = re.compile(rf"(?<![\w.+\-@]){patterns['email']}")
        self._phone_only = re.compile(patterns["phone"])

    @classmethod
    def default(cls) -> ContactExtractor:
        """The extractor for the shipped ``contacts.json``, built once."""
        return _default_contacts()

    def find(self, text: str, lang: str | None = None) -> list[Entity]:
        """Every contact in `text`, possibly overlapping; `lang` is not needed."""
        del lang  # sellers write contact details the same way in every language
        lowered = lower_text(text)
        found = list(self._cues(text, lowered))
        found.extend(self._links(text, lowered))
        found.extend(self._phones(text))
        for m in self._email_re.finditer(text):
            found.append(_entity(text, CONTACT, m.start(), m.end(), "email", m.group().lower()))
        return found

    # -- cue words followed by an id ------------------------------------------------

    def _cues(self, text: str, lowered: str) -> Iterator[Entity]:
        for m in self._cue_re.finditer(lowered):
            key = _cue_key(m.group())
            channel = self._by_cue.get(key)
            if channel is None or (key.isascii() and not _is_word(text, m.start(), m.end())):
                continue
            tail = self._tails[channel.id_type].match(text, m.end())
            read = self._read_tail(channel, key, tail) if tail else None
            if read is not None:
                end, value, extra = read
                yield self._contact(text, channel, m.start(), end, value, via="cue", **extra)
            elif key in channel.mentions:
                yield self._contact(text, channel, m.start(), m.end(), None, via="mention")

    def _read_tail(
        self, channel: Channel, cue: str, tail: re.Match[str]
    ) -> tuple[int, str, dict[str, Any]] | None:
        raw, start = tail.group("id"), tail.start("id")
        explicit = bool(tail.group("sep")) or (tail.group("filler") or "").lower() == "id"
        explicit = explicit or not cue.isascii() or cue.endswith("id")
        if "@" in raw[1:]:
            return start + len(raw), raw.lower(), {"id_type": "email"}
        if channel.id_type == "cashtag":
            return start + len(raw), raw.lstrip("$").lower(), {}
        if raw[0].isdigit() or raw[0] in "+(":
            phone = self._read_phone(raw, self.rules.phone.cue_digits)
            if phone is not None:
                trimmed, extra = phone
                return start + len(trimmed), extra.pop("value"), extra
            if channel.id_type == "phone":
                return None
        if channel.id_type == "phone":
            return None
        handle = raw.rstrip(_TRAILING)
        name = handle.lstrip("@")
        explicit = explicit or handle.startswith("@")
        looks_like_id = any(c.isdigit() or c == "_" for c in name)
        if len(name) < 2 or name.casefold() in self.rules.not_ids:
            return None
        if not (explicit or looks_like_id):
            return None
        return start + len(handle), name.lower(), {}

    def _read_phone(self, raw: str, bounds: tuple[int, int]) -> tuple[str, dict[str, Any]] | None:
        if not self._phone_only.fullmatch(raw):
            return None
        trimmed = _trim_phone(raw, bounds[0])
        digits = sum(c.isdigit() for c in trimmed)
        if not bounds[0] <= digits <= bounds[1]:
            return None
        value, national, code = self.rules.phone.normalise(trimmed)
        return trimmed, {"value": value, "national": national, "country_code": code}

    # -- links ----------------------------------------------------------------------

    def _links(self, text: str, lowered: str) -> Iterator[Entity]:
        for m in self._link_re.finditer(lowered):
            channel = self._by_link[m.group()]
            ident = _LINK_ID_RE.match(text, m.end())
            start = _link_start(lowered, m.start())
            if ident is None or start is None:
                continue
            raw = ident.group().rstrip(_TRAILING)
            if not raw:
                continue
            end = ident.start() + len(raw)
            if channel.link_id_type == "phone":
                value, national, code = self.rules.phone.normalise(
                    raw, international=channel.international
                )
                if not value:
                    continue
                yield self._contact(
                    text,
                    channel,
                    start,
                    end,
                    value,
                    via="link",
                    national=national,
                    country_code=code,
                )
            else:
                value = raw.lstrip("~@$").lower()
                if value:
                    yield self._contact(text, channel, start, end, value, via="link")

    # -- bare numbers ----------------------------------------------------------------

    def _phones(self, text: str) -> Iterator[Entity]:
        rules = self.rules.phone
        candidates = [(m, rules.digits) for m in rules.international.finditer(text)]
        for pattern in rules.local:
            candidates.extend((m, rules.local_digits) for m in pattern.finditer(text))
        for m, bounds in candidates:
            read = self._read_phone(m.group(), bounds)
            if read is None:
                continue
            trimmed, extra = read
            value = extra.pop("value")
            yield _entity(
                text,
                CONTACT,
                m.start(),
                m.start() + len(trimmed),
                "phone",
                value,
                via="pattern",
                **extra,
            )

    @staticmethod
    def _contact(
        text: str,
        channel: Channel,
        start: int,
        end: int,
        value: str | None,
        **attrs: Any,
    ) -> Entity:
        return _entity(
            text, CONTACT, start, end, channel.kind, value, service=channel.service, **attrs
        )


def _cue_key(cue: str) -> str:
    return " ".join(cue.casefold().split())


def _cue_pattern(cues: Iterable[str]) -> re.Pattern[str]:
    """One case-sensitive alternation of every cue, for text lowered by :func:`lower_text`.

    Word boundaries are checked afterwards (:func:`_is_word`): an alternation of plain
    literals lets the regex engine skip ahead to possible first characters, which a
    leading look-behind or IGNORECASE would prevent (several times slower).
    """
    bodies = [
        r"[ \t]+".join(re.escape(part) for part in cue.split())
        for cue in sorted(cues, key=len, reverse=True)
    ]
    return re.compile("|".join(bodies) or r"(?!)")


_ASCII_LETTERS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
_WORD_BEFORE = _ASCII_LETTERS | frozenset("0123456789_.@/")


def _is_word(text: str, start: int, end: int) -> bool:
    """Whether ``text[start:end]`` stands alone: no letter, digit or id character before,
    no letter after (``wa`` in ``wa 0812`` but not in ``jawa`` or ``wall``)."""
    before = text[start - 1] if start else " "
    after = text[end] if end < len(text) else " "
    return before not in _WORD_BEFORE and after not in _ASCII_LETTERS


def _lower_table() -> dict[int, str]:
    table = {}
    for low, high in ((0x41, 0x5B), (0xC0, 0x250), (0x370, 0x500), (0x1E00, 0x1F00)):
        for codepoint in range(low, high):
            lowered = chr(codepoint).lower()
            if len(lowered) == 1 and lowered != chr(codepoint):
                table[codepoint] = lowered
    return table


_LOWER = _lower_table()


def lower_text(text: str) -> str:
    """Lower-case `text` one character for one, so offsets into it still match."""
    lowered = text.lower()
    if len(lowered) == len(text):
        return lowered  # no character grew (İ -> i̇), so every one maps to one
    return text.translate(_LOWER)


@lru_cache(maxsize=1)
def _default_contacts() -> ContactExtractor:
    return ContactExtractor()


# --------------------------------------------------------------------------- quantities


@dataclass(frozen=True, slots=True)
class Unit:
    """A unit as written, what it normalises to, and its size in grams or items."""

    canonical: str
    dimension: str
    size: float
    langs: frozenset[str] | None = None


def _units(
    canonical: str, dimension: str, size: float, *forms: str, langs: str = ""
) -> dict[str, Unit]:
    only = frozenset(langs.split()) if langs else None
    return {form: Unit(canonical, dimension, size, only) for form in forms}


UNITS: Mapping[str, Unit] = MappingProxyType(
    _units("g", "mass", 1, "g", "gr", "gram", "grams", "gramme", "grammes", "gramos")
    | _units("g", "mass", 1, "gramas", "gramm", "gam", "กรัม", "克", "グラム")
    | _units("kg", "mass", 1000, "kg", "kgs", "kilo", "kilos", "kilogram", "kilograms")
    | _units("kg", "mass", 1000, "kilogramme", "kilogrammes", "kilogramos", "quilo", "quilos")
    | _units("kg", "mass", 1000, "ký", "kí", "กิโล", "กก.", "กก", "公斤", "千克", "キロ")
    | _units("t", "mass", 1e6, "ton", "tons", "tonne", "tonnes", "tonelada", "toneladas")
    | _units("t", "mass", 1e6, "tấn", "ตัน", "吨", "噸", "トン")
    | _units("jin", "mass", 500, "斤")
    | _units("liang", "mass", 50, "两", "兩")
    | _units("lang", "mass", 100, "lạng", langs="vi")
    | _units("oz", "mass", 28.349523125, "oz")
    | _units("lb", "mass", 453.59237, "lb", "lbs")
    | _units("piece", "count", 1, "pc", "pcs", "piece", "pieces", "件", "个", "個")
    | _units("piece", "count", 1, "ชิ้น", "อัน", "biji", "buah", "pièce", "pièces", "pieza")
    | _units("piece", "count", 1, "piezas", "unidad", "unidades", "peça", "peças", "unidade")
    | _units("piece", "count", 1, "stück", "stk", "本", "根", "颗", "顆", "条", "條")
    | _units("piece", "count", 1, "枚")
    | _units("piece", "count", 1, "cái", "chiếc", langs="vi")
    | _units("head", "count", 1, "只", "隻", "头", "頭", "匹", "ตัว", "ekor")
    | _units("head", "count", 1, "con", langs="vi")
    | _units("pair", "count", 2, "pair", "pairs", "对", "對", "双", "雙", "คู่", "pasang")
    | _units("pair", "count", 2, "paire", "paires", "par", "pares", "paar")
    | _units("pair", "count", 2, "đôi", langs="vi")
)

_QTY_NUMBER = r"(?<![\w.,])(?P<num>\d{1,9}(?:[.,]\d{1,3})*)(?![\d])"
_CN_NUMBER = rf"(?P<cn>[{_CN_NUMERALS}]{{1,8}})"
_WORD_END = r"(?![A-Za-z\u00c0-\u024f\u1e00-\u1eff])"


class QuantityExtractor:
    """A number with a weight or count unit: ``2.4 kg``, ``6 pcs``, ``3斤``, ``两只``."""

    def __init__(self, units: Mapping[str, Unit] = UNITS) -> None:
        self.units = units
        self._patterns: dict[str, re.Pattern[str]] = {}

    def find(self, text: str, lang: str | None = None) -> list[Entity]:
        """Quantities in `text`; `lang` decides decimal marks and language-only units."""
        found: list[Entity] = []
        for m in self._pattern(lang).finditer(text):
            unit = self.units[(m.group("unit") or m.group("cjkunit")).casefold()]
            if m.group("num") is not None:
                number = parse_number(m.group("num"), lang)
            else:
                number = parse_chinese_number(m.group("cn"))
            if number is None:
                continue
            base = number * unit.size
            found.append(
                _entity(
                    text,
                    QUANTITY,
                    m.start(),
                    m.end(),
                    unit.canonical,
                    number,
                    dimension=unit.dimension,
                    grams=base if unit.dimension == "mass" else None,
                    items=base if unit.dimension == "count" else None,
                )
            )
        return found

    def _pattern(self, lang: str | None) -> re.Pattern[str]:
        # Built per language on first use (units such as Vietnamese "con" are
        # language-only); a race builds the same pattern twice, which is harmless.
        key = lang or ""
        pattern = self._patterns.get(key)
        if pattern is None:
            forms = sorted(
                (f for f, u in self.units.items() if u.langs is None or lang in u.langs),
                key=len,
                reverse=True,
            )
            written = "|".join(re.escape(f) for f in forms)
            # After Chinese numerals only units written in Chinese or Japanese.
            cjk = "|".join(re.escape(f) for f in forms if _is_cjk(f))
            pattern = re.compile(
                rf"{_QTY_NUMBER}[ \u00a0]?(?P<unit>{written}){_WORD_END}"
                rf"|{_CN_NUMBER}(?P<cjkunit>{cjk})",
                re.IGNORECASE,
            )
            self._patterns[key] = pattern
        return pattern


def _is_cjk(text: str) -> bool:
    return all("\u3040" <= c <= "\u30ff" or "\u3400" <= c <= "\u9fff" for c in text)


# --------------------------------------------------------------------------- prices


@dataclass(frozen=True, slots=True)
class Currency:
    """An ISO 4217 code as written, and whether the symbol is shared (``$``, ``¥``)."""

    code: str
    ambiguous: bool = False


def _currencies(code: str, *forms: str, ambiguous: bool = False) -> dict[str, Currency]:
    return {form.casefold(): Currency(code, ambiguous) for form in forms}


_ISO_CODES = (
    "USD EUR GBP CNY JPY THB VND IDR MYR BRL TWD HKD SGD AUD CAD MXN COP NGN KES XOF XAF AOA MZN"
    " CHF PHP INR KRW"
)
# Written before the amount: $120, US$120, R$ 350,00, Rp 1.250.000, RM 120, ¥2800.
PREFIX_CURRENCIES: Mapping[str, Currency] = MappingProxyType(
    {code.casefold(): Currency(code) for code in _ISO_CODES.split()}
    | _currencies("USD", "US$", "U$S")
    | _currencies("USD", "$", ambiguous=True)
    | _currencies("BRL", "R$")
    | _currencies("TWD", "NT$")
    | _currencies("HKD", "HK$")
    | _currencies("SGD", "S$")
    | _currencies("AUD", "A$", "AU$")
    | _currencies("CAD", "C$", "CA$")
    | _currencies("MXN", "MX$")
    | _currencies("EUR", "€")
    | _currencies("GBP", "£")
    | _currencies("CNY", "¥", "￥", ambiguous=True)
    | _currencies("CNY", "RMB", "人民币", "人民幣")
    | _currencies("THB", "฿")
    | _currencies("VND", "₫")
    | _currencies("IDR", "Rp", "Rp.")
    | _currencies("MYR", "RM")
    | _currencies("NGN", "₦")
    | _currencies("KES", "KSh")
    | _currencies("PHP", "₱")
    | _currencies("INR", "₹")
    | _currencies("KRW", "₩")
)
# Written after the amount: 2800元, 2.800.000đ, 1500 บาท, 35 €, 120 USD, 141.000 Kz.
SUFFIX_CURRENCIES: Mapping[str, Currency] = MappingProxyType(
    {code.casefold(): Currency(code) for code in _ISO_CODES.split()}
    | _currencies("EUR", "€", "euro", "euros")
    | _currencies("VND", "₫", "đ", "đồng", "vnđ")
    | _currencies("CNY", "元", "块", "塊", "块钱", "塊錢", "rmb", "yuan")
    | _currencies("CNY", "¥", "￥", ambiguous=True)
    | _currencies("JPY", "円", "yen")
    | _currencies("THB", "บาท", "baht", "฿")
    | _currencies("USD", "dollars", "dollar", "dólares", "dolares")
    | _currencies("USD", "$", ambiguous=True)
    | _currencies("BRL", "reais")
    | _currencies("GBP", "£", "pounds")
    | _currencies("AOA", "Kz")
    | _currencies("MZN", "MT")
    | _currencies("XOF", "FCFA", "CFA", ambiguous=True)
    | _currencies("MYR", "ringgit")
    | _currencies("IDR", "rupiah")
)
# Words that scale the amount: 500k, 2tr8, 1,2 juta, 2.8万元, R$ 2 mil.
MULTIPLIERS: Mapping[str, float] = MappingProxyType(
    {"k": 1e3, "nghìn": 1e3, "nghin": 1e3, "ngàn": 1e3, "ngan": 1e3, "tr": 1e6}
    | {"triệu": 1e6, "trieu": 1e6, "củ": 1e6, "tỷ": 1e9, "rb": 1e3, "ribu": 1e3}
    | {"jt": 1e6, "juta": 1e6, "万": 1e4, "萬": 1e4, "千": 1e3, "mil": 1e3}
    | {"million": 1e6, "millions": 1e6, "millón": 1e6, "millones": 1e6, "milhão": 1e6}
)
# Multipliers that name the currency by themselves in one language: "2tr8" is VND.
IMPLIED_CURRENCY: Mapping[str, tuple[str, frozenset[str]]] = MappingProxyType(
    {
        "vi": (
            "VND",
            frozenset({"k", "nghìn", "nghin", "ngàn", "ngan", "tr", "triệu", "trieu"})
            | {"củ", "tỷ"},
        ),
        "id": ("IDR", frozenset({"k", "rb", "ribu", "jt", "juta"})),
    }
)
# Symbols that need case to be told from words: MT (metical) is not "mt".
_CASED = frozenset({"mt", "kz"})

# Both begin with a bare digit class, so a pattern that starts with one lets the regex
# engine jump from digit to digit instead of trying every position; the look-behind
# after it stops at once inside a longer number.
_PRICE_NUMBER = r"\d(?<![\d.,]\d)(?:\d{0,2}(?:[.,]\d{3})+(?:[.,]\d{1,2})?|\d{0,14}(?:[.,]\d{1,2})?)"
_SPACED_NUMBER = (
    r"\d(?<![\d.,]\d)"
    r"(?:\d{0,2}(?:[.,\u00a0\u202f ]\d{3})+(?:[.,]\d{1,2})?|\d{0,14}(?:[.,]\d{1,2})?)"
)
_NOT_BEFORE_NUMBER = frozenset("0123456789.,") | _ASCII_LETTERS
_DIGITS_RE = re.compile(r"\d+")
_GAP = r"[ \u00a0\u202f]?"


def _alternation(forms: Iterable[str]) -> str:
    parts = []
    for form in sorted(forms, key=len, reverse=True):
        body = re.escape(form)
        if form in _CASED:
            body = f"(?-i:{re.escape(form.upper() if form == 'mt' else 'Kz')})"
        elif form[0].isalpha() and form.isascii():
            body = rf"(?<![A-Za-z]){body}"
        parts.append(body)
    return "|".join(parts)


class PriceExtractor:
    """An amount with a currency: ``¥2800``, ``2tr8``, ``Rp 1.250.000``, ``35,50€``.

    Amounts are read with the decimal mark of the listing's language. ``$`` is taken
    as USD and ``¥`` as CNY (JPY in Japanese text); both are marked ``ambiguous``.
    Every price has a digit, so the scans start from digits: a currency symbol is
    looked for just before each run of digits, and amounts followed by a currency are
    matched by a pattern that begins with a digit, which the regex engine skips to.
    """

    def __init__(self) -> None:
        mult = "|".join(re.escape(m) for m in sorted(MULTIPLIERS, key=len, reverse=True))
        symbols = "|".join(re.escape(c) for c in sorted(PREFIX_CURRENCIES, key=len, reverse=True))
        self._symbol_re = re.compile(rf"(?:{symbols}){_GAP}\Z")
        self._longest_symbol = max(map(len, PREFIX_CURRENCIES)) + 1
        self._amount_re = re.compile(
            rf"(?P<num>{_PRICE_NUMBER})(?!\d)(?:[ ]?(?P<mul>{mult}){_WORD_END})?(?:,-|\.-)?"
        )
        self._suffix_re: dict[str, tuple[re.Pattern[str], ...]] = {}

    def find(self, text: str, lang: str | None = None) -> list[Entity]:
        """Prices in `text`, each with ``value`` the amount and ``key`` the currency."""
        found: list[Entity] = []
        self._prefixed(found, text, lang)
        suffixed, *implied = self._suffix_patterns(lang)
        for m in suffixed.finditer(text):
            if m.start() and text[m.start() - 1] in _NOT_BEFORE_NUMBER:
                continue  # the digits belong to a word or a longer number: A52, 1.5
            symbol = m.group("cur")
            currency = SUFFIX_CURRENCIES[_cue_key(symbol)]
            self._add(
                found,
                text,
                m.start(),
                m.end(),
                currency,
                symbol,
                m.group("num"),
                m.group("mul"),
                None,
                lang,
            )
        for pattern in implied:
            currency = Currency(IMPLIED_CURRENCY[lang or ""][0])
            for m in pattern.finditer(text):
                if m.start() and text[m.start() - 1] in _NOT_BEFORE_NUMBER:
                    continue
                self._add(
                    found,
                    text,
                    m.start(),
                    m.end(),
                    currency,
                    None,
                    m.group("num"),
                    m.group("mul"),
                    m.group("frac"),
                    lang,
                )
        return _outermost(found)

    def _prefixed(self, found: list[Entity], text: str, lang: str | None) -> None:
        """Amounts written after their currency: $120, US$120, Rp 1.250.000, RM 120."""
        lowered: str | None = None
        covered = 0
        for run in _DIGITS_RE.finditer(text):
            start = run.start()
            if start < covered or not start or text[start - 1] in ".,":
                continue
            lowered = lowered if lowered is not None else lower_text(text)
            window = max(0, start - self._longest_symbol)
            symbol_match = self._symbol_re.search(lowered, window, start)
            amount = self._amount_re.match(text, start)
            if symbol_match is None or amount is None:
                continue
            begin = symbol_match.start()
            token = symbol_match.group().rstrip(" \u00a0\u202f")
            if token[0] in _ASCII_LETTERS and begin and text[begin - 1] in _ASCII_LETTERS:
                continue  # "rm" in "form 2", "rp" in "warp 9"
            covered = amount.end()
            symbol = text[begin : begin + len(token)]
            self._add(
                found,
                text,
                begin,
                amount.end(),
                PREFIX_CURRENCIES[token],
                symbol,
                amount.group("num"),
                amount.group("mul"),
                None,
                lang,
            )

    @staticmethod
    def _add(
        found: list[Entity],
        text: str,
        start: int,
        end: int,
        currency: Currency,
        symbol: str | None,
        number: str,
        mult: str | None,
        frac: str | None,
        lang: str | None,
    ) -> None:
        amount = _amount(number, mult, frac, lang)
        if amount is None:
            return
        code = currency.code
        ambiguous = currency.ambiguous
        if code == "CNY" and symbol in ("¥", "￥") and lang == "ja":
            code, ambiguous = "JPY", False
        found.append(
            _entity(
                text,
                PRICE,
                start,
                end,
                code,
                amount,
                amount=amount,
                currency=code,
                symbol=symbol,
                ambiguous=True if ambiguous else None,
            )
        )

    def _suffix_patterns(self, lang: str | None) -> tuple[re.Pattern[str], ...]:
        # Built per language on first use (slang multipliers such as Vietnamese "tr"
        # name a currency only in one language); a race builds them twice, harmlessly.
        # Each starts with a digit and has no look-behind in front, so the engine
        # skips to digits; the boundary before the number is checked in find().
        key = lang or ""
        patterns = self._suffix_re.get(key)
        if patterns is None:
            mult = _alternation(MULTIPLIERS)
            patterns = (
                re.compile(
                    rf"(?P<num>{_SPACED_NUMBER})(?!\d)(?:[ \u00a0]?(?P<mul>{mult}))?"
                    rf"{_GAP}(?P<cur>{_alternation(SUFFIX_CURRENCIES)}){_WORD_END}",
                    re.IGNORECASE,
                ),
            )
            implied = IMPLIED_CURRENCY.get(key)
            if implied is not None:
                patterns += (
                    re.compile(
                        rf"(?P<num>{_PRICE_NUMBER})[ ]?(?P<mul>{_alternation(implied[1])})"
                        rf"(?P<frac>\d{{1,3}})?{_WORD_END}(?!\d)",
                        re.IGNORECASE,
                    ),
                )
            self._suffix_re[key] = patterns
        return patterns


def _outermost(found: list[Entity]) -> list[Entity]:
    """Sorted by start, without entities that lie inside another (``500k`` in ``500k đ``)."""
    found.sort(key=lambda e: (e.start, -e.end))
    kept: list[Entity] = []
    for entity in found:
        if kept and entity.end <= kept[-1].end:
            continue
        kept.append(entity)
    return kept


def _amount(number: str, mult: str | None, frac: str | None, lang: str | None) -> float | None:
    value = parse_number(number, lang, price=True)
    if value is None:
        return None
    if frac:
        if not value.is_integer():
            return None  # 2,5tr8 is not a price
        value += int(frac) / 10 ** len(frac)
    if mult:
        value *= MULTIPLIERS[_cue_key(mult)]
    return value


# --------------------------------------------------------------------------- spaCy


if not Doc.has_extension("wildwatch_entities"):
    # Read-only default: components replace the tuple, never mutate it.
    Doc.set_extension("wildwatch_entities", default=())


class EntityComponent:
    """A spaCy component that runs one extractor over the whole text of a doc.

    Extractors read ``doc.text`` rather than tokens because Chinese, Thai and Japanese
    tokenisation (or its absence) must not decide what is found; spans are then
    widened to token boundaries (``alignment_mode="expand"``) while the
    :class:`Entity` records in ``doc._.wildwatch_entities`` keep exact offsets.
    The extractor loads on first use, so a caller that already has one can hand it
    over with :meth:`use` and nothing is loaded twice.
    """

    def __init__(
        self, load: Callable[[], Extractor], *, lang: str | None = None, spans_key: str = SPANS_KEY
    ) -> None:
        self._load = load
        self._extractor: Extractor | None = None
        self.lang = lang
        self.spans_key = spans_key

    @property
    def extractor(self) -> Extractor:
        """The extractor this component runs, loaded on first use."""
        if self._extractor is None:
            self._extractor = self._load()
        return self._extractor

    def use(self, extractor: Extractor) -> None:
        """Run `extractor` instead of loading one from the component's config."""
        self._extractor = extractor

    def __call__(self, doc: Doc) -> Doc:
        lang = self.lang or _doc_lang(doc)
        record_entities(doc, self.extractor.find(doc_text(doc), lang), self.spans_key)
        return doc


class LexiconComponent(EntityComponent):
    """The lexicon's component: reads the term hits a caller put in ``doc.user_data``
    (see :meth:`EntityRecognizer.entities`) instead of matching the text again."""

    def __call__(self, doc: Doc) -> Doc:
        extractor = self.extractor
        hits = doc.user_data.get(_HITS_KEY)
        if hits is None or not isinstance(extractor, LexiconExtractor):
            return super().__call__(doc)
        lang = self.lang or _doc_lang(doc)
        record_entities(doc, extractor.find(doc_text(doc), lang, hits=hits), self.spans_key)
        return doc


_TEXT_KEY = ("wildwatch", "text")
_HITS_KEY = ("wildwatch", "hits")
_SURROGATE_RE = re.compile("[\ud800-\udfff]")
# No listing has a word this long; text that does is hostile or garbage.
_LONG_RUN_RE = re.compile(r"\S{500}")
_CHUNK_RE = re.compile(r"\S+|\s+")


def doc_text(doc: Doc) -> str:
    """``doc.text``, computed once per doc: spaCy rebuilds it from every token on each read.

    A doc's text cannot change after tokenisation (retokenising keeps it), so the
    first component stores it in ``doc.user_data`` and the others reuse it.
    """
    text = doc.user_data.get(_TEXT_KEY)
    if text is None:
        text = doc.user_data[_TEXT_KEY] = doc.text
    return text


def record_entities(doc: Doc, entities: Sequence[Entity], spans_key: str = SPANS_KEY) -> None:
    """Add `entities` to ``doc.spans[spans_key]`` and ``doc._.wildwatch_entities``."""
    spans = []
    for entity in entities:
        span = doc.char_span(
            entity.start,
            entity.end,
            label=entity.label,
            kb_id=entity.key or "",
            alignment_mode="expand",
        )
        if span is not None:
            spans.append(span)
    if spans_key in doc.spans:
        doc.spans[spans_key].extend(spans)
    else:
        doc.spans[spans_key] = spans
    doc._.wildwatch_entities = (*doc._.wildwatch_entities, *entities)


def _doc_lang(doc: Doc) -> str | None:
    lang = doc.lang_
    return None if lang in ("xx", "") else lang


_COMPONENT_CONFIG = {"data_dir": None, "lang": None, "spans_key": SPANS_KEY}
_ASSIGNS = ["doc.spans", "doc._.wildwatch_entities"]


@Language.factory("wildwatch_lexicon_entities", default_config=_COMPONENT_CONFIG, assigns=_ASSIGNS)
def make_lexicon_entities(
    nlp: Language, name: str, data_dir: str | None, lang: str | None, spans_key: str
) -> EntityComponent:
    """SPECIES, PRODUCT and CODE_WORD entities from the lexicon under `data_dir`."""
    return LexiconComponent(
        lambda: LexiconExtractor.for_dir(data_dir), lang=lang, spans_key=spans_key
    )


@Language.factory("wildwatch_contact_entities", default_config=_COMPONENT_CONFIG, assigns=_ASSIGNS)
def make_contact_entities(
    nlp: Language, name: str, data_dir: str | None, lang: str | None, spans_key: str
) -> EntityComponent:
    """CONTACT entities from ``contacts.json`` under `data_dir` (default: shipped rules)."""

    def load() -> ContactExtractor:
        if data_dir is None:
            return ContactExtractor.default()
        return ContactExtractor(ContactRules.from_file(Path(data_dir) / CONTACTS_FILE))

    return EntityComponent(load, lang=lang, spans_key=spans_key)


@Language.factory(
    "wildwatch_quantity_entities",
    default_config={"lang": None, "spans_key": SPANS_KEY},
    assigns=_ASSIGNS,
)
def make_quantity_entities(
    nlp: Language, name: str, lang: str | None, spans_key: str
) -> EntityComponent:
    """QUANTITY entities; `lang` (default: the pipeline's) sets the decimal mark."""
    return EntityComponent(_default_quantities, lang=lang, spans_key=spans_key)


@Language.factory(
    "wildwatch_price_entities",
    default_config={"lang": None, "spans_key": SPANS_KEY},
    assigns=_ASSIGNS,
)
def make_price_entities(
    nlp: Language, name: str, lang: str | None, spans_key: str
) -> EntityComponent:
    """PRICE entities; `lang` (default: the pipeline's) sets decimal mark and slang."""
    return EntityComponent(_default_prices, lang=lang, spans_key=spans_key)


@lru_cache(maxsize=1)
def _default_quantities() -> QuantityExtractor:
    return QuantityExtractor()


@lru_cache(maxsize=1)
def _default_prices() -> PriceExtractor:
    return PriceExtractor()


COMPONENTS = (
    "wildwatch_lexicon_entities",
    "wildwatch_contact_entities",
    "wildwatch_quantity_entities",
    "wildwatch_price_entities",
)
# Project language -> spaCy language of its blank pipeline. Thai and Japanese need
# pythainlp and sudachipy for word segmentation, which the project does not install;
# they use the multi-language tokenizer (whitespace and punctuation), which is enough
# because extractors read the text and spans expand to whatever tokens there are.
_SPACY_LANGS: Mapping[str, str] = MappingProxyType(
    {"en": "en", "fr": "fr", "es": "es", "pt": "pt", "de": "de", "id": "id", "ms": "ms"}
    | {"zh": "zh", "zh-Hant": "zh", "vi": "vi", "th": "xx", "ja": "xx"}
)


class _DictionaryJieba:
    """jieba segmentation from its dictionary alone, without the HMM for unknown words.

    Tokens only set span boundaries here (extractors read the text), and the HMM pass
    costs a third of the segmentation time of a Chinese listing without changing any
    entity. Stands in for the ``jieba`` module in spaCy's Chinese tokenizer.
    """

    @staticmethod
    def cut(text: str, cut_all: bool = False) -> Iterator[str]:
        return jieba.cut(text, cut_all=cut_all, HMM=False)


def blank_pipeline(lang: str | None) -> Language:
    """A blank spaCy pipeline for a project language code (``xx`` for the rest).

    Chinese (both scripts) segments with jieba's dictionary; Vietnamese splits syllables on spaces
    rather than using pyvi; Thai, Japanese and undetermined text use ``xx``.
    """
    code = _SPACY_LANGS.get(lang or "", "xx")
    if code == "zh":
        # jieba announces building its dictionary on stderr at INFO; that is noise on
        # every command that classifies Chinese text.
        jieba.setLogLevel(logging.WARNING)
        nlp = Chinese.from_config({"nlp": {"tokenizer": {"segmenter": "jieba"}}})
        nlp.tokenizer.jieba_seg = _DictionaryJieba()
        return nlp
    if code == "vi":
        return spacy.blank("vi", config={"nlp": {"tokenizer": {"use_pyvi": False}}})
    return spacy.blank(code)


# --------------------------------------------------------------------------- plain API


class EntityRecognizer:
    """Entities of one listing text, as a sorted list of :class:`Entity` records.

    Builds one blank pipeline per language on first use, with the four components
    sharing this recognizer's extractors. spaCy pipelines are not documented as
    thread-safe, so each thread gets its own pipelines; everything else is shared.
    ``EntityRecognizer.default()`` is one for the shipped data. A caller that matches
    the lexicon itself hands its ``matcher`` over and passes the hits to
    :meth:`entities`, so no text is matched twice.
    """

    def __init__(
        self,
        lexicon: Lexicon | None = None,
        *,
        matcher: TermMatcher | None = None,
        contacts: ContactRules | None = None,
        identifier: LanguageIdentifier | None = None,
    ) -> None:
        if matcher is not None and lexicon is None:
            # The hits handed to `entities` must come from the lexicon entities are read in.
            raise TypeError("a matcher is handed over together with the lexicon it matches")
        self._lexicon = (
            LexiconExtractor.for_dir(None)
            if lexicon is None
            else LexiconExtractor(lexicon, matcher)
        )
        self.lexicon = self._lexicon.lexicon
        self._contacts = (
            ContactExtractor.default() if contacts is None else ContactExtractor(contacts)
        )
        self.identifier = identifier or LanguageIdentifier.default()
        self._local = threading.local()

    @classmethod
    def default(cls) -> EntityRecognizer:
        """The recognizer for the shipped data, built on first use and then shared."""
        return _default_recognizer()

    def pipeline(self, lang: str | None) -> Language:
        """This thread's pipeline for `lang` (a project code; anything else is ``und``)."""
        key = lang if lang in _SPACY_LANGS else UNDETERMINED
        cache: dict[str, Language] | None = getattr(self._local, "pipelines", None)
        if cache is None:
            cache = self._local.pipelines = {}
        nlp = cache.get(key)
        if nlp is None:
            nlp = cache[key] = self._build(key)
        return nlp

    def _build(self, lang: str) -> Language:
        nlp = blank_pipeline(lang)
        config = {"lang": None if lang == UNDETERMINED else lang}
        for name in COMPONENTS:
            nlp.add_pipe(name, config=config)
        nlp.get_pipe("wildwatch_lexicon_entities").use(self._lexicon)
        nlp.get_pipe("wildwatch_contact_entities").use(self._contacts)
        return nlp

    def entities(
        self, text: str, lang: str | None = None, *, hits: Sequence[Hit] | None = None
    ) -> list[Entity]:
        """Entities of `text` sorted by position; `lang` is identified when not given;
        `hits`, when given, are this recognizer's matcher's hits in `text`.

        Overlaps are resolved: a longer contact hides a shorter one (``WhatsApp
        +62 812...`` hides the bare number), contacts hide prices and quantities,
        prices hide quantities (``500k``), and lexicon entities lying wholly inside a
        contact (an id such as ``ivory_king88``) are dropped. Text beyond spaCy's
        ``max_length`` (a million characters) is not read.
        """
        if lang is None:
            lang = self.identifier.identify(text).lang
        nlp = self.pipeline(lang)
        source = text[: nlp.max_length]
        # spaCy cannot hash lone surrogates; U+FFFD keeps every offset where it was.
        has_surrogates = _SURROGATE_RE.search(source) is not None
        clean = _SURROGATE_RE.sub("\ufffd", source) if has_surrogates else source
        if _SPACY_LANGS.get(lang) != "zh" and _LONG_RUN_RE.search(clean):
            # Rule tokenizers take quadratic time on very long runs without spaces
            # ("a:a:a:..." of 100 kB takes minutes); split such text on spaces only.
            doc = whitespace_doc(nlp.vocab, clean)
        else:
            doc = nlp.make_doc(clean)
        doc.user_data[_TEXT_KEY] = clean  # known already: spare spaCy rebuilding it
        if hits is not None and clean == text:  # the hits' offsets are into `text`
            doc.user_data[_HITS_KEY] = hits
        doc = nlp(doc)
        entities = resolve_overlaps(doc._.wildwatch_entities, len(clean))
        if not has_surrogates:
            return entities
        return [replace(e, text=source[e.start : e.end]) for e in entities]


def whitespace_doc(vocab: Vocab, text: str) -> Doc:
    """A doc of `text` split on whitespace only, in linear time; ``doc.text == text``."""
    words: list[str] = []
    spaces: list[bool] = []
    for m in _CHUNK_RE.finditer(text):
        chunk = m.group()
        if chunk[0].isspace():
            if words and not spaces[-1] and chunk[0] == " ":
                spaces[-1] = True
                chunk = chunk[1:]
            if not chunk:
                continue
        words.append(chunk)
        spaces.append(False)
    return Doc(vocab, words=words, spaces=spaces)


def resolve_overlaps(entities: Iterable[Entity], size: int) -> list[Entity]:
    """Keep the entities a reader expects from overlapping candidates; sorted by start."""
    by_label: dict[str, list[Entity]] = {}
    for entity in entities:
        by_label.setdefault(entity.label, []).append(entity)
    taken = bytearray(size)
    kept = _claim(by_label.get(CONTACT, []), taken)
    contacts = bytes(taken)
    kept += _claim(by_label.get(PRICE, []), taken)
    kept += _claim(by_label.get(QUANTITY, []), taken)
    for label in (SPECIES, PRODUCT, CODE_WORD):
        kept += [e for e in by_label.get(label, []) if 0 in contacts[e.start : e.end]]
    order = {label: i for i, label in enumerate(LABELS)}
    kept.sort(key=lambda e: (e.start, -e.end, order.get(e.label, len(order))))
    return kept


def _claim(candidates: list[Entity], taken: bytearray) -> list[Entity]:
    """Longest first, keep candidates that overlap nothing kept so far; mark them taken."""
    kept = []
    for entity in sorted(candidates, key=lambda e: (e.start - e.end, e.start)):
        if entity.end <= entity.start or 1 in taken[entity.start : entity.end]:
            continue
        taken[entity.start : entity.end] = b"\x01" * (entity.end - entity.start)
        kept.append(entity)
    return kept


@lru_cache(maxsize=1)
def _default_recognizer() -> EntityRecognizer:
    return EntityRecognizer()
