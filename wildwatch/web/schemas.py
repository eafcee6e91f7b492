"""Response models of the JSON API, apart from the store's own types."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from crawler.listing import Listing, Reason, SpeciesMatch
from indexer.search import FacetBucket, SearchQuery
from indexer.search.query import MAX_QUERY_CHARS

__all__ = [
    "GraphOut",
    "ListingSummary",
    "ReviewRequest",
    "ReviewResponse",
    "SearchParams",
    "SearchResponse",
    "SearchResultSummary",
    "StoreSummary",
    "summarize",
]


class ReviewRequest(BaseModel):
    """A reviewer's verdict: ``confirm`` (a real offer) or ``dismiss`` (not one)."""

    verdict: Literal["confirm", "dismiss"]
    note: str | None = Field(default=None, max_length=2000)
    reviewer: str | None = Field(default=None, max_length=200)


class ReviewResponse(BaseModel):
    listing_id: str
    verdict: Literal["confirm", "dismiss"]
    note: str | None
    reviewer: str | None
    risk_at_review: float | None
    model_at_review: str | None
    created_at: datetime


class ListingSummary(BaseModel):
    id: str
    platform: str
    url: str
    title: str
    price: float | None
    currency: str | None
    seller: str | None
    language: str | None
    risk: float | None
    wildlife_product: float | None
    tier: str | None
    flagged: bool
    species: list[SpeciesMatch]
    reasons: list[Reason]
    last_seen: datetime | None


class SearchParams(SearchQuery):
    """`SearchQuery` as URL parameters; ``q`` is the text (``?q=象牙&tier=high&tier=medium``)."""

    q: str = Field(default="", max_length=MAX_QUERY_CHARS)

    def to_query(self) -> SearchQuery:
        values = self.model_dump(exclude={"q"})
        values["text"] = self.q or self.text
        return SearchQuery.model_validate(values)


class SearchResultSummary(ListingSummary):
    score: float
    #: HTML-escaped fragments with the matches in ``<mark>``.
    highlights: dict[str, list[str]]


class SearchResponse(BaseModel):
    query: str
    #: Results on this page.
    count: int
    #: Matches in all.
    total: int
    results: list[SearchResultSummary]
    facets: dict[str, list[FacetBucket]]
    took_ms: float


class GraphOut(BaseModel):
    """A network for drawing: nodes (accounts, contacts, repost clusters) and links.

    Attribute values are listing text: escape them before showing them.
    """

    nodes: list[dict[str, Any]]
    links: list[dict[str, Any]]


class StoreSummary(BaseModel):
    listings: int
    flagged: int
    by_tier: dict[str, int]


def summarize(listing: Listing) -> ListingSummary:
    c = listing.classification
    return ListingSummary(
        id=listing.id,
        platform=listing.platform,
        url=listing.url,
        title=listing.title,
        price=listing.price,
        currency=listing.currency,
        seller=listing.seller.name if listing.seller else None,
        language=listing.language,
        risk=c.risk if c else None,
        wildlife_product=c.wildlife_product if c else None,
        tier=c.tier if c else None,
        flagged=bool(c and c.flagged),
        species=c.species if c else [],
        reasons=c.reasons if c else [],
        last_seen=listing.last_seen,
    )
