"""The embedded search index: SQLite FTS5 beside the store, in the same file.

Three derived tables (``idx_`` prefix; not managed by the migrations, rebuilt from
the store at will):

- ``idx_docs``: one row per listing with every filterable and sortable field; its
  integer key ``doc`` is also the full-text row's rowid, so a match joins by key;
- ``idx_facets``: the multi-valued fields (species, appendix, family), one row per
  value, keyed for both filtering (field, value) and counting (doc);
- ``idx_fts``: FTS5 over title, description, seller name and hashtags in the bigram
  form of `indexer.fts` (Chinese, Japanese, Thai found inside unspaced text), plus the
  single characters of those runs for one-character queries; diacritics folded.

`SqliteIndex` writes documents; `SqliteBackend` answers `SearchQuery`. Both work in
the session they are given, so the index commits or rolls back with the store.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, datetime
from hashlib import blake2b
from itertools import islice
from typing import Any, Final

from sqlalchemy import Connection, text
from sqlalchemy.orm import Session

from indexer.errors import StoreError
from indexer.fts import TOKENIZER, index_terms, match_expression, single_units
from indexer.search.build import documents_for, iter_documents
from indexer.search.document import SearchDocument
from indexer.search.highlight import Highlighter
from indexer.search.query import BackendHit, BackendResult, FacetBucket, SearchQuery

__all__ = [
    "FACET_BUCKETS",
    "SCHEMA_VERSION",
    "SqliteBackend",
    "SqliteIndex",
    "create_tables",
    "drop_tables",
    "ensure_index",
]

logger = logging.getLogger(__name__)

#: Bumped whenever the derived tables change shape; an index of another version is rebuilt.
SCHEMA_VERSION: Final = 2
#: Values counted per facet, the most frequent first (as on Elasticsearch).
FACET_BUCKETS: Final = 100
_BATCH = 1000
# bm25 weights per FTS column: a word in the title counts most, a lone character least,
# the filter tags not at all.
_WEIGHTS = "4.0, 1.0, 1.0, 2.0, 0.5, 0.0"
_TEXT_COLUMNS: Final = ("title", "description", "seller", "hashtags")

# Multi-valued fields live in idx_facets under a small integer code.
_MULTI: Final = {"species": 1, "appendix": 2, "family": 3}
# Single-valued filters and facets, named as idx_docs columns.
_SINGLE: Final = (
    "platform",
    "country",
    "language",
    "tier",
    "review_status",
    "seller_cluster",
    "repost_cluster",
    "currency",
)
_SORT_COLUMN: Final = {"risk": "d.risk", "date": "d.date", "price": "d.price"}
# Keyword filters are also written into the FTS row as tags, one letter per field, so
# FTS5 intersects words and filters in one pass over its posting lists.
_TAG_FIELDS: Final = {
    "platform": "p",
    "country": "c",
    "language": "l",
    "tier": "t",
    "review_status": "r",
    "seller_cluster": "s",
    "repost_cluster": "k",
    "currency": "u",
    "species": "e",
    "appendix": "a",
    "family": "f",
}
_FLAGGED, _ONLINE = "zzflagged", "zzonline"

_TABLES: Final = (
    "CREATE TABLE IF NOT EXISTS idx_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    """CREATE TABLE IF NOT EXISTS idx_docs (
        doc INTEGER PRIMARY KEY,
        listing_id TEXT NOT NULL UNIQUE,
        platform TEXT NOT NULL,
        country TEXT,
        language TEXT,
        tier TEXT NOT NULL,
        review_status TEXT NOT NULL,
        seller_cluster TEXT,
        repost_cluster TEXT,
        currency TEXT,
        risk REAL NOT NULL,
        flagged INTEGER NOT NULL,
        removed INTEGER NOT NULL,
        price REAL,
        date INTEGER
    )""",
    """CREATE TABLE IF NOT EXISTS idx_facets (
        doc INTEGER NOT NULL,
        field INTEGER NOT NULL,
        value TEXT NOT NULL,
        PRIMARY KEY (doc, field, value)
    ) WITHOUT ROWID""",
    "CREATE VIRTUAL TABLE IF NOT EXISTS idx_fts USING fts5("
    f"title, description, seller, hashtags, units, tags, tokenize = '{TOKENIZER}')",
)
# Secondary indexes, created after a bulk load (cheaper than keeping them up during it).
# Each serves "newest / riskiest / dearest first" without sorting when nothing else filters.
_INDEXES: Final = (
    "CREATE INDEX IF NOT EXISTS idx_docs_risk ON idx_docs (risk DESC, listing_id)",
    "CREATE INDEX IF NOT EXISTS idx_docs_date ON idx_docs (date DESC, listing_id)",
    "CREATE INDEX IF NOT EXISTS idx_docs_price ON idx_docs (price DESC, listing_id)",
)
_DERIVED: Final = ("idx_fts", "idx_facets", "idx_docs", "idx_meta")
# Before the search API the store kept a simpler full-text table; it is not used any more.
_LEGACY: Final = ("listing_fts",)


# -- Schema -------------------------------------------------------------------------------


def _version(conn: Connection) -> int | None:
    exists = conn.execute(
        text("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'idx_meta'")
    ).first()
    if exists is None:
        return None
    value = conn.execute(text("SELECT value FROM idx_meta WHERE key = 'schema'")).scalar()
    return int(value) if value is not None else None


def drop_tables(conn: Connection) -> None:
    """Drop the derived tables (and the pre-search-API ``listing_fts``)."""
    for name in (*_DERIVED, *_LEGACY):
        conn.execute(text(f"DROP TABLE IF EXISTS {name}"))


def create_tables(conn: Connection) -> bool:
    """Create the derived tables if missing; True when they were (re)made and are empty.

    An index made by another `SCHEMA_VERSION` is dropped and made again.
    """
    version = _version(conn)
    if version == SCHEMA_VERSION:
        return False
    drop_tables(conn)
    for statement in (*_TABLES, *_INDEXES):
        conn.execute(text(statement))
    conn.execute(
        text("INSERT INTO idx_meta (key, value) VALUES ('schema', :v)"), {"v": SCHEMA_VERSION}
    )
    return True


def ensure_index(conn: Connection) -> int | None:
    """Create the tables; when they are new and the store holds listings, fill them.

    Returns the number of documents indexed, or None when the index was already there.
    """
    if not create_tables(conn):
        return None
    has_listings = conn.execute(text("SELECT 1 FROM listings LIMIT 1")).first() is not None
    if not has_listings:
        return 0
    with Session(bind=conn) as session:
        count = SqliteIndex(session).rebuild()
        session.flush()
    logger.info("search index built from the store: %d listing(s)", count)
    return count


# -- Writing ------------------------------------------------------------------------------


def _utc(value: datetime) -> datetime:
    # The store's naive datetimes are UTC.
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _epoch(value: datetime | None) -> int | None:
    return None if value is None else int(_utc(value).timestamp())


def _doc_values(doc: SearchDocument) -> tuple[Any, ...]:
    return (
        doc.id,
        doc.platform,
        doc.country,
        doc.language,
        doc.tier,
        doc.review_status,
        doc.seller_cluster,
        doc.repost_cluster,
        doc.currency,
        doc.risk,
        int(doc.flagged),
        int(doc.removed),
        doc.price,
        _epoch(doc.date),
    )


def _tag(code: str, value: str) -> str:
    # Hashed: a value may hold anything, a tag must survive the tokenizer whole.
    return f"zz{code}{blake2b(value.encode(), digest_size=8).hexdigest()}"


def _year_tag(year: int) -> str:
    return f"zzy{year:04d}"


def _month_tag(year: int, month: int) -> str:
    return f"zzm{year:04d}{month:02d}"


def _tags(doc: SearchDocument) -> str:
    tags: list[str] = []
    for name, code in _TAG_FIELDS.items():
        value = getattr(doc, name)
        for item in value if isinstance(value, list) else [value]:
            if item is not None:
                tags.append(_tag(code, item))
    if doc.flagged:
        tags.append(_FLAGGED)
    if not doc.removed:
        tags.append(_ONLINE)
    if doc.date is not None:
        day = _utc(doc.date)
        tags += [_year_tag(day.year), _month_tag(day.year, day.month)]
    return " ".join(tags)


def _fts_values(doc: SearchDocument) -> tuple[str, ...]:
    return (
        index_terms(doc.title),
        index_terms(doc.description),
        index_terms(doc.seller_name or ""),
        " ".join(index_terms(tag) for tag in doc.hashtags),
        single_units(f"{doc.title}\n{doc.description}"),
        _tags(doc),
    )


def _facet_rows(doc: SearchDocument, key: int) -> Iterator[tuple[int, int, str]]:
    for name, field in _MULTI.items():
        for value in dict.fromkeys(getattr(doc, name)):
            yield key, field, value


_DOC_COLUMNS = (
    "listing_id, platform, country, language, tier, review_status, seller_cluster, "
    "repost_cluster, currency, risk, flagged, removed, price, date"
)
_UPSERT_DOC = (
    f"INSERT INTO idx_docs ({_DOC_COLUMNS}) VALUES ({', '.join('?' * 14)}) "
    "ON CONFLICT (listing_id) DO UPDATE SET "
    + ", ".join(f"{c} = excluded.{c}" for c in _DOC_COLUMNS.split(", ")[1:])
)
_INSERT_DOC = f"INSERT INTO idx_docs (doc, {_DOC_COLUMNS}) VALUES ({', '.join('?' * 15)})"
_INSERT_FTS = (
    "INSERT INTO idx_fts (rowid, title, description, seller, hashtags, units, tags) "
    "VALUES (?, ?, ?, ?, ?, ?, ?)"
)
_INSERT_FACET = "INSERT OR IGNORE INTO idx_facets (doc, field, value) VALUES (?, ?, ?)"


def _driver(session: Session) -> sqlite3.Connection:
    if session.get_bind().dialect.name != "sqlite":
        raise StoreError(
            "the embedded search index needs a SQLite store; "
            "a PostgreSQL store searches through Elasticsearch"
        )
    # The session's own connection, so the index commits or rolls back with the store.
    driver = session.connection().connection.driver_connection
    assert isinstance(driver, sqlite3.Connection)
    return driver


def _doc_keys(cursor: sqlite3.Cursor, listing_ids: Sequence[str]) -> dict[str, int]:
    rows = cursor.execute(
        "SELECT listing_id, doc FROM idx_docs WHERE listing_id IN (SELECT value FROM json_each(?))",
        (json.dumps(list(listing_ids)),),
    )
    return dict(rows.fetchall())


def _batches(items: Iterable[SearchDocument], size: int) -> Iterator[list[SearchDocument]]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


class SqliteIndex:
    """Writes search documents into the derived tables, inside the caller's session."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def refresh(self, listing_ids: Iterable[str]) -> int:
        """Rebuild the documents of these listings from the store; ids it lacks leave the
        index. Idempotent: a second call with nothing changed changes nothing."""
        ids = list(dict.fromkeys(listing_ids))
        if not ids:
            return 0
        docs = documents_for(self.session, ids)
        found = {doc.id for doc in docs}
        gone = [i for i in ids if i not in found]
        if gone:
            self.remove(gone)
        return self.index_documents(docs)

    def remove(self, listing_ids: Iterable[str]) -> int:
        """Take these listings out of the index; unknown ids are ignored."""
        cursor = _driver(self.session).cursor()
        removed = 0
        ids = list(dict.fromkeys(listing_ids))
        for start in range(0, len(ids), _BATCH):
            keys = list(_doc_keys(cursor, ids[start : start + _BATCH]).values())
            if keys:
                rows = [(k,) for k in keys]
                cursor.executemany("DELETE FROM idx_fts WHERE rowid = ?", rows)
                cursor.executemany("DELETE FROM idx_facets WHERE doc = ?", rows)
                cursor.executemany("DELETE FROM idx_docs WHERE doc = ?", rows)
            removed += len(keys)
        return removed

    def index_documents(self, docs: Iterable[SearchDocument]) -> int:
        """Insert or replace documents (by listing id), a batch at a time."""
        cursor = _driver(self.session).cursor()
        count = 0
        for batch in _batches(docs, _BATCH):
            latest = {doc.id: doc for doc in batch}  # the last one given for an id wins
            batch = list(latest.values())
            ids = list(latest)
            old = list(_doc_keys(cursor, ids).values())
            if old:
                rows = [(k,) for k in old]
                cursor.executemany("DELETE FROM idx_fts WHERE rowid = ?", rows)
                cursor.executemany("DELETE FROM idx_facets WHERE doc = ?", rows)
            cursor.executemany(_UPSERT_DOC, [_doc_values(doc) for doc in batch])
            keys = _doc_keys(cursor, ids)
            cursor.executemany(_INSERT_FTS, [(keys[doc.id], *_fts_values(doc)) for doc in batch])
            cursor.executemany(
                _INSERT_FACET, [row for doc in batch for row in _facet_rows(doc, keys[doc.id])]
            )
            count += len(batch)
        return count

    def rebuild(self, progress: Callable[[int], None] | None = None) -> int:
        """Drop the index and build it again from every listing in the store."""
        conn = self.session.connection()
        drop_tables(conn)
        for statement in _TABLES:
            conn.execute(text(statement))
        cursor = _driver(self.session).cursor()
        count = 0
        for batch in _batches(iter_documents(self.session, batch_size=_BATCH), _BATCH):
            keys = range(count + 1, count + len(batch) + 1)
            cursor.executemany(
                _INSERT_DOC, [(k, *_doc_values(d)) for k, d in zip(keys, batch, strict=True)]
            )
            cursor.executemany(
                _INSERT_FTS, [(k, *_fts_values(d)) for k, d in zip(keys, batch, strict=True)]
            )
            cursor.executemany(
                _INSERT_FACET,
                [row for k, d in zip(keys, batch, strict=True) for row in _facet_rows(d, k)],
            )
            count += len(batch)
            if progress is not None:
                progress(count)
        for statement in _INDEXES:
            cursor.execute(statement)
        # One b-tree per term instead of one per batch: queries read fewer pages.
        cursor.execute("INSERT INTO idx_fts (idx_fts) VALUES ('optimize')")
        cursor.execute(
            "INSERT INTO idx_meta (key, value) VALUES ('schema', ?)", (str(SCHEMA_VERSION),)
        )
        cursor.execute("ANALYZE idx_docs")
        cursor.execute("ANALYZE idx_facets")
        return count


# -- Searching ----------------------------------------------------------------------------


def _months(first: datetime, last: datetime) -> list[str]:
    """Tags covering every month from `first` to `last`: whole years as year tags."""
    tags: list[str] = []
    year, month = first.year, first.month
    while (year, month) <= (last.year, last.month):
        if month == 1 and (year, 12) <= (last.year, last.month):
            tags.append(_year_tag(year))
            year += 1
        else:
            tags.append(_month_tag(year, month))
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return tags


class _Plan:
    """How to find a query's matches: one FTS5 expression for the words and the keyword
    filters, conditions on ``idx_docs`` for the rest, and the SQL that joins them."""

    def __init__(self, query: SearchQuery, date_span: tuple[int, int] | None) -> None:
        text = match_expression(query.text, columns=_TEXT_COLUMNS) if query.text.strip() else None
        self.has_text = text is not None
        #: Words were asked for but none survived (only punctuation): nothing matches.
        self.impossible = bool(query.text.strip()) and text is None
        terms = [f"({text})"] if text else []
        for name, code in _TAG_FIELDS.items():
            values = getattr(query, name)
            if values:
                terms.append("tags : (" + " OR ".join(f'"{_tag(code, v)}"' for v in values) + ")")
        if query.flagged:
            terms.append(f'tags : "{_FLAGGED}"')
        if query.online:
            terms.append(f'tags : "{_ONLINE}"')
        months = self._date_tags(query, date_span)
        if months is not None:
            if not months:
                self.impossible = True
            else:
                terms.append("tags : (" + " OR ".join(f'"{m}"' for m in months) + ")")
        self.match = " AND ".join(terms) or None

        conditions: list[tuple[str, Any]] = []
        if query.listing_ids:
            conditions.append(
                ("d.listing_id IN (SELECT value FROM json_each(?))", json.dumps(query.listing_ids))
            )
        # The month tags narrow the dates down; the exact bounds are checked here.
        for bound, op in ((query.date_from, ">="), (query.date_to, "<=")):
            if bound is not None:
                conditions.append((f"d.date {op} ?", _epoch(bound)))
        for price, op in ((query.price_min, ">="), (query.price_max, "<=")):
            if price is not None:
                conditions.append((f"d.price {op} ?", price))
        self.conditions = conditions

        where = [sql for sql, _ in conditions]
        params = [value for _, value in conditions]
        if self.match is None:
            self.source = "idx_docs d"
        elif query.listing_ids:
            # A few listings to check (a saved search run on new ones): start from them
            # and ask FTS5 about each, rather than walk every match of the words.
            self.source = "idx_docs d CROSS JOIN idx_fts ON idx_fts.rowid = d.doc"
            where.append("idx_fts MATCH ?")
            params.append(self.match)
        else:
            self.source = "idx_fts JOIN idx_docs d ON d.doc = idx_fts.rowid"
            where.insert(0, "idx_fts MATCH ?")
            params.insert(0, self.match)
        self.where = " AND ".join(where) or "1"
        self.params = params

    @staticmethod
    def _date_tags(query: SearchQuery, span: tuple[int, int] | None) -> list[str] | None:
        """Month and year tags a date range needs; None when it leaves nothing out."""
        if query.date_from is None and query.date_to is None:
            return None
        if span is None:  # an empty index
            return []
        low, high = span
        if query.date_from is not None:
            low = max(low, _epoch(query.date_from) or 0)
        if query.date_to is not None:
            high = min(high, _epoch(query.date_to) or 0)
        if low > high:
            return []
        if low <= span[0] and high >= span[1]:
            return None
        return _months(datetime.fromtimestamp(low, UTC), datetime.fromtimestamp(high, UTC))

    def count_sql(self) -> tuple[str, list[Any]]:
        if self.match is not None and not self.conditions:
            # Everything is in the FTS5 expression: count its matches without a join.
            return "SELECT count(*) FROM idx_fts WHERE idx_fts MATCH ?", [self.match]
        return f"SELECT count(*) FROM {self.source} WHERE {self.where}", self.params

    def order(self, query: SearchQuery) -> tuple[str, str]:
        """The ORDER BY clause and the score expression."""
        if query.sort == "relevance":
            if not self.has_text:
                return "d.listing_id ASC", "0.0"
            rank = f"bm25(idx_fts, {_WEIGHTS})"
            # bm25 is lower for better matches: best first is ascending.
            direction = "ASC" if query.descending else "DESC"
            return f"{rank} {direction}, d.listing_id ASC", f"-{rank}"
        column = _SORT_COLUMN[query.sort]
        if query.descending:
            # NULL sorts lowest in SQLite: last when descending, as wanted.
            return f"{column} DESC, d.listing_id ASC", "0.0"
        # Listings without a date or price come last either way (as on Elasticsearch).
        return f"{column} IS NULL, {column} ASC, d.listing_id ASC", "0.0"


def _bucket_order(item: tuple[str, int]) -> tuple[int, str]:
    return -item[1], item[0]


def _as_sqlite_error(exc: sqlite3.Error) -> StoreError:
    if "no such table: idx_" in str(exc):
        return StoreError("the search index is missing: run `wildwatch reindex` to build it")
    return StoreError(f"the search index could not answer: {exc}")


class SqliteBackend:
    """Answers `SearchQuery` from the embedded index, inside the caller's session."""

    name = "sqlite"

    def __init__(self, session: Session) -> None:
        self.session = session

    def search(self, query: SearchQuery) -> BackendResult:
        started = time.perf_counter()
        cursor = _driver(self.session).cursor()
        try:
            plan = _Plan(
                query, self._date_span(cursor) if query.date_from or query.date_to else None
            )
            if plan.impossible:
                return BackendResult(total=0, hits=[], facets={f: [] for f in query.facets})
            total = self._total(cursor, plan)
            hits = self._page(cursor, plan, query) if query.limit and total else []
            facets = self._facets(cursor, plan, query.facets) if query.facets else {}
        except sqlite3.Error as exc:
            raise _as_sqlite_error(exc) from exc
        if plan.has_text and hits:
            hits = self._highlight(cursor, hits, query.text)
        logger.debug("sqlite search took %.1f ms", (time.perf_counter() - started) * 1000)
        return BackendResult(total=total, hits=hits, facets=facets)

    @staticmethod
    def _date_span(cursor: sqlite3.Cursor) -> tuple[int, int] | None:
        low, high = cursor.execute("SELECT min(date), max(date) FROM idx_docs").fetchone()
        return None if low is None else (int(low), int(high))

    @staticmethod
    def _total(cursor: sqlite3.Cursor, plan: _Plan) -> int:
        sql, params = plan.count_sql()
        return int(cursor.execute(sql, params).fetchone()[0])

    @staticmethod
    def _page(cursor: sqlite3.Cursor, plan: _Plan, query: SearchQuery) -> list[BackendHit]:
        order, score = plan.order(query)
        rows = cursor.execute(
            f"SELECT d.listing_id, {score} FROM {plan.source} WHERE {plan.where} "
            f"ORDER BY {order} LIMIT ? OFFSET ?",
            [*plan.params, query.limit, query.offset],
        )
        return [BackendHit(listing_id=i, score=float(s)) for i, s in rows]

    @staticmethod
    def _facets(
        cursor: sqlite3.Cursor, plan: _Plan, facets: Sequence[str]
    ) -> dict[str, list[FacetBucket]]:
        single = [name for name in facets if name in _SINGLE]
        multi = [name for name in facets if name in _MULTI]
        # One statement: the matches are found once (materialised), then each facet is
        # counted over them.
        columns = "".join(f", d.{name}" for name in single)
        parts = [
            f"SELECT '{name}', {name}, count(*) FROM m WHERE {name} IS NOT NULL GROUP BY 2"
            for name in single
        ]
        if multi:
            fields = ", ".join(str(_MULTI[name]) for name in multi)
            parts.append(
                "SELECT f.field, f.value, count(*) FROM m JOIN idx_facets f ON f.doc = m.doc "
                f"WHERE f.field IN ({fields}) GROUP BY f.field, f.value"
            )
        statement = (
            f"WITH m AS MATERIALIZED (SELECT d.doc AS doc{columns} "
            f"FROM {plan.source} WHERE {plan.where}) " + " UNION ALL ".join(parts)
        )
        field_names = {code: name for name, code in _MULTI.items()}
        counts: dict[str, Counter[str]] = {name: Counter() for name in facets}
        for facet, value, count in cursor.execute(statement, plan.params):
            counts[field_names.get(facet, facet)][value] += count
        return {
            name: [
                FacetBucket(value=value, count=count)
                for value, count in sorted(counter.items(), key=_bucket_order)[:FACET_BUCKETS]
            ]
            for name, counter in counts.items()
        }

    @staticmethod
    def _highlight(
        cursor: sqlite3.Cursor, hits: list[BackendHit], query_text: str
    ) -> list[BackendHit]:
        highlighter = Highlighter(query_text)
        texts = {
            listing_id: (title, description or "")
            for listing_id, title, description in cursor.execute(
                "SELECT id, title, description FROM listings "
                "WHERE id IN (SELECT value FROM json_each(?))",
                (json.dumps([h.listing_id for h in hits]),),
            )
        }
        out = []
        for hit in hits:
            title, description = texts.get(hit.listing_id, ("", ""))
            found = {
                "title": highlighter.fragments(title, fragment_chars=None),
                "description": highlighter.fragments(description),
            }
            out.append(hit.model_copy(update={"highlights": {k: v for k, v in found.items() if v}}))
        return out
