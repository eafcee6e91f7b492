"""Spider for Shopify-style shops: the whole catalogue from ``/products.json``.

Pages are numbered (``?limit=N&page=P``); an empty ``products`` list ends the
catalogue. ``products.json`` gives prices without a currency: the source's
``currency`` supplies it.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import quote

from scrapy.http import Response
from w3lib.url import add_or_replace_parameter, url_query_parameter

from crawler.extract import parse_datetime
from crawler.html_text import html_to_text
from crawler.items import CrawledListing
from crawler.sources import ShopifySource
from crawler.spiders.base import SourceSpider

__all__ = ["MAX_BAD_PAGES", "ShopifySpider", "variant_price"]

logger = logging.getLogger(__name__)

#: Consecutive unreadable pages after which a catalogue is given up.
MAX_BAD_PAGES = 3


class ShopifySpider(SourceSpider):
    """Crawls the catalogue of one ``shopify`` source (and any other products.json
    start URLs, each paged the same way).

    A page that is not ``{"products": [...]}`` is counted
    (``wildwatch/errors/bad_json``) and the next page is fetched all the same, up to
    `MAX_BAD_PAGES` in a row. Stats: ``wildwatch/product_pages``,
    ``wildwatch/duplicates``.
    """

    kind = "shopify"
    source: ShopifySource

    def __init__(self, source: ShopifySource, **kwargs: Any) -> None:
        super().__init__(source, **kwargs)
        self._seen: set[str] = set()

    def parse_start(self, response: Response) -> Iterator[Any]:
        return self.parse_products(response)

    def parse_products(self, response: Response) -> Iterator[Any]:
        self.count("product_pages")
        pages = int(response.meta.get("wildwatch_pages", 1))
        bad_run = int(response.meta.get("wildwatch_bad_run", 0))
        products = self._products(response)
        if products is None:
            bad_run += 1
        else:
            bad_run = 0
            if not products:
                return  # past the last page
            for product in products:
                item = self._listing(response, product)
                if item is not None:
                    yield item
        if bad_run >= MAX_BAD_PAGES:
            logger.warning("giving up %s after %d unreadable pages", response.url, bad_run)
            return
        if self.source.max_pages is not None and pages >= self.source.max_pages:
            return
        page = url_query_parameter(response.url, "page")
        number = int(page) if page and page.isdigit() else 1
        yield self.request(
            add_or_replace_parameter(response.url, "page", str(number + 1)),
            self.parse_products,
            meta={"wildwatch_pages": pages + 1, "wildwatch_bad_run": bad_run},
        )

    def _products(self, response: Response) -> list[dict[str, Any]] | None:
        """The page's products; None when the page is not a products.json page."""
        try:
            data = json.loads(response.body)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            self._error(response, f"not JSON: {exc}")
            return None
        products = data.get("products") if isinstance(data, dict) else None
        if not isinstance(products, list):
            self._error(response, 'expected {"products": [...]}')
            return None
        return [p for p in products if isinstance(p, dict)]

    def _error(self, response: Response, message: str) -> None:
        self.count("errors")
        self.count("errors/bad_json")
        logger.warning("%s: %s", response.url, message)

    def _listing(self, response: Response, product: dict[str, Any]) -> CrawledListing | None:
        product_id = product.get("id")
        if isinstance(product_id, bool) or not isinstance(product_id, int | str) or not product_id:
            self.count("dropped/no_id")
            return None
        platform_id = str(product_id)
        if platform_id in self._seen:
            self.count("duplicates")
            return None
        self._seen.add(platform_id)
        handle = product.get("handle")
        url = (
            response.urljoin(f"/products/{quote(handle, safe='')}")
            if isinstance(handle, str) and handle
            else None
        )
        variants = [v for v in product.get("variants") or [] if isinstance(v, dict)]
        price = variant_price(variants[0]) if variants else None
        images = [
            response.urljoin(i["src"])
            for i in product.get("images") or []
            if isinstance(i, dict) and isinstance(i.get("src"), str)
        ]
        description = html_to_text(_str(product.get("body_html")))
        vendor = _str(product.get("vendor")).strip()
        return self.crawled(
            response,
            platform_id=platform_id,
            title=_str(product.get("title")).strip() or None,
            url=url,
            description=description or None,
            price=price,
            currency=self.source.currency if price is not None else None,
            seller_name=vendor or None,
            posted_at=_utc(parse_datetime(_str(product.get("created_at")))),
            images=images,
            rendered_text=description,
        )


def variant_price(variant: dict[str, Any]) -> float | None:
    """A variant's price: Shopify sends a decimal string ("12.50"), sometimes a number."""
    raw = variant.get("price")
    if isinstance(raw, bool) or not isinstance(raw, str | int | float):
        return None
    try:
        amount = Decimal(str(raw).strip())
    except InvalidOperation:
        return None
    return float(amount) if amount.is_finite() and amount >= 0 else None


def _utc(moment: datetime | None) -> datetime | None:
    # Shops write times in their own zone ("...-04:00"); listings keep UTC.
    return moment.astimezone(UTC) if moment else None


def _str(value: object) -> str:
    return value if isinstance(value, str) else ""
