"""Spider for HTML marketplaces: walks search result pages and reads each listing page."""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import Any

import scrapy
from pydantic import ValidationError
from scrapy.http import Response, TextResponse

from crawler.extract import extract_fields
from crawler.listing import CrawlInfo, Listing, Seller
from crawler.sources import SourceConfig

__all__ = ["MarketplaceSpider"]

logger = logging.getLogger(__name__)


class MarketplaceSpider(scrapy.Spider):
    """Crawls one `SourceConfig` of kind ``html_marketplace`` and yields `Listing` items.

    Stats: ``wildwatch/search_pages``, ``wildwatch/listings``,
    ``wildwatch/dropped/<reason>`` for pages that did not give a listing.
    """

    name = "marketplace"

    def __init__(self, source: SourceConfig, base_url: str | None = None, **kwargs: Any) -> None:
        super().__init__(name=f"marketplace-{source.name}", **kwargs)
        self.source = source
        self.base_url = base_url
        self.start_urls = source.resolved_start_urls(base_url)
        self._listing_id = re.compile(source.listing_id)

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for url in self.start_urls:
            yield scrapy.Request(url, callback=self.parse_search)

    def _count(self, key: str) -> None:
        if self.crawler is not None and self.crawler.stats is not None:
            self.crawler.stats.inc_value(f"wildwatch/{key}")

    def parse_search(self, response: Response) -> Iterator[scrapy.Request]:
        self._count("search_pages")
        for href in response.css(self.source.result_links).getall():
            yield response.follow(href, callback=self.parse_listing)
        if self.source.next_page:
            next_href = response.css(self.source.next_page).get()
            if next_href:
                yield response.follow(next_href, callback=self.parse_search)

    def parse_listing(self, response: Response) -> Iterator[Listing]:
        if not isinstance(response, TextResponse):
            self._count("dropped/not_text")
            return
        match = self._listing_id.search(response.url)
        if match is None:
            self._count("dropped/no_listing_id")
            logger.warning("no listing id in %s (pattern %s)", response.url, self.source.listing_id)
            return
        fields = extract_fields(response.text, response.url, self.source.fields)
        if not fields.title:
            self._count("dropped/no_title")
            logger.warning("no title found on %s", response.url)
            return
        now = datetime.now(UTC)
        seller = Seller.from_parts(fields.seller_id, fields.seller_name, fields.seller_url)
        try:
            listing = Listing(
                platform=self.source.platform,
                platform_id=match.group("id"),
                url=response.url,
                title=fields.title,
                description=fields.description,
                price=fields.price,
                currency=fields.currency,
                seller=seller,
                location=fields.location,
                posted_at=fields.posted_at,
                image_urls=fields.images,
                language=_page_language(response),
                first_seen=now,
                last_seen=now,
                crawl=CrawlInfo(
                    source=self.source.name,
                    fetched_at=now,
                    status=response.status,
                    final_url=response.url,
                    body_sha256=hashlib.sha256(response.body).hexdigest(),
                    crawler_version=self.settings.get("WILDWATCH_CRAWLER_VERSION"),
                ),
            )
        except ValidationError as exc:
            self._count("dropped/invalid")
            logger.warning("invalid listing on %s: %s", response.url, exc.errors()[0]["msg"])
            return
        self._count("listings")
        yield listing


def _page_language(response: TextResponse) -> str | None:
    lang = response.css("html::attr(lang)").get()
    return lang.strip().lower()[:16] if lang else None
