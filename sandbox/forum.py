"""Den, the sandbox forum behind a login (platform key ``sandbox-den``).

Every corpus listing is a thread: its first post is the offer (title, text, a price
line such as ``Giá: 1250000 VND``, author, time) and a few replies follow, written
by other members in the thread's language. Threads are dealt round-robin to the
boards in `BOARDS`, newest first.

Routes (GET and HEAD unless noted):

- ``/login``: the login form (``form#login-form``); ``POST /login`` with
  ``user``/``password`` (`DEMO_USER`/`DEMO_PASSWORD`) sets the session cookie and
  redirects (303) to ``next``; a wrong password shows the form again;
- ``POST /logout``: ends the session;
- ``/``: the board index (``a.board-link``);
- ``/board/<name>?page=N``: `PAGE_SIZE` threads a page (``a.thread-link`` to
  ``/t/<id>``, ``a[rel=next].next``); a page out of range is a 404;
- ``/t/<id>``: the thread. Hooks: ``h1.thread-title``, ``article.first-post`` with
  ``a.post-author[href=/u/<member>]``, ``time.post-time[datetime]`` and
  ``.post-body`` (its last paragraph ``p.post-price`` is the price line);
  replies are ``article.reply`` with the same hooks;
- ``/u/<member>``: a member's profile and threads;
- ``/robots.txt``: everything allowed but ``/logout``.

Every page but ``/login`` and ``/robots.txt`` needs a valid ``den_session`` cookie;
without one it redirects (302) to ``/login?next=PATH``. The cookie value
`DEMO_SESSION` is always valid for `DEMO_USER` (crawl configs use it:
``DEN_COOKIES="den_session=den-demo-5f1c2a9e"``). With ``session_requests=N`` every
session (the demo one too) serves N pages and then expires, as a real session does
mid-crawl. All text is escaped by the templates.
"""

from __future__ import annotations

import math
import random
import secrets
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from http.cookies import CookieError, SimpleCookie
from typing import Any
from urllib.parse import parse_qs, quote, urlencode

from jinja2 import DictLoader

from sandbox.corpus import Corpus, SandboxListing, Seller
from sandbox.market import amount_text
from sandbox.server import Request, Response, Router
from sandbox.templating import template_environment

__all__ = [
    "BOARDS",
    "DEMO_PASSWORD",
    "DEMO_SESSION",
    "DEMO_USER",
    "PAGE_SIZE",
    "PLATFORM",
    "SESSION_COOKIE",
    "SITE_NAME",
    "ForumSite",
    "Thread",
]

PLATFORM = "sandbox-den"
SITE_NAME = "Den"
BOARDS = ("market", "exotics", "curios")
PAGE_SIZE = 10
SESSION_COOKIE = "den_session"
DEMO_USER = "ranger"
DEMO_PASSWORD = "watch-the-den"
DEMO_SESSION = "den-demo-5f1c2a9e"
FIRST_THREAD = 1001
ROBOTS_TXT = "User-agent: *\nDisallow: /logout\n"

_ISO = "%Y-%m-%dT%H:%M:%SZ"
_SHOWN = "%Y-%m-%d %H:%M UTC"
_PRICE_LABEL = {
    "en": "Price",
    "vi": "Giá",
    "zh": "价格",
    "th": "ราคา",
    "id": "Harga",
    "es": "Precio",
    "pt": "Preço",
    "fr": "Prix",
}
_PLACE_LABEL = {
    "en": "Location",
    "vi": "Khu vực",
    "zh": "地点",
    "th": "พื้นที่",
    "id": "Lokasi",
    "es": "Ubicación",
    "pt": "Local",
    "fr": "Lieu",
}
# What members answer under an offer, by the thread's language.
_REPLIES = {
    "en": (
        "Still available?",
        "PM sent, please check your inbox.",
        "Can you ship to Singapore?",
        "Would you take less for it?",
        "Is this even legal to sell?",
    ),
    "vi": (
        "Còn hàng không bạn?",
        "Đã inbox, check giúp mình.",
        "Ship ra Hà Nội được không?",
        "Giá có bớt không?",
    ),
    "zh": ("还有吗？", "已私信，请查收。", "能寄到香港吗？", "价格可以再低一点吗？"),
    "th": ("ยังมีอยู่ไหมครับ", "ทักแชทไปแล้วครับ", "ส่งต่างจังหวัดได้ไหม", "ลดราคาได้ไหมครับ"),
    "id": ("Masih ada gan?", "Sudah PM ya gan.", "Bisa kirim ke Surabaya?", "Harga nego?"),
    "es": (
        "¿Sigue disponible?",
        "Te mandé un mensaje privado.",
        "¿Haces envíos a Lima?",
        "¿Aceptas menos?",
    ),
    "pt": (
        "Ainda disponível?",
        "Mandei mensagem no privado.",
        "Envia para Luanda?",
        "Aceita proposta?",
    ),
    "fr": (
        "Toujours disponible ?",
        "Je vous ai envoyé un MP.",
        "Livraison possible à Dakar ?",
        "Le prix est négociable ?",
    ),
}
_MAX_REPLIES = 4

_TEMPLATES = {
    "base.html": """<!doctype html>
<html lang="{{ lang }}">
<head>
<meta charset="utf-8">
<title>{% block title %}{{ site_name }}{% endblock %}</title>
<style>
body{font-family:system-ui,sans-serif;margin:0;background:#f4f1ea;color:#222}
header,main,footer{max-width:52rem;margin:0 auto;padding:.75rem 1rem}
.post{background:#fff;border:1px solid #ddd;margin:.75rem 0;padding:.5rem 1rem}
.post-head{color:#666;font-size:.9rem}.threads li{margin:.4rem 0}
</style>
</head>
<body>
<header lang="en">
<a class="brand" href="/">{{ site_name }}</a>
{% if user %}
<nav class="boards">
{% for board in boards %}<a href="/board/{{ board }}">{{ board }}</a>
{% endfor %}
</nav>
<form class="logout" action="/logout" method="post">Signed in as
<span class="whoami">{{ user }}</span> <button type="submit">Log out</button></form>
{% endif %}
</header>
<main>
{% block main %}{% endblock %}
</main>
<footer lang="en"><p>{{ site_name }} is a local sandbox forum. Every post is invented.</p></footer>
</body>
</html>
""",
    "login.html": """{% extends "base.html" %}
{% block title %}Log in | {{ site_name }}{% endblock %}
{% block main %}
<h1>Log in</h1>
<p>{{ site_name }} is for members only. Log in to read the boards.</p>
{% if error %}<p class="error" role="alert">{{ error }}</p>{% endif %}
<form id="login-form" class="login-form" action="/login" method="post">
<input type="hidden" name="next" value="{{ next }}">
<label>User name <input type="text" name="user" autocomplete="username" required></label>
<label>Password
<input type="password" name="password" autocomplete="current-password" required></label>
<button type="submit">Log in</button>
</form>
{% endblock %}
""",
    "index.html": """{% extends "base.html" %}
{% block title %}Boards | {{ site_name }}{% endblock %}
{% block main %}
<h1>Boards</h1>
<ul class="board-list">
{% for board, count in counts %}
<li><a class="board-link" href="/board/{{ board }}">{{ board }}</a>
<span class="count">{{ count }} threads</span></li>
{% endfor %}
</ul>
{% endblock %}
""",
    "board.html": """{% extends "base.html" %}
{% block title %}{{ board }} (page {{ page }}) | {{ site_name }}{% endblock %}
{% block main %}
<h1 class="board-title">{{ board }}</h1>
<p class="board-count">{{ total }} threads, page {{ page }} of {{ pages }}.</p>
<ol class="threads" start="{{ first }}">
{% for thread in threads %}
<li class="thread" data-thread-id="{{ thread.thread_id }}">
<a class="thread-link" href="/t/{{ thread.thread_id }}"
 lang="{{ thread.listing.language }}">{{ thread.listing.title }}</a>
<span class="thread-meta">by {{ thread.author.name }}
· {{ thread.replies | length }} replies</span></li>
{% endfor %}
</ol>
<nav class="pagination">
{% if prev_url %}<a rel="prev" class="prev" href="{{ prev_url }}">Newer</a>{% endif %}
{% if next_url %}<a rel="next" class="next" href="{{ next_url }}">Older</a>{% endif %}
</nav>
{% endblock %}
""",
    "_post.html": """{% macro post(item, classes, body_lang) %}
<article class="post {{ classes }}" id="post-{{ item.post_id }}">
<div class="post-head">
<a class="post-author" href="/u/{{ item.author.seller_id }}">{{ item.author.name }}</a> ·
<time class="post-time"
 datetime="{{ item.time.strftime(iso) }}">{{ item.time.strftime(shown) }}</time>
</div>
<div class="post-body" lang="{{ body_lang }}">
{% for paragraph in item.paragraphs %}
<p{% if loop.last and item.price_line %} class="post-price"{% endif %}>{{ paragraph }}</p>
{% endfor %}
</div>
</article>
{% endmacro %}
""",
    "thread.html": """{% extends "base.html" %}
{% from "_post.html" import post %}
{% block title %}{{ thread.listing.title }} | {{ thread.board }} | {{ site_name }}{% endblock %}
{% block main %}
<p class="crumbs"><a href="/">Boards</a> ›
<a href="/board/{{ thread.board }}">{{ thread.board }}</a></p>
<h1 class="thread-title">{{ thread.listing.title }}</h1>
{{ post(thread.opening, "first-post", thread.listing.language) }}
<section class="replies">
<h2>{{ thread.replies | length }} replies</h2>
{% for reply in thread.replies %}
{{ post(reply, "reply", thread.listing.language) }}
{% endfor %}
</section>
{% endblock %}
""",
    "member.html": """{% extends "base.html" %}
{% block title %}{{ member.name }} | {{ site_name }}{% endblock %}
{% block main %}
<h1 class="member-name">{{ member.name }}</h1>
<p class="member-since">Member since {{ member.joined.isoformat() }} · {{ member.city }}</p>
<ul class="threads">
{% for thread in threads %}
<li><a class="thread-link" href="/t/{{ thread.thread_id }}">{{ thread.listing.title }}</a></li>
{% endfor %}
</ul>
{% endblock %}
""",
    "error.html": """{% extends "base.html" %}
{% block title %}{{ status }} | {{ site_name }}{% endblock %}
{% block main %}
<h1 class="error">Error {{ status }}</h1>
<p class="error-message">{{ message }}</p>
{% endblock %}
""",
}


@dataclass(frozen=True)
class Post:
    """One post of a thread."""

    post_id: str
    author: Seller
    time: datetime
    paragraphs: tuple[str, ...]
    price_line: bool = False  # the last paragraph is the offer's price


@dataclass(frozen=True)
class Thread:
    """A corpus listing as a forum thread: the offer and its replies."""

    thread_id: int
    board: str
    listing: SandboxListing
    author: Seller
    opening: Post
    replies: tuple[Post, ...]

    @property
    def price_text(self) -> str:
        """The price line of the offer, e.g. "Giá: 1250000 VND"."""
        return self.opening.paragraphs[-1]


def _build_threads(corpus: Corpus) -> tuple[Thread, ...]:
    """Every listing as a thread, numbered in corpus order, with seeded replies."""
    members = corpus.sellers
    threads = []
    for n, listing in enumerate(corpus.listings):
        thread_id = FIRST_THREAD + n
        author = corpus.sellers_by_id[listing.seller_id]
        lang = listing.language if listing.language in _PRICE_LABEL else "en"
        price = f"{_PRICE_LABEL[lang]}: {amount_text(listing.price)} {listing.currency}"
        place = f"{_PLACE_LABEL[lang]}: {listing.location}"
        opening = Post(
            f"{thread_id}-1",
            author,
            listing.posted_at,
            (listing.description, place, price),
            price_line=True,
        )
        rng = random.Random(f"den/{corpus.seed}/{listing.listing_id}")
        pool = _REPLIES.get(listing.language, _REPLIES["en"])
        others = [m for m in members if m.seller_id != author.seller_id] or [author]
        replies = tuple(
            Post(
                f"{thread_id}-{k + 2}",
                rng.choice(others),
                listing.posted_at + timedelta(hours=3 * (k + 1) + rng.randint(0, 120) / 60),
                (text,),
            )
            for k, text in enumerate(rng.sample(pool, rng.randint(0, min(_MAX_REPLIES, len(pool)))))
        )
        threads.append(
            Thread(thread_id, BOARDS[n % len(BOARDS)], listing, author, opening, replies)
        )
    return tuple(threads)


class ForumSite:
    """The Den forum over one corpus; a `sandbox.server.Site`."""

    name = SITE_NAME
    platform = PLATFORM

    def __init__(
        self,
        corpus: Corpus,
        *,
        page_size: int = PAGE_SIZE,
        session_requests: int | None = None,
    ) -> None:
        if page_size < 1:
            raise ValueError(f"page_size must be at least 1, got {page_size}")
        if session_requests is not None and session_requests < 0:
            raise ValueError(f"session_requests must be 0 or more, got {session_requests}")
        self.corpus = corpus
        self.page_size = page_size
        self.session_requests = session_requests
        self.threads = _build_threads(corpus)
        self.by_id: Mapping[int, Thread] = {t.thread_id: t for t in self.threads}
        self.by_board: Mapping[str, tuple[Thread, ...]] = {
            board: tuple(
                sorted(
                    (t for t in self.threads if t.board == board),
                    key=lambda t: (-t.listing.posted_at.timestamp(), t.thread_id),
                )
            )
            for board in BOARDS
        }
        self._lock = threading.Lock()
        # session token -> (user, pages it may still serve; None: no limit)
        self._sessions: dict[str, tuple[str, int | None]] = {
            DEMO_SESSION: (DEMO_USER, session_requests)
        }
        self._env = template_environment(
            DictLoader(_TEMPLATES), site_name=self.name, boards=BOARDS, iso=_ISO, shown=_SHOWN
        )
        self.router = Router()
        self.router.add(r"/robots\.txt", self.robots)
        self.router.add(r"/login", self.login_form)
        self.router.add(r"/login", self.login, methods=("POST",))
        self.router.add(r"/logout", self.logout, methods=("POST",))
        self.router.add(r"/", self._member_only(self.index))
        self.router.add(r"/board/(?P<board>[^/]+)", self._member_only(self.board))
        self.router.add(r"/t/(?P<thread_id>[0-9]{1,9})", self._member_only(self.thread))
        self.router.add(r"/u/(?P<member_id>[^/]+)", self._member_only(self.member))

    # -- sessions

    def _session_of(self, request: Request) -> str | None:
        """The token of the request's cookie, if it names a live session."""
        jar: SimpleCookie = SimpleCookie()
        try:
            jar.load(request.headers.get("cookie", ""))
        except CookieError:
            return None
        morsel = jar.get(SESSION_COOKIE)
        return morsel.value if morsel is not None and morsel.value in self._sessions else None

    def _use_session(self, request: Request) -> str | None:
        """The member the request is logged in as, spending one page of the session."""
        with self._lock:
            token = self._session_of(request)
            if token is None:
                return None
            user, left = self._sessions[token]
            if left is not None:
                if left <= 0:
                    del self._sessions[token]
                    return None
                self._sessions[token] = (user, left - 1)
            return user

    def _member_only(self, handler: Any) -> Any:
        """`handler` for members; anyone else is sent to the login form."""

        def guarded(request: Request, **groups: str) -> Response:
            user = self._use_session(request)
            if user is None:
                target = _local(request.target or request.path)
                headers = [("Location", f"/login?{urlencode({'next': target})}")]
                if SESSION_COOKIE in request.headers.get("cookie", ""):
                    headers.append(("Set-Cookie", f"{SESSION_COOKIE}=; Path=/; Max-Age=0"))
                return Response.html("", 302, headers=headers)
            return handler(request, user, **groups)

        return guarded

    # -- plumbing

    def handle(self, request: Request) -> Response:
        response = self.router.dispatch(request)
        return response if response is not None else self._error(404, "No such page.", None)

    def render(self, template: str, **context: Any) -> str:
        context.setdefault("lang", "en")
        context.setdefault("user", None)
        return self._env.get_template(template).render(**context)

    def _error(self, status: int, message: str, user: str | None) -> Response:
        return Response.html(
            self.render("error.html", status=status, message=message, user=user), status
        )

    # -- pages

    def robots(self, request: Request) -> Response:
        return Response.text(ROBOTS_TXT)

    def login_form(self, request: Request, error: str | None = None) -> Response:
        next_path = request.arg("next") or "/"
        page = self.render("login.html", next=_local(next_path), error=error)
        return Response.html(page)

    def login(self, request: Request) -> Response:
        """Check the posted credentials; on success set a fresh session cookie."""
        # The form body reaches the site only where the server passes it on.
        body = getattr(request, "body", b"") or b""
        form = parse_qs(body.decode("utf-8", "replace"))
        user = (form.get("user") or [""])[0]
        password = (form.get("password") or [""])[0]
        if not (
            secrets.compare_digest(user, DEMO_USER)
            and secrets.compare_digest(password, DEMO_PASSWORD)
        ):
            page = self.render(
                "login.html",
                next=_local((form.get("next") or ["/"])[0]),
                error="Wrong user name or password.",
            )
            return Response.html(page, 200)
        token = secrets.token_hex(16)
        with self._lock:
            self._sessions[token] = (user, self.session_requests)
        cookie = f"{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax"
        target = _local((form.get("next") or ["/"])[0])
        return Response.html("", 303, headers=[("Location", target), ("Set-Cookie", cookie)])

    def logout(self, request: Request) -> Response:
        with self._lock:
            token = self._session_of(request)
            if token is not None:
                del self._sessions[token]
        cookie = f"{SESSION_COOKIE}=; Path=/; Max-Age=0"
        return Response.html("", 303, headers=[("Location", "/login"), ("Set-Cookie", cookie)])

    def index(self, request: Request, user: str) -> Response:
        counts = [(board, len(self.by_board[board])) for board in BOARDS]
        return Response.html(self.render("index.html", counts=counts, user=user))

    def board(self, request: Request, user: str, board: str) -> Response:
        threads = self.by_board.get(board)
        if threads is None:
            return self._error(404, "No such board.", user)
        raw = (request.arg("page") or "1").strip()
        page = int(raw) if raw.isdigit() and len(raw) <= 9 else 0
        pages = max(1, math.ceil(len(threads) / self.page_size))
        if not 1 <= page <= pages:
            return self._error(404, f"There is no page {raw} of this board.", user)
        start = (page - 1) * self.page_size
        page_html = self.render(
            "board.html",
            user=user,
            board=board,
            threads=threads[start : start + self.page_size],
            total=len(threads),
            first=start + 1,
            page=page,
            pages=pages,
            prev_url=f"/board/{quote(board)}?page={page - 1}" if page > 1 else None,
            next_url=f"/board/{quote(board)}?page={page + 1}" if page < pages else None,
        )
        return Response.html(page_html)

    def thread(self, request: Request, user: str, thread_id: str) -> Response:
        thread = self.by_id.get(int(thread_id))
        if thread is None:
            return self._error(404, "This thread does not exist or was deleted.", user)
        return Response.html(self.render("thread.html", user=user, thread=thread))

    def member(self, request: Request, user: str, member_id: str) -> Response:
        member = self.corpus.sellers_by_id.get(member_id)
        if member is None:
            return self._error(404, "No such member.", user)
        threads = [t for t in self.threads if t.author.seller_id == member_id]
        return Response.html(self.render("member.html", user=user, member=member, threads=threads))


def _local(path: str) -> str:
    """`path` if it stays on this site, else "/" (no open redirects)."""
    return path if path.startswith("/") and not path.startswith("//") else "/"
