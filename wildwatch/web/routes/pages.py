"""HTML pages for reviewers: the triage queue, a listing with its reasons, search."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse

from wildwatch.web.deps import StoreDep, TemplatesDep
from wildwatch.web.highlight import segments

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 50


@router.get("/", response_class=HTMLResponse)
def queue(
    request: Request,
    store: StoreDep,
    templates: TemplatesDep,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
) -> HTMLResponse:
    listings = store.flagged(limit=PAGE_SIZE + 1, offset=(page - 1) * PAGE_SIZE)
    return templates.TemplateResponse(
        request,
        "queue.html",
        {
            "listings": listings[:PAGE_SIZE],
            "page": page,
            "has_next": len(listings) > PAGE_SIZE,
            "counts": store.counts(),
            "offset": (page - 1) * PAGE_SIZE,
        },
    )


@router.get("/listings/{listing_id:path}", response_class=HTMLResponse)
def listing_page(
    listing_id: str, request: Request, store: StoreDep, templates: TemplatesDep
) -> HTMLResponse:
    listing = store.get(listing_id)
    if listing is None:
        raise HTTPException(status_code=404, detail="no such listing")
    reasons = listing.classification.reasons if listing.classification else []
    return templates.TemplateResponse(
        request,
        "listing.html",
        {"listing": listing, "segments": segments(listing.text, reasons)},
    )


@router.get("/search", response_class=HTMLResponse)
def search_page(
    request: Request,
    store: StoreDep,
    templates: TemplatesDep,
    q: Annotated[str, Query(max_length=500)] = "",
) -> HTMLResponse:
    hits = store.search(q, limit=100) if q.strip() else []
    return templates.TemplateResponse(request, "search.html", {"q": q, "hits": hits})


@router.get("/healthz")
def healthz(store: StoreDep) -> dict[str, int | str]:
    return {"status": "ok", "listings": store.counts().listings}
