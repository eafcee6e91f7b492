"""Chirp, the sandbox social site (platform key ``sandbox-chirp``): posts rendered by JavaScript.

Every HTML page is an empty shell; its inline script fetches JSON and builds the page
with DOM ``textContent`` (never ``innerHTML``: post text is hostile). A plain HTTP
fetch therefore shows no post text at all, which is what makes a browser necessary.

Routes (GET and HEAD):

- ``/``: the hashtags, linked;
- ``/tag/<hashtag>``: a hashtag feed, newest first, loaded `batch_size` posts at a time
  from ``/api/tag/<hashtag>?cursor=N`` as the reader scrolls (an IntersectionObserver
  on ``#feed-sentinel``). Cards are ``article.post-card``, each with
  ``a.post-link[href=/p/<id>]``; ``#feed-status.feed-end`` shows when all are loaded;
- ``/p/<id>``: a post, rendered from ``/api/post/<id>``: ``a.post-author[href=/u/<handle>]``
  holding ``.author-name`` and ``.author-handle`` ("@handle"), ``time.post-time[datetime]``,
  ``.post-text`` (the post, its lines split by ``<br>``), ``a.hashtag`` ("#tag"),
  ``img.post-image`` and ``li.comment`` ("@handle: text"). Only the first three comments
  show; each click on ``button.more-comments`` loads three more from
  ``/api/post/<id>/comments?after=N``, and the button goes once all are shown. A
  removed post shows ``.post-removed`` instead. An unknown id is a 404;
- ``/u/<handle>``: an author's profile and posts (``/api/user/<handle>``);
- ``/media/<id>/<n>.svg``: placeholder photos; ``/robots.txt``: everything allowed.

Posts are listings of the sandbox corpus (title and description as the post text,
so texts are multilingual and sometimes name a price), written by the listing's
seller, tagged with one to three of the site's hashtags, with invented comments.
"""

from __future__ import annotations

import hashlib
import html
import json
import random
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from jinja2 import FileSystemLoader

from sandbox.corpus import Corpus, SandboxListing, Seller
from sandbox.server import Request, Response, Router
from sandbox.templating import template_environment

__all__ = [
    "BATCH_SIZE",
    "COMMENTS_STEP",
    "DEFAULT_POSTS",
    "HASHTAGS",
    "PLATFORM",
    "ROBOTS_TXT",
    "SITE_NAME",
    "Author",
    "ChirpSite",
    "Comment",
    "Post",
    "build_posts",
]

PLATFORM = "sandbox-chirp"
SITE_NAME = "Chirp"
HASHTAGS: tuple[str, ...] = ("wildlife", "collectibles", "forsale", "古玩")
DEFAULT_POSTS = 60
BATCH_SIZE = 10
#: Comments shown at first, and loaded by each "Show more comments" click.
COMMENTS_STEP = 3
ROBOTS_TXT = "User-agent: *\nAllow: /\n"
TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"

_ISO = "%Y-%m-%dT%H:%M:%SZ"
_SHOWN = "%d %b %Y, %H:%M UTC"
_EXCERPT_CHARS = 140
_INTEGER = re.compile(r"[0-9]{1,9}")
_FIRST_POST_ID = 1_840_000_000_000
_POST_ID_STEP = 104_729
_TAGS_PER_POST = ((1, 0.5), (2, 0.35), (3, 0.15))
_MAX_COMMENTS = 10

# What readers write under an offer, per language. One line in every language is
# markup, to show that the site (and a crawler) treat it as text.
_HOSTILE_COMMENT = '<img src=x onerror="alert(1)"> still for sale?'
_COMMENT_PHRASES: dict[str, tuple[str, ...]] = {
    "en": ("Still available?", "DM sent", "How much for two?", "Can you ship abroad?", "Price?"),
    "zh": ("还有吗？", "私聊了", "多少钱？", "能寄到外地吗？", "懂的来"),
    "vi": ("Còn không bạn?", "Ib rồi nha", "Giá bao nhiêu?", "Ship tỉnh được không?", "Check tn"),
    "id": ("Masih ada gan?", "Cek DM ya", "Harga nett berapa?", "Bisa COD?", "Minat, japri"),
    "th": ("ยังมีอยู่ไหมครับ", "ทักแชทแล้วนะ", "ราคาเท่าไหร่", "ส่งต่างจังหวัดได้ไหม", "สนใจค่ะ"),
    "fr": ("Toujours dispo ?", "MP envoyé", "Combien pour deux ?", "Envoi possible ?", "Prix ?"),
    "es": ("¿Sigue disponible?", "Te escribí al privado", "¿Cuánto por dos?", "¿Envías?", "Info"),
    "pt": ("Ainda disponível?", "Chamei no privado", "Quanto por dois?", "Envia?", "Valor?"),
}


@dataclass(frozen=True)
class Author:
    """A Chirp account: a corpus seller under a handle."""

    handle: str
    name: str
    seller_id: str

    @property
    def path(self) -> str:
        return f"/u/{quote(self.handle, safe='')}"


@dataclass(frozen=True)
class Comment:
    author: Author
    text: str

    @property
    def shown(self) -> str:
        """The comment as its list item reads: ``@handle: text``."""
        return f"@{self.author.handle}: {self.text}"


@dataclass(frozen=True)
class Post:
    """One post: a corpus listing, as its seller posted it."""

    post_id: str
    listing: SandboxListing
    author: Author
    hashtags: tuple[str, ...]
    comments: tuple[Comment, ...]
    removed: bool = False

    @property
    def text(self) -> str:
        """The post's text: the listing's title, a line break, its description."""
        return self.listing.text

    @property
    def title(self) -> str:
        return self.listing.title

    @property
    def posted_at(self) -> datetime:
        return self.listing.posted_at

    @property
    def path(self) -> str:
        return f"/p/{self.post_id}"

    @property
    def image_paths(self) -> list[str]:
        return [f"/media/{self.post_id}/{n}.svg" for n in range(1, self.listing.image_count + 1)]


def _handle(seller: Seller) -> str:
    """A handle from the seller's name (ASCII letters and digits) and number."""
    folded = unicodedata.normalize("NFKD", seller.name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "_", folded.lower()).strip("_")[:20] or "user"
    return f"{slug}_{seller.seller_id.lstrip('s')}"


def build_posts(
    corpus: Corpus,
    count: int = DEFAULT_POSTS,
    *,
    hashtags: Sequence[str] = HASHTAGS,
    removed: int = 0,
) -> tuple[Post, ...]:
    """`count` posts from the first listings of `corpus`; the same arguments, the same posts.

    Each post carries one to three of `hashtags` (every hashtag at least one post) and
    zero to ten comments. The last `removed` posts are taken down: feeds still list
    them (a stale index), their pages say they were removed.
    """
    if not 1 <= count <= len(corpus.listings):
        raise ValueError(f"count must be between 1 and {len(corpus.listings)} (got {count})")
    if not hashtags or len(set(hashtags)) != len(hashtags):
        raise ValueError("give at least one hashtag, without repeats")
    if not 0 <= removed <= count:
        raise ValueError(f"removed must be between 0 and {count} (got {removed})")
    rng = random.Random(f"chirp/{corpus.seed}/{count}/{','.join(hashtags)}")
    authors = {s.seller_id: Author(_handle(s), s.name, s.seller_id) for s in corpus.sellers}
    commenters = list(authors.values())
    listings = corpus.listings[:count]
    tag_sets: list[list[str]] = []
    for _ in listings:
        k = rng.choices([k for k, _ in _TAGS_PER_POST], [w for _, w in _TAGS_PER_POST])[0]
        tag_sets.append(rng.sample(list(hashtags), min(k, len(hashtags))))
    for n, tag in enumerate(hashtags):  # no empty feed
        if not any(tag in tags for tags in tag_sets):
            tag_sets[n % count].append(tag)
    posts = []
    for n, (listing, tags) in enumerate(zip(listings, tag_sets, strict=True)):
        phrases = _COMMENT_PHRASES.get(listing.language, _COMMENT_PHRASES["en"])
        comments = tuple(
            Comment(
                rng.choice(commenters),
                _HOSTILE_COMMENT if rng.random() < 0.05 else rng.choice(phrases),
            )
            for _ in range(rng.randint(0, _MAX_COMMENTS))
        )
        posts.append(
            Post(
                post_id=str(_FIRST_POST_ID + n * _POST_ID_STEP),
                listing=listing,
                author=authors[listing.seller_id],
                hashtags=tuple(tags),
                comments=comments,
                removed=n >= count - removed,
            )
        )
    return tuple(posts)


def _json(data: Any, status: int = 200) -> Response:
    body = json.dumps(data, ensure_ascii=False).encode("utf-8")
    return Response(
        status, body, "application/json; charset=utf-8", (("Cache-Control", "no-store"),)
    )


def _placeholder_svg(post_id: str, n: int) -> str:
    """A 320x240 placeholder photo whose colours depend only on the post and number."""
    digest = hashlib.sha256(f"chirp/{post_id}/{n}".encode()).digest()
    hue = digest[0] * 360 // 256
    label = html.escape(f"{SITE_NAME} · {post_id} · {n}")
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" width="320" height="240" '
        f'viewBox="0 0 320 240" role="img" aria-label="{label}">'
        f'<rect width="320" height="240" fill="hsl({hue}, 45%, 85%)"/>'
        f'<circle cx="{60 + digest[1] % 200}" cy="{50 + digest[2] % 120}" r="{25 + digest[3] % 40}"'
        f' fill="hsl({hue}, 40%, 60%)"/>'
        f'<text x="160" y="228" text-anchor="middle" font-family="sans-serif" font-size="13"'
        f' fill="hsl({hue}, 45%, 25%)">{label}</text></svg>\n'
    )


class ChirpSite:
    """The Chirp social site over one corpus; a `sandbox.server.Site`."""

    name = SITE_NAME
    platform = PLATFORM

    def __init__(
        self,
        corpus: Corpus,
        *,
        posts: int = DEFAULT_POSTS,
        hashtags: Sequence[str] = HASHTAGS,
        batch_size: int = BATCH_SIZE,
        removed: int = 0,
    ) -> None:
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        self.corpus = corpus
        self.hashtags = tuple(hashtags)
        self.batch_size = batch_size
        self.posts = build_posts(corpus, posts, hashtags=self.hashtags, removed=removed)
        self.by_id = {p.post_id: p for p in self.posts}
        self.authors = {p.author.handle: p.author for p in self.posts}
        self._newest = sorted(self.posts, key=lambda p: (-p.posted_at.timestamp(), p.post_id))
        self._env = template_environment(
            FileSystemLoader(TEMPLATES_DIR),
            site_name=self.name,
            hashtags=self.hashtags,
            quote=quote,
        )
        self.router = Router()
        self.router.add(r"/", self.home)
        self.router.add(r"/tag/(?P<tag>[^/]+)", self.feed_page)
        self.router.add(r"/p/(?P<post_id>[^/]+)", self.post_page)
        self.router.add(r"/u/(?P<handle>[^/]+)", self.profile_page)
        self.router.add(r"/api/tag/(?P<tag>[^/]+)", self.feed_api)
        self.router.add(r"/api/post/(?P<post_id>[^/]+)", self.post_api)
        self.router.add(r"/api/post/(?P<post_id>[^/]+)/comments", self.comments_api)
        self.router.add(r"/api/user/(?P<handle>[^/]+)", self.profile_api)
        self.router.add(r"/media/(?P<post_id>[^/]+)/(?P<n>[0-9]{1,3})\.svg", self.image)
        self.router.add(r"/robots\.txt", self.robots)

    # -- what tests and the crawler compare against

    def tagged(self, tag: str) -> list[Post]:
        """The posts of one hashtag feed, newest first (removed ones too: a stale index)."""
        return [p for p in self._newest if tag in p.hashtags]

    # -- plumbing

    def handle(self, request: Request) -> Response:
        """Route one request; unknown paths get the 404 page."""
        response = self.router.dispatch(request)
        return response if response is not None else self._not_found()

    def _page(self, template: str, **context: Any) -> Response:
        return Response.html(self._env.get_template(f"social/{template}").render(**context))

    def _error(self, status: int, message: str) -> Response:
        page = self._env.get_template("social/error.html").render(status=status, message=message)
        return Response.html(page, status)

    def _not_found(self) -> Response:
        return self._error(404, "This page doesn't exist.")

    # -- pages: shells only, their scripts fetch the content

    def home(self, request: Request) -> Response:
        return self._page("home.html")

    def feed_page(self, request: Request, tag: str) -> Response:
        return self._page("feed.html", tag=tag)

    def post_page(self, request: Request, post_id: str) -> Response:
        if post_id not in self.by_id:
            return self._error(404, "This post doesn't exist.")
        return self._page("post.html")

    def profile_page(self, request: Request, handle: str) -> Response:
        if handle not in self.authors:
            return self._error(404, "No such account.")
        return self._page("profile.html")

    # -- JSON API

    def _card(self, post: Post) -> dict[str, Any]:
        return {
            "id": post.post_id,
            "url": post.path,
            "author": {"name": post.author.name, "handle": post.author.handle},
            "excerpt": post.text[:_EXCERPT_CHARS],
            "posted_at": post.posted_at.strftime(_ISO),
            "posted_text": post.posted_at.strftime(_SHOWN),
        }

    def feed_api(self, request: Request, tag: str) -> Response:
        """One batch of a hashtag feed from ``cursor`` (an offset), and the next cursor."""
        raw = request.arg("cursor") or "0"
        posts = self.tagged(tag)
        if _INTEGER.fullmatch(raw) is None or int(raw) > len(posts):
            return _json({"error": "bad cursor"}, 400)
        start = int(raw)
        end = start + self.batch_size
        return _json(
            {
                "tag": tag,
                "posts": [self._card(p) for p in posts[start:end]],
                "next_cursor": str(end) if end < len(posts) else None,
            }
        )

    def _comments(self, post: Post, after: int) -> dict[str, Any]:
        shown = post.comments[after : after + COMMENTS_STEP]
        end = after + len(shown)
        return {
            "comments": [
                {"author": {"handle": c.author.handle, "url": c.author.path}, "text": c.text}
                for c in shown
            ],
            "next": end if end < len(post.comments) else None,
        }

    def post_api(self, request: Request, post_id: str) -> Response:
        post = self.by_id.get(post_id)
        if post is None:
            return _json({"error": "no such post"}, 404)
        if post.removed:
            return _json({"id": post.post_id, "removed": True})
        return _json(
            {
                "id": post.post_id,
                "removed": False,
                "language": post.listing.language,
                "author": {
                    "name": post.author.name,
                    "handle": post.author.handle,
                    "url": post.author.path,
                },
                "text": post.text,
                "hashtags": list(post.hashtags),
                "images": post.image_paths,
                "posted_at": post.posted_at.strftime(_ISO),
                "posted_text": post.posted_at.strftime(_SHOWN),
                "comment_count": len(post.comments),
                **self._comments(post, 0),
            }
        )

    def comments_api(self, request: Request, post_id: str) -> Response:
        """The next `COMMENTS_STEP` comments after the first ``after``."""
        post = self.by_id.get(post_id)
        if post is None or post.removed:
            return _json({"error": "no such post"}, 404)
        raw = request.arg("after") or "0"
        if _INTEGER.fullmatch(raw) is None or int(raw) > len(post.comments):
            return _json({"error": "bad offset"}, 400)
        return _json(self._comments(post, int(raw)))

    def profile_api(self, request: Request, handle: str) -> Response:
        author = self.authors.get(handle)
        if author is None:
            return _json({"error": "no such account"}, 404)
        posts = [p for p in self._newest if p.author == author and not p.removed]
        return _json(
            {
                "name": author.name,
                "handle": author.handle,
                "posts": [self._card(p) for p in posts],
            }
        )

    def image(self, request: Request, post_id: str, n: str) -> Response:
        post = self.by_id.get(post_id)
        if post is None or post.removed or not 1 <= int(n) <= post.listing.image_count:
            return self._not_found()
        body = _placeholder_svg(post_id, int(n)).encode("utf-8")
        return Response(200, body, "image/svg+xml", (("Cache-Control", "max-age=86400"),))

    def robots(self, request: Request) -> Response:
        return Response.text(ROBOTS_TXT)
