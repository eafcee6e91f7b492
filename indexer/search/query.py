"""The search API both backends answer: a query with filters, and hits with facets.

`SearchQuery` is what an investigator asks (the CLI's flags, the web app's form, a
saved search's JSON); `SearchResult` is what comes back. The SQLite FTS5 backend and
the Elasticsearch backend take the same query and must return the same listings.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from crawler.listing import Listing

__all__ = [
    "FACETS",
    "MAX_QUERY_CHARS",
    "MAX_RESULTS",
    "TERM_FILTERS",
    "BackendHit",
    "BackendResult",
    "Facet",
    "FacetBucket",
    "ReviewStatus",
    "SearchBackend",
    "SearchHit",
    "SearchQuery",
    "SearchResult",
    "SortKey",
]

MAX_QUERY_CHARS = 500
MAX_RESULTS = 500
MAX_FILTER_VALUES = 50

#: The filters that can also be counted as facets, named as in `SearchQuery`.
Facet = Literal[
    "species",
    "appendix",
    "family",
    "platform",
    "country",
    "language",
    "tier",
    "review_status",
    "seller_cluster",
]
FACETS: tuple[str, ...] = Facet.__args__  # type: ignore[attr-defined]
#: Filters that keep listings whose field holds one of the values given: the facets,
#: and two more that are not counted.
TERM_FILTERS: tuple[str, ...] = (*FACETS, "repost_cluster", "currency")

ReviewStatus = Literal["unreviewed", "confirmed", "dismissed"]
SortKey = Literal["relevance", "risk", "date", "price"]

_FilterValues = list[str]


class SearchQuery(BaseModel):
    """A full-text query and its filters; every filter is optional.

    Within one filter the values are alternatives (platform A or B); different
    filters must all hold. ``text`` is matched word by word, all words required, in
    title, description, seller name and hashtags, in any language.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    text: str = Field(default="", max_length=MAX_QUERY_CHARS)
    #: Scientific names (``Manis javanica``) or curated keys of the species named.
    species: _FilterValues = Field(default_factory=list)
    #: CITES appendix: ``I``, ``II`` or ``III``.
    appendix: _FilterValues = Field(default_factory=list)
    #: Product family (ivory, horn, scales, ...), as the classifier's lexicon names it.
    family: _FilterValues = Field(default_factory=list)
    platform: _FilterValues = Field(default_factory=list)
    #: ISO 3166-1 alpha-2 country of the listing (from its location or its source).
    country: _FilterValues = Field(default_factory=list)
    language: _FilterValues = Field(default_factory=list)
    tier: list[Literal["high", "medium", "low", "none"]] = Field(default_factory=list)
    review_status: list[ReviewStatus] = Field(default_factory=list)
    seller_cluster: _FilterValues = Field(default_factory=list)
    repost_cluster: _FilterValues = Field(default_factory=list)
    #: Only these listings (how saved searches are run against new listings).
    listing_ids: list[str] = Field(default_factory=list, max_length=10_000)
    #: Flagged listings only (the review queue's scope).
    flagged: bool = False
    #: Listings still online only (no takedown recorded).
    online: bool = False
    #: Date range, inclusive, on when the listing was posted (else first seen).
    date_from: datetime | None = None
    date_to: datetime | None = None
    #: Price range, inclusive, in the listing's own currency (see ``currency``).
    price_min: float | None = Field(default=None, ge=0)
    price_max: float | None = Field(default=None, ge=0)
    currency: _FilterValues = Field(default_factory=list)
    sort: SortKey = "relevance"
    #: Descending by default: highest risk, newest, dearest first.
    descending: bool = True
    limit: int = Field(default=20, ge=0, le=MAX_RESULTS)
    offset: int = Field(default=0, ge=0, le=10_000)
    #: Facets to count over all matches (not just the page shown).
    facets: list[Facet] = Field(default_factory=list)

    @field_validator(
        "species",
        "appendix",
        "family",
        "platform",
        "country",
        "language",
        "seller_cluster",
        "repost_cluster",
        "currency",
    )
    @classmethod
    def _clean_values(cls, values: list[str]) -> list[str]:
        if len(values) > MAX_FILTER_VALUES:
            raise ValueError(f"at most {MAX_FILTER_VALUES} values per filter")
        cleaned = []
        for value in values:
            value = value.strip()
            if not value or len(value) > 300:
                raise ValueError(f"filter value must be 1 to 300 characters: {value[:40]!r}")
            if value not in cleaned:
                cleaned.append(value)
        return cleaned

    @field_validator("appendix")
    @classmethod
    def _appendix(cls, values: list[str]) -> list[str]:
        upper = [v.upper() for v in values]
        bad = [v for v in upper if v not in ("I", "II", "III")]
        if bad:
            raise ValueError(f"CITES appendix must be I, II or III, not {bad[0]!r}")
        return upper

    @field_validator("country", "currency")
    @classmethod
    def _codes(cls, values: list[str]) -> list[str]:
        return [v.upper() for v in values]

    @model_validator(mode="after")
    def _ranges(self) -> SearchQuery:
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise ValueError("date_from is after date_to")
        if (
            self.price_min is not None
            and self.price_max is not None
            and self.price_min > self.price_max
        ):
            raise ValueError("price_min is above price_max")
        return self

    def with_text(self, text: str) -> SearchQuery:
        return self.model_copy(update={"text": text})


class FacetBucket(BaseModel):
    value: str
    count: int


class SearchHit(BaseModel):
    listing: Listing
    #: Backend-specific relevance (higher is better); 0 when sorting ignores it.
    score: float = 0.0
    #: Field name -> fragments, HTML-escaped, with matches wrapped in ``<mark>``.
    highlights: dict[str, list[str]] = Field(default_factory=dict)


class SearchResult(BaseModel):
    #: Matches in all, before ``limit`` and ``offset``.
    total: int
    hits: list[SearchHit]
    facets: dict[str, list[FacetBucket]] = Field(default_factory=dict)
    took_ms: float = 0.0


class BackendHit(BaseModel):
    """A match as a backend reports it, before the listing is read from the store."""

    listing_id: str
    score: float = 0.0
    highlights: dict[str, list[str]] = Field(default_factory=dict)


class BackendResult(BaseModel):
    total: int
    hits: list[BackendHit]
    facets: dict[str, list[FacetBucket]] = Field(default_factory=dict)


@runtime_checkable
class SearchBackend(Protocol):
    """Where searches run: SQLite FTS5 inside the store, or an Elasticsearch cluster.

    A backend answers with listing ids; the listings themselves are read from the
    store of record, so a hit always shows what the store holds.
    """

    name: str

    def search(self, query: SearchQuery) -> BackendResult: ...
