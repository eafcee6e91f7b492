"""A `SearchQuery` as Elasticsearch request bodies, built with ``elasticsearch.dsl``, and back.

`query_for` is the one translation of a query's words and filters: the search request
(`search_for`) and the saved searches stored in the percolator use the same one, so a
saved search alerts on exactly the listings it would find.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any

from elasticsearch.dsl import Search
from elasticsearch.dsl.query import Bool, MatchAll, MultiMatch, Percolate, Query, Range, Term, Terms

from indexer.search.elastic_layout import TEXT_FIELDS
from indexer.search.query import (
    TERM_FILTERS,
    BackendHit,
    BackendResult,
    FacetBucket,
    SearchQuery,
)

__all__ = [
    "FACET_BUCKETS",
    "HIGHLIGHT_FIELDS",
    "backend_result",
    "percolate_search",
    "percolator_entry",
    "query_for",
    "search_for",
    "text_query_fields",
]

#: Values counted per facet (the most frequent first).
FACET_BUCKETS = 100
#: Fields whose matches come back as highlighted fragments.
HIGHLIGHT_FIELDS: tuple[str, ...] = ("title", "description")
FRAGMENT_CHARS = 150
TITLE_BOOST = 2

_THAI = ".thai"


def text_query_fields() -> list[str]:
    """The full-text fields and their Thai sub-fields, title boosted."""
    fields = []
    for suffix in ("", _THAI):
        for name in TEXT_FIELDS:
            boost = f"^{TITLE_BOOST}" if name == "title" else ""
            fields.append(f"{name}{suffix}{boost}")
    return fields


def _text_query(text: str) -> Query:
    # cross_fields: every word must match, each in any of the fields (as the SQLite index
    # matches words anywhere in a listing). Fields sharing an analyzer form one group; the
    # main group and the Thai group each have to hold all words, and either may match.
    return MultiMatch(query=text, type="cross_fields", operator="and", fields=text_query_fields())


def _has_words(text: str) -> bool:
    # Text without a letter or digit (punctuation, emoji) filters nothing, as on SQLite.
    # Decided here rather than with zero_terms_query=all, which the cluster applies per
    # analyzer group: one group finding no words would then match every listing.
    return any(char.isalnum() for char in text)


def _instant(value: datetime) -> str:
    # ISO 8601: the cluster reads a naive value as UTC, as the store writes its dates.
    return value.isoformat()


def _range(lower: Any, upper: Any) -> dict[str, Any]:
    bounds = {}
    if lower is not None:
        bounds["gte"] = lower
    if upper is not None:
        bounds["lte"] = upper
    return bounds


def _filters(query: SearchQuery) -> Iterator[Query]:
    for name in TERM_FILTERS:
        values = getattr(query, name)
        if values:
            yield Terms(**{name: list(values)})
    if query.listing_ids:
        # The document's own id field rather than an ids query: a document being
        # percolated has no _id, and saved searches share this query.
        yield Terms(id=list(query.listing_ids))
    if query.flagged:
        yield Term(flagged=True)
    if query.online:
        yield Term(removed=False)
    if query.date_from is not None or query.date_to is not None:
        yield Range(
            date=_range(
                _instant(query.date_from) if query.date_from else None,
                _instant(query.date_to) if query.date_to else None,
            )
        )
    if query.price_min is not None or query.price_max is not None:
        yield Range(price=_range(query.price_min, query.price_max))


def query_for(query: SearchQuery) -> Query:
    """The words and filters of `query` (no paging, sort or facets): search and percolator."""
    must = [_text_query(query.text)] if _has_words(query.text) else []
    filters = list(_filters(query))
    if not must and not filters:
        return MatchAll()
    clauses: dict[str, list[Query]] = {}
    if must:
        clauses["must"] = must
    if filters:
        clauses["filter"] = filters
    return Bool(**clauses)


def _sort(query: SearchQuery) -> list[dict[str, Any]]:
    order = "desc" if query.descending else "asc"
    if query.sort == "relevance":
        primary: dict[str, Any] = {"_score": {"order": order}}
    else:
        # risk, date and price are document fields of the same name; listings without
        # a value come last either way.
        primary = {query.sort: {"order": order, "missing": "_last"}}
    return [primary, {"id": {"order": "asc"}}]


def search_for(query: SearchQuery) -> Search:
    """The whole search request: query, sort, page, highlights, facets, exact total."""
    search = (
        Search()
        .query(query_for(query))
        .sort(*_sort(query))
        .extra(track_total_hits=True, from_=query.offset, size=query.limit)
        .source(False)
    )
    if _has_words(query.text):
        search = search.highlight_options(
            pre_tags=["<mark>"],
            post_tags=["</mark>"],
            # Listing text is hostile: the cluster escapes it before adding the tags.
            encoder="html",
            fragment_size=FRAGMENT_CHARS,
            number_of_fragments=3,
        )
        for name in HIGHLIGHT_FIELDS:
            options = {"number_of_fragments": 1} if name == "title" else {}
            search = search.highlight(name, f"{name}{_THAI}", **options)
    for facet in query.facets:
        search.aggs.bucket(
            facet,
            "terms",
            field=facet,
            size=FACET_BUCKETS,
            order=[{"_count": "desc"}, {"_key": "asc"}],
        )
    return search


def _highlights(raw: Mapping[str, Sequence[str]]) -> dict[str, list[str]]:
    # A Thai match is highlighted on the sub-field; report it under the field's own name,
    # unless the main field has fragments of its own.
    merged: dict[str, list[str]] = {}
    for name in HIGHLIGHT_FIELDS:
        fragments = raw.get(name) or raw.get(f"{name}{_THAI}")
        if fragments:
            merged[name] = list(fragments)
    return merged


def backend_result(response: Mapping[str, Any], query: SearchQuery) -> BackendResult:
    """A search response as the search API's `BackendResult`."""
    hits = response["hits"]
    total = hits["total"]
    hits_out = [
        BackendHit(
            listing_id=hit["_id"],
            score=float(hit.get("_score") or 0.0),
            highlights=_highlights(hit.get("highlight") or {}),
        )
        for hit in hits["hits"]
    ]
    aggregations = response.get("aggregations") or {}
    facets = {
        facet: [
            FacetBucket(value=str(bucket["key"]), count=int(bucket["doc_count"]))
            for bucket in aggregations.get(facet, {}).get("buckets", [])
        ]
        for facet in query.facets
    }
    return BackendResult(
        total=int(total["value"] if isinstance(total, Mapping) else total),
        hits=hits_out,
        facets=facets,
    )


def percolator_entry(saved_search_id: int, query: SearchQuery) -> dict[str, Any]:
    """The document a saved search is stored as in the percolator index."""
    return {"saved_search_id": saved_search_id, "query": query_for(query).to_dict()}


def percolate_search(
    documents: Sequence[Mapping[str, Any]], *, page_size: int, after: int | None = None
) -> Search:
    """Saved searches matching any of `documents`, by id, one page after `after`."""
    search = (
        Search()
        .query(Percolate(field="query", documents=list(documents)))
        .sort({"saved_search_id": {"order": "asc"}})
        .extra(size=page_size)
        .source(False)
    )
    if after is not None:
        search = search.extra(search_after=[after])
    return search
