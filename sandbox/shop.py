"""Mercado, a second sandbox marketplace (platform key ``sandbox-mercado``) over the same
corpus as Bazaar, for crawling with no field rules at all.

Each listing page is written in one of three styles, chosen per listing from a hash of
its id (`page_style`), so the generic extractor meets all three on one site:

- ``json-ld``: a schema.org Product in JSON-LD, plus the visible page;
- ``microdata``: the Product in microdata (``itemscope``/``itemprop``) and OpenGraph
  ``og:*``/``product:price:*`` meta tags;
- ``plain``: no structured markup at all: ``div``s with meaningless class names, the
  price written the local way with its symbol ("1.250.000 ₫", "12,80 €", "¥12,800"),
  labels and the posting time in the listing's language ("publicado hace 3 días").

Pages declare ``<html lang="LANGUAGE-COUNTRY">`` (the seller's), which is what settles
a bare "$" (MXN in Mexico, COP in Colombia, USD in the DR Congo) or "¥".

Posting times are shown relative to the site's clock: a listing posted 3 days before
the corpus's `EPOCH` shows as "3 days ago" now, so a crawler reads a date that is
`age_at` of the listing before its fetch.

Routes (GET and HEAD): ``/`` (front page), ``/buscar?page=N[&q=TEXT]`` (20 results a
page, newest first, ``a.item-link`` to each listing, ``a.next[rel=next]`` and
``a.prev``; 404 out of range, 400 for a page that is not a number), ``/item/<id>``,
``/vendedor/<id>`` (a seller and their listings), ``/img/<id>/<n>.jpg`` (listing
photos), ``/robots.txt`` (everything allowed but ``/private/``) and ``/private/...``
(a crawler trap linked from every footer).

Photos are Bazaar's pictures stored the way this site recompresses uploads: 300x225
at JPEG quality 55 (Bazaar: 320x240 at 85), so a listing on both sites has two
different files of one picture (`sandbox.photos`).
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote, urlencode

from jinja2 import FileSystemLoader
from markupsafe import Markup

from sandbox.corpus import EPOCH, Corpus, SandboxListing, Seller, format_price, search_key
from sandbox.market import amount_text, image_paths, json_ld_script, listing_photo, trap_depth
from sandbox.photos import MERCADO_FORMAT, PhotoCache
from sandbox.server import Request, Response, Router
from sandbox.templating import template_environment

__all__ = [
    "PAGE_SIZE",
    "PLATFORM",
    "ROBOTS_TXT",
    "SITE_NAME",
    "STYLES",
    "MercadoSite",
    "PageStyle",
    "age_at",
    "page_language_tag",
    "page_style",
    "posted_text",
]

PLATFORM = "sandbox-mercado"
SITE_NAME = "Mercado"
PAGE_SIZE = 20
TEMPLATES_DIR = Path(__file__).resolve().parent / "templates" / "shop"
ROBOTS_TXT = "User-agent: *\nDisallow: /private/\n"

PageStyle = Literal["json-ld", "microdata", "plain"]
STYLES: tuple[PageStyle, ...] = ("json-ld", "microdata", "plain")

_INTEGER = re.compile(r"-?[0-9]+")
_SIMILAR = 4  # other listings shown beside each one ("similar items", with their prices)

# Labels and "posted ... ago" in each corpus language: (location, seller, similar items,
# posted template, minute/hour/day words as (one, many)).
_Words = tuple[str, str, str, str, tuple[tuple[str, str], tuple[str, str], tuple[str, str]]]
_WORDS: dict[str, _Words] = {
    "en": (
        "Location",
        "Seller",
        "Similar items",
        "posted {n} {unit} ago",
        (("minute", "minutes"), ("hour", "hours"), ("day", "days")),
    ),
    "fr": (
        "Lieu",
        "Vendeur",
        "Annonces similaires",
        "publié il y a {n} {unit}",
        (("minute", "minutes"), ("heure", "heures"), ("jour", "jours")),
    ),
    "es": (
        "Ubicación",
        "Vendedor",
        "Artículos similares",
        "publicado hace {n} {unit}",
        (("minuto", "minutos"), ("hora", "horas"), ("día", "días")),
    ),
    "pt": (
        "Localização",
        "Vendedor",
        "Itens semelhantes",
        "publicado há {n} {unit}",
        (("minuto", "minutos"), ("hora", "horas"), ("dia", "dias")),
    ),
    "vi": (
        "Khu vực",
        "Người bán",
        "Tin tương tự",
        "đăng {n} {unit} trước",
        (("phút", "phút"), ("giờ", "giờ"), ("ngày", "ngày")),
    ),
    "zh": (
        "所在地",
        "卖家",
        "相似商品",
        "发布于 {n}{unit}前",
        (("分钟", "分钟"), ("小时", "小时"), ("天", "天")),
    ),
    "zh-Hant": (
        "所在地",
        "賣家",
        "相似商品",
        "發佈於 {n}{unit}前",
        (("分鐘", "分鐘"), ("小時", "小時"), ("天", "天")),
    ),
    "th": (
        "ที่ตั้ง",
        "ผู้ขาย",
        "สินค้าที่คล้ายกัน",
        "โพสต์เมื่อ {n} {unit}ที่แล้ว",
        (("นาที", "นาที"), ("ชั่วโมง", "ชั่วโมง"), ("วัน", "วัน")),
    ),
    "id": (
        "Lokasi",
        "Penjual",
        "Barang serupa",
        "diposting {n} {unit} yang lalu",
        (("menit", "menit"), ("jam", "jam"), ("hari", "hari")),
    ),
}
_TRADITIONAL_CHINESE = frozenset({"TW", "HK", "MO"})


def page_style(listing: SandboxListing) -> PageStyle:
    """The style a listing's page is written in; fixed by its id."""
    return STYLES[hashlib.sha256(listing.listing_id.encode()).digest()[0] % len(STYLES)]


def page_language_tag(listing: SandboxListing, seller: Seller) -> str:
    """The page's ``lang``: the listing's language and the seller's country ("es-MX")."""
    return f"{listing.language}-{seller.country}"


def _words(listing: SandboxListing, seller: Seller) -> _Words:
    if listing.language == "zh" and seller.country in _TRADITIONAL_CHINESE:
        return _WORDS["zh-Hant"]
    return _WORDS.get(listing.language, _WORDS["en"])


def age_at(listing: SandboxListing) -> timedelta:
    """How long before the site's "now" the listing was posted (its age at the EPOCH)."""
    return EPOCH - listing.posted_at


def posted_text(listing: SandboxListing, seller: Seller) -> str:
    """The posting time as the page words it ("posted 3 days ago"), in the largest unit."""
    template, units = _words(listing, seller)[3], _words(listing, seller)[4]
    minutes = max(1, int(age_at(listing).total_seconds() // 60))
    if minutes < 60:
        n, (one, many) = minutes, units[0]
    elif minutes < 24 * 60:
        n, (one, many) = minutes // 60, units[1]
    else:
        n, (one, many) = minutes // (24 * 60), units[2]
    return template.format(n=n, unit=one if n == 1 else many)


def _item_path(listing_id: str) -> str:
    return f"/item/{quote(listing_id, safe='')}"


def _seller_path(seller_id: str) -> str:
    return f"/vendedor/{quote(seller_id, safe='')}"


def product_json_ld(listing: SandboxListing, seller: Seller, base_url: str) -> dict[str, Any]:
    """The schema.org Product a ``json-ld`` page carries, with absolute URLs."""
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
            "url": f"{base_url}{_item_path(listing.listing_id)}",
            "availability": "https://schema.org/InStock",
            "availableAtOrFrom": {"@type": "Place", "name": listing.location},
            "seller": {
                "@type": "Person",
                "name": seller.name,
                "url": f"{base_url}{_seller_path(seller.seller_id)}",
            },
        },
    }


class MercadoSite:
    """The Mercado marketplace over one corpus; a `sandbox.server.Site`."""

    name = SITE_NAME
    platform = PLATFORM

    def __init__(
        self,
        corpus: Corpus,
        *,
        page_size: int = PAGE_SIZE,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        photos: PhotoCache | None = None,
    ) -> None:
        self.corpus = corpus
        self.photos = photos if photos is not None else PhotoCache(MERCADO_FORMAT)
        self.page_size = page_size
        self.clock = clock
        self._newest = tuple(
            sorted(corpus.listings, key=lambda x: (-x.posted_at.timestamp(), x.listing_id))
        )
        self._position = {x.listing_id: i for i, x in enumerate(self._newest)}
        self._keys = {x.listing_id: search_key(x.text) for x in corpus.listings}
        self._env = template_environment(FileSystemLoader(TEMPLATES_DIR), site_name=self.name)
        self.router = Router()
        self.router.add(r"/", self.home)
        self.router.add(r"/buscar", self.search)
        self.router.add(r"/item/(?P<listing_id>[^/]+)", self.item)
        self.router.add(r"/vendedor/(?P<seller_id>[^/]+)", self.seller)
        self.router.add(r"/img/(?P<listing_id>[^/]+)/(?P<n>[0-9]+)\.jpg", self.image)
        self.router.add(r"/robots\.txt", self.robots)
        self.router.add(r"/private/(?P<rest>.*)", self.private)

    # -- plumbing

    def handle(self, request: Request) -> Response:
        """Route one request; unknown paths get the 404 page."""
        response = self.router.dispatch(request)
        return response if response is not None else self._error(404, "Página no encontrada.")

    def render(self, template: str, **context: Any) -> str:
        context.setdefault("lang", "es")
        context.setdefault("query", "")
        return self._env.get_template(template).render(**context)

    def _error(self, status: int, message: str) -> Response:
        return Response.html(self.render("error.html", status=status, message=message), status)

    def posted_at(self, listing: SandboxListing) -> datetime:
        """When the listing's page says it was posted, read at the site's clock now."""
        return self.clock() - age_at(listing)

    def price_text(self, listing: SandboxListing) -> str:
        """The price as the listing's locale writes it, with its symbol."""
        return format_price(listing.price, listing.currency, listing.language)

    def _card(self, listing: SandboxListing) -> dict[str, Any]:
        return {
            "listing": listing,
            "href": _item_path(listing.listing_id),
            "price_text": self.price_text(listing),
        }

    # -- pages

    def home(self, request: Request) -> Response:
        cards = [self._card(x) for x in self._newest[:10]]
        page = self.render("home.html", cards=cards, total=len(self.corpus.listings))
        return Response.html(page)

    def search(self, request: Request) -> Response:
        """Search results, `page_size` a page, newest first."""
        query = (request.arg("q") or "").strip()
        raw_page = (request.arg("page") or "1").strip()
        if _INTEGER.fullmatch(raw_page) is None:
            return self._error(400, "El número de página debe ser un entero.")
        page = int(raw_page) if len(raw_page) <= 18 else 0
        needle = search_key(query)
        matches = [x for x in self._newest if needle in self._keys[x.listing_id]]
        pages = max(1, math.ceil(len(matches) / self.page_size))
        if not 1 <= page <= pages:
            return self._error(404, f"No existe la página {page}.")

        def page_url(number: int) -> str:
            params = [("q", query)] if query else []
            return f"/buscar?{urlencode([*params, ('page', str(number))])}"

        start = (page - 1) * self.page_size
        cards = [self._card(x) for x in matches[start : start + self.page_size]]
        return Response.html(
            self.render(
                "search.html",
                query=query,
                cards=cards,
                total=len(matches),
                page=page,
                pages=pages,
                prev_url=page_url(page - 1) if page > 1 else None,
                next_url=page_url(page + 1) if page < pages else None,
            )
        )

    def item(self, request: Request, listing_id: str) -> Response:
        """One listing page, in the listing's style."""
        listing = self.corpus.by_id.get(listing_id)
        if listing is None:
            return self._error(404, "Este anuncio no existe o fue retirado.")
        seller = self.corpus.sellers_by_id[listing.seller_id]
        style = page_style(listing)
        words = _words(listing, seller)
        base = request.base_url
        position = self._position[listing.listing_id]
        similar = [
            self._card(x)
            for x in (self._newest[position + 1 :] + self._newest[:position])[:_SIMILAR]
        ]
        json_ld = None
        if style == "json-ld":
            json_ld = Markup(json_ld_script(product_json_ld(listing, seller, base)))
        page = self.render(
            "item.html",
            style=style,
            lang=page_language_tag(listing, seller),
            listing=listing,
            seller=seller,
            seller_href=_seller_path(seller.seller_id),
            price_text=self.price_text(listing),
            amount=amount_text(listing.price),
            posted=posted_text(listing, seller),
            labels={"location": words[0], "seller": words[1], "similar": words[2]},
            images=image_paths(listing),
            image_urls=[f"{base}{path}" for path in image_paths(listing)],
            url=f"{base}{_item_path(listing.listing_id)}",
            json_ld=json_ld,
            similar=similar,
        )
        return Response.html(page)

    def seller(self, request: Request, seller_id: str) -> Response:
        seller = self.corpus.sellers_by_id.get(seller_id)
        if seller is None:
            return self._error(404, "Este vendedor no existe.")
        cards = [self._card(x) for x in self._newest if x.seller_id == seller_id]
        page = self.render("seller.html", lang=seller.language, seller=seller, cards=cards)
        return Response.html(page)

    def image(self, request: Request, listing_id: str, n: str) -> Response:
        found = listing_photo(self.corpus, listing_id, n, self.photos)
        return found or self._error(404, "No existe esta imagen.")

    def robots(self, request: Request) -> Response:
        return Response.text(ROBOTS_TXT)

    def private(self, request: Request, rest: str) -> Response:
        """The crawler trap: each page links one deeper, forever."""
        depth = trap_depth(request)
        next_url = f"/private/admin?page={depth + 1}"
        return Response.html(self.render("trap.html", depth=depth, next_url=next_url))
