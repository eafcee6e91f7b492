"""How the embedded index answers a `SearchQuery`: filter tags, and the plan that uses them.

Keyword filters (platform, tier, country, species, ...) and the month a listing is
dated are written into each FTS5 row as opaque tags, so one FTS5 expression can hold
the words *and* the filters, and FTS5 intersects their posting lists in C, skipping
ahead, instead of SQL visiting every listing that has the words. Counting matches and
counting facets use that expression.

Ranking is the exception: FTS5's ``bm25()`` first walks the whole posting list of every
phrase in the expression to weigh it, so a tag that most listings carry (the biggest
platform) would cost more there than it saves. For a ranked page, such a filter is
checked on ``idx_docs`` instead; `Plan` decides from the per-tag counts the index keeps.
Without words, a page sorted by risk, date or price walks the matching index of
``idx_docs`` in order when many listings match, and stops after one page; with words
and nothing but FTS5 conditions, the best-ranked rows are found by FTS5 alone and only
those are joined.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from hashlib import blake2b
from typing import Any, Final

from indexer.fts import match_expression
from indexer.search.document import SearchDocument
from indexer.search.query import SearchQuery

__all__ = [
    "ALL_DOCS",
    "MULTI_FIELDS",
    "Plan",
    "doc_tags",
    "epoch",
    "pack",
    "query_tags",
    "unpack",
]

#: FTS5 columns searched for words (``units`` is used for lone characters only).
TEXT_COLUMNS: Final = ("title", "description", "seller", "hashtags")
#: bm25 weights per FTS column: title counts most, a lone character least, tags nothing.
WEIGHTS: Final = "4.0, 1.0, 1.0, 2.0, 0.5, 0.0"
#: Multi-valued fields, kept in ``idx_docs`` as one text column each (see `pack`).
MULTI_FIELDS: Final = ("species", "appendix", "family")
_SEPARATOR: Final = "\x1f"
#: The tag-count row that holds the number of documents.
ALL_DOCS: Final = "*"
_FLAGGED: Final = "zzflagged"
# One letter per tagged field, so one value in two fields gives two tags.
_TAG_CODES: Final = {
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
_SORT_COLUMNS: Final = {"risk": "d.risk", "date": "d.date", "price": "d.price"}
# Indexes on idx_docs that give "riskiest / newest / dearest first", ties by id.
_ORDER_INDEXES: Final = {
    "relevance": "sqlite_autoindex_idx_docs_1",
    "risk": "idx_docs_risk",
    "date": "idx_docs_date",
    "price": "idx_docs_price",
}
# A filter most listings pass is checked on idx_docs for a ranked page (see above).
_RANK_TAG_SHARE: Final = 0.25
# Walk an idx_docs index in order when at least this many listings match. Matches may
# still sit far down the index (ids begin with the platform, risk follows the tier), so
# the walk gets a budget of SQLite VM steps (about 4 per entry; 100k is 10-50 ms) and,
# past it, gives way to the ordinary plan.
_ORDERED_SCAN_MATCHES: Final = 2_000
SCAN_STEPS: Final = 100_000


def epoch(value: datetime | None) -> int | None:
    """Seconds since 1970 in UTC (the store's naive datetimes are UTC)."""
    if value is None:
        return None
    value = value.replace(tzinfo=UTC) if value.tzinfo is None else value
    return int(value.timestamp())


def pack(values: Sequence[str]) -> str | None:
    """Several values as one column: separated, and enclosed, so ``instr`` finds one whole."""
    kept = [v.replace(_SEPARATOR, " ") for v in dict.fromkeys(values)]
    return f"{_SEPARATOR}{_SEPARATOR.join(kept)}{_SEPARATOR}" if kept else None


def unpack(value: str | None) -> list[str]:
    return value.strip(_SEPARATOR).split(_SEPARATOR) if value else []


def _tag(code: str, value: str) -> str:
    # Hashed: a value may hold anything, a tag must pass the tokenizer as one token.
    return f"zz{code}{blake2b(value.encode(), digest_size=8).hexdigest()}"


def _year_tag(year: int) -> str:
    return f"zzy{year:04d}"


def _month_tag(year: int, month: int) -> str:
    return f"zzm{year:04d}{month:02d}"


def doc_tags(doc: SearchDocument) -> list[str]:
    """The tags one document's FTS row carries."""
    tags: list[str] = []
    for name, code in _TAG_CODES.items():
        value = getattr(doc, name)
        for item in value if isinstance(value, list) else [value]:
            if item is not None:
                tags.append(_tag(code, item))
    if doc.flagged:
        tags.append(_FLAGGED)
    if doc.date is not None:
        day = datetime.fromtimestamp(epoch(doc.date) or 0, UTC)
        tags += [_year_tag(day.year), _month_tag(day.year, day.month)]
    return list(dict.fromkeys(tags))


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


@dataclass(frozen=True)
class _Filter:
    """One filter of the query: as FTS5 tags, and as a condition on idx_docs (None: the
    exact conditions cover it, as they do a date range)."""

    tags: tuple[str, ...]
    sql: str | None
    params: tuple[Any, ...] = ()

    @property
    def fts(self) -> str:
        return "tags : (" + " OR ".join(f'"{t}"' for t in self.tags) + ")"


def _filters(query: SearchQuery, date_span: tuple[int, int] | None) -> list[_Filter] | None:
    """The query's tag filters; None when one of them can match nothing."""
    found: list[_Filter] = []
    for name, code in _TAG_CODES.items():
        values: list[str] = getattr(query, name)
        if not values:
            continue
        tags = tuple(_tag(code, v) for v in values)
        if name in MULTI_FIELDS:
            sql = "(" + " OR ".join(f"instr(d.{name}, ?) > 0" for _ in values) + ")"
            found.append(_Filter(tags, sql, tuple(pack([v]) for v in values)))
        else:
            found.append(
                _Filter(tags, f"d.{name} IN ({', '.join('?' * len(values))})", tuple(values))
            )
    if query.flagged:
        found.append(_Filter((_FLAGGED,), "d.flagged = 1"))
    if query.date_from is not None or query.date_to is not None:
        if date_span is None:  # an empty index
            return None
        low, high = date_span
        if query.date_from is not None:
            low = max(low, epoch(query.date_from) or 0)
        if query.date_to is not None:
            high = min(high, epoch(query.date_to) or 0)
        if low > high:
            return None
        if low > date_span[0] or high < date_span[1]:
            # The exact bounds are checked on idx_docs in any case (see Plan).
            months = _months(datetime.fromtimestamp(low, UTC), datetime.fromtimestamp(high, UTC))
            found.append(_Filter(tuple(months), None))
    return found


def query_tags(query: SearchQuery, date_span: tuple[int, int] | None) -> list[str]:
    """Every tag a query's filters use (to look up how many documents carry each)."""
    return [tag for f in _filters(query, date_span) or [] for tag in f.tags]


@dataclass
class Plan:
    """The SQL for one query: its count, its page and the matches its facets count over."""

    query: SearchQuery
    #: Tag -> how many documents carry it; ``ALL_DOCS`` -> how many documents there are.
    tag_docs: Mapping[str, int]
    date_span: tuple[int, int] | None = None
    #: Nothing can match (no words survived, or a filter no document passes).
    impossible: bool = field(default=False, init=False)
    has_text: bool = field(default=False, init=False)
    _text: str | None = field(default=None, init=False)
    _filters: list[_Filter] = field(default_factory=list, init=False)
    _exact: list[tuple[str, Any]] = field(default_factory=list, init=False)

    def __post_init__(self) -> None:
        query = self.query
        if query.text.strip():
            self._text = match_expression(query.text, columns=TEXT_COLUMNS)
            # Words were asked for but none survived (only punctuation): nothing matches.
            self.impossible = self._text is None
        self.has_text = self._text is not None
        filters = _filters(query, self.date_span)
        if filters is None or any(self._docs_with(f) == 0 for f in filters):
            self.impossible = True
        self._filters = filters or []
        # Conditions no tag carries, checked on idx_docs for every match.
        exact: list[tuple[str, Any]] = []
        if query.listing_ids:
            exact.append(
                ("d.listing_id IN (SELECT value FROM json_each(?))", json.dumps(query.listing_ids))
            )
        if query.online:
            exact.append(("d.removed = 0", None))
        for bound, op in ((query.date_from, ">="), (query.date_to, "<=")):
            if bound is not None:
                exact.append((f"d.date {op} ?", epoch(bound)))
        for price, op in ((query.price_min, ">="), (query.price_max, "<=")):
            if price is not None:
                exact.append((f"d.price {op} ?", price))
        self._exact = exact

    # -- deciding

    def _docs_with(self, flt: _Filter) -> int:
        return sum(self.tag_docs.get(tag, 0) for tag in flt.tags)

    @property
    def _total_docs(self) -> int:
        return self.tag_docs.get(ALL_DOCS, 0)

    @property
    def _ranked(self) -> bool:
        return self.has_text and self.query.sort == "relevance"

    # -- SQL

    def _match(self, filters: Sequence[_Filter]) -> str | None:
        terms = [f"({self._text})"] if self._text else []
        terms += [f.fts for f in filters]
        return " AND ".join(terms) or None

    def _from_where(
        self, fts_filters: Sequence[_Filter], docs_filters: Sequence[_Filter] = ()
    ) -> tuple[str, str, list[Any]]:
        match = self._match(fts_filters)
        where: list[str] = []
        params: list[Any] = []
        for flt in docs_filters:
            if flt.sql is not None:
                where.append(flt.sql)
                params += flt.params
        for sql, value in self._exact:
            where.append(sql)
            if value is not None:
                params.append(value)
        if match is None:
            source = "idx_docs d"
        elif self.query.listing_ids:
            # A few listings to check (a saved search run on new ones): start from them
            # and ask FTS5 about each, rather than walk every match of the words.
            source = "idx_docs d CROSS JOIN idx_fts ON idx_fts.rowid = d.doc"
            where.append("idx_fts MATCH ?")
            params.append(match)
        else:
            # CROSS JOIN keeps FTS5 first: SQLite would otherwise rather walk a date index.
            source = "idx_fts CROSS JOIN idx_docs d ON d.doc = idx_fts.rowid"
            where.insert(0, "idx_fts MATCH ?")
            params.insert(0, match)
        return source, " AND ".join(where) or "1", params

    def matches(self) -> tuple[str, str, list[Any]]:
        """FROM, WHERE and parameters of every match (for the count and the facets)."""
        return self._from_where(self._filters)

    def count(self) -> tuple[str, list[Any]]:
        match = self._match(self._filters)
        if match is not None and not self._exact:
            # Everything is in the FTS5 expression: count its matches without a join.
            return "SELECT count(*) FROM idx_fts WHERE idx_fts MATCH ?", [match]
        source, where, params = self.matches()
        return f"SELECT count(*) FROM {source} WHERE {where}", params

    def top_ranked(self) -> tuple[str, list[Any]] | None:
        """When every condition is in the FTS5 expression, the best-ranked rows by FTS5
        alone, one more than the page needs: ``(doc, rank)``. None otherwise.

        Joining only these to ``idx_docs`` (for ids, and to break ties by id) spares a
        join per match. If the row after the page ties with the page's last, the caller
        runs `page` instead, where ties are broken exactly.
        """
        if not self._ranked or self._exact or self.query.listing_ids:
            return None
        limit = _RANK_TAG_SHARE * self._total_docs
        if any(self._docs_with(f) > limit for f in self._filters):
            return None
        direction = "ASC" if self.query.descending else "DESC"
        sql = (
            f"SELECT rowid, bm25(idx_fts, {WEIGHTS}) AS rank FROM idx_fts "
            f"WHERE idx_fts MATCH ? ORDER BY rank {direction} LIMIT ?"
        )
        return sql, [self._match(self._filters), self.query.offset + self.query.limit + 1]

    def page(self) -> tuple[str, list[Any]]:
        """The page of hits: ``(listing_id, score)`` rows in order."""
        query = self.query
        order, score = self._order()
        if self._ranked:
            # Common filters are checked on idx_docs, to keep bm25's weighing cheap.
            limit = _RANK_TAG_SHARE * self._total_docs
            in_fts = [f for f in self._filters if self._docs_with(f) <= limit]
            on_docs = [f for f in self._filters if f not in in_fts]
            source, where, params = self._from_where(in_fts, on_docs)
        else:
            source, where, params = self.matches()
        sql = (
            f"SELECT d.listing_id, {score} FROM {source} WHERE {where} "
            f"ORDER BY {order} LIMIT ? OFFSET ?"
        )
        return sql, [*params, query.limit, query.offset]

    def ordered_page(self, total: int) -> tuple[str, list[Any]] | None:
        """Without words, with many matches: the page read by walking the ``idx_docs``
        index in the wanted order, stopping once it is full (run it within `SCAN_STEPS`).
        None when this plan does not apply."""
        query = self.query
        if self.has_text or query.listing_ids or total < _ORDERED_SCAN_MATCHES:
            return None
        if not (query.descending or query.sort == "relevance"):
            return None
        order, score = self._order()
        _, where, params = self._from_where((), self._filters)
        index = _ORDER_INDEXES[query.sort]
        sql = (
            f"SELECT d.listing_id, {score} FROM idx_docs AS d INDEXED BY {index} "
            f"WHERE {where} ORDER BY {order} LIMIT ? OFFSET ?"
        )
        return sql, [*params, query.limit, query.offset]

    def _order(self) -> tuple[str, str]:
        """The ORDER BY clause and the score expression."""
        query = self.query
        if query.sort == "relevance":
            if not self.has_text:
                return "d.listing_id ASC", "0.0"
            rank = f"bm25(idx_fts, {WEIGHTS})"
            # bm25 is lower for better matches: best first is ascending.
            direction = "ASC" if query.descending else "DESC"
            return f"{rank} {direction}, d.listing_id ASC", f"-{rank}"
        column = _SORT_COLUMNS[query.sort]
        if query.descending:
            # NULL sorts lowest in SQLite: last when descending, as wanted.
            return f"{column} DESC, d.listing_id ASC", "0.0"
        # Listings without a date or price come last either way (as on Elasticsearch).
        return f"{column} IS NULL, {column} ASC, d.listing_id ASC", "0.0"
