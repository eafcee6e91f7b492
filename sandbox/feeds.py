"""Noticeboard, a sandbox classifieds site with feeds (platform key ``sandbox-noticeboard``).

The corpus listings, newest first, are shared out between two boards, each with the
feed format classifieds sites commonly offer:

- ``/feed.rss``: the Marketplace board as RSS 2.0. Each ``<item>`` has ``title``,
  ``link``, a non-permalink ``guid``, ``pubDate`` (RFC 822, in the site's UTC+7),
  ``dc:creator``, ``dc:language``, ``description`` (escaped HTML), ``g:price``
  (Google merchant style, ``"290.00 GBP"``), ``category``, one ``enclosure`` and a
  ``media:content`` per photo;
- ``/feed.atom``: the Collectors' board as Atom 1.0. Each ``<entry xml:lang>`` has a
  ``tag:`` URI ``id``, ``title``, ``link rel="alternate"``, ``published`` and a later
  ``updated``, ``author`` (``name``, ``uri``), a short text ``summary``, the full
  ``content type="html"``, ``g:price``, ``category`` and a ``link rel="enclosure"``
  per photo.

Other routes: ``/`` (an HTML page that links the feeds), ``/ad/<id>``,
``/img/<id>/<n>.svg``, ``/robots.txt``. A feed path in `malformed` is sent cut off
before its first item, as a server that died mid-response sends it.
"""

from __future__ import annotations

import html
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from typing import Literal
from urllib.parse import quote

from sandbox.api_common import listing_hashtags
from sandbox.corpus import Corpus, SandboxListing, Seller
from sandbox.market import placeholder_svg
from sandbox.server import Request, Response, Router

__all__ = ["ATOM_PATH", "DEFAULT_PER_FEED", "PLATFORM", "RSS_PATH", "FeedEntry", "FeedSite"]

PLATFORM = "sandbox-noticeboard"
RSS_PATH = "/feed.rss"
ATOM_PATH = "/feed.atom"
DEFAULT_PER_FEED = 60
SITE_TIMEZONE = timezone(timedelta(hours=7))
_TAG_AUTHORITY = "noticeboard.example,2026"
_NS = {
    "atom": "http://www.w3.org/2005/Atom",
    "dc": "http://purl.org/dc/elements/1.1/",
    "g": "http://base.google.com/ns/1.0",
    "media": "http://search.yahoo.com/mrss/",
}
_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
_HOSTILE = (
    "<script>document.body.innerHTML='pwned'</script><iframe src='https://evil.example'></iframe>"
)


@dataclass(frozen=True)
class FeedEntry:
    """One ad as a feed carries it."""

    listing: SandboxListing
    seller: Seller
    feed: Literal["rss", "atom"]
    hostile: bool

    @property
    def entry_id(self) -> str:
        """The RSS ``guid`` or the Atom ``id``."""
        if self.feed == "rss":
            return f"noticeboard-ad-{self.listing.listing_id}"
        return f"tag:{_TAG_AUTHORITY}:ad/{self.listing.listing_id}"

    def url(self, base_url: str) -> str:
        return f"{base_url}/ad/{quote(self.listing.listing_id, safe='')}"

    def image_urls(self, base_url: str) -> list[str]:
        ad = quote(self.listing.listing_id, safe="")
        return [f"{base_url}/img/{ad}/{n}.svg" for n in range(1, self.listing.image_count + 1)]

    @property
    def price_text(self) -> str:
        return f"{self.listing.price:.2f} {self.listing.currency}"


class FeedSite:
    """The Noticeboard over one corpus; a `sandbox.server.Site`."""

    name = "Noticeboard"
    platform = PLATFORM

    def __init__(
        self,
        corpus: Corpus,
        *,
        per_feed: int = DEFAULT_PER_FEED,
        hostile: bool = True,
        malformed: Iterable[str] = (),
    ) -> None:
        self.corpus = corpus
        newest = sorted(corpus.listings, key=lambda x: (-x.posted_at.timestamp(), x.listing_id))
        entries = [
            FeedEntry(
                listing=listing,
                seller=corpus.sellers_by_id[listing.seller_id],
                feed="rss" if position % 2 == 0 else "atom",
                hostile=hostile and position % 9 == 4,
            )
            for position, listing in enumerate(newest)
        ]
        #: The entries of each feed, newest first.
        self.rss_entries = tuple(e for e in entries if e.feed == "rss")[:per_feed]
        self.atom_entries = tuple(e for e in entries if e.feed == "atom")[:per_feed]
        self.by_id = {e.listing.listing_id: e for e in self.rss_entries + self.atom_entries}
        self.malformed = frozenset(malformed)
        self.router = Router()
        self.router.add(r"/", self.home)
        self.router.add(r"/feed\.rss", self.rss)
        self.router.add(r"/feed\.atom", self.atom)
        self.router.add(r"/ad/(?P<ad_id>[^/]+)", self.ad)
        self.router.add(r"/img/(?P<ad_id>[^/]+)/(?P<n>[0-9]+)\.svg", self.image)
        self.router.add(r"/robots\.txt", lambda request: Response.text("User-agent: *\nAllow: /\n"))

    def handle(self, request: Request) -> Response:
        response = self.router.dispatch(request)
        return response if response is not None else Response.html("<h1>Not found</h1>", 404)

    # -- routes

    def home(self, request: Request) -> Response:
        return Response.html(
            '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Noticeboard</title>'
            f'<link rel="alternate" type="application/rss+xml" href="{RSS_PATH}">'
            f'<link rel="alternate" type="application/atom+xml" href="{ATOM_PATH}">'
            "</head><body><h1>Noticeboard</h1><p>Ads from our two boards, as feeds.</p>"
            "</body></html>"
        )

    def rss(self, request: Request) -> Response:
        base = request.base_url
        rss = ET.Element("rss", {"version": "2.0"})
        channel = ET.SubElement(rss, "channel")
        _text(channel, "title", "Noticeboard – Marketplace")
        _text(channel, "link", f"{base}/")
        _text(channel, "description", "The newest ads on the Marketplace board")
        ET.SubElement(
            channel,
            f"{{{_NS['atom']}}}link",
            {"href": f"{base}{RSS_PATH}", "rel": "self", "type": "application/rss+xml"},
        )
        for entry in self.rss_entries:
            listing = entry.listing
            item = ET.SubElement(channel, "item")
            _text(item, "title", listing.title)
            _text(item, "link", entry.url(base))
            _text(item, "guid", entry.entry_id).set("isPermaLink", "false")
            _text(item, "pubDate", format_datetime(listing.posted_at.astimezone(SITE_TIMEZONE)))
            _text(item, f"{{{_NS['dc']}}}creator", entry.seller.name)
            _text(item, f"{{{_NS['dc']}}}language", listing.language)
            _text(item, "description", _description_html(entry, base))
            _text(item, f"{{{_NS['g']}}}price", entry.price_text)
            for tag in listing_hashtags(listing):
                _text(item, "category", tag)
            images = entry.image_urls(base)
            if images:
                ET.SubElement(
                    item, "enclosure", {"url": images[0], "type": "image/svg+xml", "length": "0"}
                )
            for url in images:
                ET.SubElement(
                    item,
                    f"{{{_NS['media']}}}content",
                    {"url": url, "medium": "image", "type": "image/svg+xml"},
                )
        body = ET.tostring(rss, encoding="utf-8", xml_declaration=True)
        return self._feed(RSS_PATH, body, "application/rss+xml; charset=utf-8", "<item>")

    def atom(self, request: Request) -> Response:
        base = request.base_url
        # Atom's own elements are unprefixed, in the default namespace, as feeds have them.
        feed = ET.Element("feed", {"xmlns": _NS["atom"]})
        _text(feed, "title", "Noticeboard – Collectors' corner")
        _text(feed, "id", f"tag:{_TAG_AUTHORITY}:board/collectors")
        newest = self.atom_entries[0].listing.posted_at if self.atom_entries else None
        _text(feed, "updated", _rfc3339(newest or datetime(2026, 1, 1, tzinfo=SITE_TIMEZONE)))
        ET.SubElement(feed, "link", {"rel": "self", "href": f"{base}{ATOM_PATH}"})
        ET.SubElement(feed, "link", {"rel": "alternate", "href": f"{base}/"})
        for entry in self.atom_entries:
            listing = entry.listing
            node = ET.SubElement(feed, "entry", {_XML_LANG: listing.language})
            _text(node, "id", entry.entry_id)
            _text(node, "title", listing.title)
            ET.SubElement(
                node,
                "link",
                {"rel": "alternate", "type": "text/html", "href": entry.url(base)},
            )
            _text(node, "published", _rfc3339(listing.posted_at))
            _text(node, "updated", _rfc3339(listing.posted_at + timedelta(hours=1)))
            author = ET.SubElement(node, "author")
            _text(author, "name", entry.seller.name)
            _text(author, "uri", f"{base}/seller/{quote(entry.seller.seller_id, safe='')}")
            _text(node, "summary", listing.description[:80]).set("type", "text")
            _text(node, "content", _description_html(entry, base)).set("type", "html")
            _text(node, f"{{{_NS['g']}}}price", entry.price_text)
            for tag in listing_hashtags(listing):
                ET.SubElement(node, "category", {"term": tag})
            for url in entry.image_urls(base):
                ET.SubElement(
                    node, "link", {"rel": "enclosure", "type": "image/svg+xml", "href": url}
                )
        body = ET.tostring(feed, encoding="utf-8", xml_declaration=True)
        return self._feed(ATOM_PATH, body, "application/atom+xml; charset=utf-8", "<entry")

    def ad(self, request: Request, ad_id: str) -> Response:
        entry = self.by_id.get(ad_id)
        if entry is None:
            return Response.html("<h1>This ad is gone</h1>", 404)
        listing = entry.listing
        return Response.html(
            f'<!doctype html><html lang="{listing.language}"><head><meta charset="utf-8">'
            f"<title>{html.escape(listing.title)}</title></head><body>"
            f"<h1>{html.escape(listing.title)}</h1><p>{html.escape(listing.description)}</p>"
            f"<p>{html.escape(entry.price_text)}</p></body></html>"
        )

    def image(self, request: Request, ad_id: str, n: str) -> Response:
        entry = self.by_id.get(ad_id)
        if entry is None or str(int(n)) != n or not 1 <= int(n) <= entry.listing.image_count:
            return Response.html("<h1>Not found</h1>", 404)
        body = placeholder_svg(entry.listing.listing_id, int(n)).encode("utf-8")
        return Response(200, body, "image/svg+xml", (("Cache-Control", "max-age=86400"),))

    def _feed(self, path: str, body: bytes, content_type: str, first_item: str) -> Response:
        if path in self.malformed:
            cut = body.find(first_item.encode())
            body = body[: cut if cut > 0 else len(body) // 2]
        return Response(200, body, content_type)


for _prefix, _uri in _NS.items():
    ET.register_namespace(_prefix, _uri)


def _text(parent: ET.Element, tag: str, text: str) -> ET.Element:
    node = ET.SubElement(parent, tag)
    node.text = text
    return node


def _rfc3339(moment: datetime) -> str:
    return moment.astimezone(SITE_TIMEZONE).isoformat()


def _description_html(entry: FeedEntry, base_url: str) -> str:
    """The ad as the HTML feeds embed (escaped once more by the XML writer)."""
    images = "".join(f'<img src="{html.escape(u)}" alt="">' for u in entry.image_urls(base_url))
    body = f"<p>{html.escape(entry.listing.description)}</p>"
    if images:
        body += f"<p>{images}</p>"
    return f"{body}{_HOSTILE}" if entry.hostile else body
