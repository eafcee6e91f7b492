"""Builds search documents from the store of record: one per listing, for every backend.

A document joins what the store holds about a listing (its row, the classifier's
verdict, the latest reviewer verdict, the takedown record, its clusters) into the flat
`SearchDocument` both backends index. Reading in batches keeps a rebuild of a million
listings to a few thousand queries.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from functools import cache, lru_cache
from types import MappingProxyType
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, object_session

from classifiers.lexicon import FAMILIES, TERMS_FILE
from classifiers.normalize import DATA_DIR, normalize
from indexer.models import ClassificationRow, ListingRow, ReviewRow, TakedownRow
from indexer.search.country import country_of
from indexer.search.document import SearchDocument

__all__ = [
    "REVIEW_STATUS",
    "document_for",
    "documents_for",
    "iter_documents",
    "latest_verdicts",
    "product_families",
]

#: A reviewer's latest verdict -> the document's review status (none: ``unreviewed``).
REVIEW_STATUS: Mapping[str, str] = MappingProxyType(
    {"confirm": "confirmed", "dismiss": "dismissed"}
)
_APPENDICES = ("I", "II", "III")
# Reason kinds whose term names a product (an emoji may stand for one: 🐘 -> ivory).
_PRODUCT_KINDS = ("product", "emoji")
# Code words for a product are lexicon concepts named "<family>_code" (ivory_code, ...).
_CODE_SUFFIX = "_code"
# Bind-parameter lists stay well under SQLite's and PostgreSQL's limits.
_CHUNK = 900


@lru_cache(maxsize=65_536)
def _fold(term: str) -> str:
    # Reason terms repeat across listings; folding one costs ~0.2 ms.
    return " ".join(normalize(term).plain.split())


@cache
def product_families() -> Mapping[str, tuple[str, ...]]:
    """Folded product term (or code word) -> the product families it names.

    Read once per process from the classifier's shipped terms file (validated when the
    classifier loads it): product terms carry their family, and a code word for a
    product (concept ``ivory_code``) names it too. Only that file is read, not the whole
    lexicon with its CITES checklist, which costs seconds.
    """
    found: dict[str, set[str]] = {}
    for line in (DATA_DIR / TERMS_FILE).read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        term = json.loads(line)
        family = term.get("family")
        concept = str(term.get("concept", ""))
        if family is None and term.get("kind") == "code_word" and concept.endswith(_CODE_SUFFIX):
            candidate = concept.removesuffix(_CODE_SUFFIX)
            family = candidate if candidate in FAMILIES else None
        if family in FAMILIES:
            found.setdefault(_fold(str(term["term"])), set()).add(family)
    return MappingProxyType({key: tuple(sorted(value)) for key, value in found.items()})


def _families(reasons: Sequence[Mapping[str, Any]]) -> list[str]:
    table = product_families()
    families: list[str] = []
    for reason in reasons:
        if reason.get("kind") not in (*_PRODUCT_KINDS, "code_word"):
            continue
        for family in table.get(_fold(str(reason.get("term", ""))), ()):
            if family not in families:
                families.append(family)
    return families


def _species(matches: Sequence[Mapping[str, Any]]) -> tuple[list[str], list[str]]:
    names: list[str] = []
    appendices: set[str] = set()
    for match in matches:
        name = match.get("scientific_name") or match.get("name")
        if name and name not in names:
            names.append(str(name))
        # "I/II" (split listings) and "II/NC" (partly not covered): every listed part counts.
        for part in str(match.get("cites_appendix") or "").upper().replace(" ", "").split("/"):
            if part in _APPENDICES:
                appendices.add(part)
    return names, [a for a in _APPENDICES if a in appendices]


def _aware(value: datetime | None) -> datetime | None:
    # SQLite hands back naive datetimes; everything in the store is UTC.
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def _document(
    row: Mapping[str, Any],
    *,
    review_status: str,
    removed: bool,
) -> SearchDocument:
    species, appendix = _species(row["species"] or [])
    hashtags = row["hashtags"] or []
    # The store validated all of this on the way in; skipping validation halves the cost
    # of a rebuild's document step.
    return SearchDocument.model_construct(
        id=row["id"],
        platform=row["platform"],
        url=row["url"],
        title=row["title"],
        description=row["description"] or "",
        seller_id=row["seller_id"],
        seller_name=row["seller_name"],
        hashtags=[str(tag) for tag in hashtags],
        language=row["language"],
        country=country_of(row["location"], row["currency"]),
        species=species,
        appendix=appendix,
        family=_families(row["reasons"] or []),
        tier=row["tier"] or "none",
        risk=row["risk"] or 0.0,
        flagged=bool(row["flagged"]),
        review_status=review_status,
        seller_cluster=row["seller_cluster"],
        repost_cluster=row["repost_cluster"],
        price=row["price"],
        currency=row["currency"],
        date=_aware(row["posted_at"]) or _aware(row["first_seen"]),
        last_seen=_aware(row["last_seen"]),
        removed=removed,
    )


_LISTING_COLUMNS = (
    ListingRow.id,
    ListingRow.platform,
    ListingRow.url,
    ListingRow.title,
    ListingRow.description,
    ListingRow.seller_id,
    ListingRow.seller_name,
    ListingRow.hashtags,
    ListingRow.language,
    ListingRow.location,
    ListingRow.price,
    ListingRow.currency,
    ListingRow.posted_at,
    ListingRow.first_seen,
    ListingRow.last_seen,
    ListingRow.repost_cluster,
    ListingRow.seller_cluster,
)


def _listing_select() -> Select[Any]:
    # Plain columns, not ORM objects: a rebuild reads every listing, and this is ~5x faster.
    return (
        select(
            *_LISTING_COLUMNS,
            ClassificationRow.species,
            ClassificationRow.reasons,
            ClassificationRow.tier,
            ClassificationRow.risk,
            ClassificationRow.flagged,
            TakedownRow.removed_at,
        )
        .outerjoin(ClassificationRow, ClassificationRow.listing_id == ListingRow.id)
        .outerjoin(TakedownRow, TakedownRow.listing_id == ListingRow.id)
    )


def document_for(row: ListingRow, *, review_status: str) -> SearchDocument:
    """The document of one listing row (its classification and takedown read through it)."""
    c = row.classification
    takedown = _takedown_of(row)
    values = {column.key: getattr(row, column.key) for column in _LISTING_COLUMNS}
    values |= {
        "species": c.species if c else [],
        "reasons": c.reasons if c else [],
        "tier": c.tier if c else None,
        "risk": c.risk if c else None,
        "flagged": c.flagged if c else False,
    }
    return _document(
        values,
        review_status=review_status,
        removed=takedown is not None and takedown.removed_at is not None,
    )


def _takedown_of(row: ListingRow) -> TakedownRow | None:
    session = object_session(row)
    return session.get(TakedownRow, row.id) if session is not None else None


def latest_verdicts(session: Session, listing_ids: Sequence[str]) -> dict[str, str]:
    """Review status of each listing that has a verdict (the newest verdict counts)."""
    statuses: dict[str, str] = {}
    for start in range(0, len(listing_ids), _CHUNK):
        chunk = listing_ids[start : start + _CHUNK]
        newest = (
            select(func.max(ReviewRow.id))
            .where(ReviewRow.listing_id.in_(chunk))
            .group_by(ReviewRow.listing_id)
        )
        rows = session.execute(
            select(ReviewRow.listing_id, ReviewRow.verdict).where(ReviewRow.id.in_(newest))
        )
        for listing_id, verdict in rows:
            statuses[listing_id] = REVIEW_STATUS.get(verdict, "unreviewed")
    return statuses


def _documents(session: Session, rows: Sequence[Mapping[str, Any]]) -> list[SearchDocument]:
    statuses = latest_verdicts(session, [row["id"] for row in rows])
    return [
        _document(
            row,
            review_status=statuses.get(row["id"], "unreviewed"),
            removed=row["removed_at"] is not None,
        )
        for row in rows
    ]


def documents_for(session: Session, listing_ids: Iterable[str]) -> list[SearchDocument]:
    """Documents of the listings the store holds, in the order asked; missing ids are skipped."""
    wanted = list(dict.fromkeys(listing_ids))
    found: dict[str, SearchDocument] = {}
    for start in range(0, len(wanted), _CHUNK):
        chunk = wanted[start : start + _CHUNK]
        rows = session.execute(_listing_select().where(ListingRow.id.in_(chunk))).mappings()
        for doc in _documents(session, list(rows)):
            found[doc.id] = doc
    return [found[i] for i in wanted if i in found]


def iter_documents(session: Session, batch_size: int = 1000) -> Iterator[SearchDocument]:
    """Every listing's document, in id order, read `batch_size` listings at a time."""
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    after: str | None = None
    while True:
        stmt = _listing_select().order_by(ListingRow.id).limit(batch_size)
        if after is not None:
            stmt = stmt.where(ListingRow.id > after)
        rows = list(session.execute(stmt).mappings())
        if not rows:
            return
        yield from _documents(session, rows)
        after = rows[-1]["id"]
