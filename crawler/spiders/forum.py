"""Spider for login-walled forums: board pages list threads, a thread's first post is
the offer and the replies under it become the listing's comments.

It crawls like a marketplace (``result_links``, ``next_page``, ``listing_id``,
``fields``) with the source's session cookie on every request. When the cookie
stops working the forum shows its login page: `crawler.blocks` recognises it by the
source's ``session.logged_out`` selector, drops it and pauses the source.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from parsel import Selector, SelectorList
from scrapy.http import TextResponse

from crawler.extract import visible_text
from crawler.sources import ForumSource
from crawler.spiders.marketplace import MarketplaceSpider

__all__ = ["ForumSpider", "thread_replies"]

logger = logging.getLogger(__name__)

# Where common forum engines put each post, and each post's own text, in page order
# (the sandbox's Den, XenForo, phpBB, vBulletin, Discourse, plain "post" markup).
POST_CONTAINERS = (
    "article.post",
    "article.message",
    "div.post",
    "li.postcontainer",
    ".topic-post",
    ".post",
)
POST_BODIES = (
    ".post-body",
    ".message-body",
    ".postbody .content",
    ".postbody",
    ".post-content",
    ".cooked",
    ".content",
)


class ForumSpider(MarketplaceSpider):
    """Crawls one ``forum`` source and yields `CrawledListing` items with the thread's
    replies as ``comments``.

    Replies are read with the source's ``comments`` selector when it has one, else
    as every post of the thread page after the first (`thread_replies`). Stats as the
    marketplace spider's, plus ``wildwatch/comments``.
    """

    kind = "forum"
    source: ForumSource

    def __init__(self, source: ForumSource, **kwargs: Any) -> None:
        super().__init__(source, **kwargs)
        session = source.session
        if session is not None and session.cookies_env and not os.environ.get(session.cookies_env):
            logger.warning(
                "source %s: %s is not set: the forum will show its login page",
                source.name,
                session.cookies_env,
            )

    def more_fields(self, response: TextResponse) -> dict[str, Any]:
        """A thread's replies, kept as the listing's comments."""
        page, query = response.selector, self.source.comments
        replies = _texts(page, query) if query else thread_replies(page)
        self.count("comments", len(replies))
        return {"comments": replies}


def thread_replies(page: Selector) -> list[str]:
    """The text of every post on a thread page but the first (the offer), in order."""
    for query in POST_CONTAINERS:
        posts = page.css(query)
        if posts:
            break
    else:
        return []
    texts = []
    for post in posts[1:]:
        body = _first_match(post, POST_BODIES)
        text = visible_text(body if body is not None else post)
        if text:
            texts.append(text)
    return texts


def _first_match(node: Selector, queries: tuple[str, ...]) -> Selector | None:
    for query in queries:
        found = node.css(query)
        if found:
            return found[0]
    return None


def _texts(page: Selector, query: str) -> list[str]:
    found: SelectorList[Selector] = (
        page.xpath(query) if query.startswith(("/", "(", "./")) else page.css(query)
    )
    return [t for t in (visible_text(node) for node in found) if t]
