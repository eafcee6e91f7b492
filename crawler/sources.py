"""Sources to crawl, declared in ``config/sources.yaml`` and validated on load.

Every source names its ``kind``; the kind decides which spider reads it and which
fields it takes (a discriminated union, so an error names the source, the kind and
the field). Fields every kind shares live on `SourceBase`: start points, keywords
expanded into search URLs, schedule, politeness, session, proxy and safety.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import quote_plus, urljoin, urlsplit

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    field_validator,
    model_validator,
)

from crawler.errors import SourceConfigError

__all__ = [
    "KINDS",
    "Action",
    "FeedSource",
    "FieldRule",
    "ForumSource",
    "HtmlMarketplaceSource",
    "ListingFieldRules",
    "MastodonSource",
    "Photos",
    "Politeness",
    "Session",
    "ShopifySource",
    "SocialFeedSource",
    "SourceBase",
    "SourceConfig",
    "TelegramSource",
    "adhoc_source",
    "load_sources",
    "parse_interval",
    "validate_source",
]

_INTERVAL = re.compile(r"^\s*(?P<n>\d+(?:\.\d+)?)\s*(?P<unit>s|m|h|d|w)\s*$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_interval(value: str | float | int) -> timedelta:
    """``"90s"``, ``"15m"``, ``"6h"``, ``"1d"``, ``"2w"`` or a number of seconds."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        seconds = float(value)
    else:
        match = _INTERVAL.match(str(value))
        if match is None:
            raise ValueError(f"not an interval: {value!r} (use e.g. 90s, 15m, 6h, 1d, 2w)")
        seconds = float(match["n"]) * _UNITS[match["unit"]]
    if seconds <= 0:
        raise ValueError(f"an interval must be positive, got {value!r}")
    return timedelta(seconds=seconds)


Interval = Annotated[timedelta, Field(description="e.g. 90s, 15m, 6h, 1d")]


def _interval(value: Any) -> Any:
    """YAML gives "6h" or a number; anything else is left for pydantic to refuse."""
    return value if value is None or isinstance(value, timedelta) else parse_interval(value)


def _id_pattern(value: str) -> str:
    _compiles(value)
    if "id" not in re.compile(value).groupindex:
        raise ValueError("listing_id needs a named group (?P<id>...)")
    return value


def _compiles(value: str | None) -> str | None:
    if value is not None:
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"bad regular expression {value!r}: {exc}") from exc
    return value


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FieldRule(_Strict):
    """Where one field sits on a page: a CSS selector or an XPath, and an optional regex.

    A selector that ends in an element (no ``::text``/``::attr``, no ``/text()``)
    yields that element's visible text. ``re`` keeps its group ``id`` if it has one,
    else the whole match.
    """

    css: str | None = None
    xpath: str | None = None
    re: str | None = None
    all: bool = False  # take every match (image URLs, hashtags), not just the first

    @field_validator("re")
    @classmethod
    def _re_compiles(cls, value: str | None) -> str | None:
        return _compiles(value)

    @model_validator(mode="after")
    def _one_selector(self) -> FieldRule:
        if (self.css is None) == (self.xpath is None):
            raise ValueError("a field rule needs exactly one of 'css' or 'xpath'")
        return self


def _rule(value: object) -> object:
    if isinstance(value, str):
        return {"xpath": value} if value.startswith(("/", "(")) else {"css": value}
    return value


class ListingFieldRules(_Strict):
    """Field rules for a listing page. A field without a rule is filled by the generic
    extractor (schema.org JSON-LD or microdata, OpenGraph, meta tags, then the page's
    own visible text and layout)."""

    title: FieldRule | None = None
    description: FieldRule | None = None
    price: FieldRule | None = None
    currency: FieldRule | None = None
    location: FieldRule | None = None
    posted_at: FieldRule | None = None
    seller_id: FieldRule | None = None
    seller_name: FieldRule | None = None
    seller_url: FieldRule | None = None
    images: FieldRule | None = None
    #: Words that mark a page whose listing is gone ("listing removed", "đã bán").
    removed: FieldRule | None = None

    @field_validator("*", mode="before")
    @classmethod
    def _shorthand(cls, value: object) -> object:
        return _rule(value)


class Politeness(_Strict):
    """How gently to treat the source's hosts (defaults: polite)."""

    obey_robots: bool = True
    download_delay: float = Field(default=1.0, ge=0, le=600)
    concurrency: int = Field(default=2, ge=1, le=64)
    #: Requests allowed per UTC day for this source, all runs together; None: no cap.
    daily_budget: int | None = Field(default=None, ge=1)
    retries: int = Field(default=3, ge=0, le=20)
    #: First back-off after a failure; doubled on each retry.
    backoff: float = Field(default=2.0, ge=0, le=3600)
    #: The longest a ``Retry-After`` is honoured for before the request is given up.
    max_retry_after: float = Field(default=600, ge=0, le=86400)
    #: Consecutive blocked responses (CAPTCHA, challenge, login wall) before the
    #: source is paused.
    pause_after_blocks: int = Field(default=3, ge=1)
    pause_for: Interval = timedelta(hours=6)

    _interval = field_validator("pause_for", mode="before")(lambda cls, v: _interval(v))


class Session(_Strict):
    """A logged-in session: cookies given directly or read from the environment.

    Secrets should come from the environment (``cookies_env: NAME`` holds
    ``name=value; name2=value2``), never from the file in version control.
    """

    cookies: dict[str, str] = Field(default_factory=dict)
    cookies_env: str | None = None
    headers: dict[str, str] = Field(default_factory=dict)
    #: CSS selector present only on pages seen logged out (a login form).
    logged_out: str | None = None


class Revisit(_Strict):
    """When seen pages are fetched again."""

    #: A listing page seen before is not fetched again until this much time passed
    #: (sooner when the search result shows it changed).
    listings: Interval = timedelta(days=7)
    #: Flagged listings are re-checked for takedown this often.
    takedown: Interval = timedelta(days=1)

    _interval = field_validator("listings", "takedown", mode="before")(lambda cls, v: _interval(v))


class Action(_Strict):
    """One scripted step on a browser page: scroll, click, or wait for a selector."""

    scroll: int | None = Field(default=None, ge=1, le=500, description="times to scroll down")
    click: str | None = None
    wait_for: str | None = None
    #: For ``click``: click every match again while it is there, up to this many times.
    repeat: int = Field(default=1, ge=1, le=200)
    pause_ms: int = Field(default=400, ge=0, le=30_000)

    @model_validator(mode="after")
    def _one_step(self) -> Action:
        if sum(x is not None for x in (self.scroll, self.click, self.wait_for)) != 1:
            raise ValueError("an action is exactly one of 'scroll', 'click' or 'wait_for'")
        return self


class Photos(_Strict):
    """How many of each listing's photos are fetched for their perceptual hashes (which
    find reposts); 0 fetches none. ``photos: 3`` is short for ``photos: {max: 3}``.
    Photos go through the crawl's own downloader, so robots.txt, politeness, the daily
    budget and the address guard apply to them."""

    max: int = Field(default=2, ge=0, le=10)

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, value: object) -> object:
        return {"max": value} if isinstance(value, int) else value

    @field_validator("max", mode="before")
    @classmethod
    def _whole_number(cls, value: object) -> object:
        # Without this, YAML's true, 2.0 or "2" would be taken for a number.
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 10:
            raise ValueError(f"must be a whole number from 0 to 10, got {value!r}")
        return value


class SourceBase(_Strict):
    """Everything a source of any kind declares."""

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    platform: str = Field(min_length=1, max_length=100)
    enabled: bool = True
    base_url: str | None = None
    start_urls: list[str] = Field(default_factory=list)
    #: Keywords expanded into `search_url` (``{keyword}`` is replaced, URL-encoded).
    keywords: list[str] = Field(default_factory=list)
    search_url: str | None = None
    #: How often the scheduler crawls the source (``None``: only when asked).
    schedule: Interval | None = None
    politeness: Politeness = Politeness()
    session: Session | None = None
    proxy: str | None = Field(default=None, pattern=r"^(https?|socks5)://")
    #: Whether pages need a real browser (JavaScript); the social feed kind always does.
    browser: bool = False
    #: The sandbox and other local test sites only: allow private and loopback hosts.
    allow_private: bool = False
    max_bytes: int = Field(default=8 * 1024 * 1024, ge=1024, le=256 * 1024 * 1024)
    revisit: Revisit = Revisit()
    photos: Photos = Photos()

    _interval = field_validator("schedule", mode="before")(lambda cls, v: _interval(v))

    @field_validator("search_url")
    @classmethod
    def _has_keyword_slot(cls, value: str | None) -> str | None:
        if value is not None and "{keyword}" not in value:
            raise ValueError("search_url needs a '{keyword}' slot")
        return value

    @model_validator(mode="after")
    def _has_start(self) -> SourceBase:
        if self.keywords and not self.search_url:
            raise ValueError("keywords need a search_url to expand into")
        if not (self.start_urls or self.keywords or self._implicit_start()):
            raise ValueError("give start_urls, or keywords with a search_url")
        return self

    def _implicit_start(self) -> bool:
        """Kinds whose start points come from their own fields (hashtags, channels)."""
        return False

    def absolute(self, url: str, base_url: str | None = None) -> str:
        """`url` made absolute against `base_url` (or the configured one)."""
        if re.match(r"^https?://", url):
            return url
        base = base_url or self.base_url
        if base is None:
            raise SourceConfigError(
                f"source {self.name!r}: URL {url!r} is relative and no base_url is set"
            )
        return urljoin(base.rstrip("/") + "/", url.lstrip("/"))

    def resolved_start_urls(self, base_url: str | None = None) -> list[str]:
        """Start URLs and expanded keyword searches, absolute, in order, without repeats."""
        urls = [self.absolute(u, base_url) for u in self.start_urls]
        if self.search_url:
            urls += [
                self.absolute(self.search_url.replace("{keyword}", quote_plus(k)), base_url)
                for k in self.keywords
            ]
        return list(dict.fromkeys(urls))

    @property
    def download_delay(self) -> float:
        return self.politeness.download_delay

    @property
    def concurrency(self) -> int:
        return self.politeness.concurrency


class HtmlMarketplaceSource(SourceBase):
    """Search result pages linking to listing pages, read with field rules."""

    kind: Literal["html_marketplace"]
    #: Links from a result page to listing pages (CSS or XPath).
    result_links: str
    next_page: str | None = None
    max_pages: int | None = Field(default=None, ge=1)
    #: Pattern with a group ``id`` that finds the platform's id in a listing URL.
    listing_id: str
    #: Text of a result card: when it differs from last time the listing is refetched
    #: before its revisit is due (price or title edits show on the card).
    result_card: str | None = None
    fields: ListingFieldRules = ListingFieldRules()

    _id = field_validator("listing_id")(lambda cls, v: _id_pattern(v))


class ForumSource(HtmlMarketplaceSource):
    """A login-walled forum: like a marketplace, read with a session cookie."""

    kind: Literal["forum"]  # type: ignore[assignment]
    #: Each reply's text on a thread page (kept as the listing's comments).
    comments: str | None = None

    @model_validator(mode="after")
    def _needs_session(self) -> ForumSource:
        if self.session is None or self.session.logged_out is None:
            raise ValueError("a forum needs session.logged_out (a selector seen when logged out)")
        return self


class SocialFeedSource(SourceBase):
    """A JavaScript-rendered feed (infinite scroll) of posts with comments and hashtags."""

    kind: Literal["social_feed"]
    browser: bool = True
    #: Feed pages to start from per hashtag (``{hashtag}``); or use start_urls.
    hashtags: list[str] = Field(default_factory=list)
    hashtag_url: str | None = None
    #: Steps run on a feed page before its posts are read (scroll to load more).
    feed_actions: list[Action] = Field(default_factory=lambda: [Action(scroll=10)])
    post_links: str
    #: Steps run on each post page (open all comments).
    post_actions: list[Action] = Field(default_factory=list)
    listing_id: str
    fields: ListingFieldRules = ListingFieldRules()
    comments: str | None = None
    hashtags_on_post: str | None = None

    _id = field_validator("listing_id")(lambda cls, v: _id_pattern(v))

    @model_validator(mode="after")
    def _browser_and_tags(self) -> SocialFeedSource:
        if not self.browser:
            raise ValueError("a social feed is rendered by JavaScript: browser must stay true")
        if self.hashtags and not self.hashtag_url:
            raise ValueError("hashtags need a hashtag_url with a '{hashtag}' slot")
        return self

    def _implicit_start(self) -> bool:
        return bool(self.hashtags)

    def resolved_start_urls(self, base_url: str | None = None) -> list[str]:
        urls = super().resolved_start_urls(base_url)
        if self.hashtag_url:
            urls += [
                self.absolute(self.hashtag_url.replace("{hashtag}", quote_plus(h)), base_url)
                for h in self.hashtags
            ]
        return list(dict.fromkeys(urls))


class MastodonSource(SourceBase):
    """A Mastodon-style instance: the public hashtag timelines of its API."""

    kind: Literal["mastodon"]
    hashtags: list[str] = Field(min_length=1)
    page_size: int = Field(default=40, ge=1, le=40)
    max_pages: int | None = Field(default=None, ge=1)

    def _implicit_start(self) -> bool:
        return True

    def resolved_start_urls(self, base_url: str | None = None) -> list[str]:
        return list(
            dict.fromkeys(
                self.absolute(
                    f"/api/v1/timelines/tag/{quote_plus(h.lstrip('#'))}?limit={self.page_size}",
                    base_url,
                )
                for h in self.hashtags
            )
        )


class ShopifySource(SourceBase):
    """A Shopify-style shop: every product from ``/products.json``, page by page."""

    kind: Literal["shopify"]
    #: products.json gives amounts without a currency: the shop's ISO 4217 code.
    currency: str | None = Field(default=None, pattern=r"^[A-Z]{3}$")
    page_size: int = Field(default=250, ge=1, le=250)
    max_pages: int | None = Field(default=None, ge=1)

    def _implicit_start(self) -> bool:
        return True

    def resolved_start_urls(self, base_url: str | None = None) -> list[str]:
        extra = super().resolved_start_urls(base_url) if self.start_urls or self.keywords else []
        first = self.absolute(f"/products.json?limit={self.page_size}&page=1", base_url)
        return list(dict.fromkeys([first, *extra]))


class FeedSource(SourceBase):
    """RSS or Atom feeds: each entry is a listing or post."""

    kind: Literal["feed"]


class TelegramSource(SourceBase):
    """Public Telegram-style channels, read from their web preview (``/s/CHANNEL``)."""

    kind: Literal["telegram"]
    channels: list[str] = Field(min_length=1)
    max_pages: int | None = Field(default=None, ge=1)

    @field_validator("channels")
    @classmethod
    def _channel_names(cls, value: list[str]) -> list[str]:
        for name in value:
            if not re.fullmatch(r"[A-Za-z0-9_]{3,64}", name):
                raise ValueError(f"not a channel name: {name!r}")
        return value

    def _implicit_start(self) -> bool:
        return True

    def resolved_start_urls(self, base_url: str | None = None) -> list[str]:
        return [self.absolute(f"/s/{c}", base_url) for c in self.channels]


SourceConfig = Annotated[
    HtmlMarketplaceSource
    | ForumSource
    | SocialFeedSource
    | MastodonSource
    | ShopifySource
    | FeedSource
    | TelegramSource,
    Field(discriminator="kind"),
]
KINDS = (
    "html_marketplace",
    "forum",
    "social_feed",
    "mastodon",
    "shopify",
    "feed",
    "telegram",
)
_ADAPTER: TypeAdapter[Any] = TypeAdapter(SourceConfig)


def _where(loc: tuple[Any, ...]) -> str:
    # The union adds the kind as the first step ("html_marketplace.fields.title");
    # the message names the kind separately.
    parts = [str(p) for p in loc]
    if parts and parts[0] in KINDS:
        parts = parts[1:]
    return ".".join(parts) or "(source)"


def validate_source(name: str, body: Any, where: str = "sources") -> SourceBase:
    """One source from its mapping; errors name `where`, the source and each field."""
    if not isinstance(body, dict):
        raise SourceConfigError(f"{where}: source {name!r} must be a mapping")
    kind = body.get("kind")
    if kind not in KINDS:
        raise SourceConfigError(
            f"{where}: source {name!r}: kind: must be one of {', '.join(KINDS)} (got {kind!r})"
        )
    try:
        source: SourceBase = _ADAPTER.validate_python({"name": name, **body})
    except ValidationError as exc:
        problems = "; ".join(f"{_where(err['loc'])}: {err['msg']}" for err in exc.errors())
        raise SourceConfigError(f"{where}: source {name!r} ({kind}): {problems}") from exc
    return source


def adhoc_source(url: str, *, allow_private: bool = False) -> HtmlMarketplaceSource:
    """A one-page source for ``wildwatch crawl --url``: the page is read by the generic
    extractor, politely (robots.txt, the default delay), under its host as platform."""
    if not re.match(r"^https?://[^\s/]+", url, re.IGNORECASE):
        raise SourceConfigError(f"not an http(s) URL: {url[:200]!r}")
    host = (urlsplit(url).hostname or "web").lower()
    source = validate_source(
        "adhoc",
        {
            "kind": "html_marketplace",
            "platform": host,
            "start_urls": [url],
            "result_links": "a::attr(href)",
            "listing_id": "(?P<id>)",  # no platform id: the URL names the listing
            "allow_private": allow_private,
        },
        "--url",
    )
    assert isinstance(source, HtmlMarketplaceSource)
    return source


def load_sources(path: Path) -> dict[str, SourceBase]:
    """Read and validate every source in a YAML file, keyed by name."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise SourceConfigError(f"cannot read sources file {path}: {exc}") from exc
    except yaml.YAMLError as exc:
        raise SourceConfigError(f"{path} is not valid YAML: {exc}") from exc
    if not isinstance(raw, dict) or not isinstance(raw.get("sources"), dict):
        raise SourceConfigError(f"{path}: expected a mapping with a 'sources' key")
    return {name: validate_source(name, body, str(path)) for name, body in raw["sources"].items()}
