"""The Bazaar sandbox marketplace over real loopback HTTP."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from email.message import Message
from pathlib import Path
from urllib.parse import urlencode, urljoin

import pytest
from parsel import Selector

from sandbox import (
    EPOCH,
    Corpus,
    Request,
    Response,
    Router,
    SandboxListing,
    SandboxServer,
    Seller,
    search_key,
)
from sandbox.market import ROBOTS_TXT

ROOT = Path(__file__).resolve().parents[2]

HOSTILE_TITLE = '<script>alert("t")</script> Ivory & <b>bold</b>'
HOSTILE_DESCRIPTION = "Old </script><script>alert(1)</script> stock <!-- x --> & more"


@dataclass(frozen=True)
class Fetched:
    status: int
    headers: Message
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")

    @property
    def page(self) -> Selector:
        return Selector(text=self.text)


def fetch(url: str, *, method: str = "GET", headers: dict[str, str] | None = None) -> Fetched:
    request = urllib.request.Request(url, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return Fetched(response.status, response.headers, response.read())
    except urllib.error.HTTPError as error:
        with error:
            return Fetched(error.code, error.headers, error.read())


def tiny_corpus() -> Corpus:
    seller = Seller(
        "s1",
        "Eve <b>&</b> Co",
        "GB",
        "London",
        "en",
        date(2020, 1, 1),
        ("WhatsApp +44 7700 900123",),
    )
    hostile = SandboxListing(
        listing_id="x1",
        title=HOSTILE_TITLE,
        description=HOSTILE_DESCRIPTION,
        price=Decimal("12.50"),
        currency="GBP",
        language="en",
        seller_id="s1",
        category="illegal",
        product="ivory",
        location="London <i>",
        posted_at=EPOCH - timedelta(days=1),
        image_count=2,
        has_jsonld=True,
    )
    fullwidth = SandboxListing(
        listing_id="x2",
        title="ｉｖｏｒｙ carving, old stock",
        description="ＷＨＩＴＥ plastic, you know what it is.",
        price=Decimal(3800),
        currency="CNY",
        language="zh",
        seller_id="s1",
        category="coded",
        product="ivory",
        location="广州",
        posted_at=EPOCH - timedelta(days=2),
        image_count=0,
        has_jsonld=False,
    )
    return Corpus((hostile, fullwidth), (seller,))


@pytest.fixture(scope="module")
def server() -> Iterator[SandboxServer]:
    """A sandbox of our own: the session one's request log belongs to the crawl tests."""
    with SandboxServer() as running:
        yield running


@pytest.fixture(scope="module")
def tiny() -> Iterator[SandboxServer]:
    with SandboxServer(corpus=tiny_corpus()) as running:
        yield running


def walk_search(server: SandboxServer, query: str) -> tuple[list[str], int]:
    """Listing ids found by following rel=next from the first page, and the page count."""
    url: str | None = f"{server.url}/search?{urlencode({'q': query})}"
    ids: list[str] = []
    pages = 0
    while url is not None:
        got = fetch(url)
        assert got.status == 200, url
        pages += 1
        hrefs = got.page.css("a.result-link::attr(href)").getall()
        assert len(hrefs) <= 20
        assert all(h.startswith("/listing/") for h in hrefs)
        ids += [h.removeprefix("/listing/") for h in hrefs]
        following = got.page.css("a[rel~=next]::attr(href)").get()
        url = urljoin(url, following) if following else None
    return ids, pages


def test_home_page(server: SandboxServer) -> None:
    got = fetch(f"{server.url}/")
    assert got.status == 200
    assert got.headers["Content-Type"] == "text/html; charset=utf-8"
    assert got.page.css('meta[charset="utf-8"]')
    assert got.page.css('form[action="/search"] input[name=q]')
    assert got.page.css('a[href="/private/admin"]'), "the crawler trap is linked"
    assert len(got.page.css("a.home-listing-link")) == 12


def test_empty_query_pages_through_every_listing_newest_first(server: SandboxServer) -> None:
    ids, pages = walk_search(server, "")
    assert pages == 30
    assert len(ids) == len(set(ids)) == len(server.corpus.listings)
    posted = [server.corpus.by_id[i].posted_at for i in ids]
    assert posted == sorted(posted, reverse=True)
    last = fetch(f"{server.url}/search?q=&page=30").page
    assert last.css("a[rel~=prev]::attr(href)").get() == "/search?q=&page=29"
    assert not last.css("a[rel~=next]")


def test_chinese_query_finds_the_listings_that_say_xiangya(server: SandboxServer) -> None:
    ids, _ = walk_search(server, "象牙")
    expected = {x.listing_id for x in server.corpus.listings if "象牙" in x.text}
    assert set(ids) == expected
    offers = {
        x.listing_id
        for x in server.corpus.listings
        if (x.language, x.category, x.product) == ("zh", "illegal", "ivory")
    }
    assert len(offers) >= 3 and offers <= set(ids)


def test_query_matches_like_the_documented_rule(server: SandboxServer) -> None:
    for query in ["IVORY", "Rhino", "ngà voi"]:
        ids, _ = walk_search(server, query)
        needle = search_key(query)
        expected = [x for x in server.corpus.listings if needle in search_key(x.text)]
        assert set(ids) == {x.listing_id for x in expected} and expected, query


def test_search_folds_case_and_full_width_letters(tiny: SandboxServer) -> None:
    assert sorted(walk_search(tiny, "IVORY")[0]) == ["x1", "x2"]
    assert walk_search(tiny, "white PLASTIC")[0] == ["x2"]
    got = fetch(f"{tiny.url}/search?q=nothing-matches-this")
    assert got.status == 200 and not got.page.css("a.result-link")
    assert got.page.css(".no-results")


def test_listing_pages_show_the_corpus_fields(server: SandboxServer) -> None:
    seen_json_ld = set()
    for item in server.corpus.listings[::15]:
        got = fetch(f"{server.url}/listing/{item.listing_id}")
        assert got.status == 200
        page = got.page
        assert page.css("html::attr(lang)").get() == item.language
        assert page.css("h1.listing-title::text").get() == item.title
        assert page.css(".listing-description p::text").get() == item.description
        price = page.css(".listing-price")
        assert Decimal(price.attrib["data-amount"]) == item.price
        assert price.attrib["data-currency"] == item.currency
        assert price.css("::text").get().strip()
        assert page.css(".listing-location::text").get() == item.location
        posted = page.css("time.listing-posted::attr(datetime)").get()
        assert datetime.fromisoformat(posted) == item.posted_at
        seller = server.corpus.sellers_by_id[item.seller_id]
        assert page.css("a.seller-link::attr(href)").get() == f"/seller/{item.seller_id}"
        assert page.css("a.seller-link::text").get() == seller.name
        assert page.css("img.listing-photo::attr(src)").getall() == [
            f"/img/{item.listing_id}/{n}.jpg" for n in range(1, item.image_count + 1)
        ]
        blocks = page.css('script[type="application/ld+json"]::text').getall()
        assert len(blocks) == int(item.has_jsonld)
        seen_json_ld.add(item.has_jsonld)
        if blocks:
            product = json.loads(blocks[0])
            assert product["@type"] == "Product"
            assert product["name"] == item.title
            assert product["description"] == item.description
            offer = product["offers"]
            assert Decimal(offer["price"]) == item.price
            assert offer["priceCurrency"] == item.currency
            assert offer["url"] == f"{server.url}/listing/{item.listing_id}"
            assert offer["seller"]["name"] == seller.name
            assert len(product["image"]) == item.image_count
    assert seen_json_ld == {True, False}


def test_price_text_is_formatted_for_the_locale(server: SandboxServer) -> None:
    item = next(x for x in server.corpus.listings if x.currency == "VND")
    text = fetch(f"{server.url}/listing/{item.listing_id}").page.css(".listing-price::text").get()
    assert text.endswith("\u00a0₫") and "." in text


def test_hostile_text_is_escaped_everywhere(tiny: SandboxServer) -> None:
    for path in ["/listing/x1", "/search?q=", "/seller/s1", "/"]:
        body = fetch(f"{tiny.url}{path}").text
        head, _, rest = body.partition('<script type="application/ld+json">')
        body = head + rest.partition("</script>")[2]  # the JSON-LD block is checked below
        assert "<script" not in body, path
        assert "<b>" not in body and "<i>" not in body, path
        assert "&lt;script&gt;alert" in body, path
    page = fetch(f"{tiny.url}/listing/x1")
    assert page.page.css("h1.listing-title::text").get() == HOSTILE_TITLE
    assert page.page.css(".listing-location::text").get() == "London <i>"
    assert len(page.page.css("script")) == 1  # the JSON-LD block only
    assert page.text.count("</script>") == 1
    block = page.page.css('script[type="application/ld+json"]::text').get()
    assert "</" not in block and "<!--" not in block
    assert "<\\/script>" in block
    product = json.loads(block)
    assert product["name"] == HOSTILE_TITLE
    assert product["description"] == HOSTILE_DESCRIPTION
    assert product["offers"]["price"] == "12.50"


def test_images_are_small_deterministic_jpegs(server: SandboxServer) -> None:
    item = next(x for x in server.corpus.listings if x.image_count >= 2)
    first = fetch(f"{server.url}/img/{item.listing_id}/1.jpg")
    assert first.status == 200
    assert first.headers["Content-Type"] == "image/jpeg"
    assert first.body.startswith(b"\xff\xd8\xff") and len(first.body) < 40_000
    assert fetch(f"{server.url}/img/{item.listing_id}/1.jpg").body == first.body
    assert fetch(f"{server.url}/img/{item.listing_id}/2.jpg").body != first.body
    for n in [0, item.image_count + 1]:
        assert fetch(f"{server.url}/img/{item.listing_id}/{n}.jpg").status == 404
    assert fetch(f"{server.url}/img/nope/1.jpg").status == 404


def test_seller_page_lists_the_sellers_listings(server: SandboxServer) -> None:
    seller = server.corpus.sellers[0]
    page = fetch(f"{server.url}/seller/{seller.seller_id}").page
    assert page.css("h1.seller-name::text").get() == seller.name
    assert page.css(".seller-country::text").get() == seller.country
    assert page.css("time.seller-joined::attr(datetime)").get() == seller.joined.isoformat()
    assert page.css(".seller-contact::text").getall() == list(seller.contacts)
    hrefs = page.css("a.seller-listing-link::attr(href)").getall()
    assert sorted(hrefs) == sorted(
        f"/listing/{x.listing_id}" for x in server.corpus.listings_of(seller.seller_id)
    )


def test_robots_txt_and_the_trap_it_guards(server: SandboxServer) -> None:
    robots = fetch(f"{server.url}/robots.txt")
    assert robots.status == 200
    assert robots.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert robots.text == ROBOTS_TXT
    assert robots.text.splitlines() == [
        "User-agent: *",
        "Disallow: /private/",
        "Disallow: /search?*sort=",
    ]
    trap = fetch(f"{server.url}/private/admin")
    assert trap.status == 200 and "Crawler trap" in trap.text
    assert trap.page.css("a.trap-link::attr(href)").get() == "/private/admin?page=2"


def test_sorted_search_works_for_those_who_ignore_robots(server: SandboxServer) -> None:
    newest = fetch(f"{server.url}/search?q=").page.css("a.result-link::attr(href)").getall()
    page = fetch(f"{server.url}/search?q=&sort=oldest").page
    oldest = page.css("a.result-link::attr(href)").getall()
    assert set(oldest).isdisjoint(newest)
    assert page.css("a[rel~=next]::attr(href)").get() == "/search?q=&sort=oldest&page=2"


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/no/such/page", 404),
        ("/listing/m999999", 404),
        ("/listing/", 404),
        ("/seller/s999", 404),
        ("/search?q=&page=abc", 400),
        ("/search?q=&page=1.5", 400),
        ("/search?q=&sort=price", 400),
        ("/search?q=&page=0", 404),
        ("/search?q=&page=-1", 404),
        ("/search?q=&page=31", 404),
        ("/search?q=&page=99999999999999999999999", 404),
        ("/search?q=nothing-matches-this&page=2", 404),
    ],
)
def test_error_statuses(server: SandboxServer, path: str, status: int) -> None:
    got = fetch(f"{server.url}{path}")
    assert got.status == status
    assert got.headers["Content-Type"] == "text/html; charset=utf-8"
    assert got.page.css(".error::text").get() == f"Error {status}"


def test_other_methods_are_refused(server: SandboxServer) -> None:
    got = fetch(f"{server.url}/", method="POST")
    assert got.status == 405
    assert got.headers["Allow"] == "GET, HEAD"


def test_every_response_has_a_content_length(server: SandboxServer) -> None:
    for path in ["/", "/search?q=", "/listing/m000001", "/robots.txt", "/nope", "/img/x/1.jpg"]:
        got = fetch(f"{server.url}{path}")
        assert int(got.headers["Content-Length"]) == len(got.body), path
    head = fetch(f"{server.url}/listing/m000001", method="HEAD")
    assert head.status == 200 and head.body == b""
    assert int(head.headers["Content-Length"]) > 1000


def test_the_request_log_records_each_fetch() -> None:
    with SandboxServer(corpus=tiny_corpus()) as fresh:
        assert fresh.requests == []
        fetch(f"{fresh.url}/search?q=ivory&page=1", headers={"User-Agent": "wildwatch-test/1"})
        fetch(f"{fresh.url}/listing/x1")
        fetch(f"{fresh.url}/listing/nope")
        log = fresh.requests
        assert [(r.method, r.path, r.query, r.status) for r in log] == [
            ("GET", "/search", "q=ivory&page=1", 200),
            ("GET", "/listing/x1", "", 200),
            ("GET", "/listing/nope", "", 404),
        ]
        assert log[0].user_agent == "wildwatch-test/1"
        assert log[0].time <= log[1].time <= log[2].time
        fresh.clear_requests()
        assert fresh.requests == []


def test_servers_pick_free_ports_and_stop_cleanly() -> None:
    corpus = tiny_corpus()
    first, second = SandboxServer(corpus=corpus), SandboxServer(corpus=corpus)
    with pytest.raises(RuntimeError):
        _ = first.url
    with first, second:
        assert first.port != second.port
        assert first.url == f"http://127.0.0.1:{first.port}"
        assert first.running and not first.wait(timeout=0)
    assert not first.running and first.wait(timeout=0)
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", first.port), timeout=2):
        pass
    first.stop()  # a second stop is harmless


@dataclass
class EchoSite:
    """A minimal extra site, to show the router and site abstraction carry new kinds."""

    name: str = "echo"

    def __post_init__(self) -> None:
        self.router = Router()
        self.router.add(r"/api/echo/(?P<word>\w+)", self.echo)

    def echo(self, request: Request, word: str) -> Response:
        body = json.dumps({"word": word, "n": request.arg("n"), "ua": request.headers["x-test"]})
        return Response(200, body.encode(), "application/json")

    def handle(self, request: Request) -> Response:
        return self.router.dispatch(request) or Response.text("not here\n", 404)


def test_other_sites_plug_into_the_server() -> None:
    with SandboxServer(corpus=tiny_corpus(), site_factory=lambda _: EchoSite()) as echo:
        got = fetch(f"{echo.url}/api/echo/hello?n=3", headers={"X-Test": "yes"})
        assert got.headers["Content-Type"] == "application/json"
        assert json.loads(got.body) == {"word": "hello", "n": "3", "ua": "yes"}
        assert fetch(f"{echo.url}/elsewhere").status == 404


def test_run_sandbox_serves_until_interrupted() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    # A child inherits an ignored or blocked SIGINT from its parent (a background job, a
    # test runner whose earlier tests changed it): give it Python's own Ctrl-C handling.
    code = (
        "import signal; signal.signal(signal.SIGINT, signal.default_int_handler); "
        "signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT}); "
        f"from sandbox import run_sandbox; run_sandbox('127.0.0.1', {port}, seed=3, size=40)"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 20
        got = None
        while got is None and time.monotonic() < deadline and proc.poll() is None:
            try:
                got = fetch(f"http://127.0.0.1:{port}/search?q=")
            except OSError:
                time.sleep(0.1)
        assert got is not None and got.status == 200, proc.stderr.read() if proc.poll() else ""
        assert len(got.page.css("a.result-link")) == 20
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0
    assert out == ""
