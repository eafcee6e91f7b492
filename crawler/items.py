"""What spiders yield: a `Listing` with the exchange it was read from.

The `Capture` keeps the request and the response exactly as they crossed the wire
(body bytes, headers, status, times), so that a later stage can store court-grade
evidence of a flagged listing without fetching the page again. It stays in memory
for the life of the item and is never written unless the listing is flagged.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from crawler.listing import Listing

__all__ = ["Capture", "CrawledListing", "Gone"]


@dataclass(frozen=True, slots=True)
class Capture:
    """One HTTP exchange, as fetched (or as rendered, for a browser page)."""

    url: str  # the URL requested
    final_url: str  # after redirects
    status: int
    fetched_at: datetime
    request_headers: tuple[tuple[str, str], ...]
    response_headers: tuple[tuple[str, str], ...]
    body: bytes
    method: str = "GET"
    user_agent: str | None = None
    crawler_version: str | None = None
    #: The page's visible text, as the extractor read it.
    rendered_text: str | None = None
    #: True when `body` is the DOM a browser rendered, not the bytes the server sent.
    rendered: bool = False
    #: A PNG of the page, when a browser took one while crawling.
    screenshot: bytes | None = None

    @classmethod
    def from_response(
        cls,
        response: Any,
        *,
        rendered_text: str | None = None,
        crawler_version: str | None = None,
        screenshot: bytes | None = None,
    ) -> Capture:
        """The capture of a Scrapy response (headers decoded as Latin-1, as HTTP is)."""

        def pairs(headers: Any) -> tuple[tuple[str, str], ...]:
            return tuple(
                (name.decode("latin-1"), value.decode("latin-1"))
                for name, values in headers.items()
                for value in values
            )

        request = response.request
        request_headers = pairs(request.headers) if request is not None else ()
        agent = next((v for k, v in request_headers if k.lower() == "user-agent"), None)
        meta = request.meta if request is not None else {}
        return cls(
            url=meta.get("wildwatch_requested_url") or (request.url if request else response.url),
            final_url=response.url,
            status=response.status,
            fetched_at=meta.get("wildwatch_fetched_at") or datetime.now(UTC),
            request_headers=request_headers,
            response_headers=pairs(response.headers),
            body=response.body,
            method=request.method if request is not None else "GET",
            user_agent=agent,
            crawler_version=crawler_version,
            rendered_text=rendered_text,
            rendered="playwright" in getattr(response, "flags", ()) or bool(meta.get("playwright")),
            screenshot=screenshot,
        )


@dataclass(slots=True)
class CrawledListing:
    """A listing read from a page, with the exchange it came from."""

    listing: Listing
    capture: Capture | None = None
    #: Text a result card showed for this listing, when the spider saw one.
    card_fingerprint: str | None = None
    #: Read on a takedown re-check (the listing is still there).
    rechecked: bool = False


@dataclass(frozen=True, slots=True)
class Gone:
    """A listing that is no longer there (404, 410, or a "listing removed" page)."""

    listing_id: str
    url: str
    status: int
    checked_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    reason: str = "removed"
