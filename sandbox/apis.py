"""The sandbox's stand-ins for JSON APIs, feeds and channel previews, and one site
serving all four.

Each imitates a real format closely enough that a spider written against it reads
the real thing:

- `MastodonSite` (platform ``sandbox-mastodon``): hashtag timelines of a Mastodon
  instance, ``/api/v1/timelines/tag/<tag>``, paged by ``Link`` headers;
- `ShopifySite` (``sandbox-shopify``): a Shopify shop's ``/products.json?page=N``;
- `FeedSite` (``sandbox-noticeboard``): a classifieds board's ``/feed.rss`` (RSS 2.0)
  and ``/feed.atom`` (Atom);
- `TelegramSite` (``sandbox-telegram``): public channels' web preview, ``/s/<channel>``.

Each serves the listings of a `sandbox.corpus.Corpus` and exposes its ground truth
(what a complete crawl must find) as attributes. `ApiSandboxSite` mounts the four on
one server, so that one ``--base-url`` serves every source of these kinds::

    SandboxServer(site_factory=ApiSandboxSite)
"""

from __future__ import annotations

from sandbox.corpus import Corpus
from sandbox.feeds import FeedSite
from sandbox.mastodon import ROBOTS_TXT as MASTODON_ROBOTS
from sandbox.mastodon import MastodonSite
from sandbox.server import Request, Response, Router
from sandbox.shopify import ROBOTS_TXT as SHOPIFY_ROBOTS
from sandbox.shopify import ShopifySite
from sandbox.telegram import TelegramSite

__all__ = ["ApiSandboxSite", "FeedSite", "MastodonSite", "ShopifySite", "TelegramSite"]


def _robots(*files: str) -> str:
    """One robots.txt for everyone, with every site's Disallow lines."""
    rules = [line for text in files for line in text.splitlines() if line.startswith("Disallow:")]
    return "User-agent: *\n" + "".join(f"{rule}\n" for rule in dict.fromkeys(rules))


class ApiSandboxSite:
    """The four sites on one host (their paths do not overlap); a `sandbox.server.Site`.

    The Telegram preview goes last: its ``/<channel>`` pages match any one-word path.
    """

    name = "API sandbox"

    def __init__(self, corpus: Corpus) -> None:
        self.corpus = corpus
        self.mastodon = MastodonSite(corpus)
        self.shopify = ShopifySite(corpus)
        self.feeds = FeedSite(corpus)
        self.telegram = TelegramSite(corpus)
        robots = _robots(MASTODON_ROBOTS, SHOPIFY_ROBOTS)
        self._robots = Router()
        self._robots.add(r"/robots\.txt", lambda request: Response.text(robots))
        self._routers = [
            self._robots,
            self.mastodon.router,
            self.shopify.router,
            self.feeds.router,
            self.telegram.router,
        ]

    def handle(self, request: Request) -> Response:
        for router in self._routers:
            response = router.dispatch(request)
            if response is not None:
                return response
        return Response.html("<h1>Not found</h1>", 404)
