"""Derive the checklist files from the CITES checklist export, and audit species.json.

Usage::

    python classifiers/data/build_species.py [/path/to/index_of_cites_species.csv.gz]
    python classifiers/data/build_species.py --audit-only

Without a path the export under ``../shared/data/cites/`` (next to the repository) is
used. Writes two files next to this script:

- ``cites_checklist.txt``: one line per species-rank name listed in an appendix
  (accepted names, plus animal synonyms, since sellers of reptiles and birds often use
  older names): ``Genus species<TAB>listing<TAB>kingdom``;
- ``cites_names.tsv``: one line per accepted, listed species with its class, synonyms
  (binomials, authors dropped) and English, Spanish and French common names, for
  ``lexicon.py`` to load the distinctive common names (see ``common_names.json``).

Then prints, for each curated scientific name, the checklist's listing next to the
curated one, and each entry of ``cites_updates.tsv`` next to the export's listing, so a
reviewer can see where the curated data is newer than the export.

Source: Species+ / CITES Checklist, UNEP-WCMC / CITES Secretariat (see SOURCES.md).
The shipped classifier reads only the derived files; this script is not needed at run time.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import io
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT_FILE = HERE / "cites_checklist.txt"
NAMES_FILE = HERE / "cites_names.tsv"
SPECIES_FILE = HERE / "species.json"
UPDATES_FILE = HERE / "cites_updates.tsv"
DEFAULT_EXPORT = (
    HERE.parents[2] / "shared" / "data" / "cites" / "index_of_cites_species_2017-04-21.csv.gz"
)
NAMES_COLUMNS = ("name", "listing", "kingdom", "class", "synonyms", "en", "es", "fr")
# Only these listings are kept; "NC" (not listed) and blanks are dropped.
_LISTED = re.compile(r"^(I|II|III)(/(I|II|III|NC))*$")
_BINOMIAL = re.compile(r"^[A-Z][a-z]+ [a-z][a-z-]+$")
_SYNONYM = re.compile(r"\b([A-Z][a-z]+ [a-z][a-z-]+)\b")


@dataclass(frozen=True, slots=True)
class Taxon:
    """One accepted, listed species of the export, with the fields cites_names.tsv keeps."""

    name: str
    listing: str
    kingdom: str
    klass: str
    synonyms: tuple[str, ...]
    en: tuple[str, ...]
    es: tuple[str, ...]
    fr: tuple[str, ...]


def _names(cell: str) -> tuple[str, ...]:
    """Split a comma-separated common-name cell, dropping blanks and duplicates."""
    seen: dict[str, None] = {}
    for part in cell.split(","):
        part = " ".join(part.replace("\t", " ").replace("|", " ").split())
        if part:
            seen.setdefault(part, None)
    return tuple(seen)


def _synonyms(cell: str, accepted: str) -> tuple[str, ...]:
    found = dict.fromkeys(m.group(1) for m in _SYNONYM.finditer(cell))
    found.pop(accepted, None)
    return tuple(found)


def read_export(path: Path) -> tuple[dict[str, tuple[str, str]], list[Taxon]]:
    """The checklist names (name -> (listing, kingdom); accepted names win) and taxa."""
    opener = gzip.open if path.suffix == ".gz" else open
    names: dict[str, tuple[str, str, bool]] = {}
    taxa: list[Taxon] = []
    with opener(path, "rb") as raw:
        rows = csv.DictReader(io.TextIOWrapper(raw, encoding="utf-8", newline=""))
        for row in rows:
            if row["RankName"] != "SPECIES":
                continue
            name = row["FullName"].strip()
            listing = row["CurrentListing"].strip()
            if not _BINOMIAL.match(name) or not _LISTED.match(listing):
                continue
            accepted = row["CitesAccepted"] == "true"
            if accepted:
                taxa.append(
                    Taxon(
                        name=name,
                        listing=listing,
                        kingdom=row["Kingdom"],
                        klass=row["Class"].strip(),
                        synonyms=_synonyms(row["SynonymsWithAuthors"], name),
                        en=_names(row["EnglishNames"]),
                        es=_names(row["SpanishNames"]),
                        fr=_names(row["FrenchNames"]),
                    )
                )
            if not accepted and row["Kingdom"] != "Animalia":
                # Plant synonyms outnumber accepted plant names two to one and are
                # rarely what sellers write; animal synonyms (old genus names) are.
                continue
            if name in names and names[name][2] and not accepted:
                continue
            names[name] = (listing, row["Kingdom"], accepted)
    checklist = {name: (listing, kingdom) for name, (listing, kingdom, _) in names.items()}
    return checklist, sorted(taxa, key=lambda t: t.name)


def read_checklist(path: Path) -> dict[str, tuple[str, str]]:
    """Map each listed species-rank name to (listing, kingdom); accepted names win."""
    return read_export(path)[0]


def _header(source: Path, what: str) -> str:
    return (
        "# Derived from the CITES checklist export (Species+ / CITES Checklist, UNEP-WCMC /\n"
        f"# CITES Secretariat), file {source.name}, by build_species.py. {what}\n"
        "# Listings are as of that export; cites_updates.tsv and the curated entries in\n"
        "# species.json take precedence.\n"
    )


def write_checklist(names: dict[str, tuple[str, str]], source: Path) -> None:
    header = _header(source, "Species-rank names.") + "# name<TAB>listing<TAB>kingdom\n"
    body = "".join(f"{n}\t{lst}\t{k}\n" for n, (lst, k) in sorted(names.items()))
    OUT_FILE.write_text(header + body, encoding="utf-8")


def write_names(taxa: list[Taxon], source: Path) -> None:
    """Write cites_names.tsv: lists within a column are separated by ``|``."""
    header = (
        _header(source, "Accepted listed species with common names.")
        + "# "
        + "\t".join(NAMES_COLUMNS)
        + "\n"
    )
    lines = [
        "\t".join(
            (
                t.name,
                t.listing,
                t.kingdom,
                t.klass,
                "|".join(t.synonyms),
                "|".join(t.en),
                "|".join(t.es),
                "|".join(t.fr),
            )
        )
        + "\n"
        for t in taxa
    ]
    NAMES_FILE.write_text(header + "".join(lines), encoding="utf-8")


def audit(names: dict[str, tuple[str, str]]) -> None:
    """Print curated appendices and listing updates next to the checklist's."""
    curated = json.loads(SPECIES_FILE.read_text(encoding="utf-8"))["species"]
    for entry in curated:
        for name in entry["names"].get("la", []):
            name = name if isinstance(name, str) else name["term"]
            binomial = name[:1].upper() + name[1:]
            if binomial in names:
                listing = names[binomial][0]
                mark = "" if listing == entry["cites_appendix"] else "   <- differs"
                print(
                    f"{entry['key']:22} {binomial:32} curated={entry['cites_appendix']!s:5} "
                    f"checklist={listing}{mark}"
                )
    if not UPDATES_FILE.exists():
        return
    for line in UPDATES_FILE.read_text(encoding="utf-8").splitlines():
        if not line or line.startswith("#"):
            continue
        name, appendix, _kingdom, since, _note = line.split("\t")
        before = names.get(name, ("not in export", ""))[0]
        print(f"{'update ' + since:22} {name:32} now={appendix:5} checklist={before}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument(
        "checklist",
        type=Path,
        nargs="?",
        default=DEFAULT_EXPORT,
        help="index_of_cites_species CSV (.csv or .csv.gz); default: the shared export",
    )
    parser.add_argument("--audit-only", action="store_true", help="do not rewrite the outputs")
    args = parser.parse_args(argv)
    if not args.checklist.exists():
        parser.error(f"{args.checklist}: not found")
    names, taxa = read_export(args.checklist)
    if not args.audit_only:
        write_checklist(names, args.checklist)
        write_names(taxa, args.checklist)
        print(f"wrote {len(names)} names to {OUT_FILE}", file=sys.stderr)
        print(f"wrote {len(taxa)} taxa to {NAMES_FILE}", file=sys.stderr)
    audit(names)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
