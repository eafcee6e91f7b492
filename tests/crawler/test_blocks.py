"""Block pages (CAPTCHA, bot challenge, login wall, access denied) are recognised and
never become listings; a source that keeps getting them is paused.

The unit tables hold block pages as real sites serve them and look-alike normal pages
that must pass; the crawl tests go over real HTTP to the guarded sandbox marketplace.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import pytest

from crawler.blocks import detect_block
from crawler.settings import default_settings
from crawler.state import CrawlState
from sandbox.corpus import Corpus, build_corpus
from sandbox.guarded import GuardedSite
from sandbox.market import MarketSite
from sandbox.server import Request, SandboxServer
from tests.crawler.conftest import crawl_sources, write_sources

HTML = {"Content-Type": "text/html; charset=utf-8"}
JSON = {"Content-Type": "application/json"}


def page(title: str, body: str, head: str = "", lang: str = "en") -> str:
    return (
        f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8">'
        f"<title>{title}</title>{head}</head><body>{body}</body></html>"
    )


LOREM = (
    "Hand-carved figurine bought at a market in 2009, about 12 cm tall, small chip on "
    "the base, otherwise in very good condition. Pick-up in town or shipping at cost. "
)

# ---------------------------------------------------------------- block pages

CF_CHALLENGE = page(
    "Just a moment...",
    '<div class="main-wrapper" role="main"><div class="main-content">'
    '<h1 class="zone-name-title h1">shop.example</h1>'
    '<h2 id="challenge-running" class="h2">Verifying you are human. This may take a few'
    " seconds.</h2><noscript>Enable JavaScript and cookies to continue</noscript></div></div>"
    "<script>(function(){window._cf_chl_opt={cvId: '3',cZone: 'shop.example',"
    "cType: 'managed',cRay: '8e1f0c2b9a7d4f21'};var a=document.createElement('script');"
    "a.src='/cdn-cgi/challenge-platform/h/g/orchestrate/chl_page/v1?ray=8e1f0c2b9a7d4f21';"
    "document.head.appendChild(a);}());</script>",
)
CF_BLOCKED_1020 = page(
    "Attention Required! | Cloudflare",
    '<div id="cf-wrapper"><div id="cf-error-details" class="cf-error-details-wrapper">'
    '<h1 data-translate="block_headline">Sorry, you have been blocked</h1>'
    '<h2 class="cf-subheadline">You are unable to access shop.example</h2>'
    "<p>This website is using a security service to protect itself from online attacks."
    " The action you just performed triggered the security solution.</p>"
    '<p>Cloudflare Ray ID: <strong class="font-semibold">8e1f0c2b9a7d4f21</strong></p>'
    "</div></div>",
)
GOOGLE_SORRY = page(
    "https://www.google.com/search?q=pangolin",
    '<div style="max-width:400px;"><hr noshade size="1"><br>'
    '<form id="captcha-form" action="index" method="post">'
    '<script src="https://www.google.com/recaptcha/api.js" async defer></script>'
    '<div id="recaptcha" class="g-recaptcha" data-sitekey="6LfwuyUTAAAAAOAmoS0fdqijC2Pbb"'
    ' data-s="abc"></div><input type="hidden" name="q" value="EgQ"></form><hr noshade size="1">'
    '<div style="font-size:13px;"><b>About this page</b><br><br>Our systems have detected'
    " unusual traffic from your computer network. This page checks to see if it&#39;s really"
    " you sending the requests, and not a robot.</div></div>",
)
AMAZON_ROBOT_CHECK = page(
    "Amazon.com",
    '<div class="a-container a-padding-double-large"><h4>Enter the characters you see below'
    '</h4><p class="a-last">Sorry, we just need to make sure you\'re not a robot. For best'
    " results, please make sure your browser is accepting cookies.</p>"
    '<form method="get" action="/errors/validateCaptcha" name="">'
    '<input type=hidden name="amzn" value="x4bV"><div class="a-row a-text-center">'
    '<img src="https://images-na.ssl-images-amazon.com/captcha/bcxmbvkr/Captcha_qzjnwvcnxo.jpg">'
    '</div><input autocomplete="off" spellcheck="false" placeholder="Type characters"'
    ' id="captchacharacters" name="field-keywords" type="text">'
    '<button type="submit" class="a-button-text">Continue shopping</button></form></div>',
)
HCAPTCHA_403 = page(
    "Security check",
    '<main><h1>One quick check</h1><p>Complete the check to continue.</p><form method="post">'
    '<div class="h-captcha" data-sitekey="10000000-ffff-ffff-ffff-000000000001"></div>'
    "<button>Submit</button></form></main>",
    head='<script src="https://js.hcaptcha.com/1/api.js" async defer></script>',
)
TURNSTILE_VI = page(
    "Xác minh",
    '<h1>Xác minh bạn là người</h1><form action="/verify" method="post">'
    '<div class="cf-turnstile" data-sitekey="0x4AAAAAAADnPIDROrmt1Wwj"></div>'
    "<button>Tiếp tục</button></form>",
    lang="vi",
)
DATADOME = (
    "<html><head><title>shop.example</title><style>#cmsg{animation: A 1.5s;}</style></head>"
    '<body style="margin:0"><p id="cmsg">Please enable JS and disable any ad blocker</p>'
    "<script data-cfasync=\"false\">var dd={'rt':'c','cid':'AHrlqAAAAAMA','hsh':'A55FBF4311',"
    "'t':'fe','s':17434,'e':'a1b2','host':'geo.captcha-delivery.com'}</script>"
    '<script data-cfasync="false" src="https://ct.captcha-delivery.com/c.js"></script>'
    "</body></html>"
)
PERIMETERX = page(
    "Access to this page has been denied",
    '<div class="container"><div class="page-title-wrapper"><div class="page-title">'
    "<h1>Please verify you are a human</h1></div></div>"
    '<div class="content-wrapper"><p>Press &amp; Hold to confirm you are a human (and not'
    ' a bot).</p><div id="px-captcha"></div></div>'
    "<script>window._pxAppId = 'PXu6b0qd2S';window._pxJsClientSrc = '/u6b0qd2S/init.js';"
    '</script><script src="https://captcha.px-cdn.net/PXu6b0qd2S/captcha.js?a=c"></script></div>',
)
AKAMAI_DENIED = (
    "<HTML><HEAD>\n<TITLE>Access Denied</TITLE>\n</HEAD><BODY>\n<H1>Access Denied</H1>\n \n"
    "You don't have permission to access \"http&#58;&#47;&#47;www&#46;shop&#46;example&#47;"
    'item&#47;4411" on this server.<P>\nReference&#32;&#35;18&#46;4c1d3e17&#46;1732233'
    "012&#46;2ab3c4d\n</BODY>\n</HTML>\n"
)
INCAPSULA = (
    '<html style="height:100%"><head><META NAME="ROBOTS" CONTENT="NOINDEX, NOFOLLOW">'
    '<meta name="format-detection" content="telephone=no"></head><body style="margin:0px;'
    'height:100%"><iframe id="main-iframe" src="/_Incapsula_Resource?CWUDNSAI=24&xinfo='
    '10-43891093-0&incident_id=1234000000567890-123&edet=12&cinfo=04000000&rpinfo=0"'
    ' frameborder=0 width="100%" height="100%">Request unsuccessful. Incapsula incident ID:'
    " 1234000000567890-123</iframe></body></html>"
)
AWS_WAF = page(
    "",
    '<div id="challenge-container"></div><noscript><h1>JavaScript is disabled</h1>In order'
    " to continue, we need to verify that you're not a robot.</noscript>"
    '<script>window.gokuProps = {"key":"AQIDAHjcYu","iv":"CgAFQTAx","context":"x"};'
    '</script><script src="https://3a1b2c.edge.sdk.awswaf.com/3a1b2c/challenge.js"></script>'
    "<script>AwsWafIntegration.checkForceRefresh().then((f) => {});</script>",
)
LEGAL_451 = page(
    "451 Unavailable For Legal Reasons",
    "<h1>Unavailable For Legal Reasons</h1><p>This listing is not available in your country.</p>",
)
LOGIN_EN = page(
    "Log in | Marketplace",
    '<header><a href="/">Marketplace</a></header><main><h1>Log in to continue</h1>'
    '<form action="/account/login" method="post"><label>E-mail <input type="email" '
    'name="email"></label><label>Password <input type="password" name="password"></label>'
    '<button type="submit">Log in</button></form><a href="/forgot">Forgot password?</a></main>',
)
LOGIN_FACEBOOK_STYLE = page(
    "Facebook – log in or sign up",
    '<div class="main"><div><img alt="Facebook" src="/logo.svg"><h2>Facebook helps you '
    'connect and share with the people in your life.</h2></div><form id="login_form" '
    'action="/login/device-based/regular/login/" method="post"><input type="text" '
    'name="email" placeholder="Email or phone number"><input type="password" name="pass" '
    'placeholder="Password"><button name="login" type="submit">Log in</button>'
    '<a href="/recover">Forgotten password?</a></form></div>',
)
LOGIN_NO_HEADING = page(
    "Members",
    '<div class="box"><img src="/logo.png" alt=""><form method="post" action="/signin">'
    '<input name="u" placeholder="Username"><input type="password" name="p" '
    'placeholder="Password"><input type="submit" value="Sign in"></form></div>',
)
LOGIN_REQUIRED_TEXT = page(
    "Private group",
    '<div class="notice"><p>You must be logged in to view this group.</p>'
    '<a class="btn" href="/login?next=/g/reptiles">Continue with e-mail</a></div>',
)
LOGIN_WALLS_I18N = {
    "vi": page(
        "Đăng nhập | Chợ Tốt",
        "<h1>Đăng nhập</h1><form method=post><input name=phone>"
        "<input type=password name=pw><button>Đăng nhập</button></form>",
        lang="vi",
    ),
    "zh": page(
        "登录 - 闲置市场",
        "<h1>账号登录</h1><form method=post><input name=user>"
        "<input type=password name=pw><button>登录</button></form>",
        lang="zh",
    ),
    "th": page(
        "เข้าสู่ระบบ",
        "<main><h2>เข้าสู่ระบบ</h2><form method=post><input name=user>"
        "<input type=password name=pw><button>เข้าสู่ระบบ</button></form></main>",
        lang="th",
    ),
    "es": page(
        "Iniciar sesión · Mercado",
        "<h1>Inicia sesión para continuar</h1><form method=post><input name=email>"
        "<input type=password name=clave><button>Entrar</button></form>",
        lang="es",
    ),
    "fr": page(
        "Connexion - Le Bon Coin du Coin",
        "<h1>Connectez-vous</h1><form method=post><input name=email>"
        "<input type=password name=mdp><button>Se connecter</button></form>",
        lang="fr",
    ),
    "pt": page(
        "Entrar | Feira",
        "<h1>Entrar</h1><form method=post><input name=email>"
        "<input type=password name=senha><button>Entrar</button></form>",
        lang="pt",
    ),
    "id": page(
        "Masuk ke Lapak",
        "<h1>Masuk</h1><form method=post><input name=hp>"
        "<input type=password name=sandi><button>Masuk</button></form>",
        lang="id",
    ),
}
RATE_LIMITED_200 = page(
    "Too many requests",
    "<h1>Whoa there!</h1><p>You have sent too many requests in a short time. Please slow"
    " down and try again in a few minutes.</p>",
)

BLOCKS: list[tuple[str, int, dict[str, str], str, str | None]] = [
    # id, status, headers, body, expected
    ("cloudflare-challenge-markup", 503, HTML, CF_CHALLENGE, "challenge"),
    (
        "cloudflare-mitigated-header",
        403,
        {**HTML, "cf-mitigated": "challenge"},
        page("shop.example", "<div id=root></div>"),
        "challenge",
    ),
    ("cloudflare-1020-blocked", 403, HTML, CF_BLOCKED_1020, "access_denied"),
    ("google-sorry-recaptcha", 200, HTML, GOOGLE_SORRY, "captcha"),
    ("amazon-robot-check", 200, HTML, AMAZON_ROBOT_CHECK, "captcha"),
    ("hcaptcha-403", 403, HTML, HCAPTCHA_403, "captcha"),
    ("turnstile-vietnamese", 200, HTML, TURNSTILE_VI, "captcha"),
    ("datadome-403", 403, {**HTML, "X-DataDome": "protected"}, DATADOME, "challenge"),
    ("datadome-markup-only", 403, HTML, DATADOME, "challenge"),
    ("perimeterx-press-and-hold", 403, HTML, PERIMETERX, "challenge"),
    ("akamai-access-denied", 403, HTML, AKAMAI_DENIED, "access_denied"),
    ("akamai-access-denied-200", 200, HTML, AKAMAI_DENIED, "access_denied"),
    ("incapsula-incident", 200, HTML, INCAPSULA, "challenge"),
    ("aws-waf-challenge", 202, HTML, AWS_WAF, "challenge"),
    ("legal-451", 451, HTML, LEGAL_451, "access_denied"),
    ("login-wall-en", 200, HTML, LOGIN_EN, "login_wall"),
    ("login-wall-facebook-style", 200, HTML, LOGIN_FACEBOOK_STYLE, "login_wall"),
    ("login-wall-no-heading", 200, HTML, LOGIN_NO_HEADING, "login_wall"),
    ("login-required-no-form", 200, HTML, LOGIN_REQUIRED_TEXT, "login_wall"),
    ("http-401", 401, HTML, page("Unauthorized", "<p>Unauthorized</p>"), "login_wall"),
    ("rate-limited-200", 200, HTML, RATE_LIMITED_200, "rate_limited"),
    ("json-403", 403, JSON, '{"error": "forbidden"}', "access_denied"),
    ("json-401", 401, JSON, '{"error": "The access token is invalid"}', "login_wall"),
    ("no-content-type-challenge", 503, {}, CF_CHALLENGE, "challenge"),
] + [
    (f"login-wall-{lang}", 200, HTML, body, "login_wall") for lang, body in LOGIN_WALLS_I18N.items()
]


@pytest.mark.parametrize(
    ("status", "headers", "body", "expected"),
    [pytest.param(*row[1:], id=row[0]) for row in BLOCKS],
)
def test_block_pages_are_recognised(
    status: int, headers: dict[str, str], body: str, expected: str
) -> None:
    assert detect_block(status, headers, body) == expected


# ---------------------------------------------------------------- look-alikes


def listing_page(
    title: str, description: str, *, header: str = "", extra: str = "", heading: str = "h1"
) -> str:
    """A classifieds listing page with a site header (search box, account links)."""
    return page(
        f"{title} – Classifieds",
        "<header><a class=brand href=/>Classifieds</a>"
        '<form action="/search" role="search"><input type="search" name="q" '
        'placeholder="Search"><button>Search</button></form>'
        f'<nav><a href="/login">Log in</a> · <a href="/register">Sign up</a></nav>{header}'
        f'</header><main><article><{heading} class="title">{title}</{heading}>'
        '<p class="price">€ 45</p>'
        f'<div class="description"><p>{description}</p></div>{extra}</article></main>'
        '<footer><a href="/help">Help</a> · <a href="/login">Log in</a></footer>',
    )


HEADER_LOGIN_FORM = (
    '<form class="quick-login" action="/login" method="post"><input name="user" '
    'placeholder="User"><input type="password" name="pass"><button>Log in</button></form>'
)
CONTACT_FORM_RECAPTCHA = (
    '<form class="contact" action="/contact/4411" method="post"><h2>Contact the seller</h2>'
    '<textarea name="message"></textarea><p>Tick the box to show you are not a robot.</p>'
    '<div class="g-recaptcha" data-sitekey="6LdX"></div>'
    "<button>Send</button></form>"
)
PHONE_REVEAL_INVISIBLE = (
    '<script src="https://www.google.com/recaptcha/api.js?render=6LdX"></script>'
    '<form action="/phone/4411" method="post"><div class="g-recaptcha" data-sitekey="6LdX" '
    'data-size="invisible"></div><button>Show phone number</button></form>'
)
CF_SENSOR = (
    "<script>(function(){function c(){var b=a.contentDocument||a.contentWindow.document;"
    "if(b){var d=b.createElement('script');d.innerHTML=\"window.__CF$cv$params={r:'8e1f',"
    "t:'MTczMjI='};var a=document.createElement('script');a.nonce='';"
    "a.src='/cdn-cgi/challenge-platform/scripts/jsd/main.js';"
    "document.getElementsByTagName('head')[0].appendChild(a);\";"
    "b.getElementsByTagName('head')[0].appendChild(d)}}}());</script>"
)
THREAD_ABOUT_LOGIN = page(
    "Can't log in to my account | Help forum",
    '<div class="layout"><div class="sidebar"><form action="/login" method="post">'
    '<input name="u"><input type="password" name="p"><button>Log in</button></form></div>'
    '<div class="thread"><h1>Can\'t log in to my account</h1><div class="post">When I try '
    "to log in it says my session has expired and sends me back to the start. Too many "
    "requests, maybe? My IP was blocked once last year too.</div></div></div>",
)


def bazaar_pages() -> Iterator[tuple[str, int, str]]:
    """Real pages of the sandbox marketplace: every kind of page it serves."""
    corpus = build_corpus(size=12)
    site = MarketSite(corpus)
    first = corpus.listings[0]
    for path in (
        "/",
        "/search?q=",
        f"/listing/{first.listing_id}",
        f"/seller/{first.seller_id}",
        "/private/admin",
        "/missing",
    ):
        response = site.handle(Request("GET", path.split("?")[0], {}, {}, "http://x", path))
        yield path, response.status, response.body.decode("utf-8")


LOOKALIKES: list[tuple[str, int, dict[str, str], str]] = [
    (
        "listing-with-search-box-and-login-links",
        200,
        HTML,
        listing_page("Carved wooden elephant", LOREM),
    ),
    (
        "short-listing-with-login-form-in-header",
        200,
        HTML,
        listing_page("Old bicycle", "Works fine.", header=HEADER_LOGIN_FORM, heading="div"),
    ),
    (
        "listing-about-captcha-services",
        200,
        HTML,
        listing_page(
            "Captcha solving service, 1000 solves",
            "Fast captcha solving for reCAPTCHA and hCaptcha. Are you a robot? We are!",
        ),
    ),
    (
        "short-listing-with-recaptcha-contact-form",
        200,
        HTML,
        listing_page("Bird cage", "Large cage.", extra=CONTACT_FORM_RECAPTCHA),
    ),
    (
        "short-listing-with-invisible-recaptcha",
        200,
        HTML,
        listing_page("Bird cage", "Large cage.", extra=PHONE_REVEAL_INVISIBLE),
    ),
    (
        "listing-behind-cloudflare-sensor",
        200,
        HTML,
        listing_page("Bird cage", "Large cage.", extra=CF_SENSOR),
    ),
    (
        "listing-mentioning-access-denied",
        200,
        HTML,
        listing_page(
            "Access Denied DVD, season 2",
            "Access denied on the first disc? No, all discs play. Request blocked? Never.",
        ),
    ),
    (
        "listing-titled-too-many-requests",
        200,
        HTML,
        listing_page("Ivory-coloured paint", "Too many requests for this colour, restocked."),
    ),
    ("forum-thread-about-logging-in", 200, HTML, THREAD_ABOUT_LOGIN),
    ("plain-404", 404, HTML, page("Not found", "<h1>Not found</h1><p>No such listing.</p>")),
    (
        "maintenance-503",
        503,
        HTML,
        page("Maintenance", "<h1>Back soon</h1><p>Down for maintenance.</p>"),
    ),
    ("json-200", 200, JSON, '{"error": "access denied", "items": []}'),
    (
        "rss-with-blocky-titles",
        200,
        {"Content-Type": "application/rss+xml"},
        "<?xml version='1.0'?><rss><channel><title>Access Denied</title><item><title>Log in"
        "</title><description>Just a moment</description></item></channel></rss>",
    ),
    ("google-sorry-as-429", 429, HTML, GOOGLE_SORRY),
    ("rate-limit-as-429", 429, HTML, RATE_LIMITED_200),
] + [(f"bazaar{path}", status, HTML, body) for path, status, body in bazaar_pages()]


@pytest.mark.parametrize(
    ("status", "headers", "body"),
    [pytest.param(*row[1:], id=row[0]) for row in LOOKALIKES],
)
def test_normal_pages_are_not_blocks(status: int, headers: dict[str, str], body: str) -> None:
    assert detect_block(status, headers, body) is None


def test_every_bazaar_listing_page_passes() -> None:
    corpus = build_corpus(size=200)
    site = MarketSite(corpus)
    for listing in corpus.listings:
        path = f"/listing/{listing.listing_id}"
        response = site.handle(Request("GET", path, {}, {}, "http://x", path))
        assert detect_block(200, HTML, response.body.decode()) is None, path


# ---------------------------------------------------------------- crawls

SOURCE = "guarded-bazaar"


def bazaar_source(**overrides: Any) -> dict[str, Any]:
    source: dict[str, Any] = {
        "kind": "html_marketplace",
        "platform": "sandbox-bazaar",
        "start_urls": ["/search?q="],
        "result_links": "a.result-link::attr(href)",
        "next_page": "a[rel~=next]::attr(href)",
        "listing_id": "/listing/(?P<id>[A-Za-z0-9_-]+)",
        "allow_private": True,
        "politeness": {"download_delay": 0, "concurrency": 4},
        "fields": {"title": "h1.listing-title::text"},
    }
    source.update(overrides)
    return source


def test_blocked_pages_never_become_listings(tmp_path: Path) -> None:
    corpus = build_corpus(size=40)
    ids = [x.listing_id for x in corpus.listings]
    blocked = {
        ids[3]: "captcha",
        ids[11]: "challenge",
        ids[19]: "denied",
        ids[27]: "login",
        ids[35]: "captcha",
    }
    paths = {f"/listing/{i}": style for i, style in blocked.items()}

    def guarded(c: Corpus) -> GuardedSite:
        return GuardedSite(c, paths=paths)  # type: ignore[arg-type]

    sources = write_sources(
        tmp_path / "sources.yaml",
        {SOURCE: bazaar_source(politeness={"download_delay": 0, "pause_after_blocks": 10})},
    )
    with SandboxServer(corpus=corpus, site_factory=guarded) as server:
        out = crawl_sources(
            sources, [SOURCE], tmp_path / "out", base_url=server.url, state_url=_state(tmp_path)
        )
        served = cast(GuardedSite, server.site).served
    assert out.returncode == 0, out.stderr
    got = sorted(r["listing"]["platform_id"] for r in out.listings)
    assert got == sorted(set(ids) - set(blocked))
    titles = set(out.titles())
    for block_title in ("Security check", "Just a moment...", "Access Denied", "Log in | Bazaar"):
        assert block_title not in titles
    stats = out.stats[SOURCE]
    assert stats["wildwatch/blocked"] == 5
    assert stats["wildwatch/blocked/captcha"] == 2
    assert stats["wildwatch/blocked/challenge"] == 1
    assert stats["wildwatch/blocked/access_denied"] == 1
    assert stats["wildwatch/blocked/login_wall"] == 1
    assert stats["finish_reason"] == "finished"
    # The challenge's 503 was not retried: each blocked page was asked for once.
    assert sorted(p for p, style in served if style) == sorted(paths)
    assert CrawlState(_state(tmp_path)).paused(SOURCE) is None


def test_a_site_that_starts_blocking_gets_the_source_paused(tmp_path: Path) -> None:
    corpus = build_corpus(size=120)
    after = 12

    def walled(c: Corpus) -> GuardedSite:
        return GuardedSite(c, after=after, style="captcha")

    sources = write_sources(tmp_path / "sources.yaml", {SOURCE: bazaar_source()})
    state_url = _state(tmp_path)
    with SandboxServer(corpus=corpus, site_factory=walled) as server:
        out = crawl_sources(
            sources, [SOURCE], tmp_path / "out", base_url=server.url, state_url=state_url
        )
        served = cast(GuardedSite, server.site).served
        assert out.returncode == 0, out.stderr
        stats = out.stats[SOURCE]
        assert stats["finish_reason"] == "paused_blocked"
        assert stats["wildwatch/blocked/captcha"] >= 3
        assert len(out.listings) <= after

        pause = CrawlState(state_url).paused(SOURCE)
        assert pause is not None
        assert pause.reason.startswith("blocked: captcha on 3 pages in a row (last: http")
        assert 5.9 * 3600 < (pause.until - pause.paused_at).total_seconds() <= 6 * 3600
        # The crawl stopped: past the third CAPTCHA only requests the downloader already
        # held went out, not the rest of the site's 120 listings.
        third = [n for n, (_, style) in enumerate(served) if style][2]
        assert len(served) - third - 1 <= default_settings()["CONCURRENT_REQUESTS"]
        assert len(served) < 45

        # A second crawl of the paused source fetches nothing and says why.
        server.clear_requests()
        again = crawl_sources(
            sources, [SOURCE], tmp_path / "out", base_url=server.url, state_url=state_url
        )
        assert again.returncode == 0, again.stderr
        assert again.stats[SOURCE]["finish_reason"] == "paused"
        assert again.listings == []
        assert server.requests == []
        assert again.stats[SOURCE]["wildwatch/pause_reason"] == pause.reason


def _state(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path}/state.db"
