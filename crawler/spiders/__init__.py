"""Spiders, one per kind of source, found by the source's ``kind``.

Spider modules import Scrapy (and the browser kinds scrapy-playwright), so they are
loaded only when a source of their kind is crawled.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from crawler.spiders.base import SourceSpider

__all__ = ["SPIDERS", "spider_class"]

#: kind -> "module:Class"
SPIDERS = {
    "html_marketplace": "crawler.spiders.marketplace:MarketplaceSpider",
    "forum": "crawler.spiders.forum:ForumSpider",
    "social_feed": "crawler.spiders.social:SocialFeedSpider",
    "mastodon": "crawler.spiders.mastodon:MastodonSpider",
    "shopify": "crawler.spiders.shopify:ShopifySpider",
    "feed": "crawler.spiders.feed:FeedSpider",
    "telegram": "crawler.spiders.telegram:TelegramSpider",
}


def spider_class(kind: str) -> type[SourceSpider]:
    """The spider class that crawls sources of `kind`."""
    module, _, name = SPIDERS[kind].partition(":")
    cls: type[SourceSpider] = getattr(import_module(module), name)
    return cls
