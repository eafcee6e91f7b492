"""HTML pages for reviewers: the triage queue, a listing with its reasons, search."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated
from urllib.parse import parse_qs, urlsplit

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse

from indexer import VERDICTS, UnknownListingError
from indexer.search import SearchQuery
from wildwatch.web.deps import ReviewsDep, SearcherDep, StoreDep, TemplatesDep
from wildwatch.web.highlight import segments
from wildwatch.web.schemas import SearchParams

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
    listing_id: str,
    request: Request,
    store: StoreDep,
    reviews: ReviewsDep,
    templates: TemplatesDep,
) -> HTMLResponse:
    listing = store.get(listing_id)
    if listing is None:
        raise HTTPException(status_code=404, detail="no such listing")
    reasons = listing.classification.reasons if listing.classification else []
    return templates.TemplateResponse(
        request,
        "listing.html",
        {
            "listing": listing,
            "segments": segments(listing.text, reasons),
            "reviews": reviews.for_listing(listing_id),
            "history": store.history(listing_id),
        },
    )


_SHA256 = re.compile(r"[0-9a-f]{64}")


@router.get("/evidence/{sha256}")
def evidence_file(sha256: str, request: Request) -> FileResponse:
    """One captured file, exactly as stored. A screenshot is shown; anything else is a
    download, never rendered: a captured page is hostile and must not run here."""
    if not _SHA256.fullmatch(sha256):
        raise HTTPException(status_code=404, detail="no such evidence")
    path = Path(request.app.state.evidence_dir) / "sha256" / sha256[:2] / sha256
    if not path.is_file():
        raise HTTPException(status_code=404, detail="no such evidence")
    with path.open("rb") as blob:
        is_png = blob.read(8) == b"\x89PNG\r\n\x1a\n"
    return FileResponse(
        path,
        media_type="image/png" if is_png else "application/octet-stream",
        filename=None if is_png else f"{sha256}.bin",
        headers={"X-Content-Type-Options": "nosniff", "Content-Security-Policy": "sandbox"},
    )


_FORM_LIMIT = 8_192


@router.post("/listings/{listing_id:path}/review")
async def review_form(listing_id: str, request: Request, reviews: ReviewsDep) -> RedirectResponse:
    """The verdict buttons of the listing page (a plain form post, then back to the page)."""
    # A page on another site must not be able to post verdicts through a reviewer's
    # browser: browsers send Origin with form posts, and it must be this app.
    origin = request.headers.get("origin")
    if origin and urlsplit(origin).netloc != request.headers.get("host"):
        raise HTTPException(status_code=403, detail="cross-site form post refused")
    body = await request.body()
    if len(body) > _FORM_LIMIT:
        raise HTTPException(status_code=413, detail="form too large")
    form = parse_qs(body.decode("utf-8", errors="replace"), max_num_fields=10)
    verdict = (form.get("verdict") or [""])[0]
    if verdict not in VERDICTS:
        raise HTTPException(status_code=422, detail="verdict must be confirm or dismiss")
    note = (form.get("note") or [""])[0][:2000] or None
    try:
        reviews.record(listing_id, verdict, note=note, reviewer="review app")
    except UnknownListingError:
        raise HTTPException(status_code=404, detail="no such listing") from None
    target = request.url_for("listing_page", listing_id=listing_id)
    return RedirectResponse(str(target.path), status_code=303)


_PAGE_FACETS = ("tier", "platform", "language", "country", "family", "appendix", "review_status")


@router.get("/search", response_class=HTMLResponse)
def search_page(
    request: Request,
    params: Annotated[SearchParams, Query()],
    searcher: SearcherDep,
    templates: TemplatesDep,
) -> HTMLResponse:
    query = params.to_query().model_copy(update={"facets": list(_PAGE_FACETS), "limit": 100})
    # An empty form shows the help text; any text or filter runs the search.
    asked = query != SearchQuery(facets=query.facets, limit=100)
    result = searcher(query) if asked else None
    return templates.TemplateResponse(
        request,
        "search.html",
        {"q": query.text, "query": query, "result": result, "here": request.url.query},
    )


@router.get("/healthz")
def healthz(store: StoreDep) -> dict[str, int | str]:
    return {"status": "ok", "listings": store.counts().listings}
