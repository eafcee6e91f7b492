"""The `Listing` record: the one contract every stage of wildwatch shares.

This module imports pydantic and the standard library only (no Scrapy), so the
classifiers and the indexer can use it without pulling in the crawler.

Listing content is hostile input. Validation here caps every free-text field,
strips control characters and refuses URLs that are not http(s); nothing is
ever interpreted as markup or code.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from datetime import UTC, datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, model_validator

__all__ = [
    "MAX_DESCRIPTION_CHARS",
    "MAX_IMAGES",
    "MAX_TITLE_CHARS",
    "Classification",
    "CrawlInfo",
    "Evidence",
    "Listing",
    "Reason",
    "Seller",
    "SpeciesMatch",
    "Tier",
    "listing_id",
    "listing_text",
]

MAX_TITLE_CHARS = 500
MAX_DESCRIPTION_CHARS = 20_000
MAX_SHORT_CHARS = 300
MAX_URL_CHARS = 2_048
MAX_IMAGES = 50
MAX_COMMENTS = 200
MAX_COMMENT_CHARS = 2_000

# C0/C1 controls except tab and newline; bidi overrides, which can disguise text.
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")

Tier = Literal["high", "medium", "low", "none"]


def _clean(value: str, limit: int) -> str:
    value = _CONTROL_RE.sub("", unicodedata.normalize("NFC", value)).strip()
    return value[:limit]


def _cap(limit: int) -> AfterValidator:
    return AfterValidator(lambda v: None if v is None else _clean(v, limit))


def _check_url(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    if len(value) > MAX_URL_CHARS:
        raise ValueError(f"URL longer than {MAX_URL_CHARS} characters")
    if not re.match(r"^https?://[^\s/]+", value, re.IGNORECASE):
        raise ValueError(f"not an http(s) URL: {value[:80]!r}")
    return value


ShortText = Annotated[str, _cap(MAX_SHORT_CHARS)]
Url = Annotated[str, AfterValidator(_check_url)]


def listing_id(platform: str, platform_id: str | None = None, url: str | None = None) -> str:
    """Stable id: ``platform:platform_id``, else ``platform:url-<sha1 of the URL>``."""
    if platform_id:
        return f"{platform}:{platform_id}"
    if url:
        return f"{platform}:url-{hashlib.sha1(url.encode()).hexdigest()[:20]}"
    raise ValueError("a listing needs a platform id or a URL to have a stable id")


def listing_text(title: str, description: str | None) -> str:
    """The text classifiers read; reason spans are offsets into this string."""
    return f"{title}\n{description}" if description else title


class Seller(BaseModel):
    """Who offers the listing, as the platform shows it."""

    model_config = ConfigDict(extra="forbid")

    id: ShortText | None = None
    name: ShortText | None = None
    profile_url: Url | None = None

    @classmethod
    def from_parts(cls, id: str | None, name: str | None, profile_url: str | None) -> Seller | None:
        """A seller from whatever parts a page or row has; None when it has none."""
        if not (id or name or profile_url):
            return None
        return cls(id=id, name=name, profile_url=profile_url)


class CrawlInfo(BaseModel):
    """How and when the listing was fetched."""

    model_config = ConfigDict(extra="forbid")

    source: ShortText
    fetched_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    status: int | None = None
    final_url: Url | None = None
    body_sha256: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$")
    crawler_version: ShortText | None = None


class Reason(BaseModel):
    """One piece of evidence for a score: what matched, and where in `listing_text`."""

    kind: ShortText
    term: ShortText
    start: int = Field(ge=0)
    end: int = Field(ge=0)


class SpeciesMatch(BaseModel):
    name: ShortText
    scientific_name: ShortText | None = None
    cites_appendix: ShortText | None = None


class Classification(BaseModel):
    """A classifier's verdict on one listing."""

    wildlife_product: float = Field(ge=0.0, le=1.0)
    risk: float = Field(ge=0.0, le=1.0)
    flagged: bool
    tier: Tier
    species: list[SpeciesMatch] = Field(default_factory=list)
    reasons: list[Reason] = Field(default_factory=list)
    model: ShortText = "unknown"
    #: The language the classifier read the listing as (``und`` when it could not tell).
    language: ShortText | None = None
    classified_at: datetime = Field(default_factory=lambda: datetime.now(UTC))


class Evidence(BaseModel):
    """One captured artefact, stored content-addressed and never modified."""

    kind: Literal["raw_body", "screenshot", "warc", "rendered_text", "metadata"]
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    path: str
    size: int = Field(ge=0)
    captured_at: datetime
    url: Url
    media_type: ShortText | None = None


class Listing(BaseModel):
    """One offer or post seen on a platform."""

    model_config = ConfigDict(extra="forbid")

    id: ShortText = ""
    platform: ShortText = Field(min_length=1)
    platform_id: ShortText | None = None
    url: Url
    title: Annotated[str, _cap(MAX_TITLE_CHARS)]
    description: Annotated[str, _cap(MAX_DESCRIPTION_CHARS)] | None = None
    price: float | None = Field(default=None, ge=0)
    currency: str | None = Field(default=None, pattern=r"^[A-Z]{3}$")
    seller: Seller | None = None
    location: ShortText | None = None
    posted_at: datetime | None = None
    # A page may show hundreds of images; keep the first MAX_IMAGES rather than fail.
    image_urls: Annotated[
        list[Url], BeforeValidator(lambda v: v[:MAX_IMAGES] if isinstance(v, list) else v)
    ] = Field(default_factory=list)
    #: Perceptual hashes of the photos (16 hex digits each), for finding reposts.
    image_hashes: Annotated[
        list[Annotated[str, Field(pattern=r"^[0-9a-f]{16}$")]],
        BeforeValidator(lambda v: v[:MAX_IMAGES] if isinstance(v, list) else v),
    ] = Field(default_factory=list)
    language: str | None = Field(default=None, max_length=16)
    #: Hashtags the post carries (social sources), without the '#'.
    hashtags: Annotated[
        list[ShortText], BeforeValidator(lambda v: v[:MAX_IMAGES] if isinstance(v, list) else v)
    ] = Field(default_factory=list)
    #: Comments under a post, as shown (others' words, kept apart from the seller's).
    comments: Annotated[
        list[Annotated[str, _cap(MAX_COMMENT_CHARS)]],
        BeforeValidator(lambda v: v[:MAX_COMMENTS] if isinstance(v, list) else v),
    ] = Field(default_factory=list)
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    crawl: CrawlInfo | None = None
    classification: Classification | None = None
    evidence: list[Evidence] = Field(default_factory=list)
    #: When takedown verification found the listing gone (404/410/"removed").
    removed_at: datetime | None = None

    @model_validator(mode="after")
    def _fill_id(self) -> Listing:
        if not self.id:
            self.id = listing_id(self.platform, self.platform_id, self.url)
        return self

    @property
    def text(self) -> str:
        return listing_text(self.title, self.description)
