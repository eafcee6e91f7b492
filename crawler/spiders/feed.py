"""Spider for RSS and Atom feeds: one listing per entry.

Feeds are fetched by Scrapy and parsed by feedparser from the body bytes (wrapped in
a stream, so that feedparser never opens a URL or a file named by hostile input).
Entry HTML (summary, content) is read as text; nothing in it is rendered.
"""

from __future__ import annotations

import calendar
import hashlib
import io
import logging
import re
import xml.sax
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import feedparser
from scrapy.http import Response

from crawler.extract import parse_price
from crawler.html_text import first_line, html_to_text
from crawler.items import CrawledListing
from crawler.money import ISO_4217
from crawler.sources import FeedSource
from crawler.spiders.base import SourceSpider

__all__ = ["FeedSpider", "entry_images", "entry_price", "parse_feed"]

logger = logging.getLogger(__name__)

_HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
# Google merchant style "1250.00 USD" (the code may also come first).
_PRICE_CODE = re.compile(r"\b([A-Z]{3})\b")


class FeedSpider(SourceSpider):
    """Reads the RSS or Atom feeds in one ``feed`` source's start URLs.

    A response that is not a well-formed feed is counted
    (``wildwatch/errors/bad_feed``); entries feedparser could still read from it are
    kept. An entry seen in two feeds is yielded once. Stats: ``wildwatch/feeds``,
    ``wildwatch/entries``, ``wildwatch/duplicates``.
    """

    kind = "feed"
    source: FeedSource

    def __init__(self, source: FeedSource, **kwargs: Any) -> None:
        super().__init__(source, **kwargs)
        self._seen: set[str] = set()

    def parse_start(self, response: Response) -> Iterator[Any]:
        return self.parse_feed(response)

    def parse_feed(self, response: Response) -> Iterator[CrawledListing]:
        self.count("feeds")
        feed = parse_feed(response)
        problem = _feed_problem(feed)
        if problem:
            self.count("errors")
            self.count("errors/bad_feed")
            logger.warning("%s: %s (%d entries read)", response.url, problem, len(feed.entries))
        language = _str(feed.feed.get("language")) or None
        for entry in feed.entries:
            item = self._listing(response, entry, language)
            if item is not None:
                yield item

    def _listing(
        self, response: Response, entry: Any, feed_language: str | None
    ) -> CrawledListing | None:
        self.count("entries")
        link = _str(entry.get("link")) or None
        text = _entry_text(entry)
        # Without an id or a link, the entry's own content is all that tells it apart.
        platform_id = _str(entry.get("id")) or link or _content_id(entry, text)
        if platform_id in self._seen:
            self.count("duplicates")
            return None
        self._seen.add(platform_id)
        author = entry.get("author_detail") or {}
        price = entry_price(entry)
        published = entry.get("published_parsed") or entry.get("updated_parsed")
        return self.crawled(
            response,
            platform_id=platform_id,
            title=_str(entry.get("title")).strip() or first_line(text),
            url=link,
            description=text or None,
            price=price[0] if price else None,
            currency=price[1] if price else None,
            seller_name=_str(author.get("name")) or _str(entry.get("author")) or None,
            seller_url=_http(author.get("href")),
            posted_at=_struct_time(published),
            images=entry_images(entry),
            language=_entry_language(entry) or feed_language,
            rendered_text=text,
        )


def parse_feed(response: Response) -> Any:
    """feedparser's reading of `response`; relative links resolve against its URL."""
    content_type = response.headers.get("Content-Type", b"").decode("latin-1")
    headers = {"content-location": response.url, "content-type": content_type or "text/xml"}
    # A stream, never the bytes themselves: given a string or bytes, feedparser may
    # treat it as a URL to fetch or a path to open.
    return feedparser.parse(io.BytesIO(response.body), response_headers=headers)


def entry_price(entry: Any) -> tuple[float, str] | None:
    """Amount and ISO 4217 code from a Google merchant ``g:price`` ("12.50 USD")."""
    raw = _str(entry.get("g_price"))[:100]
    code = next((c for c in _PRICE_CODE.findall(raw) if c in ISO_4217), None)
    amount = parse_price(_PRICE_CODE.sub("", raw)) if code else None
    return (amount, code) if code and amount is not None else None


def entry_images(entry: Any) -> list[str]:
    """Image URLs of an entry: image enclosures, then media:content and media:thumbnail."""
    urls: list[str] = []
    for link in entry.get("links") or []:
        if link.get("rel") == "enclosure" and _str(link.get("type")).startswith("image/"):
            urls.append(_str(link.get("href")))
    for media in entry.get("media_content") or []:
        if media.get("medium") == "image" or _str(media.get("type")).startswith("image/"):
            urls.append(_str(media.get("url")))
    urls += [_str(t.get("url")) for t in entry.get("media_thumbnail") or []]
    return [u for u in dict.fromkeys(urls) if _http(u)]


def _feed_problem(feed: Any) -> str | None:
    """Why a parsed response is not a usable feed, or None when it is one."""
    if not feed.get("version"):
        return "not an RSS or Atom feed"
    error = feed.get("bozo_exception")
    if feed.get("bozo") and isinstance(error, xml.sax.SAXException):
        return f"malformed feed: {error}"
    return None


def _entry_text(entry: Any) -> str:
    """The fullest text an entry has: its content, else its summary, as plain text."""
    for part in [*(entry.get("content") or []), entry.get("summary_detail")]:
        if not part or not _str(part.get("value")).strip():
            continue
        value = _str(part.get("value"))
        if _str(part.get("type")) in _HTML_TYPES:
            return html_to_text(value)
        return "\n".join(line.strip() for line in value.splitlines() if line.strip())
    return ""


def _content_id(entry: Any, text: str) -> str:
    seen = f"{_str(entry.get('title'))}\n{_str(entry.get('published'))}\n{text}"
    return "sha1-" + hashlib.sha1(seen.encode("utf-8")).hexdigest()[:20]


def _entry_language(entry: Any) -> str | None:
    # RSS items say it with dc:language; Atom entries with xml:lang on their text.
    for value in (
        entry.get("language"),
        (entry.get("title_detail") or {}).get("language"),
        (entry.get("summary_detail") or {}).get("language"),
    ):
        if _str(value):
            return _str(value)[:16]
    return None


def _struct_time(value: Any) -> datetime | None:
    # feedparser gives dates as UTC struct_time.
    if not value:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(value), UTC)
    except (OverflowError, TypeError, ValueError):
        return None


def _str(value: object) -> str:
    return value if isinstance(value, str) else ""


def _http(value: object) -> str | None:
    return value if isinstance(value, str) and re.match(r"^https?://", value, re.I) else None
