"""Bazaar, the sandbox marketplace (platform key ``sandbox-bazaar``): routes and rendering.

Routes (GET and HEAD):

- ``/``: home page with a search box and the newest listings;
- ``/search?q=TEXT&page=N``: 20 results a page, newest first; an empty ``q`` lists
  everything. Matching is a case-insensitive substring test on title and description,
  both NFKC-normalised. Each result is ``a.result-link``; pages link each other with
  ``a[rel=next].next`` and ``a[rel=prev].prev``. A page out of range is a 404, a page
  that is not an integer a 400. ``sort=newest|oldest`` exists but robots.txt forbids it;
- ``/listing/<id>``: the listing page (CSS hooks below), with schema.org Product
  JSON-LD on the listings whose ``has_jsonld`` is set;
- ``/seller/<id>``: seller name, country, join date, contacts and listings;
- ``/img/<id>/<n>.jpg``: a listing photo, a deterministic JPEG (`sandbox.photos`),
  320x240 at quality 85;
- ``/robots.txt``: disallows ``/private/`` and sorted searches;
- ``/private/...``: a crawler trap (200, endless links), linked from every footer.

Listing page hooks: ``h1.listing-title``, ``.listing-description``, ``.listing-price``
(``data-amount``, ``data-currency``, local price text), ``.listing-location``,
``time.listing-posted[datetime]``, ``a.seller-link[href=/seller/<id>]``,
``img.listing-photo[src=/img/<id>/<n>.jpg]`` and ``<html lang>``. All listing text is
escaped by the templates (autoescape); JSON-LD is escaped for a script element.
"""

from __future__ import annotations

import hashlib
import html
import json
import math
import re
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from jinja2 import FileSystemLoader
from markupsafe import Markup

from sandbox.corpus import Corpus, SandboxListing, Seller, format_price, search_key
from sandbox.photos import BAZAAR_FORMAT, JPEG_TYPE, PhotoCache, photo_key
from sandbox.server import Request, Response, Router
from sandbox.templating import template_environment

__all__ = [
    "PAGE_SIZE",
    "PLATFORM",
    "ROBOTS_TXT",
    "SITE_NAME",
    "MarketSite",
    "image_paths",
    "json_ld_script",
    "listing_photo",
    "placeholder_svg",
    "product_json_ld",
]

PLATFORM = "sandbox-bazaar"
SITE_NAME = "Bazaar"
PAGE_SIZE = 20
TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
ROBOTS_TXT = "User-agent: *\nDisallow: /private/\nDisallow: /search?*sort=\n"

_SORTS = ("newest", "oldest")
_INTEGER = re.compile(r"-?[0-9]+")
_HOME_LISTINGS = 12
_ISO = "%Y-%m-%dT%H:%M:%SZ"
_SHOWN = "%Y-%m-%d %H:%M UTC"


def amount_text(price: Decimal | float) -> str:
    """A machine-readable price: plain decimal notation, no exponent."""
    return format(Decimal(str(price)), "f")


def _listing_path(listing_id: str) -> str:
    """The path of a listing page."""
    return f"/listing/{quote(listing_id, safe='')}"


def _seller_path(seller_id: str) -> str:
    """The path of a seller page."""
    return f"/seller/{quote(seller_id, safe='')}"


def image_paths(listing: SandboxListing) -> list[str]:
    """The paths of a listing's photos, in order."""
    base = quote(listing.listing_id, safe="")
    return [f"/img/{base}/{n}.jpg" for n in range(1, listing.image_count + 1)]


def json_ld_script(data: Any) -> str:
    """`data` as JSON that is safe inside a ``<script>`` element (no ``</`` or ``<!--``)."""
    text = json.dumps(data, ensure_ascii=False, indent=1)
    return text.replace("</", "<\\/").replace("<!--", "<\\u0021--")


def product_json_ld(listing: SandboxListing, seller: Seller, base_url: str) -> dict[str, Any]:
    """The schema.org Product description of a listing, with absolute URLs."""
    return {
        "@context": "https://schema.org",
        "@type": "Product",
        "sku": listing.listing_id,
        "name": listing.title,
        "description": listing.description,
        "image": [f"{base_url}{path}" for path in image_paths(listing)],
        "offers": {
            "@type": "Offer",
            "price": amount_text(listing.price),
            "priceCurrency": listing.currency,
            "url": f"{base_url}{_listing_path(listing.listing_id)}",
            "availability": "https://schema.org/InStock",
            "seller": {
                "@type": "Person",
                "name": seller.name,
                "url": f"{base_url}{_seller_path(seller.seller_id)}",
            },
        },
    }


def listing_photo(corpus: Corpus, listing_id: str, n: str, photos: PhotoCache) -> Response | None:
    """Photo `n` of a listing as the site stores it (`photos`); None when there is none."""
    listing = corpus.by_id.get(listing_id)
    if listing is None or str(int(n)) != n or not 1 <= int(n) <= listing.image_count:
        return None
    body = photos.jpeg(photo_key(listing.photo_seed, int(n)))
    return Response(200, body, JPEG_TYPE, (("Cache-Control", "max-age=86400"),))


def trap_depth(request: Request) -> int:
    """How deep into the crawler trap a request is (its ``page``, 1 when unreadable)."""
    raw = request.arg("page") or "1"
    return max(int(raw), 1) if _INTEGER.fullmatch(raw) and 0 < len(raw) <= 9 else 1


def placeholder_svg(listing_id: str, n: int) -> str:
    """A 320x240 placeholder photo whose colours and shapes depend only on id and number."""
    digest = hashlib.sha256(f"{listing_id}/{n}".encode()).digest()
    hue = digest[0] * 360 // 256
    shapes = []
    for i in range(3):
        x, y, r = 40 + digest[1 + i] % 240, 30 + digest[4 + i] % 150, 20 + digest[7 + i] % 50
        shade = 55 + digest[10 + i] % 25
        shapes.append(f'<circle cx="{x}" cy="{y}" r="{r}" fill="hsl({hue}, 40%, {shade}%)"/>')
    label = html.escape(f"{SITE_NAME} · {listing_id} · {n}")
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" width="320" height="240" '
        f'viewBox="0 0 320 240" role="img" aria-label="{label}">'
        f'<rect width="320" height="240" fill="hsl({hue}, 45%, 88%)"/>'
        + "".join(shapes)
        + f'<text x="160" y="228" text-anchor="middle" font-family="sans-serif" '
        f'font-size="13" fill="hsl({hue}, 45%, 25%)">{label}</text></svg>\n'
    )


class MarketSite:
    """The Bazaar marketplace over one corpus; a `sandbox.server.Site`."""

    name = SITE_NAME
    platform = PLATFORM

    def __init__(
        self, corpus: Corpus, *, page_size: int = PAGE_SIZE, photos: PhotoCache | None = None
    ) -> None:
        self.page_size = page_size
        self.photos = photos if photos is not None else PhotoCache(BAZAAR_FORMAT)
        self.replace_corpus(corpus)
        self._env = template_environment(FileSystemLoader(TEMPLATES_DIR), site_name=self.name)
        self.router = Router()
        self.router.add(r"/", self.home)
        self.router.add(r"/search", self.search)
        self.router.add(r"/listing/(?P<listing_id>[^/]+)", self.listing)
        self.router.add(r"/seller/(?P<seller_id>[^/]+)", self.seller)
        self.router.add(r"/img/(?P<listing_id>[^/]+)/(?P<n>[0-9]+)\.jpg", self.image)
        self.router.add(r"/robots\.txt", self.robots)
        self.router.add(r"/private/(?P<rest>.*)", self.private)

    def replace_corpus(self, corpus: Corpus) -> None:
        """Serve `corpus` from now on: sellers edit and remove listings between crawls."""
        newest = tuple(
            sorted(corpus.listings, key=lambda x: (-x.posted_at.timestamp(), x.listing_id))
        )
        keys = {x.listing_id: search_key(x.text) for x in corpus.listings}
        # Swapped together, so a request in flight sees one corpus or the other.
        self.corpus, self._newest, self._keys = corpus, newest, keys

    # -- plumbing

    def handle(self, request: Request) -> Response:
        """Route one request; unknown paths get the 404 page."""
        response = self.router.dispatch(request)
        return response if response is not None else self._error(404, "No such page.")

    def render(self, template: str, **context: Any) -> str:
        """One of the site's templates, rendered with autoescaping."""
        context.setdefault("lang", "en")
        context.setdefault("query", "")
        return self._env.get_template(template).render(**context)

    def _error(self, status: int, message: str) -> Response:
        """The styled error page."""
        page = self.render("error.html", status=status, message=message)
        return Response.html(page, status)

    def _card(self, listing: SandboxListing) -> Mapping[str, Any]:
        """What the templates show about a listing in a list or on its page."""
        return {
            "listing": listing,
            "href": _listing_path(listing.listing_id),
            "price_text": format_price(listing.price, listing.currency, listing.language),
            "amount": amount_text(listing.price),
            "posted_iso": listing.posted_at.strftime(_ISO),
            "posted_text": listing.posted_at.strftime(_SHOWN),
        }

    # -- pages

    def home(self, request: Request) -> Response:
        """The front page: search box and the newest listings."""
        cards = [self._card(x) for x in self._newest[:_HOME_LISTINGS]]
        return Response.html(self.render("home.html", cards=cards, total=len(self.corpus.listings)))

    def search(self, request: Request) -> Response:
        """Search results, `page_size` a page, newest (or oldest) first."""
        query = (request.arg("q") or "").strip()
        raw_page = (request.arg("page") or "1").strip()
        sort = request.arg("sort") or "newest"
        if _INTEGER.fullmatch(raw_page) is None:
            return self._error(400, "The page number must be a whole number.")
        page = int(raw_page) if len(raw_page) <= 18 else 0  # absurdly long: out of range
        if sort not in _SORTS:
            return self._error(400, f"Unknown sort order; use one of: {', '.join(_SORTS)}.")
        needle = search_key(query)
        ordered = self._newest if sort == "newest" else tuple(reversed(self._newest))
        matches = [x for x in ordered if needle in self._keys[x.listing_id]]
        pages = max(1, math.ceil(len(matches) / self.page_size))
        if not 1 <= page <= pages:
            return self._error(404, f"There is no page {page} of these results.")

        def page_url(number: int, order: str = sort) -> str:
            """The URL of one page of these results."""
            params: list[tuple[str, str]] = [("q", query)]
            if order != "newest":
                params.append(("sort", order))
            params.append(("page", str(number)))
            return f"/search?{urlencode(params)}"

        start = (page - 1) * self.page_size
        cards = [self._card(x) for x in matches[start : start + self.page_size]]
        return Response.html(
            self.render(
                "search.html",
                query=query,
                cards=cards,
                total=len(matches),
                first=start + 1,
                page=page,
                pages=pages,
                prev_url=page_url(page - 1) if page > 1 else None,
                next_url=page_url(page + 1) if page < pages else None,
                sort_urls={order: page_url(1, order) for order in _SORTS},
                sort=sort,
            )
        )

    def listing(self, request: Request, listing_id: str) -> Response:
        """One listing page."""
        listing = self.corpus.by_id.get(listing_id)
        if listing is None:
            return self._error(404, "This listing does not exist or has been removed.")
        seller = self.corpus.sellers_by_id[listing.seller_id]
        json_ld = None
        if listing.has_jsonld:
            data = product_json_ld(listing, seller, request.base_url)
            json_ld = Markup(json_ld_script(data))  # already safe for a script element
        page = self.render(
            "listing.html",
            lang=listing.language,
            card=self._card(listing),
            listing=listing,
            seller=seller,
            seller_href=_seller_path(seller.seller_id),
            images=image_paths(listing),
            json_ld=json_ld,
        )
        return Response.html(page)

    def seller(self, request: Request, seller_id: str) -> Response:
        """A seller's profile and listings, newest first."""
        seller = self.corpus.sellers_by_id.get(seller_id)
        if seller is None:
            return self._error(404, "This seller does not exist.")
        cards = [self._card(x) for x in self._newest if x.seller_id == seller_id]
        page = self.render(
            "seller.html",
            lang=seller.language,
            seller=seller,
            cards=cards,
            joined_iso=seller.joined.isoformat(),
        )
        return Response.html(page)

    def image(self, request: Request, listing_id: str, n: str) -> Response:
        """A listing photo; only numbers 1..image_count exist."""
        found = listing_photo(self.corpus, listing_id, n, self.photos)
        return found or self._error(404, "No such image.")

    def robots(self, request: Request) -> Response:
        """robots.txt: polite crawlers keep out of /private/ and sorted searches."""
        return Response.text(ROBOTS_TXT)

    def private(self, request: Request, rest: str) -> Response:
        """The crawler trap: each page links one deeper, forever."""
        depth = trap_depth(request)
        page = self.render("trap.html", depth=depth, next_url=f"/private/admin?page={depth + 1}")
        return Response.html(page)
