"""The embedded search index: SQLite FTS5 beside the store, in the same file.

Derived tables (``idx_`` prefix; not managed by the migrations, rebuilt from the store
at will):

- ``idx_docs``: one row per listing with every filterable and sortable field (the
  multi-valued ones packed into one column each); its integer key ``doc`` is also the
  full-text row's rowid, so a match joins by key;
- ``idx_fts``: FTS5 over title, description, seller name and hashtags in the bigram
  form of `indexer.fts` (Chinese, Japanese, Thai found inside unspaced text), the
  single characters of those runs for one-character queries, diacritics folded; and a
  ``tags`` column with the keyword filters as tags (see `indexer.search.sqlite_query`);
- ``idx_tag_docs``: how many documents carry each tag, for planning queries;
- ``idx_meta``: the schema version.

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
from itertools import islice
from typing import Any, Final

from sqlalchemy import Connection, text
from sqlalchemy.orm import Session

from indexer.errors import StoreError
from indexer.fts import TOKENIZER, index_terms, single_units
from indexer.search import sqlite_query
from indexer.search.build import documents_for, iter_documents
from indexer.search.document import SearchDocument
from indexer.search.highlight import Highlighter
from indexer.search.query import BackendHit, BackendResult, FacetBucket, SearchQuery
from indexer.search.sqlite_query import (
    ALL_DOCS,
    MULTI_FIELDS,
    Plan,
    doc_tags,
    epoch,
    pack,
    query_tags,
    unpack,
)

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
SCHEMA_VERSION: Final = 4
#: Values counted per facet, the most frequent first (as on Elasticsearch).
FACET_BUCKETS: Final = 100
_BATCH = 1000

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
        species TEXT,
        appendix TEXT,
        family TEXT,
        risk REAL NOT NULL,
        flagged INTEGER NOT NULL,
        removed INTEGER NOT NULL,
        price REAL,
        date INTEGER
    )""",
    "CREATE TABLE IF NOT EXISTS idx_tag_docs (tag TEXT PRIMARY KEY, docs INTEGER NOT NULL)",
    "CREATE VIRTUAL TABLE IF NOT EXISTS idx_fts USING fts5("
    f"title, description, seller, hashtags, units, tags, tokenize = '{TOKENIZER}')",
)
# Secondary indexes, created after a bulk load (cheaper than keeping them up during it).
# Each gives "riskiest / newest / dearest first" without sorting (see sqlite_query).
_INDEXES: Final = (
    "CREATE INDEX IF NOT EXISTS idx_docs_risk ON idx_docs (risk DESC, listing_id)",
    "CREATE INDEX IF NOT EXISTS idx_docs_date ON idx_docs (date DESC, listing_id)",
    "CREATE INDEX IF NOT EXISTS idx_docs_price ON idx_docs (price DESC, listing_id)",
)
_DERIVED: Final = ("idx_fts", "idx_tag_docs", "idx_docs", "idx_meta")
# Tables of earlier versions: the store's full-text table before the search API, and a
# facet table since folded into idx_docs.
_LEGACY: Final = ("listing_fts", "idx_facets")


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


def _create(conn: Connection, *, indexes: bool) -> None:
    for statement in (*_TABLES, *(_INDEXES if indexes else ())):
        conn.execute(text(statement))


def create_tables(conn: Connection) -> bool:
    """Create the derived tables if missing; True when they were (re)made and are empty.

    An index made by another `SCHEMA_VERSION` is dropped and made again.
    """
    if _version(conn) == SCHEMA_VERSION:
        return False
    drop_tables(conn)
    _create(conn, indexes=True)
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
        pack(doc.species),
        pack(doc.appendix),
        pack(doc.family),
        doc.risk,
        int(doc.flagged),
        int(doc.removed),
        doc.price,
        epoch(doc.date),
    )


def _fts_values(doc: SearchDocument, tags: list[str]) -> tuple[str, ...]:
    return (
        index_terms(doc.title),
        index_terms(doc.description),
        index_terms(doc.seller_name or ""),
        " ".join(index_terms(tag) for tag in doc.hashtags),
        single_units(f"{doc.title}\n{doc.description}"),
        " ".join(tags),
    )


_DOC_COLUMNS = (
    "listing_id, platform, country, language, tier, review_status, seller_cluster, "
    "repost_cluster, currency, species, appendix, family, risk, flagged, removed, price, date"
)
_UPSERT_DOC = (
    f"INSERT INTO idx_docs ({_DOC_COLUMNS}) VALUES ({', '.join('?' * 17)}) "
    "ON CONFLICT (listing_id) DO UPDATE SET "
    + ", ".join(f"{c} = excluded.{c}" for c in _DOC_COLUMNS.split(", ")[1:])
)
_INSERT_DOC = f"INSERT INTO idx_docs (doc, {_DOC_COLUMNS}) VALUES ({', '.join('?' * 18)})"
_INSERT_FTS = (
    "INSERT INTO idx_fts (rowid, title, description, seller, hashtags, units, tags) "
    "VALUES (?, ?, ?, ?, ?, ?, ?)"
)
_COUNT_TAGS = (
    "INSERT INTO idx_tag_docs (tag, docs) VALUES (?, ?) "
    "ON CONFLICT (tag) DO UPDATE SET docs = docs + excluded.docs"
)


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
            self._forget(cursor, keys, Counter())
            cursor.executemany("DELETE FROM idx_docs WHERE doc = ?", [(k,) for k in keys])
            removed += len(keys)
        return removed

    @staticmethod
    def _forget(cursor: sqlite3.Cursor, keys: list[int], tag_delta: Counter[str]) -> None:
        """Delete the FTS rows of `keys`, then apply the tag counts' change."""
        if keys:
            old = cursor.execute(
                "SELECT tags FROM idx_fts WHERE rowid IN (SELECT value FROM json_each(?))",
                (json.dumps(keys),),
            )
            for (tags,) in old.fetchall():
                tag_delta.subtract(tags.split())
            tag_delta[ALL_DOCS] -= len(keys)
            cursor.executemany("DELETE FROM idx_fts WHERE rowid = ?", [(k,) for k in keys])
        changes = [(tag, n) for tag, n in tag_delta.items() if n]
        if changes:
            cursor.executemany(_COUNT_TAGS, changes)

    def index_documents(self, docs: Iterable[SearchDocument]) -> int:
        """Insert or replace documents (by listing id), a batch at a time."""
        cursor = _driver(self.session).cursor()
        count = 0
        for batch in _batches(docs, _BATCH):
            latest = {doc.id: doc for doc in batch}  # the last one given for an id wins
            batch = list(latest.values())
            ids = list(latest)
            tags = {doc.id: doc_tags(doc) for doc in batch}
            added: Counter[str] = Counter(tag for doc_tags_ in tags.values() for tag in doc_tags_)
            added[ALL_DOCS] += len(batch)
            self._forget(cursor, list(_doc_keys(cursor, ids).values()), added)
            cursor.executemany(_UPSERT_DOC, [_doc_values(doc) for doc in batch])
            keys = _doc_keys(cursor, ids)
            cursor.executemany(
                _INSERT_FTS, [(keys[doc.id], *_fts_values(doc, tags[doc.id])) for doc in batch]
            )
            count += len(batch)
        return count

    def rebuild(self, progress: Callable[[int], None] | None = None) -> int:
        """Drop the index and build it again from every listing in the store."""
        conn = self.session.connection()
        drop_tables(conn)
        _create(conn, indexes=False)
        cursor = _driver(self.session).cursor()
        count = 0
        tag_docs: Counter[str] = Counter()
        for batch in _batches(iter_documents(self.session, batch_size=_BATCH), _BATCH):
            keys = range(count + 1, count + len(batch) + 1)
            tags = [doc_tags(doc) for doc in batch]
            for doc_tags_ in tags:
                tag_docs.update(doc_tags_)
            cursor.executemany(
                _INSERT_DOC, [(k, *_doc_values(d)) for k, d in zip(keys, batch, strict=True)]
            )
            cursor.executemany(
                _INSERT_FTS,
                [(k, *_fts_values(d, t)) for k, d, t in zip(keys, batch, tags, strict=True)],
            )
            count += len(batch)
            if progress is not None:
                progress(count)
        tag_docs[ALL_DOCS] = count
        cursor.executemany(_COUNT_TAGS, list(tag_docs.items()))
        for statement in _INDEXES:
            cursor.execute(statement)
        # One b-tree per term instead of one per batch: queries read fewer pages.
        cursor.execute("INSERT INTO idx_fts (idx_fts) VALUES ('optimize')")
        cursor.execute(
            "INSERT INTO idx_meta (key, value) VALUES ('schema', ?)", (str(SCHEMA_VERSION),)
        )
        cursor.execute("ANALYZE idx_docs")
        return count


# -- Searching ----------------------------------------------------------------------------


def _within_steps(
    cursor: sqlite3.Cursor, sql: str, params: list[Any], *, steps: int
) -> list[Any] | None:
    """The statement's rows, or None if it needed more than `steps` SQLite VM steps."""
    connection = cursor.connection
    # The handler runs every `steps` steps; answering 1 interrupts the statement (a read:
    # the transaction is untouched).
    connection.set_progress_handler(lambda: 1, steps)
    try:
        return cursor.execute(sql, params).fetchall()
    except sqlite3.OperationalError as exc:
        if "interrupt" not in str(exc):
            raise
        return None
    finally:
        connection.set_progress_handler(None, 0)


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
            plan = self._plan(cursor, query)
            if plan.impossible:
                return BackendResult(total=0, hits=[], facets={f: [] for f in query.facets})
            facets: dict[str, list[FacetBucket]] = {}
            if query.facets:
                # Counting facets visits every match anyway: the total comes with it.
                total, facets = self._facets(cursor, plan, query.facets)
            else:
                sql, params = plan.count()
                total = int(cursor.execute(sql, params).fetchone()[0])
            hits: list[BackendHit] = []
            if query.limit and total > query.offset:
                hits = self._page(cursor, plan, total)
            if plan.has_text and hits:
                hits = self._highlight(cursor, hits, query.text)
        except sqlite3.Error as exc:
            raise _as_sqlite_error(exc) from exc
        logger.debug("sqlite search took %.1f ms", (time.perf_counter() - started) * 1000)
        return BackendResult(total=total, hits=hits, facets=facets)

    @staticmethod
    def _plan(cursor: sqlite3.Cursor, query: SearchQuery) -> Plan:
        span = None
        if query.date_from is not None or query.date_to is not None:
            # Two statements: SQLite reads min() or max() alone from the index's ends.
            low = cursor.execute("SELECT min(date) FROM idx_docs").fetchone()[0]
            high = cursor.execute("SELECT max(date) FROM idx_docs").fetchone()[0]
            span = None if low is None else (int(low), int(high))
        wanted = [ALL_DOCS, *query_tags(query, span)]
        tag_docs = dict(
            cursor.execute(
                "SELECT tag, docs FROM idx_tag_docs WHERE tag IN (SELECT value FROM json_each(?))",
                (json.dumps(wanted),),
            ).fetchall()
        )
        return Plan(query, tag_docs, span)

    @staticmethod
    def _page(cursor: sqlite3.Cursor, plan: Plan, total: int) -> list[BackendHit]:
        query = plan.query
        top = plan.top_ranked()
        if top is not None:
            ranked = cursor.execute(*top).fetchall()
            wanted = query.offset + query.limit
            # Exact unless the first row past the page ties with the page's last one.
            if len(ranked) <= wanted or ranked[wanted][1] != ranked[wanted - 1][1]:
                keys = dict(
                    cursor.execute(
                        "SELECT doc, listing_id FROM idx_docs "
                        "WHERE doc IN (SELECT value FROM json_each(?))",
                        (json.dumps([doc for doc, _ in ranked[:wanted]]),),
                    ).fetchall()
                )
                sign = 1 if query.descending else -1
                rows = sorted(
                    ((keys[doc], rank) for doc, rank in ranked[:wanted] if doc in keys),
                    key=lambda row: (sign * row[1], row[0]),
                )
                return [BackendHit(listing_id=i, score=-r) for i, r in rows[query.offset :]]
        ordered = plan.ordered_page(total)
        if ordered is not None:
            rows = _within_steps(cursor, *ordered, steps=sqlite_query.SCAN_STEPS)
            if rows is not None:
                return [BackendHit(listing_id=i, score=float(s)) for i, s in rows]
        sql, params = plan.page()
        return [BackendHit(listing_id=i, score=float(s)) for i, s in cursor.execute(sql, params)]

    @staticmethod
    def _facets(
        cursor: sqlite3.Cursor, plan: Plan, facets: Sequence[str]
    ) -> tuple[int, dict[str, list[FacetBucket]]]:
        """Every match counted once, grouped by all the facets asked: (total, buckets)."""
        # tier is never NULL: grouping by it too makes the groups add up to the total.
        columns = list(dict.fromkeys(["tier", *facets]))
        source, where, params = plan.matches()
        select = ", ".join(f"d.{name}" for name in columns)
        rows = cursor.execute(
            f"SELECT {select}, count(*) FROM {source} WHERE {where} GROUP BY {select}", params
        )
        counts: dict[str, Counter[str]] = {name: Counter() for name in facets}
        total = 0
        for *values, count in rows:
            total += count
            for name, value in zip(columns, values, strict=True):
                if name not in counts or value is None:
                    continue
                if name in MULTI_FIELDS:
                    for item in unpack(value):
                        counts[name][item] += count
                else:
                    counts[name][value] += count
        buckets = {
            name: [
                FacetBucket(value=value, count=count)
                for value, count in sorted(counter.items(), key=_bucket_order)[:FACET_BUCKETS]
            ]
            for name, counter in counts.items()
        }
        return total, buckets

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
