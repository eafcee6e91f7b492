"""Spider for Mastodon-style instances: public hashtag timelines, read through the API.

Each timeline page is a JSON array of statuses; the next (older) page is named by the
``Link: <...>; rel="next"`` header. A status becomes a listing: its text is the HTML
``content`` read as text (nothing in it is rendered), its title the text's first line.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

from scrapy.http import Response

from crawler.extract import parse_datetime
from crawler.html_text import first_line, html_to_text
from crawler.items import CrawledListing
from crawler.sources import MastodonSource
from crawler.spiders.base import SourceSpider

__all__ = ["MastodonSpider", "link_header", "status_images"]

logger = logging.getLogger(__name__)

# One link-value of a Link header: <URL> followed by its parameters up to the next ",".
_LINK = re.compile(r"<(?P<url>[^>]*)>(?P<params>[^,<]*)")
_REL = re.compile(r"""rel\s*=\s*(?:"(?P<quoted>[^"]*)"|(?P<bare>[^\s;]+))""", re.IGNORECASE)


class MastodonSpider(SourceSpider):
    """Crawls the hashtag timelines of one ``mastodon`` source.

    A status seen under several hashtags is yielded once. A page that is not a JSON
    array is counted (``wildwatch/errors/bad_json``) and its ``next`` link still
    followed, so one bad page costs only its own statuses. Stats:
    ``wildwatch/timeline_pages``, ``wildwatch/statuses``, ``wildwatch/duplicates``.
    """

    kind = "mastodon"
    source: MastodonSource

    def __init__(self, source: MastodonSource, **kwargs: Any) -> None:
        super().__init__(source, **kwargs)
        self._seen: set[str] = set()

    def parse_start(self, response: Response) -> Iterator[Any]:
        return self.parse_timeline(response)

    def parse_timeline(self, response: Response) -> Iterator[Any]:
        self.count("timeline_pages")
        page = int(response.meta.get("wildwatch_page", 1))
        statuses = self._statuses(response)
        for status in statuses:
            item = self._listing(response, status)
            if item is not None:
                yield item
        next_url = link_header(response, "next")
        if next_url and (self.source.max_pages is None or page < self.source.max_pages):
            if _same_origin(next_url, response.url):
                yield self.request(next_url, self.parse_timeline, meta={"wildwatch_page": page + 1})
            else:
                self.count("errors/offsite_next")
                logger.warning("not following next page %s from %s", next_url, response.url)

    def _statuses(self, response: Response) -> list[dict[str, Any]]:
        try:
            data = json.loads(response.body)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            self._error("bad_json", response, f"not JSON: {exc}")
            return []
        if not isinstance(data, list):
            self._error("bad_json", response, f"expected a list of statuses, got {type(data)}")
            return []
        statuses = [s for s in data if isinstance(s, dict)]
        if len(statuses) < len(data):
            self.count("dropped/not_a_status", len(data) - len(statuses))
        return statuses

    def _error(self, kind: str, response: Response, message: str) -> None:
        self.count("errors")
        self.count(f"errors/{kind}")
        logger.warning("%s: %s", response.url, message)

    def _listing(self, response: Response, status: dict[str, Any]) -> CrawledListing | None:
        self.count("statuses")
        # A boost carries the boosted status; that is the post to read.
        if isinstance(status.get("reblog"), dict):
            status = status["reblog"]
        status_id = _text(status.get("id"))
        if not status_id:
            self.count("dropped/no_id")
            return None
        if status_id in self._seen:
            self.count("duplicates")
            return None
        self._seen.add(status_id)
        text = html_to_text(_text(status.get("content")))
        warning = _text(status.get("spoiler_text")).strip()
        if warning:  # a content warning is shown before the text
            text = f"{warning}\n{text}"
        account = status.get("account") if isinstance(status.get("account"), dict) else {}
        name = _text(account.get("display_name")) or _text(account.get("username"))
        item = self.crawled(
            response,
            platform_id=status_id,
            title=first_line(text),
            url=_http_url(status.get("url")) or _http_url(status.get("uri")),
            description=text or None,
            seller_id=_text(account.get("acct")) or None,
            seller_name=name or None,
            seller_url=_http_url(account.get("url")),
            posted_at=parse_datetime(_text(status.get("created_at"))),
            images=status_images(status),
            language=_text(status.get("language")) or None,
            rendered_text=text,
            hashtags=[_text(t.get("name")) for t in _dicts(status.get("tags"))],
        )
        return item


def link_header(response: Response, rel: str) -> str | None:
    """The absolute URL of the ``Link`` header entry with relation `rel`, if any."""
    for raw in response.headers.getlist("Link"):
        for match in _LINK.finditer(raw.decode("latin-1")):
            for found in _REL.finditer(match["params"]):
                rels = (found["quoted"] or found["bare"] or "").lower().split()
                if rel in rels and match["url"].strip():
                    return response.urljoin(match["url"].strip())
    return None


def status_images(status: dict[str, Any]) -> list[str]:
    """Photo URLs of a status: the full image for photos, the still for videos."""
    urls = []
    for media in _dicts(status.get("media_attachments")):
        key = "url" if media.get("type") == "image" else "preview_url"
        url = _http_url(media.get(key)) or _http_url(media.get("remote_url"))
        if url and url not in urls:
            urls.append(url)
    return urls


def _same_origin(url: str, other: str) -> bool:
    a, b = urlsplit(url), urlsplit(other)
    return (a.scheme, a.netloc) == (b.scheme, b.netloc)


def _text(value: object) -> str:
    if isinstance(value, bool):
        return ""
    return value if isinstance(value, str) else str(value) if isinstance(value, int) else ""


def _http_url(value: object) -> str | None:
    return value if isinstance(value, str) and re.match(r"^https?://", value, re.I) else None


def _dicts(value: object) -> list[dict[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []
