"""Loads the baseline's data files: terms, curated species, the CITES checklist, folding.

Everything the classifier knows lives under ``classifiers/data`` (see ``SOURCES.md``
there); this module turns those files into immutable :class:`Term` and
:class:`SpeciesInfo` records and refuses files it cannot trust, naming file and line.

- ``terms.jsonl``: one ``{"term", "lang", "kind", "concept", "weight", ...}`` per line;
  optional ``implies`` (a species key), ``needs_species`` (a part such as "bone" that
  says little without a species), ``match`` (``word`` or ``substring``) and
  ``accents`` (``exact``: the accents must match too).
- ``species.json``: curated species with CITES appendix and names per language; every
  name becomes a ``species`` term.
- ``cites_checklist.txt``: scientific names and appendices derived from the CITES
  checklist by ``build_species.py``; curated entries win where both name a taxon.
- ``fold.json``: the tables :mod:`classifiers.normalize` applies.
"""

from __future__ import annotations

import json
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
    "KINDS",
    "SPECIES_FILE",
    "TERMS_FILE",
    "Lexicon",
    "SpeciesInfo",
    "Term",
]

TERMS_FILE = "terms.jsonl"
SPECIES_FILE = "species.json"
CHECKLIST_FILE = "cites_checklist.txt"

#: Kinds a term may have. ``claim`` is a genuineness or legality claim ("real",
#: "with CITES permit"); ``news`` marks reporting rather than an offer.
KINDS = ("species", "product", "code_word", "trade_context", "lookalike", "claim", "news")
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
    match: Match = "auto"
    accents: Accents = "plain"


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
        curated_names = {t.term.casefold() for t in species_terms if t.lang == "la"}
        checklist_species, checklist_terms = _load_checklist(root / CHECKLIST_FILE, curated_names)
        return cls(
            terms=tuple(species_terms + terms + checklist_terms),
            species=MappingProxyType({**checklist_species, **species}),
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
        "match",
        "accents",
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
        yield Term(
            term=obj["term"],
            lang=obj["lang"],
            kind=obj["kind"],
            concept=obj["concept"],
            weight=_weight(obj.get("weight"), path, number, "weight"),
            implies=implies,
            needs_species=needs_species,
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


def _load_checklist(path: Path, curated: set[str]) -> tuple[dict[str, SpeciesInfo], list[Term]]:
    if not path.exists():
        # The checklist widens coverage but is optional: a data directory without it
        # still classifies with the curated species.
        return {}, []
    species: dict[str, SpeciesInfo] = {}
    terms: list[Term] = []
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
        key = f"cites:{name}"
        weight = _CHECKLIST_WEIGHT.get(kingdom, 0.5)
        species[key] = SpeciesInfo(
            key=key, name=name, scientific_name=name, cites_appendix=appendix, weight=weight
        )
        terms.append(Term(term=name, lang="la", kind="species", concept=key, weight=weight))
    return species, terms
