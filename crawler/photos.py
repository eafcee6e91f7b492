"""Listing photos: a few per listing fetched through the crawl's own engine and kept as
perceptual hashes, so a repost with a re-encoded photo can be found later.

`PhotoHashPipeline` is an item pipeline that runs before the app's classify-and-store
pipeline (`crawler.settings` registers it at order 200). For each listing it fetches
the first ``WILDWATCH_PHOTOS_MAX`` of its ``image_urls`` with the crawler's engine, so
every downloader middleware applies to photos as to pages: robots.txt, the address
guard, the daily budget, per-host politeness, retries. It refuses answers that are not
raster images or are larger than ``WILDWATCH_PHOTOS_MAX_BYTES``, hashes the rest
(`crawler.imagehash.perceptual_hash`) and sets ``listing.image_hashes`` in
``image_urls`` order. A photo that fails is left out and counted; the listing always
goes on.

Settings: ``WILDWATCH_PHOTOS_MAX`` (photos per listing; a source's ``photos.max``; 0
switches the pipeline off), ``WILDWATCH_PHOTOS_MAX_BYTES`` (default 5 MiB, never more
than ``DOWNLOAD_MAXSIZE``). Photo requests carry ``meta["wildwatch_photo"] = True``.
Stats: ``wildwatch/photos/hashed`` and ``wildwatch/photos/skipped/<reason>``, the
reason one of `SKIP_REASONS`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Literal, Self, get_args
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import DownloadCancelledError, IgnoreRequest, NotConfigured
from scrapy.http import Response
from scrapy.settings import BaseSettings
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.threads import deferToThread

from crawler.imagehash import ImageHashError, perceptual_hash
from crawler.items import CrawledListing
from crawler.listing import Listing

__all__ = [
    "DEFAULT_MAX_BYTES",
    "DEFAULT_MAX_PHOTOS",
    "PHOTO_META",
    "SKIP_REASONS",
    "PhotoHashPipeline",
    "PhotoSettings",
    "SkipReason",
]

logger = logging.getLogger(__name__)

DEFAULT_MAX_PHOTOS = 2
DEFAULT_MAX_BYTES = 5 * 1024 * 1024
#: Request meta key set on every photo request.
PHOTO_META = "wildwatch_photo"

SkipReason = Literal[
    "vector",  # an SVG: a drawing, never a photo, and nothing Pillow decodes (not fetched)
    "refused",  # a middleware refused the request: robots.txt, budget, address guard
    "too_big",  # over WILDWATCH_PHOTOS_MAX_BYTES (the download is cut off)
    "failed",  # the network: refused connection, timeout, lost connection
    "status",  # an answer other than 200
    "content_type",  # not an image/* answer (an HTML page where a photo should be)
    "undecodable",  # said it was an image, but is not one Pillow reads
]
SKIP_REASONS: tuple[SkipReason, ...] = get_args(SkipReason)

_ACCEPT = "image/avif,image/webp,image/png,image/jpeg,image/*;q=0.8"
_VECTOR_TYPES = frozenset({"image/svg+xml"})
_VECTOR_SUFFIXES = (".svg", ".svgz")


@dataclass(frozen=True)
class PhotoSettings:
    """The pipeline's settings, read once: photos per listing and the size cap."""

    max_photos: int = DEFAULT_MAX_PHOTOS
    max_bytes: int = DEFAULT_MAX_BYTES

    @classmethod
    def from_settings(cls, settings: BaseSettings) -> PhotoSettings:
        """The settings of one crawler; `NotConfigured` when photos are off or the values
        make no sense (the message names the setting)."""
        max_photos = settings.getint("WILDWATCH_PHOTOS_MAX", DEFAULT_MAX_PHOTOS)
        max_bytes = settings.getint("WILDWATCH_PHOTOS_MAX_BYTES", DEFAULT_MAX_BYTES)
        if max_photos == 0:
            raise NotConfigured("WILDWATCH_PHOTOS_MAX is 0: no listing photos are fetched")
        if max_photos < 0:
            raise NotConfigured(f"WILDWATCH_PHOTOS_MAX must be 0 or more, got {max_photos}")
        if max_bytes < 1:
            raise NotConfigured(f"WILDWATCH_PHOTOS_MAX_BYTES must be positive, got {max_bytes}")
        page_cap = settings.getint("DOWNLOAD_MAXSIZE", 0)
        return cls(max_photos, min(max_bytes, page_cap) if page_cap > 0 else max_bytes)


def _listing_of(item: Any) -> Listing | None:
    if isinstance(item, CrawledListing):
        return item.listing
    return item if isinstance(item, Listing) else None


def _is_vector(url: str) -> bool:
    return urlsplit(url).path.lower().endswith(_VECTOR_SUFFIXES)


def _media_type(response: Response) -> str:
    raw = response.headers.get(b"Content-Type") or b""
    return raw.decode("latin-1").split(";", 1)[0].strip().lower()


class PhotoHashPipeline:
    """Sets each listing's ``image_hashes`` from its first few photos (see the module)."""

    def __init__(self, crawler: Crawler, config: PhotoSettings) -> None:
        self.crawler = crawler
        self.config = config

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler, PhotoSettings.from_settings(crawler.settings))

    async def process_item(self, item: Any) -> Any:
        listing = _listing_of(item)
        # Hashes a source already gave (an API that has them) are kept as they are.
        if listing is None or listing.image_hashes or not listing.image_urls:
            return item
        hashes: list[str] = []
        for url in listing.image_urls[: self.config.max_photos]:
            found = await self.photo_hash(url, referer=listing.url)
            if found is not None:
                hashes.append(found)
        listing.image_hashes = hashes
        return item

    async def photo_hash(self, url: str, *, referer: str | None = None) -> str | None:
        """The perceptual hash of the photo at `url`; None (logged, counted) when it
        cannot be had."""
        if _is_vector(url):
            return self._skip("vector", url, "vector drawing, not fetched")
        engine = self.crawler.engine
        if engine is None or engine.spider is None:
            return self._skip("failed", url, "the crawl is not running")
        headers = {"Accept": _ACCEPT, **({"Referer": referer} if referer else {})}
        request = Request(
            url,
            headers=headers,
            meta={
                PHOTO_META: True,
                "download_maxsize": self.config.max_bytes,
                "download_warnsize": 0,  # photos near the cap are normal, not worth a warning
            },
            dont_filter=True,
        )
        try:
            response = await engine.download_async(request)
        except IgnoreRequest as exc:
            return self._skip("refused", url, exc)
        except DownloadCancelledError as exc:
            return self._skip("too_big", url, exc)
        except Exception as exc:
            # Network failures come in many types (Twisted's, the OS's, timeouts); the
            # retry middleware has already had its go at them.
            return self._skip("failed", url, f"{type(exc).__name__}: {exc}")
        if response.status != 200:
            return self._skip("status", url, f"HTTP {response.status}")
        media_type = _media_type(response)
        if not media_type.startswith("image/") or media_type in _VECTOR_TYPES:
            return self._skip("content_type", url, media_type or "no Content-Type")
        if len(response.body) > self.config.max_bytes:
            return self._skip("too_big", url, f"{len(response.body)} bytes")
        try:
            # Decoding is CPU work: off the reactor thread, so other downloads go on.
            digest: str = await maybe_deferred_to_future(
                deferToThread(perceptual_hash, response.body)
            )
        except ImageHashError as exc:
            return self._skip("undecodable", url, exc)
        self._count("wildwatch/photos/hashed")
        return digest

    def _skip(self, reason: SkipReason, url: str, why: object) -> None:
        logger.debug("photo %s skipped (%s): %s", url, reason, why)
        self._count(f"wildwatch/photos/skipped/{reason}")
        return None

    def _count(self, key: str) -> None:
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value(key)
