"""Response models of the JSON API, apart from the store's own types."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from crawler.listing import Listing, Reason, SpeciesMatch

__all__ = ["ListingSummary", "SearchResponse", "StoreSummary", "summarize"]


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


class SearchResponse(BaseModel):
    query: str
    count: int
    results: list[ListingSummary]


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
