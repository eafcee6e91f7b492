"""The flat document a listing becomes in the search index, the same for every backend.

Built from the store of record (listing, classification, latest verdict, clusters) by
`document_for`; both backends index exactly these fields, so a filter means the same
thing on SQLite and on Elasticsearch.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

__all__ = ["SearchDocument"]


class SearchDocument(BaseModel):
    id: str
    platform: str
    url: str
    title: str
    description: str = ""
    seller_id: str | None = None
    seller_name: str | None = None
    hashtags: list[str] = Field(default_factory=list)
    language: str | None = None
    #: ISO 3166-1 alpha-2, or None when neither the location nor the source tells.
    country: str | None = None
    #: Scientific names (or curated keys) of the species the classifier found.
    species: list[str] = Field(default_factory=list)
    #: CITES appendices of those species (I, II, III).
    appendix: list[str] = Field(default_factory=list)
    #: Product families named (ivory, horn, scales, ...).
    family: list[str] = Field(default_factory=list)
    tier: str = "none"
    risk: float = 0.0
    flagged: bool = False
    review_status: str = "unreviewed"
    seller_cluster: str | None = None
    repost_cluster: str | None = None
    price: float | None = None
    currency: str | None = None
    #: When it was posted, else when first seen: what the date filter and sort use.
    date: datetime | None = None
    last_seen: datetime | None = None
    removed: bool = False
