"""Murmur, a sandbox Mastodon instance (platform key ``sandbox-mastodon``): hashtag timelines.

Every corpus listing is one public status carrying `listing_hashtags` (its product
family's tag, if any, and its market's "for sale" tag). A quarter of the accounts
live on another instance (``acct`` is ``user@domain``), as on a federated timeline.

Routes (GET and HEAD):

- ``/api/v1/timelines/tag/<tag>?limit=N[&max_id=ID|&since_id=ID|&min_id=ID]``: a JSON
  array of statuses, newest first (``limit`` 20 by default, at most 40; the tag is
  matched case-insensitively). Pages link each other in the ``Link`` header,
  ``<...max_id=...>; rel="next", <...min_id=...>; rel="prev"``; the last page has no
  ``next``. A malformed ``limit`` or id is a 422 with ``{"error": ...}``;
- ``/system/media_attachments/files/<status>/<original|small>/<n>.svg``: photos;
- ``/robots.txt``.

Status content is HTML as Mastodon renders it (``<p>``, ``<br />``, hashtag links).
With ``hostile=True`` some statuses also carry markup a compromised or careless
server could pass on (``<script>``, ``<style>``, an ``onerror`` image): none of it
is visible text, so their text is the same as without it.
"""

from __future__ import annotations

import html
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote, urlencode

from sandbox.api_common import json_response, listing_hashtags, malformed_json, slug
from sandbox.corpus import Corpus, SandboxListing, Seller
from sandbox.market import placeholder_svg
from sandbox.server import Request, Response, Router

__all__ = [
    "DEFAULT_LIMIT",
    "HOSTILE_MARKUP",
    "MAX_LIMIT",
    "PLATFORM",
    "REMOTE_DOMAIN",
    "ROBOTS_TXT",
    "Account",
    "MastodonSite",
    "Status",
    "normalize_tag",
]

PLATFORM = "sandbox-mastodon"
DEFAULT_LIMIT = 20
MAX_LIMIT = 40
REMOTE_DOMAIN = "birds.example"
#: Injected into every 7th status's content when the site is hostile; shows no text.
HOSTILE_MARKUP = (
    "<script>document.title='pwned';fetch('/steal?c='+document.cookie)</script>"
    "<style>body{display:none}</style>"
    '<img src="x" onerror="alert(\'xss\')">'
)
ROBOTS_TXT = "User-agent: *\nDisallow: /media_proxy/\nDisallow: /interact/\n"


def normalize_tag(tag: str) -> str:
    """A hashtag as Mastodon compares it: without '#', NFKC, case-folded."""
    return unicodedata.normalize("NFKC", tag.lstrip("#")).casefold()


@dataclass(frozen=True)
class Account:
    """A posting account, local or on another instance."""

    id: str
    username: str
    acct: str  # "username" locally, "username@domain" for a remote account
    display_name: str
    seller: Seller
    remote: bool = False

    def url(self, base_url: str) -> str:
        """The account's profile page, on its own instance."""
        home = f"https://{REMOTE_DOMAIN}" if self.remote else base_url
        return f"{home}/@{self.username}"


@dataclass(frozen=True)
class Status:
    """One public status: a corpus listing as posted on the instance."""

    id: str  # a Mastodon-style snowflake: milliseconds << 16 | sequence
    listing: SandboxListing
    account: Account
    tags: tuple[str, ...]
    hostile: bool

    @property
    def created_at(self) -> datetime:
        return self.listing.posted_at

    @property
    def text(self) -> str:
        """The status's text as a reader sees it: title, description, hashtags."""
        tags = " ".join(f"#{t}" for t in self.tags)
        return f"{self.listing.title}\n{self.listing.description}\n{tags}"

    def url(self, base_url: str) -> str:
        """The status's public page (on its author's instance)."""
        return f"{self.account.url(base_url)}/{self.id}"

    def media_urls(self, base_url: str, size: str = "original") -> list[str]:
        return [
            f"{base_url}/system/media_attachments/files/{self.id}/{size}/{n}.svg"
            for n in range(1, self.listing.image_count + 1)
        ]


class MastodonSite:
    """The Murmur instance over one corpus; a `sandbox.server.Site`.

    `malformed` names hashtag timelines and the page (1-based) of each that is sent
    as truncated JSON, its ``Link`` header intact.
    """

    name = "Murmur"
    platform = PLATFORM

    def __init__(
        self,
        corpus: Corpus,
        *,
        hostile: bool = True,
        malformed: Mapping[str, int] | None = None,
    ) -> None:
        self.corpus = corpus
        self.accounts = _accounts(corpus.sellers)
        ordered = sorted(corpus.listings, key=lambda x: (x.posted_at, x.listing_id))
        statuses = [
            Status(
                id=_snowflake(listing.posted_at, sequence),
                listing=listing,
                account=self.accounts[listing.seller_id],
                tags=tuple(listing_hashtags(listing)),
                hostile=hostile and sequence % 7 == 3,
            )
            for sequence, listing in enumerate(ordered)
        ]
        #: Every status, newest first.
        self.statuses: tuple[Status, ...] = tuple(sorted(statuses, key=lambda s: -int(s.id)))
        self.by_id = {s.id: s for s in self.statuses}
        self.malformed = {normalize_tag(t): page for t, page in (malformed or {}).items()}
        self.router = Router()
        self.router.add(r"/api/v1/timelines/tag/(?P<tag>[^/]+)", self.tag_timeline)
        self.router.add(
            r"/system/media_attachments/files/(?P<status_id>[0-9]+)/(?:original|small)/"
            r"(?P<n>[0-9]+)\.svg",
            self.media,
        )
        self.router.add(r"/robots\.txt", lambda request: Response.text(ROBOTS_TXT))

    # -- ground truth

    def timeline(self, tag: str) -> list[Status]:
        """The statuses under `tag`, newest first."""
        wanted = normalize_tag(tag)
        return [s for s in self.statuses if wanted in s.tags]

    # -- routes

    def handle(self, request: Request) -> Response:
        response = self.router.dispatch(request)
        return response if response is not None else json_response({"error": "Not found"}, 404)

    def tag_timeline(self, request: Request, tag: str) -> Response:
        """One page of a hashtag timeline, with ``Link`` pagination like Mastodon's."""
        try:
            limit = int(request.arg("limit") or DEFAULT_LIMIT)
            bounds = {k: int(v) for k in ("max_id", "since_id", "min_id") if (v := request.arg(k))}
        except ValueError:
            return json_response({"error": "Validation failed: limit and ids are numbers"}, 422)
        limit = min(max(limit, 1), MAX_LIMIT)
        timeline = self.timeline(tag)
        newer_than = max(bounds.get("since_id", -1), bounds.get("min_id", -1))
        candidates = [
            s
            for s in timeline
            if int(s.id) > newer_than and ("max_id" not in bounds or int(s.id) < bounds["max_id"])
        ]
        # min_id pages forward from an id: the statuses just after it, not the newest.
        page = candidates[-limit:] if "min_id" in bounds else candidates[:limit]
        older = bool(page) and any(newer_than < int(s.id) < int(page[-1].id) for s in timeline)
        links = self._links(request, tag, limit, page, more=older)
        data = [self._status_json(request.base_url, s) for s in page]
        headers = [("Link", links)] if links else []
        number = timeline.index(page[0]) // limit + 1 if page else 0
        if self.malformed.get(normalize_tag(tag)) == number:
            return malformed_json(data, headers=headers)
        return json_response(data, headers=headers)

    def media(self, request: Request, status_id: str, n: str) -> Response:
        status = self.by_id.get(status_id)
        if status is None or str(int(n)) != n or not 1 <= int(n) <= status.listing.image_count:
            return json_response({"error": "Not found"}, 404)
        body = placeholder_svg(status.listing.listing_id, int(n)).encode("utf-8")
        return Response(200, body, "image/svg+xml", (("Cache-Control", "max-age=86400"),))

    # -- rendering

    def _links(
        self, request: Request, tag: str, limit: int, page: list[Status], *, more: bool
    ) -> str:
        if not page:
            return ""
        path = f"{request.base_url}/api/v1/timelines/tag/{quote(tag, safe='')}"
        prev = f'<{path}?{urlencode({"limit": limit, "min_id": page[0].id})}>; rel="prev"'
        if not more:
            return prev
        nxt = f'<{path}?{urlencode({"limit": limit, "max_id": page[-1].id})}>; rel="next"'
        return f"{nxt}, {prev}"

    def _status_json(self, base_url: str, status: Status) -> dict[str, Any]:
        account = status.account
        url = status.url(base_url)
        return {
            "id": status.id,
            "created_at": status.created_at.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
            "in_reply_to_id": None,
            "in_reply_to_account_id": None,
            "sensitive": False,
            "spoiler_text": "",
            "visibility": "public",
            "language": status.listing.language,
            "uri": url.replace(f"/@{account.username}/", f"/users/{account.username}/statuses/"),
            "url": url,
            "replies_count": int(status.id) % 5,
            "reblogs_count": int(status.id) % 3,
            "favourites_count": int(status.id) % 11,
            "content": self._content(base_url, status),
            "reblog": None,
            "account": {
                "id": account.id,
                "username": account.username,
                "acct": account.acct,
                "display_name": account.display_name,
                "locked": False,
                "bot": False,
                "url": account.url(base_url),
                "avatar": f"{base_url}/avatars/original/missing.png",
            },
            "media_attachments": [
                {
                    "id": f"{status.id}{n}",
                    "type": "image",
                    "url": full,
                    "preview_url": small,
                    "remote_url": None,
                    "description": None,
                }
                for n, (full, small) in enumerate(
                    zip(
                        status.media_urls(base_url),
                        status.media_urls(base_url, "small"),
                        strict=True,
                    ),
                    start=1,
                )
            ],
            "mentions": [],
            "tags": [
                {"name": t, "url": f"{base_url}/tags/{quote(t, safe='')}"} for t in status.tags
            ],
            "emojis": [],
            "card": None,
            "poll": None,
        }

    def _content(self, base_url: str, status: Status) -> str:
        """The status's HTML as Mastodon renders a post: paragraphs, line breaks, tag links."""
        listing = status.listing
        links = " ".join(
            f'<a href="{base_url}/tags/{quote(t, safe="")}" class="mention hashtag" '
            f'rel="tag">#<span>{html.escape(t)}</span></a>'
            for t in status.tags
        )
        body = (
            f"<p>{html.escape(listing.title)}<br />{html.escape(listing.description)}</p>"
            f"<p>{links}</p>"
        )
        return f"{HOSTILE_MARKUP}{body}" if status.hostile else body


def _snowflake(posted_at: datetime, sequence: int) -> str:
    return str((int(posted_at.timestamp() * 1000) << 16) | (sequence & 0xFFFF))


def _accounts(sellers: Iterable[Seller]) -> dict[str, Account]:
    accounts = {}
    for number, seller in enumerate(sellers, start=1):
        username = "_".join(filter(None, [slug(seller.name).replace("-", "_"), seller.seller_id]))
        remote = number % 4 == 0
        accounts[seller.seller_id] = Account(
            id=str(100_000 + number),
            username=username,
            acct=f"{username}@{REMOTE_DOMAIN}" if remote else username,
            display_name=seller.name,
            seller=seller,
            remote=remote,
        )
    return accounts
