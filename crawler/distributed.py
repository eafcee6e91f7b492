"""Distributed crawling: several crawler processes share one source's frontier in Redis.

Each worker runs the same source with ``WILDWATCH_REDIS_URL`` set (the runner then
applies `redis_settings`). Through scrapy-redis the workers share

- one request queue (``wildwatch:<source>:requests``): a request any worker finds
  is fetched by whichever worker pops it first;
- one dupefilter (``wildwatch:<source>:dupefilter``): a URL is fetched once across
  all workers, start URLs included (every worker yields the same ones).

The queue and the dupefilter persist when a worker stops, so that one worker
finishing does not wipe the others' frontier; `reset_frontier` clears them before
a fresh crawl of the source (otherwise the old dupefilter skips every page seen).

Idle workers: scrapy-redis only keeps a ``RedisSpider`` waiting for work
(``MAX_IDLE_TIME_BEFORE_CLOSE``); with a plain `scrapy.Spider` its scheduler lets
the engine close a worker as soon as the shared queue is momentarily empty and the
worker has nothing in flight, while another worker may be about to add requests.
``SCHEDULER_IDLE_BEFORE_CLOSE`` is no help: it makes pops block the reactor (FIFO
and LIFO queues) and the priority queue ignores it. `SharedFrontierScheduler`, the
scrapy-redis scheduler with an idle wait, keeps an idle worker open until the shared
queue has stayed empty for ``WILDWATCH_REDIS_IDLE_TIMEOUT`` seconds (Scrapy's engine
looks at the queue again every 5 s, so a worker waits up to 5 s longer).
A worker that closes early costs only parallelism: a worker with requests in flight
is never idle, so the last busy worker always drains the frontier.

Requests travel pickled (scrapy-redis's default, like Scrapy's own disk queues):
callbacks must be methods of the spider, meta values picklable. Pickle means that
whoever can write to the Redis server can run code in the workers, so the server
must be private to the crawlers (password, TLS with ``rediss://``).
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Self
from urllib.parse import urlsplit

import redis
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider
from scrapy_redis.scheduler import Scheduler

from crawler.errors import CrawlerError

__all__ = [
    "DEFAULT_IDLE_TIMEOUT",
    "FrontierKeys",
    "SharedFrontierError",
    "SharedFrontierScheduler",
    "frontier_keys",
    "redis_settings",
    "reset_frontier",
    "with_shared_frontier",
]

#: Seconds a worker waits on an empty shared queue before it finishes.
DEFAULT_IDLE_TIMEOUT = 30.0
_KEY_PREFIX = "wildwatch"
_SCHEMES = ("redis", "rediss", "unix")
# The pattern of source names (crawler/sources.py): no "%", which scrapy-redis
# would read as a placeholder in a key.
_SOURCE_NAME = re.compile(r"[a-z0-9][a-z0-9_-]*")
_CONNECT_TIMEOUT = 5.0


class SharedFrontierError(CrawlerError):
    """The Redis URL or source name is unusable, or the Redis server cannot be reached."""


@dataclass(frozen=True)
class FrontierKeys:
    """The Redis keys holding one source's shared frontier."""

    queue: str
    dupefilter: str


def frontier_keys(source_name: str) -> FrontierKeys:
    """The keys of `source_name`'s queue and dupefilter."""
    _check_source_name(source_name)
    return FrontierKeys(
        queue=f"{_KEY_PREFIX}:{source_name}:requests",
        dupefilter=f"{_KEY_PREFIX}:{source_name}:dupefilter",
    )


def redis_settings(
    redis_url: str, source_name: str, *, idle_timeout: float = DEFAULT_IDLE_TIMEOUT
) -> dict[str, Any]:
    """Scrapy settings that make this crawler share `source_name`'s frontier at `redis_url`.

    `idle_timeout`: seconds an idle worker waits for other workers to add requests
    to the shared queue before it finishes.
    """
    _check_redis_url(redis_url)
    if idle_timeout < 0:
        raise SharedFrontierError(f"idle timeout must not be negative (got {idle_timeout})")
    keys = frontier_keys(source_name)
    return {
        "SCHEDULER": f"{__name__}.SharedFrontierScheduler",
        "DUPEFILTER_CLASS": "scrapy_redis.dupefilter.RFPDupeFilter",
        "REDIS_URL": redis_url,
        "SCHEDULER_QUEUE_KEY": keys.queue,
        "SCHEDULER_DUPEFILTER_KEY": keys.dupefilter,
        # Priorities matter (retries go after fresh requests); this queue never
        # blocks the reactor on pop.
        "SCHEDULER_QUEUE_CLASS": "scrapy_redis.queue.PriorityQueue",
        # A worker that stops leaves the frontier to the others; reset_frontier
        # starts afresh.
        "SCHEDULER_PERSIST": True,
        "SCHEDULER_FLUSH_ON_START": False,
        "SCHEDULER_IDLE_BEFORE_CLOSE": 0,
        "WILDWATCH_REDIS_URL": redis_url,
        "WILDWATCH_REDIS_IDLE_TIMEOUT": float(idle_timeout),
    }


def with_shared_frontier(settings: Mapping[str, Any], source_name: str) -> dict[str, Any]:
    """`settings` with `redis_settings` applied when they name ``WILDWATCH_REDIS_URL``.

    Settings already given win (e.g. ``WILDWATCH_REDIS_IDLE_TIMEOUT``). The Redis
    server is pinged first, so that a wrong URL fails before the crawl starts.
    """
    merged = dict(settings)
    redis_url = merged.get("WILDWATCH_REDIS_URL")
    if not redis_url:
        return merged
    if not isinstance(redis_url, str):
        raise SharedFrontierError(f"WILDWATCH_REDIS_URL must be a string (got {redis_url!r})")
    timeout = merged.get("WILDWATCH_REDIS_IDLE_TIMEOUT", DEFAULT_IDLE_TIMEOUT)
    try:
        idle_timeout = float(timeout)
    except (TypeError, ValueError):
        raise SharedFrontierError(
            f"WILDWATCH_REDIS_IDLE_TIMEOUT must be a number of seconds (got {timeout!r})"
        ) from None
    frontier = redis_settings(redis_url, source_name, idle_timeout=idle_timeout)
    _ping(redis_url)
    for name, value in frontier.items():
        merged.setdefault(name, value)
    return merged


def reset_frontier(redis_url: str, source_name: str) -> int:
    """Delete `source_name`'s shared queue and dupefilter; returns how many keys existed.

    Run it before starting the workers of a fresh crawl, never while they run.
    """
    _check_redis_url(redis_url)
    keys = frontier_keys(source_name)
    client = _client(redis_url)
    try:
        return int(client.delete(keys.queue, keys.dupefilter))
    except redis.RedisError as exc:
        where = _safe(redis_url)
        raise SharedFrontierError(f"cannot reset the frontier at {where}: {exc}") from exc
    finally:
        client.close()


class SharedFrontierScheduler(Scheduler):
    """scrapy-redis's scheduler, with a wait before an idle worker finishes.

    Scrapy sends ``spider_idle`` when this worker has nothing in flight and the
    shared queue is empty; the first one starts the clock, any request this worker
    downloads afterwards (taken from the queue another worker filled) stops it.
    The worker finishes once ``WILDWATCH_REDIS_IDLE_TIMEOUT`` seconds have passed.
    """

    idle_timeout: float = DEFAULT_IDLE_TIMEOUT
    _idle_since: float | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        scheduler = super().from_crawler(crawler)
        scheduler.idle_timeout = crawler.settings.getfloat(
            "WILDWATCH_REDIS_IDLE_TIMEOUT", DEFAULT_IDLE_TIMEOUT
        )
        crawler.signals.connect(scheduler._on_idle, signal=signals.spider_idle)
        crawler.signals.connect(scheduler._on_busy, signal=signals.request_reached_downloader)
        return scheduler

    def _on_busy(self) -> None:
        self._idle_since = None

    def _on_idle(self) -> None:
        now = time.monotonic()
        if self._idle_since is None:
            self._idle_since = now
        if now - self._idle_since < self.idle_timeout:
            if self.stats is not None:
                self.stats.inc_value("wildwatch/frontier/idle_waits")
            raise DontCloseSpider


def _check_source_name(source_name: str) -> None:
    if not isinstance(source_name, str) or not _SOURCE_NAME.fullmatch(source_name):
        raise SharedFrontierError(
            f"not a source name: {source_name!r} (lower-case letters, digits, '-' and '_')"
        )


def _check_redis_url(redis_url: str) -> None:
    if not isinstance(redis_url, str):
        raise SharedFrontierError(f"the Redis URL must be a string (got {redis_url!r})")
    parts = urlsplit(redis_url)
    if parts.scheme not in _SCHEMES:
        raise SharedFrontierError(
            f"not a Redis URL: {_safe(redis_url)!r} "
            f"(expected redis://HOST:PORT/DB, rediss://... or unix://PATH)"
        )
    try:
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        raise SharedFrontierError(f"bad port in the Redis URL {_safe(redis_url)!r}") from None
    if parts.scheme != "unix" and not parts.hostname:
        raise SharedFrontierError(f"the Redis URL {_safe(redis_url)!r} names no host")


def _client(redis_url: str) -> redis.Redis:
    return redis.Redis.from_url(
        redis_url, socket_connect_timeout=_CONNECT_TIMEOUT, socket_timeout=_CONNECT_TIMEOUT
    )


def _ping(redis_url: str) -> None:
    client = _client(redis_url)
    try:
        client.ping()
    except redis.RedisError as exc:
        raise SharedFrontierError(f"cannot reach Redis at {_safe(redis_url)}: {exc}") from exc
    finally:
        client.close()


def _safe(redis_url: str) -> str:
    """`redis_url` without its password, for messages."""
    parts = urlsplit(redis_url)
    if parts.password is None:
        return redis_url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return parts._replace(netloc=netloc).geturl()
