"""Pages that are not the page asked for: CAPTCHAs, bot challenges, login walls and
"access denied" answers, recognised and kept away from the spiders.

`detect_block` classifies one response from its status, headers and markup. It leans
on markup that only block pages carry (CAPTCHA widgets, challenge scripts, a password
form that *is* the page) and on how little such pages say: a listing that mentions
"captcha" or a header with a login box is not a block. `BlockDetectionMiddleware`
runs it on every response, drops blocked ones before they reach the spider, and
pauses the source (in the crawl state) when blocks keep coming or the session is gone.

A 429 is not a block here: the retry middleware backs off and tries again.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, Self

from parsel import Selector
from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import CloseSpider, IgnoreRequest
from scrapy.http import Response, TextResponse
from scrapy.utils.defer import deferred_from_coro

from crawler.state import CrawlState

__all__ = [
    "BLOCK_KINDS",
    "BlockDetectionMiddleware",
    "BlockKind",
    "PageBlock",
    "detect_block",
    "detect_block_in",
]

logger = logging.getLogger(__name__)

BlockKind = Literal["captcha", "challenge", "login_wall", "access_denied", "rate_limited"]
#: What the middleware counts: a `BlockKind`, or ``logged_out`` (the source's own
#: ``session.logged_out`` selector matched: its session cookie stopped working).
PageBlock = BlockKind | Literal["logged_out"]
BLOCK_KINDS: tuple[PageBlock, ...] = (
    "captcha",
    "challenge",
    "login_wall",
    "access_denied",
    "rate_limited",
    "logged_out",
)

# Visible text (outside header, nav, footer and aside) below which a page is "thin":
# block pages say a sentence or two; a listing or a result page says much more.
THIN_CHARS = 1000
# A login wall is a password form with next to nothing around it.
LOGIN_REST_CHARS = 400
# Challenge scripts on a page with this much to read are a sensor, not a wall.
RICH_CHARS = 3000
# Markers are searched in the start of the page only (block pages are small).
_SCAN_CHARS = 300_000


# ---------------------------------------------------------------- vocabulary


def _phrases(*items: str) -> re.Pattern[str]:
    return re.compile("|".join(items), re.IGNORECASE)


# Markup and script names found on challenge pages, and not on the pages they guard
# (Cloudflare's "jsd" sensor and DataDome's tags.js run on normal pages: not here).
_CHALLENGE_MARKERS = _phrases(
    r"_cf_chl_opt",
    r"__cf_chl_",
    r"cf_chl_prog",
    r"cf-browser-verification",
    r"/cdn-cgi/challenge-platform/h/",
    r"challenge-platform/orchestrate",
    r"id=[\"']?challenge-form",
    r"captcha-delivery\.com",  # DataDome's block page
    r"_pxcaptcha",
    r"px-captcha",  # PerimeterX "press & hold"
    r"captcha\.px-cdn\.net",
    r"/_sec/cp_challenge/",  # Akamai Bot Manager
    r"sec-if-cpt-container",
    r"bm-verify",
    r"_incapsula_resource\?cwudnsai",  # Imperva
    r"incapsula incident id",
    r"awswafintegration",
    r"token\.awswaf\.com",
    r"gokuprops",
    r"kpsdk",  # Kasada
    r"/\.well-known/ddos-guard/",
    r"sucuri_cloudproxy_js",
)
# Challenge page titles: the short ones must be the whole title segment ("Un momento"
# alone, not "Un momento especial"); the long ones may be followed by a host name.
_CHALLENGE_TITLES = re.compile(
    r"^(just a moment|one more step|un instant|un momento|um momento|请稍候|請稍候"
    r"|vui lòng chờ|tunggu sebentar|โปรดรอสักครู่|security checkpoint|ddos-guard)$"
    r"|^(checking your browser|checking if the site connection is secure"
    r"|verifying you are human|pardon our interruption|ddos protection by)",
    re.IGNORECASE,
)
_CHALLENGE_TEXT = _phrases(
    r"checking your browser before accessing",
    r"enable javascript and cookies to continue",
    r"verify you are human by completing the action below",
    r"press (&|and) hold",
    r"please enable js and disable any ad blocker",
    r"is this request from a human",
    r"this process is automatic\. your browser will redirect",
)

# Widgets a person has to solve. XPath, so class and attribute tests can ignore case.
_CAPTCHA_WIDGETS = (
    "//*[contains(concat(' ', normalize-space(@class), ' '), ' g-recaptcha ')"
    " and not(@data-size='invisible')]",
    "//*[contains(concat(' ', normalize-space(@class), ' '), ' h-captcha ')"
    " and not(@data-size='invisible')]",
    "//*[contains(concat(' ', normalize-space(@class), ' '), ' cf-turnstile ')]",
    "//*[contains(concat(' ', normalize-space(@class), ' '), ' frc-captcha ')]",
    "//iframe[contains(@src, 'recaptcha/api2/anchor')"
    " or contains(@src, 'recaptcha/enterprise/anchor')"
    " or contains(@src, 'hcaptcha.com') or contains(@src, 'challenges.cloudflare.com')"
    " or contains(@src, 'arkoselabs') or contains(@src, 'funcaptcha')]",
    "//img[contains(translate(@src, 'CAPTCH', 'captch'), 'captcha')"
    " or contains(translate(@id, 'CAPTCH', 'captch'), 'captcha')]",
    "//input[contains(translate(@name, 'CAPTCH', 'captch'), 'captcha') and not(@type='hidden')]",
    "//*[contains(translate(@id, 'FUNCAPTH', 'funcapth'), 'funcaptcha')]",
    "//*[contains(@class, 'geetest_')]",
)
# Said by CAPTCHA pages; "captcha" alone is only believed next to a widget (a listing
# may well be about CAPTCHA-solving services).
_CAPTCHA_WORDS = _phrases(
    r"are you a robot",
    r"not a robot",
    r"verify (that )?you are (a )?human",
    r"prove (that )?you('re| are) (a )?human",
    r"human verification",
    r"robot check",
    r"security check",
    r"unusual traffic",
    r"enter the characters you see",
    r"type the characters",
    r"solve (this|the) puzzle",
    r"vérification de sécurité",
    r"êtes-vous un robot",
    r"pas un robot",
    r"no soy un robot",
    r"eres un robot",
    r"verificación de seguridad",
    r"não sou um robô",
    r"você é um robô",
    r"verificação de segurança",
    r"人机验证",
    r"人機驗證",
    r"安全验证",
    r"安全驗證",
    r"请完成验证",
    r"我不是机器人",
    r"xác minh bạn là người",
    r"không phải là người máy",
    r"kiểm tra bảo mật",
    r"bukan robot",
    r"verifikasi keamanan",
    r"ไม่ใช่โปรแกรมอัตโนมัติ",
    r"ไม่ใช่หุ่นยนต์",
)
_CAPTCHA_WORD = re.compile(r"captcha|验证码|驗證碼", re.IGNORECASE)

_RATE_WORDS = _phrases(
    r"too many requests",
    r"rate limit",
    r"rate-limit",
    r"being rate limited",
    r"request limit exceeded",
    r"trop de requêtes",
    r"demasiadas solicitudes",
    r"demasiadas peticiones",
    r"muitas solicitações",
    r"muitas requisições",
    r"请求过于频繁",
    r"請求過於頻繁",
    r"访问过于频繁",
    r"訪問過於頻繁",
    r"quá nhiều yêu cầu",
    r"terlalu banyak permintaan",
    r"คำขอมากเกินไป",
)

_DENIED_WORDS = _phrases(
    r"access denied",
    r"access is denied",
    r"access forbidden",
    r"^\W*(error\W*)?403\b",
    r"\bforbidden\b",
    r"request blocked",
    r"request rejected",
    r"requested url was rejected",
    r"you don'?t have permission",
    r"you do not have permission",
    r"not authori[sz]ed to access",
    r"you have been blocked",
    r"(ip|address) (has been |is |was )?(blocked|banned)",
    r"unavailable for legal reasons",
    r"not available in your (country|region)",
    r"error (1005|1006|1009|1020)",
    r"web ?page blocked",
    r"acceso denegado",
    r"accès refusé",
    r"accès interdit",
    r"acesso negado",
    r"acesso proibido",
    r"访问被拒绝",
    r"拒绝访问",
    r"拒絕存取",
    r"存取被拒",
    r"禁止访问",
    r"truy cập bị từ chối",
    r"akses ditolak",
    r"การเข้าถึงถูกปฏิเสธ",
    r"доступ запрещ[её]н",
    r"zugriff verweigert",
)

# A title segment or heading that is nothing but a refusal ("403 Forbidden",
# "Access Denied"); a listing called "Forbidden Planet poster" is not one.
_DENIED_NAME = re.compile(
    r"^(error\W*)?(40[13]|451)?\W*(sorry\W*)?"
    r"(access denied|access is denied|access forbidden|forbidden|request blocked"
    r"|request rejected|you have been blocked|unavailable for legal reasons"
    r"|acceso denegado|accès refusé|accès interdit|acesso negado|acesso proibido"
    r"|访问被拒绝|拒绝访问|拒絕存取|存取被拒|禁止访问|truy cập bị từ chối|akses ditolak"
    r"|การเข้าถึงถูกปฏิเสธ|доступ запрещ[её]н|zugriff verweigert)\W*$",
    re.IGNORECASE,
)
_DENIED_TEXT = _phrases(
    r"you don'?t have permission to access",
    r"you do not have permission to access",
    r"request (blocked|rejected)",
    r"requested url was rejected",
    r"sorry, you have been blocked",
    r"(ip|address) (has been |is |was )?(blocked|banned)",
)

_LOGIN_VERB = (
    r"log ?in|login|sign ?in|signin|log on|member login|anmelden|einloggen"
    r"|iniciar sesi[oó]n|inicia sesi[oó]n|acceder|ingresar|identif[ií]cate"
    r"|connexion|se connecter|connectez-vous|identifiez-vous"
    r"|entrar|fazer login|fa[çc]a login|acessar"
    r"|登录|登入|登錄|會員登入|会员登录|đăng nhập|masuk|เข้าสู่ระบบ|войти|вход|accedi"
)
# A title segment or heading that is the login form's own name ("Log in",
# "Sign in to Den", "Đăng nhập"), not a thread that merely mentions logging in.
_LOGIN_HEADING = re.compile(
    rf"^(please |kindly )?({_LOGIN_VERB})"
    r"(\s*(or|/|&|and|ou|o|hoặc|atau)\s*\w[\w ]{0,30})?"
    r"(\s+(to|into|for|with|on|at|à|a|en|para|ke|vào|di|ใน)\b.{0,60})?$",
    re.IGNORECASE,
)
_LOGIN_WORDS = re.compile(
    rf"{_LOGIN_VERB}|password|passwort|contraseña|mot de passe|senha|密码|密碼"
    r"|mật khẩu|kata sandi|รหัสผ่าน",
    re.IGNORECASE,
)
# Pages that say the content is behind a login, with or without a form of their own.
_LOGIN_REQUIRED = _phrases(
    r"(log ?in|sign ?in) to (continue|view|see|read|access)",
    r"must be (logged|signed) in",
    r"need to (be logged in|log ?in|sign ?in)",
    r"please (log ?in|sign ?in)",
    r"login required",
    r"you are not logged in",
    r"session (has )?expired",
    r"connectez-vous pour",
    r"vous devez être connecté",
    r"inicia sesión para",
    r"debes iniciar sesión",
    r"fa[çc]a login para",
    r"precisa estar logado",
    r"请先登录",
    r"請先登入",
    r"登录后查看",
    r"vui lòng đăng nhập",
    r"bạn cần đăng nhập",
    r"silakan (masuk|login)",
    r"anda harus masuk",
    r"(กรุณา|โปรด)เข้าสู่ระบบ",
)

_SEPARATORS = re.compile(r"\s+[|\-–—·:»]\s+|\s*[|–—·»]\s*")
_SPACES = re.compile(r"\s+")
_LOOKS_HTML = re.compile(r"<\s*(!doctype|html|head|body|title|div|p|form|script|h1)\b", re.I)

_NOT_SHOWN = "ancestor::script or ancestor::style or ancestor::noscript or ancestor::template"
_CHROME = "ancestor::header or ancestor::nav or ancestor::footer or ancestor::aside"
_HIDDEN_OR_CHROME = (
    "ancestor-or-self::*[self::header or self::nav or self::footer or self::aside"
    " or self::dialog or self::template or @hidden or @aria-hidden='true'"
    " or contains(translate(@style, ' ', ''), 'display:none')"
    " or contains(translate(@style, ' ', ''), 'visibility:hidden')]"
)


# ---------------------------------------------------------------- the page as read


def _squash(parts: Iterable[str]) -> str:
    return _SPACES.sub(" ", " ".join(parts)).strip()


@dataclass(frozen=True)
class _Page:
    """What the classifier looks at on one HTML page."""

    selector: Selector
    markup: str  # the start of the raw HTML
    title: str
    headings: tuple[str, ...]  # h1 and h2 texts, first few
    content: str  # visible text outside header, nav, footer and aside

    @classmethod
    def parse(cls, html: str, selector: Selector | None = None) -> _Page:
        selector = selector if selector is not None else Selector(text=html)
        root = "//body" if selector.xpath("//body") else ""
        content = selector.xpath(f"{root}//text()[not({_NOT_SHOWN} or {_CHROME})]").getall()
        headings = (_squash(n.xpath(".//text()").getall()) for n in selector.xpath("//h1|//h2"))
        return cls(
            selector=selector,
            markup=html[:_SCAN_CHARS],
            title=_squash(selector.xpath("//title//text()").getall()),
            headings=tuple(h for h in headings if h)[:6],
            content=_squash(content),
        )

    @property
    def thin(self) -> bool:
        return len(self.content) < THIN_CHARS

    def names(self) -> list[str]:
        """Title segments and headings: what the page says it is ("Log in | Den" gives
        "Log in" and "Den")."""
        segments = [s.strip(" .!…") for s in _SEPARATORS.split(self.title)]
        return [s for s in segments if s] + list(self.headings)

    def named(self, pattern: re.Pattern[str]) -> bool:
        """Whether the title or a heading says `pattern`."""
        return any(pattern.search(name) for name in [self.title, *self.headings])

    def says(self, pattern: re.Pattern[str]) -> bool:
        """Whether the title, a heading or the main text says `pattern`."""
        return self.named(pattern) or bool(pattern.search(self.content))

    def declares(self, pattern: re.Pattern[str]) -> bool:
        """Whether the page is about `pattern`: its title or a heading says it, or it
        has no main heading and its text does (a post *mentioning* a rate limit or
        an expired session sits under a heading of its own)."""
        if self.named(pattern):
            return True
        return not self.selector.xpath("//h1") and bool(pattern.search(self.content))


def _forms_with_textarea(selector: Selector) -> set[Any]:
    """Forms where people write (contact the seller, reply): a CAPTCHA in one of these
    guards the form, not the page. Returned as lxml elements (kept alive, so lxml hands
    out the same element objects for them while the set lives)."""
    forms = selector.xpath(
        "//form[.//textarea[not(contains(translate(@name, 'CAPTCH', 'captch'), 'captcha'))"
        " and not(contains(translate(@style, ' ', ''), 'display:none'))]]"
    )
    return {f.root for f in forms}


def _has_captcha_widget(page: _Page) -> bool:
    guarded = _forms_with_textarea(page.selector)
    for query in _CAPTCHA_WIDGETS:
        for node in page.selector.xpath(query):
            if not any(f.root in guarded for f in node.xpath("ancestor::form")):
                return True
    return False


def _is_challenge(page: _Page, status: int) -> bool:
    if _CHALLENGE_MARKERS.search(page.markup) and len(page.content) < RICH_CHARS:
        return True
    if page.thin and any(_CHALLENGE_TITLES.search(name) for name in page.names()):
        return True
    return status in (403, 503) and page.thin and bool(_CHALLENGE_TEXT.search(page.content))


def _is_captcha(page: _Page, status: int) -> bool:
    if _has_captcha_widget(page):
        # A widget alone may guard a "show phone number" button on a listing: the
        # page must also ask for the check, or be a refusal.
        if page.named(_CAPTCHA_WORDS):
            return True
        return page.thin and (
            status == 403 or page.says(_CAPTCHA_WORDS) or page.says(_CAPTCHA_WORD)
        )
    # An image or text CAPTCHA with no known widget: the page says so and asks for
    # something in a form that is neither a search box nor a message.
    if not (page.thin and page.named(_CAPTCHA_WORDS)):
        return False
    message_forms = _forms_with_textarea(page.selector)
    for form in page.selector.xpath("//form"):
        if form.root in message_forms or form.xpath(".//input[@type='search']"):
            continue
        if form.xpath(".//input[not(@type='hidden')]|.//button"):
            return True
    return False


def _is_rate_limited(page: _Page, status: int) -> bool:
    return status < 500 and page.thin and page.declares(_RATE_WORDS)


def _is_login_wall(page: _Page) -> bool:
    if page.thin and page.declares(_LOGIN_REQUIRED):
        return True
    password = page.selector.xpath(f"//input[@type='password'][not({_HIDDEN_OR_CHROME})]")
    if not password:
        return False
    if any(_LOGIN_HEADING.match(name) for name in page.names()):
        return True
    # No heading at all: a password form with little else on the page, in login words.
    if page.selector.xpath("//h1"):
        return False
    forms = password.xpath("ancestor::form[1]")
    form_text = " ".join(_squash(f.xpath(f".//text()[not({_NOT_SHOWN})]").getall()) for f in forms)
    if len(page.content) - len(form_text) >= LOGIN_REST_CHARS:
        return False
    labels = " ".join(
        [
            page.title,
            page.content,
            *page.selector.xpath("//form/@action").getall(),
            *page.selector.xpath("//input[@type='submit']/@value").getall(),
        ]
    )
    return bool(_LOGIN_WORDS.search(labels))


def _is_denied(page: _Page, status: int) -> bool:
    if status == 403:
        return page.thin or page.named(_DENIED_WORDS)
    if not page.thin:
        return False
    return any(_DENIED_NAME.match(name) for name in page.names()) or page.declares(_DENIED_TEXT)


# ---------------------------------------------------------------- classifier


def detect_block(status: int, headers: Mapping[str, str], text: str) -> BlockKind | None:
    """The kind of block page this response is, or None for a normal page.

    `headers` may have names in any case. Non-HTML bodies (JSON, plain text) are
    judged by status alone. A 429 is never a block (the retry middleware waits and
    retries); a 5xx is one only when it carries challenge markup.
    """
    return _classify(status, headers, text, None)


def detect_block_in(response: Response) -> BlockKind | None:
    """`detect_block` for a Scrapy response (reusing its parsed document)."""
    if not isinstance(response, TextResponse):
        return None
    headers = {k.lower(): v for k, v in response.headers.to_unicode_dict().items()}
    selector = response.selector if _is_html(headers, response.text) else None
    return _classify(response.status, headers, response.text, selector)


def _is_html(headers: Mapping[str, str], text: str) -> bool:
    """HTML by its Content-Type, else by a look at its start (feeds and JSON are not)."""
    kind = headers.get("content-type", "").lower()
    if kind:
        return "html" in kind
    start = text[:5000].lstrip()
    return not start.startswith(("<?xml", "<rss", "<feed", "{", "[")) and bool(
        _LOOKS_HTML.search(start)
    )


def _classify(
    status: int, headers: Mapping[str, str], text: str, selector: Selector | None
) -> BlockKind | None:
    if status == 429:
        return None
    lower = {str(k).lower(): str(v) for k, v in headers.items()}
    if "challenge" in lower.get("cf-mitigated", "").lower():
        return "challenge"
    if status == 403 and ("x-datadome" in lower or "x-dd-b" in lower):
        return "challenge"  # DataDome answers its blocks with a 403 and these headers
    if status == 451:
        return "access_denied"
    if not _is_html(lower, text):
        return {401: "login_wall", 403: "access_denied"}.get(status)  # type: ignore[return-value]
    page = _Page.parse(text, selector)
    if _is_challenge(page, status):
        return "challenge"
    if status >= 500:
        return None  # outages and maintenance pages: the retry middleware's business
    if _is_captcha(page, status):
        return "captcha"
    if _is_rate_limited(page, status):
        return "rate_limited"
    if status == 401 or _is_login_wall(page):
        return "login_wall"
    if _is_denied(page, status):
        return "access_denied"
    return None


# ---------------------------------------------------------------- middleware


@dataclass
class _Streak:
    """Blocks in a row for one source."""

    count: int = 0
    kinds: tuple[str, ...] = ()


class BlockDetectionMiddleware:
    """Drops blocked responses and pauses a source that keeps getting them.

    Every text response is classified (`detect_block`); for a source with
    ``session.logged_out`` a page matching that selector is a ``logged_out`` block.
    A blocked response is counted (``wildwatch/blocked``, ``wildwatch/blocked/<kind>``)
    and raised as `IgnoreRequest`, so no listing is ever made of it. After
    ``WILDWATCH_PAUSE_AFTER_BLOCKS`` blocks in a row, or at the first ``logged_out``,
    the source is paused in the crawl state for ``WILDWATCH_PAUSE_FOR`` seconds and
    the crawl closes (``paused_blocked`` / ``paused_logged_out``). A source already
    paused closes at once (``paused``).
    """

    def __init__(self, crawler: Crawler, pause_after: int, pause_for: float) -> None:
        self.crawler = crawler
        self.pause_after = max(1, pause_after)
        self.pause_for = timedelta(seconds=pause_for)
        self.state = CrawlState.from_settings(crawler.settings)
        self._streaks: dict[str, _Streak] = {}
        self._logged: set[str] = set()
        self._closing = False

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        middleware = cls(
            crawler,
            pause_after=crawler.settings.getint("WILDWATCH_PAUSE_AFTER_BLOCKS", 3),
            pause_for=crawler.settings.getfloat("WILDWATCH_PAUSE_FOR", 6 * 3600),
        )
        crawler.signals.connect(middleware.spider_opened, signal=signals.spider_opened)
        return middleware

    # -- the spider's source

    def _source(self) -> Any:
        return getattr(self.crawler.spider, "source", None)

    def _source_name(self) -> str:
        source = self._source()
        return str(getattr(source, "name", None) or getattr(self.crawler.spider, "name", "?"))

    def _logged_out_selector(self) -> str | None:
        session = getattr(self._source(), "session", None)
        return getattr(session, "logged_out", None)

    # -- signals

    def spider_opened(self) -> None:
        if self.state is None:
            return
        name = self._source_name()
        pause = self.state.paused(name)
        if pause is not None:
            logger.warning(
                "source %s is paused until %s (%s): not crawled",
                name,
                pause.until.isoformat(timespec="seconds"),
                pause.reason,
            )
            if self.crawler.stats is not None:
                self.crawler.stats.set_value("wildwatch/pause_reason", pause.reason)
                self.crawler.stats.set_value("wildwatch/paused_until", pause.until.isoformat())
            raise CloseSpider("paused")

    # -- requests

    def process_request(self, request: Request) -> None:
        # Once paused, nothing new goes out (a redirect to the login page included);
        # requests the downloader already holds still finish.
        if self._closing:
            if self.crawler.stats is not None:
                self.crawler.stats.inc_value("wildwatch/skipped/paused")
            raise IgnoreRequest(f"source paused: {request.url}")

    # -- responses

    def process_response(self, request: Request, response: Response) -> Response:
        if not isinstance(response, TextResponse):
            return response
        kind = self._classify(response)
        name = self._source_name()
        streak = self._streaks.setdefault(name, _Streak())
        if kind is None:
            streak.count, streak.kinds = 0, ()
            return response
        streak.count += 1
        if kind not in streak.kinds:
            streak.kinds = (*streak.kinds, kind)
        self._count(kind)
        if kind not in self._logged:
            self._logged.add(kind)
            logger.warning("source %s: %s page at %s (dropped)", name, kind, response.url)
        if kind == "logged_out":
            self._pause(name, _logged_out_reason(self._source()), "paused_logged_out")
        elif streak.count >= self.pause_after:
            reason = (
                f"blocked: {'/'.join(streak.kinds)} on {streak.count} pages in a row"
                f" (last: {response.url})"
            )
            self._pause(name, reason, "paused_blocked")
        raise IgnoreRequest(f"{kind} page: {response.url}")

    def _classify(self, response: TextResponse) -> PageBlock | None:
        selector = self._logged_out_selector()
        if selector and _matches(response, selector):
            return "logged_out"
        return detect_block_in(response)

    def _count(self, kind: str) -> None:
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value("wildwatch/blocked")
            self.crawler.stats.inc_value(f"wildwatch/blocked/{kind}")

    def _pause(self, name: str, reason: str, close_reason: str) -> None:
        if self._closing:
            return
        self._closing = True
        until = datetime.now(UTC) + self.pause_for
        if self.state is not None:
            self.state.pause(name, until=until, reason=reason)
            logger.error(
                "source %s paused until %s: %s", name, until.isoformat(timespec="seconds"), reason
            )
        else:
            logger.error("source %s stopped (no crawl state to pause it in): %s", name, reason)
        if self.crawler.stats is not None:
            self.crawler.stats.set_value("wildwatch/pause_reason", reason)
        engine = self.crawler.engine
        if engine is not None and engine.spider is not None:
            # Scheduled, not awaited: closing waits for requests in flight, this one too.
            closing = deferred_from_coro(engine.close_spider_async(reason=close_reason))
            closing.addErrback(lambda f: logger.error("closing %s failed: %s", name, f.value))


def _matches(response: TextResponse, query: str) -> bool:
    try:
        found = response.xpath(query) if query.startswith(("/", "(", "./")) else response.css(query)
    except ValueError:  # not an HTML/XML document (JSON, plain text)
        return False
    return bool(found)


def _logged_out_reason(source: Any) -> str:
    session = getattr(source, "session", None)
    env = getattr(session, "cookies_env", None)
    where = f"renew session.cookies_env ({env})" if env else "renew session.cookies"
    return f"logged out: the session cookie no longer works; {where}"
