"""Runs a search on a backend and reads the hits from the store of record.

A backend answers with listing ids; what a hit shows is always what the store holds
now. A listing the index still knows but the store no longer has is left out.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from crawler.listing import Listing
from indexer.models import ListingRow, TakedownRow
from indexer.search.query import SearchBackend, SearchHit, SearchQuery, SearchResult
from indexer.store import ListingStore

__all__ = ["read_listings", "search"]


def read_listings(session: Session, listing_ids: Sequence[str]) -> dict[str, Listing]:
    """The listings the store holds among `listing_ids`, by id."""
    if not listing_ids:
        return {}
    ids = list(dict.fromkeys(listing_ids))
    # Loaded into the session first (and held here: the identity map keeps only what is
    # referenced), so the store's own reads are answered without a query; a listing with
    # no takedown record still costs one primary-key look-up.
    rows = {
        row.id: row
        for row in session.scalars(select(ListingRow).where(ListingRow.id.in_(ids))).unique()
    }
    takedowns = session.scalars(select(TakedownRow).where(TakedownRow.listing_id.in_(ids))).all()
    store = ListingStore(session)
    found: dict[str, Listing] = {}
    for listing_id in ids:
        listing = store.get(listing_id) if listing_id in rows else None
        if listing is not None:
            found[listing_id] = listing
    del takedowns
    return found


def search(session: Session, backend: SearchBackend, query: SearchQuery) -> SearchResult:
    """Run `query` on `backend`; hits in the backend's order, listings from the store."""
    started = time.perf_counter()
    answer = backend.search(query)
    listings = read_listings(session, [hit.listing_id for hit in answer.hits])
    hits = [
        SearchHit(listing=listings[hit.listing_id], score=hit.score, highlights=hit.highlights)
        for hit in answer.hits
        if hit.listing_id in listings
    ]
    return SearchResult(
        total=answer.total,
        hits=hits,
        facets=answer.facets,
        took_ms=round((time.perf_counter() - started) * 1000, 2),
    )
