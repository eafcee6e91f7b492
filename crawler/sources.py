"""Sources to crawl, declared in ``config/sources.yaml`` and validated on load."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal
from urllib.parse import urljoin

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from crawler.errors import SourceConfigError

__all__ = ["FieldRule", "ListingFieldRules", "SourceConfig", "load_sources"]


class FieldRule(BaseModel):
    """Where one field sits on a page: a CSS selector and an optional regex group."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    css: str
    re: str | None = None
    all: bool = False  # take every match (image URLs), not just the first

    @field_validator("re")
    @classmethod
    def _compiles(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"bad regular expression {value!r}: {exc}") from exc
        return value


def _rule(value: object) -> object:
    return {"css": value} if isinstance(value, str) else value


class ListingFieldRules(BaseModel):
    """Field rules for listing pages; a field without a rule comes from JSON-LD if present.

    Each rule is a CSS selector string, or ``{css, re, all}``. A selector that ends in
    an element (no ``::text``/``::attr``) yields that element's visible text.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

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

    @field_validator("*", mode="before")
    @classmethod
    def _shorthand(cls, value: object) -> object:
        return _rule(value)


class SourceConfig(BaseModel):
    """One place to crawl and how to read it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    kind: Literal["html_marketplace"]
    platform: str = Field(min_length=1)
    base_url: str | None = None
    start_urls: list[str] = Field(min_length=1)
    result_links: str
    next_page: str | None = None
    listing_id: str = Field(description="regex with a group 'id', matched against listing URLs")
    fields: ListingFieldRules = ListingFieldRules()
    download_delay: float = Field(default=1.0, ge=0)
    concurrency: int = Field(default=2, ge=1, le=64)

    @field_validator("listing_id")
    @classmethod
    def _has_id_group(cls, value: str) -> str:
        try:
            pattern = re.compile(value)
        except re.error as exc:
            raise ValueError(f"bad regular expression {value!r}: {exc}") from exc
        if "id" not in pattern.groupindex:
            raise ValueError("listing_id needs a named group (?P<id>...)")
        return value

    def resolved_start_urls(self, base_url: str | None = None) -> list[str]:
        """Start URLs made absolute against `base_url` (or the configured one)."""
        base = base_url or self.base_url
        urls = []
        for url in self.start_urls:
            if re.match(r"^https?://", url):
                urls.append(url)
            elif base is None:
                raise SourceConfigError(
                    f"source {self.name!r}: start URL {url!r} is relative and no base_url is set"
                )
            else:
                urls.append(urljoin(base.rstrip("/") + "/", url.lstrip("/")))
        return urls


def load_sources(path: Path) -> dict[str, SourceConfig]:
    """Read and validate every source in a YAML file, keyed by name."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise SourceConfigError(f"cannot read sources file {path}: {exc}") from exc
    except yaml.YAMLError as exc:
        raise SourceConfigError(f"{path} is not valid YAML: {exc}") from exc
    if not isinstance(raw, dict) or not isinstance(raw.get("sources"), dict):
        raise SourceConfigError(f"{path}: expected a mapping with a 'sources' key")
    sources = {}
    for name, body in raw["sources"].items():
        if not isinstance(body, dict):
            raise SourceConfigError(f"{path}: source {name!r} must be a mapping")
        try:
            sources[name] = SourceConfig.model_validate({"name": name, **body})
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()
            )
            raise SourceConfigError(f"{path}: source {name!r}: {problems}") from exc
    return sources
