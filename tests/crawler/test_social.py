"""The Chirp social feed crawled in real headless Chromium over real loopback HTTP.

Chirp's pages are empty shells filled in by JavaScript: feeds load posts as the
reader scrolls, posts show three comments until "Show more comments" is clicked.
"""

from __future__ import annotations

import asyncio
import math
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote

import pytest
from parsel import Selector
from playwright.async_api import Page, async_playwright

from crawler.browser import click, scroll, track_network
from crawler.settings import BROWSER_ARGS, CHROMIUM
from sandbox.corpus import build_corpus
from sandbox.server import RequestRecord, SandboxServer
from sandbox.social import COMMENTS_STEP, ChirpSite, Post
from tests.crawler.conftest import CrawlOutput, crawl_sources, write_sources

POSTS = 18
BATCH = 4  # posts a feed loads at a time: every feed needs scrolling

#: The Chirp entry of config/sources.yaml.
CHIRP = {
    "kind": "social_feed",
    "platform": "sandbox-chirp",
    "hashtags": ["wildlife", "collectibles", "forsale", "古玩"],
    "hashtag_url": "/tag/{hashtag}",
    "feed_actions": [{"scroll": 30, "pause_ms": 300}],
    "post_links": "article.post-card a.post-link::attr(href)",
    "post_actions": [
        {"wait_for": ".post-text, .post-removed", "pause_ms": 0},
        {"click": "button.more-comments", "repeat": 50, "pause_ms": 300},
    ],
    "listing_id": "/p/(?P<id>[0-9]+)",
    "fields": {
        "description": ".post-text",
        "posted_at": "time.post-time::attr(datetime)",
        "seller_name": "a.post-author .author-name",
        "seller_id": {"css": "a.post-author .author-handle", "re": "@(?P<id>\\w+)"},
        "seller_url": "a.post-author::attr(href)",
        "images": {"css": "img.post-image::attr(src)", "all": True},
        "removed": ".post-removed",
    },
    "comments": "li.comment",
    "hashtags_on_post": "a.hashtag",
    "allow_private": True,
    "politeness": {"download_delay": 0, "concurrency": 4},
}


@dataclass(frozen=True)
class Crawl:
    server: SandboxServer
    site: ChirpSite
    output: CrawlOutput
    requests: list[RequestRecord]  # what the site answered during the crawl

    def listing(self, post: Post) -> dict[str, Any]:
        [found] = [r for r in self.output.listings if r["listing"]["platform_id"] == post.post_id]
        return found


def _shown(text: str) -> str:
    """Text as a page shows it: lines trimmed, runs of spaces (no-break too) as one."""
    lines = (" ".join(line.replace("\u00a0", " ").split()) for line in text.splitlines())
    return "\n".join(line for line in lines if line)


@pytest.fixture(scope="module")
def chirp() -> Iterator[SandboxServer]:
    corpus = build_corpus(size=40)
    factory = lambda c: ChirpSite(c, posts=POSTS, batch_size=BATCH, removed=1)  # noqa: E731
    with SandboxServer(corpus=corpus, site_factory=factory) as server:
        yield server


@pytest.fixture(scope="module")
def crawl(chirp: SandboxServer, tmp_path_factory: pytest.TempPathFactory) -> Crawl:
    workdir = tmp_path_factory.mktemp("chirp")
    sources = write_sources(workdir / "sources.yaml", {"sandbox-chirp": CHIRP})
    output = crawl_sources(sources, ["sandbox-chirp"], workdir, base_url=chirp.url)
    assert output.returncode == 0, output.stderr[-3000:]
    site = chirp.site
    assert isinstance(site, ChirpSite)
    return Crawl(chirp, site, output, chirp.requests)


def test_every_post_of_every_hashtag_is_found_once(crawl: Crawl) -> None:
    site = crawl.site
    # The feeds are longer than one batch, and posts carry several hashtags.
    assert all(len(site.tagged(tag)) > BATCH for tag in site.hashtags)
    assert sum(len(site.tagged(tag)) for tag in site.hashtags) > len(site.posts)

    live = {p.post_id for p in site.posts if not p.removed}
    ids = [r["listing"]["platform_id"] for r in crawl.output.listings]
    assert len(ids) == len(set(ids)) == len(live)
    assert set(ids) == live
    assert all(
        r["listing"]["id"] == f"sandbox-chirp:{r['listing']['platform_id']}"
        for r in crawl.output.listings
    )

    # Every feed was scrolled to its end, and every permalink fetched exactly once.
    fetched = [r for r in crawl.requests if r.method == "GET"]
    for tag in site.hashtags:
        api = f"/api/tag/{quote(tag)}"
        cursors = {r.query for r in fetched if r.path == api}
        assert len(cursors) == math.ceil(len(site.tagged(tag)) / BATCH), tag
    permalinks = [r.path for r in fetched if r.path.startswith("/p/")]
    assert sorted(permalinks) == sorted(p.path for p in site.posts)

    stats = crawl.output.stats["sandbox-chirp"]
    assert stats["wildwatch/feed_pages"] == len(site.hashtags)
    assert stats["wildwatch/posts"] == len(site.posts)
    assert stats["wildwatch/listings"] == len(live)
    assert "wildwatch/browser_errors" not in stats


def test_posts_are_read_from_the_rendered_page(crawl: Crawl) -> None:
    base = crawl.server.url
    for post in crawl.site.posts:
        if post.removed:
            continue
        listing = crawl.listing(post)["listing"]
        assert listing["platform"] == "sandbox-chirp"
        assert listing["url"] == f"{base}{post.path}"
        assert listing["title"] == _shown(post.title)
        assert listing["description"] == _shown(post.text)
        assert listing["seller"] == {
            "id": post.author.handle,
            "name": post.author.name,
            "profile_url": f"{base}{post.author.path}",
        }
        assert listing["hashtags"] == list(post.hashtags)
        assert datetime.fromisoformat(listing["posted_at"]) == post.posted_at
        assert listing["image_urls"] == [f"{base}{path}" for path in post.image_paths]
        assert listing["language"] == post.listing.language


def test_all_comments_are_opened_not_just_the_first_three(crawl: Crawl) -> None:
    posts = [p for p in crawl.site.posts if not p.removed]
    assert max(len(p.comments) for p in posts) > 3 * COMMENTS_STEP  # takes several clicks
    for post in posts:
        comments = crawl.listing(post)["listing"]["comments"]
        assert comments == [_shown(c.shown) for c in post.comments], post.post_id


def test_markup_in_a_comment_stays_text(crawl: Crawl) -> None:
    hostile = '<img src=x onerror="alert(1)"> still for sale?'
    posts = [p for p in crawl.site.posts if any(c.text == hostile for c in p.comments)]
    assert posts and not all(p.removed for p in posts)
    for post in posts:
        if not post.removed:
            comments = crawl.listing(post)["listing"]["comments"]
            assert any(c.endswith(f": {hostile}") for c in comments)


def test_each_post_page_was_rendered_and_screenshotted(crawl: Crawl) -> None:
    for record in crawl.output.listings:
        capture = record["capture"]
        assert capture["rendered"] is True
        assert capture["screenshot"] is True
        assert capture["final_url"] == record["listing"]["url"]


def test_a_removed_post_is_reported_gone(crawl: Crawl) -> None:
    [removed] = [p for p in crawl.site.posts if p.removed]
    assert crawl.output.gone == [
        {
            "listing_id": f"sandbox-chirp:{removed.post_id}",
            "url": f"{crawl.server.url}{removed.path}",
            "status": 200,
            "reason": "This post has been removed.",
        }
    ]


def test_without_a_browser_the_pages_show_no_posts(chirp: SandboxServer) -> None:
    site = chirp.site
    assert isinstance(site, ChirpSite)
    post = next(p for p in site.posts if p.comments and not p.removed)
    for path in (f"/tag/{quote(site.hashtags[0])}", post.path):
        with urllib.request.urlopen(f"{chirp.url}{path}", timeout=10) as response:
            html = response.read().decode("utf-8")
        page = Selector(text=html)
        assert not page.css("article.post-card, .post-text, li.comment")
        for shown in site.posts:
            assert shown.title not in html
            assert shown.listing.description not in html
            assert shown.author.name not in html


async def _on_a_background_tab(url: str, steps: Any) -> Any:
    """Run `steps(page)` on a page that is not the browser's front tab (as most of a
    crawler's pages are): such a page gets no frames from a scripted scroll."""
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=list(BROWSER_ARGS)
        )
        try:
            context = await browser.new_context()
            page = await context.new_page()
            await track_network(page)
            await page.goto(url)
            front = await context.new_page()
            await front.bring_to_front()
            return await steps(page)
        finally:
            await browser.close()


def test_scrolling_stops_once_the_feed_stops_growing(chirp: SandboxServer) -> None:
    site = chirp.site
    assert isinstance(site, ChirpSite)
    tag = site.hashtags[0]
    batches = math.ceil(len(site.tagged(tag)) / BATCH)

    async def steps(page: Page) -> tuple[int, int]:
        grew = await scroll(page, 200, pause_ms=100)
        return grew, await page.locator("article.post-card").count()

    grew, cards = asyncio.run(_on_a_background_tab(f"{chirp.url}/tag/{quote(tag)}", steps))
    assert cards == len(site.tagged(tag))
    # The first batch may still be arriving when scrolling starts.
    assert batches - 1 <= grew <= batches


def test_clicking_repeats_while_the_button_is_there(chirp: SandboxServer) -> None:
    site = chirp.site
    assert isinstance(site, ChirpSite)
    post = max((p for p in site.posts if not p.removed), key=lambda p: len(p.comments))

    async def steps(page: Page) -> tuple[int, list[str]]:
        await page.wait_for_selector("li.comment")
        clicks = await click(page, "button.more-comments", repeat=50, pause_ms=100)
        return clicks, await page.locator("li.comment").all_inner_texts()

    clicks, comments = asyncio.run(_on_a_background_tab(f"{chirp.url}{post.path}", steps))
    assert clicks == math.ceil(len(post.comments) / COMMENTS_STEP) - 1
    assert [_shown(c) for c in comments] == [_shown(c.shown) for c in post.comments]
