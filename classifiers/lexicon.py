"""Loads the baseline's data files: terms, curated species, the CITES checklist, folding.

Everything the classifier knows lives under ``classifiers/data`` (see ``SOURCES.md``
there); this module turns those files into immutable :class:`Term` and
:class:`SpeciesInfo` records and refuses files it cannot trust, naming file and line.

- ``terms.jsonl``: one ``{"term", "lang", "kind", "concept", "weight", ...}`` per line;
  optional ``implies`` (a species key), ``needs_species`` (a part such as "bone" that
  says little without a species), ``needs_goods`` (a look-alike word such as
  "colour" that only counts right next to a wildlife word: "colour ivory", not
  "colour is true"), ``match`` (``word`` or ``substring``) and ``accents``
  (``exact``: the accents must match too).
- ``species.json``: curated species with CITES appendix and names per language; every
  name becomes a ``species`` term.
- ``cites_checklist.txt``: scientific names and appendices derived from the CITES
  checklist by ``build_species.py``; curated entries win where both name a taxon.
- ``cites_updates.tsv``: listing changes since that export (CoP18, CoP19); they win over
  the checklist's appendix and add taxa listed since.
- ``cites_names.tsv`` with ``common_names.json``: English, Spanish and French common
  names from the checklist. Only distinctive ones become ``species`` terms, with a lower
  weight than curated names: names of two or more words (those made only of everyday
  words weaker still), single words from a curated allow list, never a name that is
  already a curated name or a term, never one on the deny list, and for plants only
  the timber and agarwood genera. Common names of a curated taxon name the curated entry.
- ``fold.json``: the tables :mod:`classifiers.normalize` applies.

Terms of kind ``negation`` ("not", "sin", 不是) mean nothing alone: the matcher joins
one to the look-alike right after it into a genuineness claim ("sin imitaciones",
不是树脂 say the goods are real). A negation marked ``follows`` comes after what it
denies, as Japanese writes it (樹脂ではありません).

Product terms may carry a ``family`` (one of :data:`FAMILIES`), the product family
later stages report metrics by.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

from classifiers.errors import LexiconError
from classifiers.normalize import DATA_DIR, FOLD_FILE, FoldTables

__all__ = [
    "CHECKLIST_FILE",
    "COMMON_NAMES_FILE",
    "FAMILIES",
    "KINDS",
    "NAMES_FILE",
    "SPECIES_FILE",
    "TERMS_FILE",
    "UPDATES_FILE",
    "Lexicon",
    "SpeciesInfo",
    "Term",
]

TERMS_FILE = "terms.jsonl"
SPECIES_FILE = "species.json"
CHECKLIST_FILE = "cites_checklist.txt"
UPDATES_FILE = "cites_updates.tsv"
NAMES_FILE = "cites_names.tsv"
COMMON_NAMES_FILE = "common_names.json"

#: Kinds a term may have. ``claim`` is a genuineness or legality claim ("real",
#: "with CITES permit"); ``news`` marks reporting rather than an offer.
KINDS = (
    "species",
    "product",
    "code_word",
    "trade_context",
    "lookalike",
    "claim",
    "news",
    "negation",
)
#: Product families a ``product`` term may name (``family`` in terms.jsonl).
FAMILIES = (
    "ivory",
    "horn",
    "scales",
    "bone",
    "skin",
    "fin",
    "shell",
    "casque",
    "bile",
    "musk",
    "teeth_claws",
    "live",
    "eggs",
    "taxidermy",
    "timber",
    "meat",
    "feathers",
    "other",
)
_MATCHES = ("word", "substring")
_ACCENTS = ("plain", "exact")
# Scientific names from the checklist are specific, but plant names (orchids, cacti,
# ginseng) name mostly legal, permitted trade; they count for less than animals.
_CHECKLIST_WEIGHT = MappingProxyType({"Animalia": 0.8, "Plantae": 0.5})

Match = Literal["auto", "word", "substring"]
Accents = Literal["plain", "exact"]


@dataclass(frozen=True, slots=True)
class Term:
    """One thing to look for in listing text, and what finding it means."""

    term: str
    lang: str
    kind: str
    concept: str
    weight: float
    implies: str | None = None
    needs_species: bool = False
    # A generic look-alike word ("colour", 颜色, "warna") that says the goods are only
    # coloured like wildlife when it stands next to a wildlife word ("warna ivory");
    # alone it is the colour of anything ("颜色正", "warna merah bagus").
    needs_goods: bool = False
    # A negation written after the word it denies (Japanese ではない), not before it.
    follows: bool = False
    match: Match = "auto"
    accents: Accents = "plain"
    family: str | None = None
    # A look-alike whose honest name sellers also use as a code word ("os de bœuf"
    # for ivory): the code-word concept it stands for when the listing supports it.
    cover_for: str | None = None


@dataclass(frozen=True, slots=True)
class SpeciesInfo:
    """A species (or group) the classifier can name, with its CITES appendix."""

    key: str
    name: str
    scientific_name: str | None
    cites_appendix: str | None
    weight: float
    risk: float | None = None
    products: tuple[str, ...] = ()
    note: str | None = None


@dataclass(frozen=True, slots=True)
class Lexicon:
    """All terms and species of one data directory, validated."""

    terms: tuple[Term, ...]
    species: Mapping[str, SpeciesInfo]
    tables: FoldTables
    data_dir: Path

    @classmethod
    def load(cls, data_dir: str | Path | None = None) -> Lexicon:
        """Load every data file under `data_dir` (default: the shipped ``classifiers/data``)."""
        root = Path(data_dir) if data_dir is not None else DATA_DIR
        if not root.is_dir():
            raise LexiconError(f"{root}: data directory not found")
        tables = FoldTables.from_file(root / FOLD_FILE)
        species, species_terms = _load_species(root / SPECIES_FILE)
        terms = list(_load_terms(root / TERMS_FILE, species))
        codes = {t.concept for t in terms if t.kind == "code_word"}
        for t in terms:
            if t.cover_for is not None and t.cover_for not in codes:
                raise _fail(
                    root / TERMS_FILE, None, f"{t.term!r}: 'cover_for' names no code-word concept"
                )
        curated_names = {t.term.casefold() for t in species_terms if t.lang == "la"}
        updates = _load_updates(root / UPDATES_FILE)
        checklist_species, checklist_terms = _load_checklist(
            root / CHECKLIST_FILE, curated_names, updates
        )
        common_species, common_terms = _load_common_names(
            root, species_terms, terms, checklist_species, updates
        )
        return cls(
            terms=tuple(species_terms + terms + checklist_terms + common_terms),
            species=MappingProxyType({**checklist_species, **common_species, **species}),
            tables=tables,
            data_dir=root,
        )

    def counts_by_lang(self, *, include_checklist: bool = False) -> dict[str, int]:
        """How many terms each language has (checklist names are ``la``)."""
        counts = Counter(
            t.lang for t in self.terms if include_checklist or not t.concept.startswith("cites:")
        )
        return dict(counts.most_common())


def _fail(path: Path, line: int | None, problem: str) -> LexiconError:
    where = f"{path}:{line}" if line else str(path)
    return LexiconError(f"{where}: {problem}")


def _weight(value: Any, path: Path, line: int | None, field: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        raise _fail(path, line, f"{field!r} must be a number from 0 to 1, got {value!r}")
    return float(value)


def _term_options(obj: Mapping[str, Any], path: Path, line: int | None) -> dict[str, Any]:
    options: dict[str, Any] = {}
    if "match" in obj:
        if obj["match"] not in _MATCHES:
            raise _fail(path, line, f"'match' must be one of {_MATCHES}, got {obj['match']!r}")
        options["match"] = obj["match"]
    if "accents" in obj:
        if obj["accents"] not in _ACCENTS:
            raise _fail(path, line, f"'accents' must be one of {_ACCENTS}, got {obj['accents']!r}")
        options["accents"] = obj["accents"]
    return options


def _load_terms(path: Path, species: Mapping[str, SpeciesInfo]) -> Iterator[Term]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise _fail(path, None, f"cannot read terms ({exc.strerror})") from exc
    allowed = {
        "term",
        "lang",
        "kind",
        "concept",
        "weight",
        "implies",
        "needs_species",
        "needs_goods",
        "follows",
        "match",
        "accents",
        "family",
        "cover_for",
    }
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise _fail(path, number, f"not valid JSON ({exc.msg})") from exc
        if not isinstance(obj, dict):
            raise _fail(path, number, "expected a JSON object")
        unknown = set(obj) - allowed
        if unknown:
            raise _fail(path, number, f"unknown field(s) {sorted(unknown)}")
        for field in ("term", "lang", "kind", "concept"):
            if not isinstance(obj.get(field), str) or not obj[field].strip():
                raise _fail(path, number, f"{field!r} must be a non-empty string")
        if obj["kind"] not in KINDS or obj["kind"] == "species":
            raise _fail(path, number, f"'kind' must be one of {KINDS[1:]}, got {obj['kind']!r}")
        implies = obj.get("implies")
        if implies is not None and implies not in species:
            raise _fail(path, number, f"'implies' names unknown species {implies!r}")
        needs_species = obj.get("needs_species", False)
        if not isinstance(needs_species, bool):
            raise _fail(path, number, "'needs_species' must be true or false")
        needs_goods = obj.get("needs_goods", False)
        if not isinstance(needs_goods, bool) or (needs_goods and obj["kind"] != "lookalike"):
            raise _fail(path, number, "'needs_goods' must be true or false, on a lookalike term")
        follows = obj.get("follows", False)
        if not isinstance(follows, bool) or (follows and obj["kind"] != "negation"):
            raise _fail(path, number, "'follows' must be true or false, on a negation term")
        family = obj.get("family")
        if family is not None and (obj["kind"] != "product" or family not in FAMILIES):
            raise _fail(path, number, f"'family' must be one of {FAMILIES} on a product term")
        cover_for = obj.get("cover_for")
        if cover_for is not None and (
            obj["kind"] != "lookalike" or not isinstance(cover_for, str) or not cover_for
        ):
            raise _fail(path, number, "'cover_for' names a code-word concept, on a lookalike term")
        yield Term(
            term=obj["term"],
            lang=obj["lang"],
            kind=obj["kind"],
            concept=obj["concept"],
            weight=_weight(obj.get("weight"), path, number, "weight"),
            implies=implies,
            needs_species=needs_species,
            needs_goods=needs_goods,
            follows=follows,
            family=family,
            cover_for=cover_for,
            **_term_options(obj, path, number),
        )


def _load_species(path: Path) -> tuple[dict[str, SpeciesInfo], list[Term]]:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise _fail(path, None, f"cannot read species ({exc.strerror})") from exc
    except json.JSONDecodeError as exc:
        raise _fail(path, exc.lineno, f"not valid JSON ({exc.msg})") from exc
    entries = raw.get("species") if isinstance(raw, dict) else None
    if not isinstance(entries, list):
        raise _fail(path, None, "expected an object with a 'species' list")
    species: dict[str, SpeciesInfo] = {}
    terms: list[Term] = []
    for index, entry in enumerate(entries):
        where = f"species[{index}]"
        if not isinstance(entry, dict) or not isinstance(entry.get("key"), str):
            raise _fail(path, None, f"{where}: needs a string 'key'")
        key = entry["key"]
        if key in species:
            raise _fail(path, None, f"{where}: duplicate key {key!r}")
        if not isinstance(entry.get("name"), str):
            raise _fail(path, None, f"{where} ({key}): needs a string 'name'")
        appendix = entry.get("cites_appendix")
        if appendix is not None and not isinstance(appendix, str):
            raise _fail(path, None, f"{where} ({key}): 'cites_appendix' must be a string or null")
        weight = _weight(entry.get("weight"), path, None, f"{where}.weight")
        risk = entry.get("risk")
        species[key] = SpeciesInfo(
            key=key,
            name=entry["name"],
            scientific_name=entry.get("scientific_name"),
            cites_appendix=appendix,
            weight=weight,
            risk=None if risk is None else _weight(risk, path, None, f"{where}.risk"),
            products=tuple(entry.get("products", ())),
            note=entry.get("note"),
        )
        names = entry.get("names")
        if not isinstance(names, dict) or not names:
            raise _fail(path, None, f"{where} ({key}): needs a 'names' object by language")
        for lang, items in names.items():
            if not isinstance(items, list):
                raise _fail(path, None, f"{where} ({key}): names[{lang!r}] must be a list")
            for item in items:
                obj = {"term": item} if isinstance(item, str) else item
                if not isinstance(obj, dict) or not isinstance(obj.get("term"), str):
                    raise _fail(path, None, f"{where} ({key}): bad name {item!r} in {lang!r}")
                terms.append(
                    Term(
                        term=obj["term"],
                        lang=lang,
                        kind="species",
                        concept=key,
                        weight=_weight(obj.get("weight", weight), path, None, f"{where}.names"),
                        **_term_options(obj, path, None),
                    )
                )
    return species, terms


def _load_updates(path: Path) -> dict[str, tuple[str, str]]:
    """Listing changes since the checklist export: name -> (appendix, kingdom)."""
    if not path.exists():
        return {}
    updates: dict[str, tuple[str, str]] = {}
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise _fail(path, None, f"cannot read listing updates ({exc.strerror})") from exc
    for number, line in enumerate(lines, start=1):
        if not line or line.startswith("#"):
            continue
        fields = line.split("\t")
        if len(fields) != 5 or not all(f.strip() for f in fields[:4]):
            raise _fail(path, number, "expected 'name<TAB>appendix<TAB>kingdom<TAB>since<TAB>note'")
        name, appendix, kingdom = fields[0], fields[1], fields[2]
        if not _APPENDIX_RE.match(appendix):
            raise _fail(path, number, f"unknown appendix {appendix!r}")
        updates[name] = (appendix, kingdom)
    return updates


_APPENDIX_RE = re.compile(r"^(I|II|III)(/(I|II|III|NC))*$")


def _load_checklist(
    path: Path, curated: set[str], updates: Mapping[str, tuple[str, str]] | None = None
) -> tuple[dict[str, SpeciesInfo], list[Term]]:
    updates = updates or {}
    species: dict[str, SpeciesInfo] = {}
    terms: list[Term] = []

    def add(name: str, appendix: str, kingdom: str) -> None:
        key = f"cites:{name}"
        weight = _CHECKLIST_WEIGHT.get(kingdom, 0.5)
        species[key] = SpeciesInfo(
            key=key, name=name, scientific_name=name, cites_appendix=appendix, weight=weight
        )
        terms.append(Term(term=name, lang="la", kind="species", concept=key, weight=weight))

    if path.exists():
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise _fail(path, None, f"cannot read checklist ({exc.strerror})") from exc
        for number, line in enumerate(lines, start=1):
            if not line or line.startswith("#"):
                continue
            fields = line.split("\t")
            if len(fields) != 3:
                raise _fail(path, number, "expected 'name<TAB>appendix<TAB>kingdom'")
            name, appendix, kingdom = fields
            if name.casefold() in curated:
                continue
            add(name, updates.get(name, (appendix, kingdom))[0], kingdom)
    elif not updates:
        # The checklist widens coverage but is optional: a data directory without it
        # still classifies with the curated species.
        return {}, []
    for name, (appendix, kingdom) in updates.items():
        # Taxa listed since the export (requiem sharks, glass frogs ...).
        if name.casefold() not in curated and f"cites:{name}" not in species:
            add(name, appendix, kingdom)
    return species, terms


# -- common names from the checklist ---------------------------------------------------

_WORD_RE = re.compile(r"[^\W\d_]+")


def _name_key(text: str) -> str:
    """Casefolded, accent-free, words only: how common names are compared."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(_WORD_RE.findall(plain))


@dataclass(frozen=True, slots=True)
class _CommonNameRules:
    langs: tuple[str, ...]
    weights: Mapping[str, float]
    single: Mapping[str, frozenset[str]]
    generic: frozenset[str]
    deny: frozenset[str]
    plant_genera: frozenset[str]

    @classmethod
    def from_file(cls, path: Path) -> _CommonNameRules:
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise _fail(path, None, f"cannot read common-name rules ({exc.strerror})") from exc
        except json.JSONDecodeError as exc:
            raise _fail(path, exc.lineno, f"not valid JSON ({exc.msg})") from exc
        if not isinstance(raw, dict):
            raise _fail(path, None, "expected a JSON object")

        def words(value: Any, field: str) -> frozenset[str]:
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise _fail(path, None, f"{field!r} must be a list of strings")
            return frozenset(_name_key(v) for v in value)

        weights = raw.get("weights")
        if not isinstance(weights, dict) or set(weights) != {
            "distinct",
            "generic",
            "single",
            "plant",
        }:
            raise _fail(path, None, "'weights' needs distinct, generic, single and plant")
        single = raw.get("single_allow")
        if not isinstance(single, dict):
            raise _fail(path, None, "'single_allow' must map languages to lists")
        langs = raw.get("langs")
        if not isinstance(langs, list) or not set(langs) <= {"en", "es", "fr"}:
            raise _fail(path, None, "'langs' must list some of en, es, fr")
        return cls(
            langs=tuple(langs),
            weights={k: _weight(v, path, None, f"weights.{k}") for k, v in weights.items()},
            single={lang: words(v, f"single_allow.{lang}") for lang, v in single.items()},
            generic=words(raw.get("generic_words"), "generic_words"),
            deny=words(raw.get("deny"), "deny"),
            plant_genera=frozenset(words(raw.get("plant_genera"), "plant_genera")),
        )


def _load_common_names(
    root: Path,
    species_terms: list[Term],
    terms: list[Term],
    checklist: Mapping[str, SpeciesInfo],
    updates: Mapping[str, tuple[str, str]],
) -> tuple[dict[str, SpeciesInfo], list[Term]]:
    path, rules_path = root / NAMES_FILE, root / COMMON_NAMES_FILE
    if not path.exists() or not rules_path.exists():
        return {}, []
    rules = _CommonNameRules.from_file(rules_path)
    curated_keys = {t.term.casefold(): t.concept for t in species_terms if t.lang == "la"}
    taken = {_name_key(t.term) for t in species_terms} | {_name_key(t.term) for t in terms}
    # Curated names as word tuples: a common name containing one ("Indian pangolin")
    # is at least as strong, so it never weakens the curated name it hides.
    contained: dict[tuple[str, ...], float] = {}
    for t in species_terms:
        words = tuple(_name_key(t.term).split())
        if words and t.lang != "la":
            contained[words] = max(contained.get(words, 0.0), t.weight)
    curated_weight = {t.concept: t.weight for t in species_terms if t.lang == "la"}
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise _fail(path, None, f"cannot read common names ({exc.strerror})") from exc
    # name key -> (lang, written form, species key, weight), or None once ambiguous.
    found: dict[tuple[str, str], tuple[str, str, float] | None] = {}
    species: dict[str, SpeciesInfo] = {}
    columns = {"en": 5, "es": 6, "fr": 7}
    for number, line in enumerate(lines, start=1):
        if not line or line.startswith("#"):
            continue
        fields = line.split("\t")
        if len(fields) != 8:
            raise _fail(path, number, "expected 8 tab-separated columns")
        name, listing, kingdom = fields[0], fields[1], fields[2]
        genus = name.split(" ")[0].casefold()
        if kingdom != "Animalia" and genus not in rules.plant_genera:
            continue
        key = curated_keys.get(name.casefold())
        if key is None:
            key = f"cites:{name}"
            if key not in checklist:
                appendix = updates.get(name, (listing, kingdom))[0]
                weight = _CHECKLIST_WEIGHT.get(kingdom, 0.5)
                species[key] = SpeciesInfo(
                    key=key, name=name, scientific_name=name, cites_appendix=appendix, weight=weight
                )
        for lang in rules.langs:
            for written in fields[columns[lang]].split("|"):
                folded = _name_key(written)
                words = tuple(folded.split())
                if not words or folded in taken or folded in rules.deny:
                    continue
                if kingdom != "Animalia":
                    weight = rules.weights["plant"]
                elif len(words) == 1:
                    if folded not in rules.single.get(lang, frozenset()):
                        continue
                    weight = rules.weights["single"]
                elif all(w in rules.generic for w in words):
                    weight = rules.weights["generic"]
                else:
                    weight = rules.weights["distinct"]
                if key in curated_weight:
                    weight = max(weight, curated_weight[key])
                for size in range(1, len(words)):
                    for start in range(len(words) - size + 1):
                        weight = max(weight, contained.get(words[start : start + size], 0.0))
                slot = (lang, folded)
                previous = found.get(slot, ())
                if previous is None or (previous and previous[1] != key):
                    found[slot] = None  # two taxa share the name: too ambiguous to load
                elif not previous:
                    found[slot] = (written, key, weight)
    out: list[Term] = []
    for (lang, _), entry in found.items():
        if entry is None:
            continue
        written, key, weight = entry
        out.append(
            Term(
                term=written,
                lang=lang,
                kind="species",
                concept=key,
                weight=weight,
                accents="exact" if lang == "en" else "plain",
            )
        )
    used = {t.concept for t in out}
    return {k: v for k, v in species.items() if k in used}, out
