"""What every wildwatch spider shares: requests built from the source's settings, and
listings built from extracted fields with the exchange they came from."""

from __future__ import annotations

import hashlib
import logging
import os
import re
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Sequence
from datetime import UTC, datetime
from http.cookies import SimpleCookie
from typing import Any, ClassVar

import scrapy
from pydantic import ValidationError
from scrapy.http import Response, TextResponse

from crawler.extract import ExtractedFields
from crawler.items import Capture, CrawledListing, Gone
from crawler.listing import CrawlInfo, Listing, Seller
from crawler.sources import SourceBase

__all__ = ["LISTING_FIELDS", "SourceSpider"]

logger = logging.getLogger(__name__)

#: Fields counted for crawl health (share of listings that had each one).
LISTING_FIELDS = (
    "description",
    "price",
    "currency",
    "seller",
    "location",
    "posted_at",
    "image_urls",
)


class SourceSpider(scrapy.Spider):
    """Base of the spiders: one instance crawls one configured source.

    Subclasses set `kind` and implement `parse_start` (the callback of every start
    URL). Request meta keys the crawler's middlewares read:

    - ``wildwatch_listing``: the request fetches one listing page (incremental
      crawling may skip it; a 404/410 answer to it means the listing is gone);
    - ``wildwatch_card``: the text of the listing's result card, to notice edits.

    Given ``recheck`` (listing URLs), the spider crawls nothing else: it fetches each
    one to see whether it is still there (takedown verification), yielding `Gone`
    for a 404/410 or a page the kind's parser reads as removed.
    """

    kind: ClassVar[str] = ""
    name = "source"

    def __init__(
        self,
        source: SourceBase,
        base_url: str | None = None,
        recheck: Sequence[tuple[str, str]] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(name=f"{source.name}", **kwargs)
        self.source = source
        self.base_url = base_url
        self.start_urls = source.resolved_start_urls(base_url)
        self.recheck = list(recheck)  # (listing id, URL)
        self._cookies = _session_cookies(source)

    # -- requests

    async def start(self) -> AsyncIterator[scrapy.Request]:
        if self.recheck:
            for listing_id, url in self.recheck:
                yield self.request(
                    url,
                    self.parse_recheck,
                    meta={
                        "wildwatch_listing": True,
                        "wildwatch_recheck": listing_id,
                        "handle_httpstatus_list": [404, 410],
                    },
                    dont_filter=True,
                )
            return
        for url in self.start_urls:
            yield self.request(url, self.parse_start)

    def parse_start(self, response: Response) -> Iterable[Any]:
        raise NotImplementedError

    def parse_recheck(self, response: Response) -> Iterator[Any]:
        """A re-checked listing: gone on 404/410, else read again as the kind reads it."""
        listing_id = str(response.meta["wildwatch_recheck"])
        self.count("recheck/checked")
        if response.status in (404, 410):
            self.count("gone")
            yield Gone(listing_id, response.url, response.status, reason=f"HTTP {response.status}")
            return
        parse_listing = getattr(self, "parse_listing", None)
        if parse_listing is not None:
            for item in parse_listing(response):
                if isinstance(item, Gone):
                    self.count("gone")
                    yield Gone(listing_id, item.url, item.status, reason=item.reason)
                else:
                    item.rechecked = True
                    yield item

    def request(
        self,
        url: str,
        callback: Callable[..., Any],
        *,
        meta: dict[str, Any] | None = None,
        **kw: Any,
    ) -> scrapy.Request:
        """A request with the source's session, headers and proxy applied."""
        full_meta = {"wildwatch_source": self.source.name, **(meta or {})}
        if self.source.proxy:
            full_meta["proxy"] = self.source.proxy
        headers = dict(self.source.session.headers) if self.source.session else {}
        headers.update(kw.pop("headers", None) or {})
        return scrapy.Request(
            url,
            callback=callback,
            meta=full_meta,
            headers=headers or None,
            cookies=dict(self._cookies) or None,
            **kw,
        )

    def follow(
        self,
        response: Response,
        href: str,
        callback: Callable[..., Any],
        *,
        meta: dict[str, Any] | None = None,
        **kw: Any,
    ) -> scrapy.Request:
        return self.request(response.urljoin(href), callback, meta=meta, **kw)

    # -- stats

    def count(self, key: str, n: int = 1) -> None:
        if self.crawler is not None and self.crawler.stats is not None:
            self.crawler.stats.inc_value(f"wildwatch/{key}", n)

    # -- listings

    def listing_match(self, response: Response, pattern: re.Pattern[str]) -> re.Match[str] | None:
        """`pattern` (a source's ``listing_id``) matched in a listing page's URL; None,
        counted, for a page that is not text, is gone (404/410) or has no id."""
        if not isinstance(response, TextResponse):
            self.count("dropped/not_text")
            return None
        if response.status in (404, 410):
            # Linked from a result page but gone: nothing to read.
            self.count("dropped/gone")
            return None
        match = pattern.search(response.url)
        if match is None:
            self.count("dropped/no_listing_id")
            logger.warning("no listing id in %s (pattern %s)", response.url, pattern.pattern)
        return match

    def from_fields(
        self, response: Response, platform_id: str | None, fields: ExtractedFields, **more: Any
    ) -> CrawledListing | None:
        """`crawled` with what an extractor found on the page; `more` adds or overrides."""
        values: dict[str, Any] = {
            "title": fields.title,
            "description": fields.description,
            "price": fields.price,
            "currency": fields.currency,
            "seller_id": fields.seller_id,
            "seller_name": fields.seller_name,
            "seller_url": fields.seller_url,
            "location": fields.location,
            "posted_at": fields.posted_at,
            "images": fields.images,
        }
        return self.crawled(response, platform_id=platform_id, **{**values, **more})

    def crawled(
        self,
        response: Response,
        *,
        platform_id: str | None,
        title: str | None,
        url: str | None = None,
        description: str | None = None,
        price: float | None = None,
        currency: str | None = None,
        seller_id: str | None = None,
        seller_name: str | None = None,
        seller_url: str | None = None,
        location: str | None = None,
        posted_at: datetime | None = None,
        images: Iterable[str] = (),
        language: str | None = None,
        hashtags: Iterable[str] = (),
        comments: Iterable[str] = (),
        rendered_text: str | None = None,
        screenshot: bytes | None = None,
    ) -> CrawledListing | None:
        """A validated listing read from `response`, or None (counted and logged why)."""
        if not title:
            self.count("dropped/no_title")
            logger.warning("no title found on %s", response.url)
            return None
        now = datetime.now(UTC)
        version = self.settings.get("WILDWATCH_CRAWLER_VERSION") if self.crawler else None
        capture = Capture.from_response(
            response,
            rendered_text=rendered_text,
            crawler_version=version,
            screenshot=screenshot,
        )
        try:
            listing = Listing(
                platform=self.source.platform,
                platform_id=platform_id,
                url=url or response.url,
                title=title,
                description=description,
                price=price,
                currency=currency,
                seller=Seller.from_parts(seller_id, seller_name, seller_url),
                location=location,
                posted_at=posted_at,
                image_urls=list(images),
                language=language,
                # Without '#', each once, in the order the post gives them.
                hashtags=list(dict.fromkeys(t.lstrip("#") for t in hashtags if t.lstrip("#"))),
                comments=list(comments),
                first_seen=now,
                last_seen=now,
                crawl=CrawlInfo(
                    source=self.source.name,
                    fetched_at=capture.fetched_at,
                    status=response.status,
                    final_url=response.url,
                    body_sha256=hashlib.sha256(response.body).hexdigest(),
                    crawler_version=version,
                ),
            )
        except ValidationError as exc:
            self.count("dropped/invalid")
            logger.warning("invalid listing on %s: %s", response.url, exc.errors()[0]["msg"])
            return None
        self.count("listings")
        for name in LISTING_FIELDS:
            if getattr(listing, name):
                self.count(f"field/{name}")
        card = response.meta.get("wildwatch_card") if response.request is not None else None
        return CrawledListing(listing, capture, card)


def _session_cookies(source: SourceBase) -> dict[str, str]:
    """The source's cookies: given in the file, then those from its environment variable."""
    session = source.session
    if session is None:
        return {}
    cookies = dict(session.cookies)
    if session.cookies_env:
        raw = os.environ.get(session.cookies_env, "")
        jar: SimpleCookie = SimpleCookie()
        jar.load(raw)
        cookies.update({k: m.value for k, m in jar.items()})
    return cookies
