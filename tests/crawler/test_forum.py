"""The login-walled forum: crawled whole with a session cookie from the environment,
and paused (not fed its login page as a listing) when the session runs out."""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

import httpx
import pytest

from crawler.settings import default_settings
from crawler.state import CrawlState
from sandbox.corpus import Corpus, build_corpus
from sandbox.forum import (
    DEMO_PASSWORD,
    DEMO_SESSION,
    DEMO_USER,
    PLATFORM,
    SESSION_COOKIE,
    ForumSite,
)
from sandbox.server import SandboxServer
from tests.crawler.conftest import crawl_sources, write_sources

SOURCE = "sandbox-den"
COOKIES_ENV = "DEN_COOKIES"
LOGGED_OUT_REASON = (
    "logged out: the session cookie no longer works; renew session.cookies_env (DEN_COOKIES)"
)


def den_source() -> dict[str, Any]:
    """The Den entry of config/sources.yaml (the sandbox runs on a chosen port)."""
    first_post = "article.first-post"
    return {
        "kind": "forum",
        "platform": PLATFORM,
        "start_urls": ["/board/market", "/board/exotics", "/board/curios"],
        "result_links": "a.thread-link::attr(href)",
        "next_page": "a[rel~=next]::attr(href)",
        "listing_id": "/t/(?P<id>[0-9]+)",
        "allow_private": True,
        "politeness": {"download_delay": 0, "concurrency": 2},
        "session": {"cookies_env": COOKIES_ENV, "logged_out": "form#login-form"},
        "fields": {
            "title": "h1.thread-title::text",
            "description": f"{first_post} .post-body",
            "price": {"css": f"{first_post} p.post-price", "re": "(?P<id>[0-9][0-9.]*) [A-Z]{3}"},
            "currency": {"css": f"{first_post} p.post-price", "re": "[0-9.]+ (?P<id>[A-Z]{3})"},
            "location": {
                "xpath": "//article[contains(@class, 'first-post')]"
                "//div[contains(@class, 'post-body')]/p[last()-1]",
                "re": r":\s*(?P<id>.+)$",
            },
            "posted_at": f"{first_post} time.post-time::attr(datetime)",
            "seller_name": f"{first_post} a.post-author::text",
            "seller_url": f"{first_post} a.post-author::attr(href)",
            "seller_id": {
                "css": f"{first_post} a.post-author::attr(href)",
                "re": "/u/(?P<id>[^/?#]+)",
            },
        },
    }


@pytest.fixture(scope="module")
def corpus() -> Corpus:
    return build_corpus(size=45)


@pytest.fixture
def sources(tmp_path: Path) -> Path:
    return write_sources(tmp_path / "sources.yaml", {SOURCE: den_source()})


def _state(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path}/state.db"


def test_the_whole_forum_is_crawled_with_the_session_cookie(
    tmp_path: Path, corpus: Corpus, sources: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(COOKIES_ENV, f"{SESSION_COOKIE}={DEMO_SESSION}")
    with SandboxServer(corpus=corpus, site_factory=ForumSite) as server:
        out = crawl_sources(
            sources, [SOURCE], tmp_path / "out", base_url=server.url, state_url=_state(tmp_path)
        )
        site = cast(ForumSite, server.site)
        logins = [r for r in server.requests if r.path == "/login"]
    assert out.returncode == 0, out.stderr
    stats = out.stats[SOURCE]
    assert stats["finish_reason"] == "finished"
    assert "wildwatch/blocked" not in stats
    assert logins == []

    by_id = {r["listing"]["platform_id"]: r["listing"] for r in out.listings}
    assert len(by_id) == len(out.listings) == len(site.threads)  # every thread, once
    for thread in site.threads:
        got = by_id[str(thread.thread_id)]
        want = thread.listing
        assert got["url"] == f"{server.url}/t/{thread.thread_id}"
        assert got["title"] == want.title
        assert want.description in got["description"]
        assert got["price"] == pytest.approx(float(want.price))
        assert got["currency"] == want.currency
        assert got["location"] == want.location
        assert got["posted_at"] == want.posted_at.strftime("%Y-%m-%dT%H:%M:%SZ")
        assert got["seller"]["name"] == thread.author.name
        assert got["seller"]["id"] == thread.author.seller_id
        assert got["comments"] == [reply.paragraphs[0] for reply in thread.replies]
    assert any(len(t.replies) >= 3 for t in site.threads)
    assert stats["wildwatch/comments"] == sum(len(t.replies) for t in site.threads)


def test_a_session_expiring_mid_crawl_pauses_the_source(
    tmp_path: Path, sources: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    corpus = build_corpus(size=90)
    pages = 12

    def expiring(c: Corpus) -> ForumSite:
        return ForumSite(c, session_requests=pages)

    monkeypatch.setenv(COOKIES_ENV, f"{SESSION_COOKIE}={DEMO_SESSION}")
    state_url = _state(tmp_path)
    with SandboxServer(corpus=corpus, site_factory=expiring) as server:
        out = crawl_sources(
            sources, [SOURCE], tmp_path / "out", base_url=server.url, state_url=state_url
        )
        requests = server.requests
    assert out.returncode == 0, out.stderr
    stats = out.stats[SOURCE]
    assert stats["finish_reason"] == "paused_logged_out"
    assert stats["wildwatch/blocked/logged_out"] >= 1
    assert stats["wildwatch/pause_reason"] == LOGGED_OUT_REASON

    # Threads read while the session lasted are kept; the login page never is one.
    assert 1 <= len(out.listings) < pages
    for record in out.listings:
        assert "/login" not in record["listing"]["url"]
        assert "/login" not in record["capture"]["final_url"]
        assert record["listing"]["title"] != "Log in"

    pause = CrawlState(state_url).paused(SOURCE)
    assert pause is not None
    assert pause.reason == LOGGED_OUT_REASON

    # The crawl stopped at the first login page, save requests the downloader
    # already held (at most CONCURRENT_REQUESTS of them).
    held = default_settings()["CONCURRENT_REQUESTS"]
    first_login = next(n for n, r in enumerate(requests) if r.path == "/login")
    assert len(requests) - first_login - 1 <= held
    thread_pages = {r.path for r in requests if r.path.startswith("/t/")}
    assert len(thread_pages) <= pages + held
    assert len(thread_pages) < len(corpus.listings) // 2


def test_a_paused_forum_waits_for_a_new_session(
    tmp_path: Path, corpus: Corpus, sources: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No cookie: paused at the first page. Paused: not crawled. Resumed with a
    working cookie: crawled."""
    monkeypatch.delenv(COOKIES_ENV, raising=False)
    state_url = _state(tmp_path)
    state = CrawlState(state_url)
    with SandboxServer(corpus=corpus, site_factory=ForumSite) as server:
        first = crawl_sources(
            sources, [SOURCE], tmp_path / "out", base_url=server.url, state_url=state_url
        )
        assert first.returncode == 0, first.stderr
        assert first.stats[SOURCE]["finish_reason"] == "paused_logged_out"
        assert first.listings == []
        assert state.paused(SOURCE) is not None

        monkeypatch.setenv(COOKIES_ENV, f"{SESSION_COOKIE}={DEMO_SESSION}")
        server.clear_requests()
        second = crawl_sources(
            sources, [SOURCE], tmp_path / "out", base_url=server.url, state_url=state_url
        )
        assert second.stats[SOURCE]["finish_reason"] == "paused"
        assert server.requests == []

        assert state.resume(SOURCE)
        third = crawl_sources(
            sources, [SOURCE], tmp_path / "out", base_url=server.url, state_url=state_url
        )
        assert third.stats[SOURCE]["finish_reason"] == "finished"
        assert len(third.listings) == len(corpus.listings)


# ---------------------------------------------------------------- the site itself


def test_every_page_but_the_login_form_needs_a_session(corpus: Corpus) -> None:
    with (
        SandboxServer(corpus=corpus, site_factory=ForumSite) as server,
        httpx.Client(base_url=server.url) as client,
    ):
        for path in ("/", "/board/market?page=2", "/t/1001", "/u/s001"):
            response = client.get(path)
            assert response.status_code == 302, path
            assert response.headers["location"].startswith("/login?next=%2F")
        form = client.get("/login?next=/t/1001")
        assert form.status_code == 200
        assert 'id="login-form"' in form.text and 'type="password"' in form.text
        assert client.get("/robots.txt").status_code == 200
        forged = client.get("/t/1001", headers={"Cookie": f"{SESSION_COOKIE}=forged"})
        assert forged.status_code == 302
        good = client.get("/t/1001", headers={"Cookie": f"{SESSION_COOKIE}={DEMO_SESSION}"})
        assert good.status_code == 200
        assert "login-form" not in good.text
        assert corpus.listings[0].title in good.text


def test_logging_in_with_the_demo_account_gives_a_working_cookie(corpus: Corpus) -> None:
    with (
        SandboxServer(corpus=corpus, site_factory=ForumSite) as server,
        httpx.Client(base_url=server.url) as client,
    ):
        wrong = client.post("/login", data={"user": DEMO_USER, "password": "guess"})
        assert wrong.status_code == 200
        assert "Wrong user name or password" in wrong.text
        assert SESSION_COOKIE not in wrong.cookies
        ok = client.post(
            "/login", data={"user": DEMO_USER, "password": DEMO_PASSWORD, "next": "/t/1002"}
        )
        assert ok.status_code == 303
        assert ok.headers["location"] == "/t/1002"
        token = ok.cookies[SESSION_COOKIE]
        assert token and token != DEMO_SESSION
        client.cookies.clear()
        page = client.get("/t/1002", headers={"Cookie": f"{SESSION_COOKIE}={token}"})
        assert page.status_code == 200
        assert corpus.listings[1].title in page.text
