"""Derive ``cites_checklist.txt`` from the CITES checklist export, and audit species.json.

Usage::

    python classifiers/data/build_species.py /path/to/index_of_cites_species.csv.gz

Writes one line per species-rank name listed in an appendix (accepted names, plus
animal synonyms, since sellers of reptiles and birds often use older names):
``Genus species<TAB>listing<TAB>kingdom``. Then prints, for each curated scientific
name, the checklist's listing next to the curated one, so a reviewer can see where the
curated data is newer than the export.

Source: Species+ / CITES Checklist, UNEP-WCMC / CITES Secretariat (see SOURCES.md).
The shipped classifier reads only the derived file; this script is not needed at run time.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import io
import json
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT_FILE = HERE / "cites_checklist.txt"
SPECIES_FILE = HERE / "species.json"
# Only these listings are kept; "NC" (not listed) and blanks are dropped.
_LISTED = re.compile(r"^(I|II|III)(/(I|II|III|NC))*$")
_BINOMIAL = re.compile(r"^[A-Z][a-z]+ [a-z][a-z-]+$")


def read_checklist(path: Path) -> dict[str, tuple[str, str]]:
    """Map each listed species-rank name to (listing, kingdom); accepted names win."""
    opener = gzip.open if path.suffix == ".gz" else open
    names: dict[str, tuple[str, str, bool]] = {}
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
            if not accepted and row["Kingdom"] != "Animalia":
                # Plant synonyms outnumber accepted plant names two to one and are
                # rarely what sellers write; animal synonyms (old genus names) are.
                continue
            if name in names and names[name][2] and not accepted:
                continue
            names[name] = (listing, row["Kingdom"], accepted)
    return {name: (listing, kingdom) for name, (listing, kingdom, _) in names.items()}


def write_checklist(names: dict[str, tuple[str, str]], source: Path) -> None:
    header = (
        "# Derived from the CITES checklist export (Species+ / CITES Checklist, UNEP-WCMC /\n"
        f"# CITES Secretariat), file {source.name}, by build_species.py. Listings are as of\n"
        "# that export; curated entries in species.json take precedence.\n"
        "# name<TAB>listing<TAB>kingdom\n"
    )
    body = "".join(f"{n}\t{lst}\t{k}\n" for n, (lst, k) in sorted(names.items()))
    OUT_FILE.write_text(header + body, encoding="utf-8")


def audit(names: dict[str, tuple[str, str]]) -> None:
    """Print curated appendices next to the checklist's, for names both know."""
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checklist", type=Path, help="index_of_cites_species CSV (.csv or .csv.gz)")
    parser.add_argument("--audit-only", action="store_true", help="do not rewrite the output")
    args = parser.parse_args(argv)
    names = read_checklist(args.checklist)
    if not args.audit_only:
        write_checklist(names, args.checklist)
        print(f"wrote {len(names)} names to {OUT_FILE}", file=sys.stderr)
    audit(names)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
