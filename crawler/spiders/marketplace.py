"""Spider for HTML marketplaces: walks search result pages and reads each listing page."""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Iterator
from typing import Any

from scrapy.http import Response, TextResponse

from crawler.extract import extract_fields, visible_text
from crawler.items import CrawledListing, Gone
from crawler.listing import listing_id
from crawler.sources import HtmlMarketplaceSource
from crawler.spiders.base import SourceSpider

__all__ = ["MarketplaceSpider", "language_tag", "page_language", "page_text"]

logger = logging.getLogger(__name__)


class MarketplaceSpider(SourceSpider):
    """Crawls one ``html_marketplace`` source and yields `CrawledListing` items.

    Stats: ``wildwatch/search_pages``, ``wildwatch/listings``,
    ``wildwatch/dropped/<reason>`` for pages that did not give a listing.
    """

    kind = "html_marketplace"
    source: HtmlMarketplaceSource

    def __init__(self, source: HtmlMarketplaceSource, **kwargs: Any) -> None:
        super().__init__(source, **kwargs)
        self._listing_id = re.compile(source.listing_id)
        self._pages = 0

    def parse_start(self, response: Response) -> Iterator[Any]:
        if self.settings.getbool("WILDWATCH_SINGLE_PAGE"):
            # `wildwatch crawl --url`: the start URL is itself the listing.
            return self.parse_listing(response)
        return self.parse_search(response)

    def parse_search(self, response: Response) -> Iterator[Any]:
        self.count("search_pages")
        self._pages += 1
        cards = response.css(self.source.result_card) if self.source.result_card else []
        if cards:
            for card in cards:
                href = _select(card, self.source.result_links)
                if href:
                    yield self._listing_request(response, href, _fingerprint(card))
        else:
            for href in _select_all(response, self.source.result_links):
                yield self._listing_request(response, href, None)
        if self.source.next_page and (
            self.source.max_pages is None or self._pages < self.source.max_pages
        ):
            next_href = _select(response, self.source.next_page)
            if next_href:
                yield self.follow(response, next_href, self.parse_search)

    def _listing_request(self, response: Response, href: str, card: str | None) -> Any:
        return self.follow(
            response,
            href,
            self.parse_listing,
            meta={
                "wildwatch_listing": True,
                "wildwatch_card": card,
                "handle_httpstatus_list": [404, 410],
            },
        )

    def more_fields(self, response: TextResponse) -> dict[str, Any]:
        """Fields a subclass reads beyond the listing rules (a forum's replies)."""
        return {}

    def parse_listing(self, response: Response) -> Iterator[CrawledListing | Gone]:
        match = self.listing_match(response, self._listing_id)
        if match is None:
            return
        assert isinstance(response, TextResponse)
        platform_id = match.group("id") or None  # empty: the URL is the id
        fetched_at = response.meta.get("wildwatch_fetched_at")
        # The extractor gets the full tag: "es-MX" says which "$" a price means.
        declared = response.css("html::attr(lang)").get()
        fields = extract_fields(
            response.text, response.url, self.source.fields, fetched_at=fetched_at, lang=declared
        )
        language = language_tag(declared)
        if fields.removed:
            yield Gone(
                listing_id=listing_id(self.source.platform, platform_id, response.url),
                url=response.url,
                status=response.status,
                reason=fields.removed[:200],
            )
            return
        item = self.from_fields(
            response,
            platform_id,
            fields,
            language=language,
            rendered_text=page_text(response),
            **self.more_fields(response),
        )
        if item is not None:
            yield item


def _select(node: Any, query: str) -> str | None:
    values = _select_all(node, query)
    return values[0] if values else None


def _select_all(node: Any, query: str) -> list[str]:
    found = node.xpath(query) if query.startswith(("/", "(", "./")) else node.css(query)
    return [v.strip() for v in found.getall() if v and v.strip()]


def _fingerprint(card: Any) -> str:
    """A short hash of what a result card shows (title, price, place)."""
    text = " ".join(t.strip() for t in card.css("*::text").getall() if t.strip())
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def page_language(response: TextResponse) -> str | None:
    """The page's declared language as the classifiers name languages: the primary
    subtag ("es-MX" is "es"), and "zh-Hant" for traditional Chinese."""
    return language_tag(response.css("html::attr(lang)").get())


_TRADITIONAL = ("zh-hant", "zh-tw", "zh-hk", "zh-mo")


def language_tag(value: str | None) -> str | None:
    tag = (value or "").strip().lower().replace("_", "-")
    if not tag:
        return None
    if tag.startswith(_TRADITIONAL):
        return "zh-Hant"
    primary = tag.split("-", 1)[0]
    return primary if primary.isalpha() and len(primary) <= 8 else None


def page_text(response: TextResponse) -> str:
    """The visible text of the page's body, one line per block."""
    body = response.css("body")
    return visible_text(body[0]) if body else ""
