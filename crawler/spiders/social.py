"""Spider for JavaScript-rendered social feeds: hashtag feeds scrolled in a real browser,
each post read from its rendered permalink page, with all its comments opened."""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator, Iterator, Sequence
from typing import Any

import scrapy
from parsel import Selector
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response, TextResponse
from twisted.python.failure import Failure

from crawler.browser import browser_meta, captured, close_page
from crawler.extract import apply_rule, extract_fields
from crawler.items import CrawledListing, Gone
from crawler.sources import Action, FieldRule, SocialFeedSource
from crawler.spiders.base import SourceSpider
from crawler.spiders.marketplace import page_language

__all__ = ["SocialFeedSpider", "title_from_text"]

logger = logging.getLogger(__name__)

#: A post has no title: its first line stands in, cut to this many characters.
TITLE_CHARS = 120


class SocialFeedSpider(SourceSpider):
    """Crawls one ``social_feed`` source in headless Chromium; yields `CrawledListing`s
    (with hashtags, comments and a full-page screenshot) and `Gone` for removed posts.

    Stats: ``wildwatch/feed_pages``, ``wildwatch/posts`` (post pages read),
    ``wildwatch/listings``, ``wildwatch/browser_errors``, ``wildwatch/dropped/<reason>``.
    """

    kind = "social_feed"
    source: SocialFeedSource

    def __init__(self, source: SocialFeedSource, **kwargs: Any) -> None:
        super().__init__(source, **kwargs)
        self._listing_id = re.compile(source.listing_id)
        self._posts_seen: set[str] = set()

    # -- requests: every page in the browser

    async def start(self) -> AsyncIterator[scrapy.Request]:
        # The base decides what to fetch (feeds, or listings to re-check); here each
        # request goes through the browser with the steps its page needs.
        async for request in super().start():
            if "wildwatch_recheck" in request.meta:
                yield self._in_browser(
                    request.replace(callback=self.parse_recheck_post),
                    self.source.post_actions,
                    capture=True,
                )
            else:
                yield self._in_browser(request, self.source.feed_actions)

    def _in_browser(
        self, request: scrapy.Request, actions: Sequence[Action], *, capture: bool = False
    ) -> scrapy.Request:
        meta = {**request.meta, **browser_meta(actions, capture=capture)}
        return request.replace(meta=meta, errback=self.close_page_on_error)

    async def close_page_on_error(self, failure: Failure) -> None:
        """Errback of every browser request: the page is ours to close, whatever failed."""
        request = getattr(failure, "request", None)
        meta = request.meta if request is not None else {}
        await close_page(meta.get("playwright_page"))
        if failure.check(IgnoreRequest):  # skipped on purpose (seen recently, budget)
            return
        self.count("browser_errors")
        logger.warning(
            "browser request failed: %s (%s)",
            request.url if request is not None else "?",
            failure.getErrorMessage(),
        )

    # -- feeds

    async def parse_start(self, response: Response) -> AsyncIterator[scrapy.Request]:
        """A feed page, already scrolled (`feed_actions`): one request per new post."""
        await close_page(response.meta.get("playwright_page"))
        self.count("feed_pages")
        if not isinstance(response, TextResponse):
            self.count("dropped/not_text")
            return
        for href in _select_all(response.selector, self.source.post_links):
            url = response.urljoin(href)
            match = self._listing_id.search(url)
            if match is None:
                self.count("dropped/no_listing_id")
                logger.warning("no post id in %s (pattern %s)", url, self.source.listing_id)
                continue
            # A post shows under each of its hashtags: fetch it once.
            if match.group("id") in self._posts_seen:
                continue
            self._posts_seen.add(match.group("id"))
            yield self._in_browser(
                self.request(
                    url,
                    self.parse_post,
                    meta={"wildwatch_listing": True, "handle_httpstatus_list": [404, 410]},
                ),
                self.source.post_actions,
                capture=True,
            )

    # -- posts

    async def parse_post(self, response: Response) -> AsyncIterator[CrawledListing | Gone]:
        """A post page, its steps run (`post_actions`) and captured: read it."""
        await close_page(response.meta.get("playwright_page"))
        for item in self.parse_listing(response):
            yield item

    async def parse_recheck_post(self, response: Response) -> AsyncIterator[Any]:
        """A post re-checked for takedown: read as the base reads any re-checked listing."""
        await close_page(response.meta.get("playwright_page"))
        for item in self.parse_recheck(response):
            yield item

    def parse_listing(self, response: Response) -> Iterator[CrawledListing | Gone]:
        """The post on a rendered page: the body is the DOM after the post's steps, the
        screenshot and visible text were taken then too."""
        self.count("posts")
        match = self.listing_match(response, self._listing_id)
        if match is None:
            return
        assert isinstance(response, TextResponse)
        fields = extract_fields(response.text, response.url, self.source.fields)
        if fields.removed:
            yield Gone(
                listing_id=f"{self.source.platform}:{match.group('id')}",
                url=response.url,
                status=response.status,
                reason=fields.removed[:200],
            )
            return
        # A post has no title of its own: without a rule for one, its first line (the
        # page's <title> names the author, not the post).
        title = fields.title if fields.sources.get("title") == "css" else None
        title = title or title_from_text(fields.description)
        shot = captured(response.meta)
        item = self.from_fields(
            response,
            match.group("id"),
            fields,
            title=title,
            language=page_language(response),
            hashtags=self._hashtags(response.selector),
            comments=self._comments(response.selector),
            rendered_text=shot.text if shot else None,
            screenshot=shot.screenshot if shot else None,
        )
        if item is not None:
            yield item

    def _hashtags(self, page: Selector) -> list[str]:
        """The post's hashtags without their '#', each once, in the order shown."""
        if not self.source.hashtags_on_post:
            return []
        tags = (t.strip().lstrip("#").strip() for t in _texts(page, self.source.hashtags_on_post))
        return list(dict.fromkeys(t for t in tags if t))

    def _comments(self, page: Selector) -> list[str]:
        """Each comment under the post as it shows, in order."""
        return _texts(page, self.source.comments) if self.source.comments else []


def title_from_text(text: str | None) -> str | None:
    """A post's stand-in title: its first non-empty line, at most `TITLE_CHARS` long."""
    if not text:
        return None
    line = next((ln.strip() for ln in text.splitlines() if ln.strip()), "")
    return line[:TITLE_CHARS].rstrip() or None


def _rule(query: str) -> FieldRule:
    if query.startswith(("/", "(", "./")):
        return FieldRule(xpath=query, all=True)
    return FieldRule(css=query, all=True)


def _texts(page: Selector, query: str) -> list[str]:
    """What every match of a CSS selector or XPath shows (an element: its visible text)."""
    return apply_rule(page, _rule(query))


def _select_all(page: Selector, query: str) -> list[str]:
    return [v.strip() for v in _texts(page, query) if v.strip()]
