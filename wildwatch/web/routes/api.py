"""JSON API: the review queue, one listing, search, store counts."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query

from crawler.listing import Listing
from indexer import UnknownListingError
from indexer.clusters.graph import graph_json, seller_graph
from indexer.clusters.sellers import SellerClusterSummary, seller_cluster_summaries
from wildwatch.web.deps import ReviewsDep, SearcherDep, SessionDep, StoreDep
from wildwatch.web.schemas import (
    GraphOut,
    ListingSummary,
    ReviewRequest,
    ReviewResponse,
    SearchParams,
    SearchResponse,
    SearchResultSummary,
    StoreSummary,
    summarize,
)

router = APIRouter(prefix="/api", tags=["api"])


@router.get("/listings", response_model=list[ListingSummary])
def flagged_listings(
    store: StoreDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
    platform: Annotated[str | None, Query(max_length=100)] = None,
) -> list[ListingSummary]:
    """Flagged listings, highest risk first."""
    return [summarize(x) for x in store.flagged(limit=limit, offset=offset, platform=platform)]


@router.post("/listings/{listing_id:path}/review", response_model=ReviewResponse, status_code=201)
def review_listing(listing_id: str, body: ReviewRequest, reviews: ReviewsDep) -> ReviewResponse:
    """Record a verdict; it becomes a training example for ``train --from-reviews``."""
    try:
        review = reviews.record(listing_id, body.verdict, note=body.note, reviewer=body.reviewer)
    except UnknownListingError:
        raise HTTPException(status_code=404, detail="no such listing") from None
    return ReviewResponse.model_validate(review, from_attributes=True)


@router.get("/listings/{listing_id:path}/reviews", response_model=list[ReviewResponse])
def listing_reviews(listing_id: str, store: StoreDep, reviews: ReviewsDep) -> list[ReviewResponse]:
    """Every verdict on a listing, oldest first."""
    if store.get(listing_id) is None:
        raise HTTPException(status_code=404, detail="no such listing")
    return [
        ReviewResponse.model_validate(r, from_attributes=True)
        for r in reviews.for_listing(listing_id)
    ]


@router.get("/listings/{listing_id:path}", response_model=Listing)
def listing_detail(listing_id: str, store: StoreDep) -> Listing:
    listing = store.get(listing_id)
    if listing is None:
        raise HTTPException(status_code=404, detail="no such listing")
    return listing


@router.get("/search", response_model=SearchResponse)
def search(params: Annotated[SearchParams, Query()], searcher: SearcherDep) -> SearchResponse:
    """Full-text search with filters and facets; every filter may be repeated."""
    query = params.to_query()
    result = searcher(query)
    return SearchResponse(
        query=query.text,
        count=len(result.hits),
        total=result.total,
        results=[
            SearchResultSummary(
                **summarize(h.listing).model_dump(), score=h.score, highlights=h.highlights
            )
            for h in result.hits
        ],
        facets=result.facets,
        took_ms=result.took_ms,
    )


@router.get("/clusters", response_model=list[SellerClusterSummary])
def seller_clusters(
    session: SessionDep,
    min_accounts: Annotated[int, Query(ge=1, le=1000)] = 2,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[SellerClusterSummary]:
    """Seller clusters (accounts tied by shared contacts or reposts), largest first."""
    summaries = seller_cluster_summaries(session, min_accounts=min_accounts)
    return summaries[:limit]


@router.get("/clusters/{cluster_id}/graph", response_model=GraphOut)
def seller_cluster_graph(cluster_id: str, session: SessionDep) -> GraphOut:
    """One seller cluster as a network: accounts, the contacts they share, their reposts."""
    graph = seller_graph(session, cluster=cluster_id)
    if graph.number_of_nodes() == 0:
        raise HTTPException(status_code=404, detail="no such seller cluster")
    return GraphOut.model_validate(graph_json(graph))


@router.get("/stats", response_model=StoreSummary)
def stats(store: StoreDep) -> StoreSummary:
    counts = store.counts()
    return StoreSummary(listings=counts.listings, flagged=counts.flagged, by_tier=counts.by_tier)
