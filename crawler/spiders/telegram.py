"""Spider for public Telegram-style channels, read from their web preview (``/s/NAME``).

A preview page shows about twenty messages, oldest first, and a "load more" link
(``a.tme_messages_more[data-before]``) to the page of older ones; the spider walks
back until there is none. Message text is read as text; nothing in it is rendered.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from datetime import UTC
from typing import Any

from parsel import Selector
from scrapy.http import Response, TextResponse

from crawler.extract import parse_datetime
from crawler.html_text import first_line, html_to_text
from crawler.items import CrawledListing
from crawler.sources import TelegramSource
from crawler.spiders.base import SourceSpider

__all__ = ["TelegramSpider", "background_images"]

logger = logging.getLogger(__name__)

_POST = re.compile(r"^(?P<channel>[A-Za-z0-9_]{3,64})/(?P<id>[0-9]{1,12})$")
_BACKGROUND = re.compile(r"""background-image\s*:\s*url\(\s*(['"]?)(?P<url>[^'")]+)\1\s*\)""")


class TelegramSpider(SourceSpider):
    """Crawls the channels of one ``telegram`` source: one listing per text message.

    Service messages ("Channel created") and messages without text are skipped
    (``wildwatch/skipped/no_text``). Stats: ``wildwatch/channel_pages``,
    ``wildwatch/messages``, ``wildwatch/duplicates``.
    """

    kind = "telegram"
    source: TelegramSource

    def __init__(self, source: TelegramSource, **kwargs: Any) -> None:
        super().__init__(source, **kwargs)
        self._seen: set[str] = set()

    def parse_start(self, response: Response) -> Iterator[Any]:
        return self.parse_channel(response)

    def parse_channel(self, response: Response) -> Iterator[Any]:
        if not isinstance(response, TextResponse):
            self.count("errors")
            self.count("errors/not_html")
            return
        self.count("channel_pages")
        page = int(response.meta.get("wildwatch_page", 1))
        ids = []
        for message in response.css("div.tgme_widget_message[data-post]"):
            match = _POST.match(message.attrib.get("data-post", "").strip())
            if match is None:
                self.count("dropped/bad_post_id")
                continue
            ids.append(int(match["id"]))
            item = self._listing(response, message, match["channel"], match["id"])
            if item is not None:
                yield item
        before = response.css("a.tme_messages_more[data-before]::attr(data-before)").get("")
        if not before.strip().isdigit():
            return
        # An older page must start below every message seen here, or it would loop.
        if ids and int(before) > min(ids):
            logger.warning(
                "ignoring 'before=%s' on %s: not older than its messages", before, response.url
            )
            return
        if self.source.max_pages is None or page < self.source.max_pages:
            href = response.css("a.tme_messages_more[data-before]::attr(href)").get()
            yield self.follow(
                response,
                href or f"?before={before.strip()}",
                self.parse_channel,
                meta={"wildwatch_page": page + 1},
            )

    def _listing(
        self, response: TextResponse, message: Selector, channel: str, number: str
    ) -> CrawledListing | None:
        self.count("messages")
        post = f"{channel}/{number}"
        if post in self._seen:
            self.count("duplicates")
            return None
        self._seen.add(post)
        classes = message.attrib.get("class", "").split()
        # The post's own text (a quoted reply shows the replied-to text in a block too).
        body = message.css(".tgme_widget_message_text.js-message_text") or message.css(
            ".tgme_widget_message_text"
        )
        text = html_to_text(body[0].get()) if body else ""
        if "service_message" in classes or not text:
            self.count("skipped/no_text")
            return None
        owner = message.css("a.tgme_widget_message_owner_name")
        channel_name = html_to_text(owner[0].get()) if owner else ""
        href = owner[0].attrib.get("href") if owner else None
        channel_url = response.urljoin(href or f"/{channel}")
        signer = html_to_text(message.css(".tgme_widget_message_from_author").get(""))
        posted = parse_datetime(
            message.css("a.tgme_widget_message_date time::attr(datetime)").get()
        )
        hashtags = [
            t.strip()
            for t in body.css("a::text").getall()
            if t.strip().startswith("#") and len(t.strip()) > 1
        ]
        return self.crawled(
            response,
            platform_id=post,
            title=first_line(text),
            url=response.urljoin(f"/{post}"),
            description=text,
            seller_id=channel,
            seller_name=signer or channel_name or channel,
            seller_url=channel_url,
            posted_at=posted.astimezone(UTC) if posted else None,
            images=background_images(response, message),
            rendered_text=text,
            hashtags=hashtags,
        )


def background_images(response: TextResponse, message: Selector) -> list[str]:
    """Photo URLs of a message, from its photo links' CSS ``background-image``."""
    urls = []
    for style in message.css("a.tgme_widget_message_photo_wrap::attr(style)").getall():
        match = _BACKGROUND.search(style)
        if match:
            urls.append(response.urljoin(match["url"].strip()))
    return list(dict.fromkeys(urls))
