"""Mastodon timelines, Shopify catalogues, RSS/Atom feeds and Telegram channel previews,
crawled over real HTTP from their sandbox sites with ``python -m crawler``.

Three crawls serve every test: the four sites, mounted on one server
(`sandbox.apis.ApiSandboxSite`), read completely; the same again with the crawl state
of the first (nothing is skipped: these requests fetch pages of items, not single
listings); and sites that send a malformed page, with sources that stop after a few
pages.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote

import pytest

from crawler.html_text import first_line, html_to_text
from sandbox.apis import ApiSandboxSite
from sandbox.corpus import Corpus, build_corpus
from sandbox.feeds import ATOM_PATH, RSS_PATH, FeedSite
from sandbox.mastodon import MastodonSite, normalize_tag
from sandbox.server import RequestRecord, SandboxServer
from sandbox.shopify import ShopifySite
from sandbox.telegram import UNSIGNED
from tests.crawler.conftest import CrawlOutput, crawl_sources, write_sources

HASHTAGS = ["ivory", "forsale", "出售"]
CHANNELS = ["chodocu_vn", "bonnes_affaires", "erhuo_market"]
SHOP_PAGE_SIZE = 10
SANDBOX = {"allow_private": True, "politeness": {"download_delay": 0, "concurrency": 8}}
HOSTILE_WORDS = ("pwned", "document.cookie", "alert(", "evil.example", "<script", "display:none")


@dataclass
class Crawl:
    output: CrawlOutput
    requests: dict[str, list[RequestRecord]]  # site key -> requests answered during the crawl

    def listings(self, source: str) -> list[dict[str, Any]]:
        return [
            r["listing"] for r in self.output.listings if r["listing"]["crawl"]["source"] == source
        ]

    def by_id(self, source: str) -> dict[str, dict[str, Any]]:
        return {x["platform_id"]: x for x in self.listings(source)}

    def stat(self, source: str, key: str) -> int:
        return int(self.output.stats[source].get(f"wildwatch/{key}", 0))


# ---------------------------------------------------------------- sites and crawls


@pytest.fixture(scope="module")
def corpus() -> Corpus:
    return build_corpus()


@pytest.fixture(scope="module")
def servers(corpus: Corpus) -> Iterator[dict[str, SandboxServer]]:
    factories = {
        "api": ApiSandboxSite,
        "mastodon_broken": lambda c: MastodonSite(c, malformed={"forsale": 2}),
        "shopify_broken": lambda c: ShopifySite(c, currency="USD", malformed_pages={2}),
        "feeds_broken": lambda c: FeedSite(c, malformed={ATOM_PATH}),
    }
    running = {
        key: SandboxServer(corpus=corpus, site_factory=factory).start()
        for key, factory in factories.items()
    }
    yield running
    for server in running.values():
        server.stop()


def sources(servers: dict[str, SandboxServer]) -> dict[str, Any]:
    """Every source the tests crawl, each with its own site's URL as base_url."""

    def on(key: str, body: dict[str, Any]) -> dict[str, Any]:
        return {**body, **SANDBOX, "base_url": servers[key].url}

    mastodon = {"kind": "mastodon", "platform": "sandbox-mastodon"}
    shopify = {"kind": "shopify", "platform": "sandbox-shopify", "currency": "USD"}
    feed = {"kind": "feed", "platform": "sandbox-noticeboard"}
    telegram = {"kind": "telegram", "platform": "sandbox-telegram"}
    return {
        "murmur": on("api", {**mastodon, "hashtags": [f"#{HASHTAGS[0]}", *HASHTAGS[1:]]}),
        "curio": on("api", {**shopify, "page_size": SHOP_PAGE_SIZE}),
        "noticeboard": on("api", {**feed, "start_urls": [RSS_PATH, ATOM_PATH]}),
        "channels": on("api", {**telegram, "channels": CHANNELS}),
        "murmur-broken": on("mastodon_broken", {**mastodon, "hashtags": ["forsale"]}),
        "curio-broken": on("shopify_broken", {**shopify, "page_size": SHOP_PAGE_SIZE}),
        "noticeboard-broken": on(
            "feeds_broken", {**feed, "start_urls": [RSS_PATH, ATOM_PATH, "/"]}
        ),
        "murmur-short": on(
            "api", {**mastodon, "hashtags": ["ivory"], "page_size": 20, "max_pages": 2}
        ),
        "channels-short": on("api", {**telegram, "channels": ["erhuo_market"], "max_pages": 2}),
    }


def api(servers: dict[str, SandboxServer]) -> ApiSandboxSite:
    """The four sites the complete crawls read, on one server."""
    site: ApiSandboxSite = servers["api"].site  # type: ignore[assignment]
    return site


def run(
    servers: dict[str, SandboxServer], names: list[str], workdir: Path, state_url: str | None = None
) -> Crawl:
    for server in servers.values():
        server.clear_requests()
    sources_file = write_sources(workdir / "sources.yaml", sources(servers))
    output = crawl_sources(sources_file, names, workdir, state_url=state_url)
    assert output.returncode == 0, output.stderr[-3000:]
    return Crawl(output, {key: server.requests for key, server in servers.items()})


COMPLETE = ["murmur", "curio", "noticeboard", "channels"]


@pytest.fixture(scope="module")
def state_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return f"sqlite:///{tmp_path_factory.mktemp('state') / 'state.db'}"


@pytest.fixture(scope="module")
def complete(
    servers: dict[str, SandboxServer], tmp_path_factory: pytest.TempPathFactory, state_url: str
) -> Crawl:
    return run(servers, COMPLETE, tmp_path_factory.mktemp("complete"), state_url)


@pytest.fixture(scope="module")
def again(
    complete: Crawl,
    servers: dict[str, SandboxServer],
    tmp_path_factory: pytest.TempPathFactory,
    state_url: str,
) -> Crawl:
    return run(servers, COMPLETE, tmp_path_factory.mktemp("again"), state_url)


@pytest.fixture(scope="module")
def broken(servers: dict[str, SandboxServer], tmp_path_factory: pytest.TempPathFactory) -> Crawl:
    names = [
        "murmur-broken",
        "curio-broken",
        "noticeboard-broken",
        "murmur-short",
        "channels-short",
    ]
    return run(servers, names, tmp_path_factory.mktemp("broken"), None)


def instant(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def assert_clean(listings: list[dict[str, Any]]) -> None:
    """No markup, script or style from the source's HTML reached any listing's text."""
    for listing in listings:
        text = f"{listing['title']}\n{listing['description']}"
        found = [w for w in HOSTILE_WORDS if w in text]
        assert not found, f"{listing['platform_id']}: {found} in {text!r}"


# ---------------------------------------------------------------- Mastodon


def test_mastodon_reads_every_status_of_every_hashtag_once(
    complete: Crawl, servers: dict[str, SandboxServer]
) -> None:
    site = api(servers).mastodon
    base = servers["api"].url
    timelines = {tag: site.timeline(tag) for tag in HASHTAGS}
    expected = {s.id: s for statuses in timelines.values() for s in statuses}
    listings = complete.listings("murmur")

    ids = [x["platform_id"] for x in listings]
    assert len(ids) == len(set(ids)), "a status was yielded twice"
    assert set(ids) == set(expected)
    # English ivory statuses are under #ivory and #forsale: read twice, yielded once.
    overlap = sum(len(t) for t in timelines.values()) - len(expected)
    assert overlap > 20
    assert complete.stat("murmur", "duplicates") == overlap
    assert {s.account.remote for s in expected.values()} == {True, False}

    for listing in listings:
        status = expected[listing["platform_id"]]
        source = status.listing
        assert listing["url"] == status.url(base)
        assert listing["title"] == source.title
        assert listing["description"] == f"{source.title}\n{source.description}\n" + " ".join(
            f"#{t}" for t in status.tags
        )
        assert listing["hashtags"] == list(status.tags)
        assert listing["seller"] == {
            "id": status.account.acct,
            "name": status.account.display_name,
            "profile_url": status.account.url(base),
        }
        assert instant(listing["posted_at"]) == source.posted_at
        assert listing["language"] == source.language
        assert listing["image_urls"] == status.media_urls(base)
        assert listing["price"] is None


def test_mastodon_follows_link_headers_to_the_last_page(
    complete: Crawl, servers: dict[str, SandboxServer]
) -> None:
    site = api(servers).mastodon
    pages = [r for r in complete.requests["api"] if r.path.startswith("/api/v1/timelines/")]
    assert all(r.status == 200 for r in pages)
    per_tag = Counter(normalize_tag(unquote(r.path.rsplit("/", 1)[1])) for r in pages)
    # 40 a page (the source's default); the last page has no "next" link.
    assert per_tag == {tag: math.ceil(len(site.timeline(tag)) / 40) for tag in HASHTAGS}
    max_ids = [parse_qs(r.query).get("max_id") for r in pages]
    assert sum(1 for m in max_ids if m) == sum(per_tag.values()) - len(HASHTAGS)


def test_mastodon_html_content_is_read_as_text(
    complete: Crawl, servers: dict[str, SandboxServer]
) -> None:
    site = api(servers).mastodon
    listings = complete.by_id("murmur")
    hostile = [s for s in site.statuses if s.hostile and s.id in listings]
    assert len(hostile) > 10  # their content opens with <script>, <style> and onerror
    for status in hostile:
        assert listings[status.id]["title"] == status.listing.title
    assert_clean(list(listings.values()))
    assert all(not r["capture"]["rendered"] for r in complete.output.listings)


def test_a_malformed_timeline_page_is_an_error_and_the_timeline_goes_on(
    broken: Crawl, servers: dict[str, SandboxServer]
) -> None:
    site: MastodonSite = servers["mastodon_broken"].site  # type: ignore[assignment]
    timeline = site.timeline("forsale")
    lost = {s.id for s in timeline[40:80]}  # page 2 arrives cut off
    got = {x["platform_id"] for x in broken.listings("murmur-broken")}
    assert got == {s.id for s in timeline} - lost
    assert broken.stat("murmur-broken", "errors/bad_json") == 1
    assert broken.stat("murmur-broken", "errors") == 1
    pages = [r for r in broken.requests["mastodon_broken"] if r.path.startswith("/api/")]
    assert len(pages) == math.ceil(len(timeline) / 40)


def test_max_pages_stops_each_hashtag_timeline(
    broken: Crawl, servers: dict[str, SandboxServer]
) -> None:
    site = api(servers).mastodon
    got = [x["platform_id"] for x in broken.listings("murmur-short")]
    assert got == [s.id for s in site.timeline("ivory")[:40]]


# ---------------------------------------------------------------- Shopify


def test_shopify_reads_the_whole_catalogue(
    complete: Crawl, servers: dict[str, SandboxServer]
) -> None:
    site = api(servers).shopify
    base = servers["api"].url
    expected = {str(p.id): p for p in site.products}
    listings = complete.listings("curio")
    ids = [x["platform_id"] for x in listings]
    assert len(ids) == len(set(ids))
    assert set(ids) == set(expected)
    assert any(p.bundle for p in site.products) and any(not p.available for p in site.products)

    for listing in listings:
        product = expected[listing["platform_id"]]
        source = product.listing
        assert listing["url"] == product.url(base)
        assert listing["title"] == source.title
        assert listing["description"] == source.description  # no script, no editor leftovers
        assert listing["price"] == float(source.price)  # the first variant's, not the bundle's
        assert listing["currency"] == "USD"
        assert listing["seller"]["name"] == product.vendor
        assert instant(listing["posted_at"]) == source.posted_at
        assert listing["image_urls"] == product.image_urls(base)
    assert_clean(listings)


def test_shopify_pages_until_an_empty_page(
    complete: Crawl, servers: dict[str, SandboxServer]
) -> None:
    site = api(servers).shopify
    pages = [r for r in complete.requests["api"] if r.path == "/products.json"]
    numbers = [int(parse_qs(r.query)["page"][0]) for r in pages]
    last = math.ceil(len(site.products) / SHOP_PAGE_SIZE)
    assert sorted(numbers) == list(range(1, last + 2))  # the page after the last is empty
    assert {parse_qs(r.query)["limit"][0] for r in pages} == {str(SHOP_PAGE_SIZE)}


def test_a_malformed_catalogue_page_is_an_error_and_the_next_page_is_read(
    broken: Crawl, servers: dict[str, SandboxServer]
) -> None:
    site: ShopifySite = servers["shopify_broken"].site  # type: ignore[assignment]
    lost = {str(p.id) for p in site.products[SHOP_PAGE_SIZE : 2 * SHOP_PAGE_SIZE]}
    got = {x["platform_id"] for x in broken.listings("curio-broken")}
    assert got == {str(p.id) for p in site.products} - lost
    assert broken.stat("curio-broken", "errors/bad_json") == 1


# ---------------------------------------------------------------- feeds


def test_rss_and_atom_feeds_give_one_listing_per_entry(
    complete: Crawl, servers: dict[str, SandboxServer]
) -> None:
    site = api(servers).feeds
    base = servers["api"].url
    expected = {e.entry_id: e for e in site.rss_entries + site.atom_entries}
    listings = complete.listings("noticeboard")
    ids = [x["platform_id"] for x in listings]
    assert len(ids) == len(set(ids))
    assert set(ids) == set(expected)
    assert len(site.rss_entries) > 10 and len(site.atom_entries) > 10

    for listing in listings:
        entry = expected[listing["platform_id"]]
        source = entry.listing
        assert listing["url"] == entry.url(base)
        assert listing["title"] == source.title
        assert listing["description"] == source.description
        assert listing["price"] == float(source.price)
        assert listing["currency"] == source.currency
        assert listing["seller"]["name"] == entry.seller.name
        assert instant(listing["posted_at"]) == source.posted_at  # published, not updated
        assert listing["language"] == source.language
        assert listing["image_urls"] == entry.image_urls(base)
    assert_clean(listings)
    assert any(e.hostile for e in expected.values())


def test_a_malformed_feed_or_a_web_page_is_an_error_and_the_other_feeds_are_read(
    broken: Crawl, servers: dict[str, SandboxServer]
) -> None:
    site: FeedSite = servers["feeds_broken"].site  # type: ignore[assignment]
    got = {x["platform_id"] for x in broken.listings("noticeboard-broken")}
    assert got == {e.entry_id for e in site.rss_entries}
    assert broken.stat("noticeboard-broken", "errors/bad_feed") == 2  # cut-off Atom, HTML page
    assert broken.stat("noticeboard-broken", "feeds") == 3


# ---------------------------------------------------------------- Telegram


def test_telegram_channels_are_read_back_to_their_first_message(
    complete: Crawl, servers: dict[str, SandboxServer]
) -> None:
    site = api(servers).telegram
    base = servers["api"].url
    expected = {m.post: m for c in CHANNELS for m in site.posts(c)}
    listings = complete.listings("channels")
    ids = [x["platform_id"] for x in listings]
    assert len(ids) == len(set(ids))
    assert set(ids) == set(expected)  # the "Channel created" service messages are not listings

    for listing in listings:
        message = expected[listing["platform_id"]]
        channel = site.channels[message.channel]
        assert listing["url"] == message.url(base)
        assert listing["title"] == message.listing.title
        assert listing["description"] == message.text
        assert listing["hashtags"] == message.hashtags
        signed = message.channel not in UNSIGNED
        assert listing["seller"] == {
            "id": message.channel,
            "name": message.seller.name if signed else channel.title,
            "profile_url": f"{base}/{message.channel}",
        }
        assert instant(listing["posted_at"]) == message.posted_at
        assert listing["image_urls"] == message.photo_urls(base)
    assert_clean(listings)


def test_telegram_walks_back_with_before_until_none_is_left(
    complete: Crawl, servers: dict[str, SandboxServer]
) -> None:
    site = api(servers).telegram
    pages = [r for r in complete.requests["api"] if r.path.startswith("/s/")]
    for name in CHANNELS:
        mine = [r for r in pages if r.path == f"/s/{name}"]
        count = len(site.channels[name].messages)
        assert len(mine) == math.ceil(count / site.page_size)
        befores = sorted(int(parse_qs(r.query)["before"][0]) for r in mine if r.query)
        # Each page asks for what precedes the oldest message of the page before it.
        assert befores == [count + 1 - site.page_size * k for k in range(len(mine) - 1, 0, -1)]


def test_telegram_max_pages_keeps_the_newest_messages(
    broken: Crawl, servers: dict[str, SandboxServer]
) -> None:
    site = api(servers).telegram
    got = {x["platform_id"] for x in broken.listings("channels-short")}
    assert got == {m.post for m in site.posts("erhuo_market")[-2 * site.page_size :]}


# ---------------------------------------------------------------- all kinds


def test_a_second_crawl_with_crawl_state_reads_every_page_again(
    complete: Crawl, again: Crawl
) -> None:
    # Timeline, catalogue, feed and channel pages hold many items each: they are not
    # listing pages, so incremental crawling must not skip them as "seen".
    for name in COMPLETE:
        assert set(again.by_id(name)) == set(complete.by_id(name)), name
        assert again.stat(name, "skipped/not_due") == 0


def test_html_to_text_keeps_only_what_a_reader_sees() -> None:
    hostile = (
        "<p>Ivory &amp; bone<br>DM me</p><script>alert(1)</script><!-- hidden -->"
        "<style>p{}</style><img src=x onerror=alert(2)><iframe>frame</iframe>"
        "<p>&lt;b&gt;not bold&lt;/b&gt;</p>"
    )
    assert html_to_text(hostile) == "Ivory & bone\nDM me\n<b>not bold</b>"
    assert html_to_text("") == html_to_text(None) == html_to_text("<p> </p>") == ""
    assert first_line("\n  \nfirst\nsecond") == "first"
