"""Downloader middlewares: safety, politeness and incremental crawling, one job each.

Wired in `crawler.settings.default_settings`, configured from the source by
`settings_for_source`:

- `AddressGuardMiddleware`: refuses private, loopback and link-local hosts.
- `DailyBudgetMiddleware`: stops a source at its daily request budget.
- `IncrementalMiddleware`: skips listing pages seen recently and unchanged.
- `FetchTimeMiddleware`: records when each response arrived (evidence needs it).
- `PoliteRetryMiddleware`: retries failures with growing pauses (plain Scrapy
  retries at once), after ``Retry-After`` on 429/503.
- `HostGateMiddleware`: per-host concurrency, and silence while a host asked to
  wait (429/503 ``Retry-After``), which also slows the host down.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import socket
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Self
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http import Response
from scrapy.utils.defer import deferred_from_coro
from twisted.internet import error as net_error

from crawler.state import CrawlState

__all__ = [
    "AddressGuardMiddleware",
    "DailyBudgetMiddleware",
    "FetchTimeMiddleware",
    "HostGateMiddleware",
    "IncrementalMiddleware",
    "PoliteRetryMiddleware",
    "is_public_address",
    "retry_after_seconds",
]

logger = logging.getLogger(__name__)


def _source_name(crawler: Crawler) -> str:
    spider = crawler.spider
    source = getattr(spider, "source", None)
    return str(getattr(source, "name", None) or getattr(spider, "name", "unknown"))


def _inc(crawler: Crawler, key: str, n: int = 1) -> None:
    if crawler.stats is not None:
        crawler.stats.inc_value(key, n)


def _close(crawler: Crawler, reason: str) -> None:
    """Ask the engine to stop the crawl (once; later calls are harmless)."""
    engine = crawler.engine
    if engine is not None and engine.spider is not None:
        # Scheduled, not awaited: closing waits for requests in flight, this one too.
        closing = deferred_from_coro(engine.close_spider_async(reason=reason))
        closing.addErrback(lambda f: logger.error("closing the crawl failed: %s", f.value))


# ---------------------------------------------------------------- address guard


def is_public_address(address: str) -> bool:
    """Whether `address` (an IP) is globally routable: not private, loopback,
    link-local, multicast, reserved or unspecified."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


class AddressGuardMiddleware:
    """Refuses requests whose host resolves to a non-public address.

    A listing page can link anywhere, including the crawler's own network (cloud
    metadata at 169.254.169.254, an admin page on 10.0.0.1). Only a source with
    ``allow_private: true`` (the sandbox) may reach such hosts. Resolution is cached
    per host for the crawl.
    """

    def __init__(self, crawler: Crawler, allow_private: bool) -> None:
        self.crawler = crawler
        self.allow_private = allow_private
        self._verdicts: dict[str, str | None] = {}  # host -> refusal reason, None: fine

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler, crawler.settings.getbool("WILDWATCH_ALLOW_PRIVATE"))

    def process_request(self, request: Request) -> None:
        if self.allow_private:
            return
        host = urlsplit(request.url).hostname or ""
        if host not in self._verdicts:
            self._verdicts[host] = self._check(host)
            if self._verdicts[host]:
                logger.error("refusing %s: %s", host, self._verdicts[host])
        reason = self._verdicts[host]
        if reason:
            _inc(self.crawler, "wildwatch/refused/private_address")
            raise IgnoreRequest(f"refused {request.url}: {reason}")

    @staticmethod
    def _check(host: str) -> str | None:
        if not host:
            return "no host"
        try:
            infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
        except (OSError, UnicodeError):
            return None  # let the download fail with its own DNS error
        for info in infos:
            address = str(info[4][0])
            if not is_public_address(address):
                return (
                    f"{host} resolves to the non-public address {address} "
                    "(set allow_private: true on the source to allow it)"
                )
        return None


# ---------------------------------------------------------------- daily budget


class DailyBudgetMiddleware:
    """Counts every request of a source per UTC day and stops the source at its budget.

    The count lives in the crawl state, so separate runs on one day share it; without
    a state database it counts this run only.
    """

    def __init__(self, crawler: Crawler, budget: int, state: CrawlState | None) -> None:
        self.crawler = crawler
        self.budget = budget
        self.state = state
        self._local = 0
        self._exhausted = False

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        budget = crawler.settings.get("WILDWATCH_DAILY_BUDGET")
        if not budget:
            raise NotConfigured("no daily budget")
        return cls(crawler, int(budget), CrawlState.from_settings(crawler.settings))

    def process_request(self, request: Request) -> None:
        if self._exhausted:
            raise IgnoreRequest("daily request budget spent")
        today = datetime.now(UTC).date()
        if self.state is not None:
            spent = self.state.spend(_source_name(self.crawler), today)
        else:
            self._local += 1
            spent = self._local
        if spent > self.budget:
            self._exhausted = True
            _inc(self.crawler, "wildwatch/budget_exhausted")
            logger.warning(
                "source %s spent its daily budget of %d requests; the rest waits for tomorrow",
                _source_name(self.crawler),
                self.budget,
            )
            _close(self.crawler, "daily_budget")
            raise IgnoreRequest("daily request budget spent")


# ---------------------------------------------------------------- incremental


class IncrementalMiddleware:
    """Skips listing pages fetched recently, unless their result card changed.

    Listing requests carry ``meta["wildwatch_listing"]`` and, when the spider saw
    one, ``meta["wildwatch_card"]`` (a hash of the result card's text: a price or
    title edit shows there). A page is fetched again when its revisit is due, when
    its card changed, or on a takedown re-check; validators (ETag, Last-Modified)
    make the refetch conditional, and a 304 counts as unchanged.
    """

    def __init__(self, crawler: Crawler, state: CrawlState, revisit: timedelta) -> None:
        self.crawler = crawler
        self.state = state
        self.revisit = revisit

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        state = CrawlState.from_settings(crawler.settings)
        if state is None:
            raise NotConfigured("no crawl state: every page is fetched")
        revisit = timedelta(seconds=crawler.settings.getfloat("WILDWATCH_REVISIT_LISTINGS", 604800))
        return cls(crawler, state, revisit)

    def process_request(self, request: Request) -> None:
        if not request.meta.get("wildwatch_listing"):
            return
        record = self.state.page(_source_name(self.crawler), request.url)
        if record is None:
            return
        card = request.meta.get("wildwatch_card")
        due = record.next_due is None or record.next_due <= datetime.now(UTC)
        changed = card is not None and record.card is not None and card != record.card
        if not (due or changed or request.meta.get("wildwatch_recheck")):
            _inc(self.crawler, "wildwatch/skipped/not_due")
            raise IgnoreRequest(f"not due until {record.next_due}: {request.url}")
        if changed:
            _inc(self.crawler, "wildwatch/refetched/card_changed")
        elif record.etag:
            request.headers.setdefault("If-None-Match", record.etag)
        elif record.last_modified:
            request.headers.setdefault("If-Modified-Since", record.last_modified)

    def process_response(self, request: Request, response: Response) -> Response:
        if not request.meta.get("wildwatch_listing"):
            return response
        now = datetime.now(UTC)
        gone = response.status in (404, 410)
        self.state.record_page(
            _source_name(self.crawler),
            request.url,
            status=response.status,
            fetched_at=now,
            next_due=now + self.revisit,
            card=request.meta.get("wildwatch_card"),
            etag=_header(response, "ETag"),
            last_modified=_header(response, "Last-Modified"),
            gone_at=now if gone else None,
        )
        if response.status == 304:
            _inc(self.crawler, "wildwatch/unchanged")
            raise IgnoreRequest(f"unchanged since last fetch: {request.url}")
        return response


def _header(response: Response, name: str) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1")[:300] if value else None


# ---------------------------------------------------------------- fetch time


class FetchTimeMiddleware:
    """Notes the URL first asked for and the UTC time each response arrived."""

    def process_request(self, request: Request) -> None:
        request.meta.setdefault("wildwatch_requested_url", request.url)

    def process_response(self, request: Request, response: Response) -> Response:
        request.meta["wildwatch_fetched_at"] = datetime.now(UTC)
        return response


# ---------------------------------------------------------------- polite retries


def retry_after_seconds(value: bytes | str | None, now: datetime | None = None) -> float | None:
    """A ``Retry-After`` header as seconds from now: delta-seconds or an HTTP date."""
    if not value:
        return None
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    text = text.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


_RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504, 522, 524})
_SLOWDOWN_STATUSES = frozenset({429, 503})
_RETRY_EXCEPTIONS = (
    net_error.TimeoutError,
    net_error.DNSLookupError,
    net_error.ConnectionRefusedError,
    net_error.ConnectionDone,
    net_error.ConnectError,
    net_error.ConnectionLost,
    net_error.TCPTimedOutError,
    TimeoutError,
    OSError,
)


@dataclass
class _Host:
    active: int = 0
    not_before: float = 0.0  # monotonic time before which nothing is sent
    slowed_until: float = 0.0
    waiters: deque[asyncio.Future[None]] = field(default_factory=deque)


class HostGateMiddleware:
    """Sends at most ``CONCURRENT_REQUESTS_PER_DOMAIN`` requests to a host at a time,
    and none while the host asked to wait.

    A 429 or 503 holds the host for its ``Retry-After`` (or the back-off when the
    header is missing, at most ``WILDWATCH_MAX_RETRY_AFTER``) and doubles the host's
    download delay once per episode. The gate sits next to the downloader, so a
    request waits here, after every other middleware, until the answers to the
    requests before it have been read: Scrapy's own slot would send the next queued
    request before the 429 that should have stopped it is looked at.
    """

    def __init__(self, crawler: Crawler, concurrency: int, backoff: float, max_wait: float) -> None:
        self.crawler = crawler
        self.concurrency = max(1, concurrency)
        self.backoff = backoff
        self.max_wait = max_wait
        self._hosts: dict[str, _Host] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        s = crawler.settings
        return cls(
            crawler,
            s.getint("CONCURRENT_REQUESTS_PER_DOMAIN", 2),
            s.getfloat("WILDWATCH_BACKOFF", 2.0),
            s.getfloat("WILDWATCH_MAX_RETRY_AFTER", 600.0),
        )

    async def process_request(self, request: Request) -> None:
        key = urlsplit(request.url).netloc.lower()
        host = self._hosts.setdefault(key, _Host())
        while True:
            # A retry's own wait is wall-clock time: with a shared (Redis) frontier it
            # may be taken up by another machine.
            own = float(request.meta.get("wildwatch_not_before") or 0.0) - time.time()
            wait = max(host.not_before - time.monotonic(), own)
            if wait > 0:
                _inc(self.crawler, "wildwatch/politeness/waited")
                await asyncio.sleep(wait)
                continue
            if host.active < self.concurrency:
                host.active += 1
                request.meta["wildwatch_gate"] = key
                return
            waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            host.waiters.append(waiter)
            await waiter

    def process_response(self, request: Request, response: Response) -> Response:
        if response.status in _SLOWDOWN_STATUSES:
            asked = retry_after_seconds(response.headers.get("Retry-After"))
            attempt = int(request.meta.get("wildwatch_retries", 0))
            wait = asked if asked is not None else self.backoff * (2**attempt)
            self._hold(request, min(wait, self.max_wait))
        self._release(request)
        return response

    def process_exception(self, request: Request, exception: Exception) -> None:
        self._release(request)

    def _release(self, request: Request) -> None:
        key = request.meta.pop("wildwatch_gate", None)
        host = self._hosts.get(key) if key else None
        if host is None:
            return
        host.active -= 1
        while host.waiters:
            waiter = host.waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                break

    def _hold(self, request: Request, seconds: float) -> None:
        host = self._hosts.setdefault(urlsplit(request.url).netloc.lower(), _Host())
        now = time.monotonic()
        host.not_before = max(host.not_before, now + seconds)
        if now >= host.slowed_until:
            _inc(self.crawler, "wildwatch/politeness/slowed_down")
            self._slow_down(request)
        host.slowed_until = max(host.slowed_until, now + seconds)

    def _slow_down(self, request: Request) -> None:
        downloader = self.crawler.engine.downloader if self.crawler.engine else None
        if downloader is None:
            return
        key = request.meta.get("download_slot") or downloader.get_slot_key(request)
        slot = downloader.slots.get(key)
        if slot is not None:
            slot.delay = min(max(slot.delay * 2, 0.5), 30.0)


class PoliteRetryMiddleware:
    """Retries failed requests after growing pauses; gives up on long Retry-After.

    5xx answers, 408, 429 and network failures are retried up to
    ``WILDWATCH_RETRY_TIMES``, each after ``backoff * 2**attempt`` seconds (a 429 or
    503 after its ``Retry-After``; `HostGateMiddleware` holds the whole host). A
    ``Retry-After`` longer than ``WILDWATCH_MAX_RETRY_AFTER`` gives the request up.
    """

    def __init__(
        self, crawler: Crawler, retries: int, backoff: float, max_retry_after: float
    ) -> None:
        self.crawler = crawler
        self.retries = retries
        self.backoff = backoff
        self.max_retry_after = max_retry_after

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        s = crawler.settings
        return cls(
            crawler,
            s.getint("WILDWATCH_RETRY_TIMES", 3),
            s.getfloat("WILDWATCH_BACKOFF", 2.0),
            s.getfloat("WILDWATCH_MAX_RETRY_AFTER", 600.0),
        )

    @staticmethod
    def _host(request: Request) -> str:
        return urlsplit(request.url).netloc.lower()

    def process_response(self, request: Request, response: Response) -> Request | Response:
        status = response.status
        if status not in _RETRY_STATUSES or status in request.meta.get(
            "handle_httpstatus_list", ()
        ):
            return response
        attempt = int(request.meta.get("wildwatch_retries", 0))
        delay = self.backoff * (2**attempt)
        if status in _SLOWDOWN_STATUSES:
            _inc(self.crawler, f"wildwatch/politeness/slowed/{status}")
            asked = retry_after_seconds(response.headers.get("Retry-After"))
            if asked is not None:
                if asked > self.max_retry_after:
                    _inc(self.crawler, "wildwatch/politeness/gave_up")
                    logger.warning(
                        "%s asks to wait %.0f s (more than %.0f s): giving %s up",
                        self._host(request),
                        asked,
                        self.max_retry_after,
                        request.url,
                    )
                    return response
                delay = asked
        return self._retry(request, attempt, delay, f"HTTP {status}") or response

    def process_exception(self, request: Request, exception: Exception) -> Request | None:
        if not isinstance(exception, _RETRY_EXCEPTIONS) or isinstance(exception, IgnoreRequest):
            return None
        attempt = int(request.meta.get("wildwatch_retries", 0))
        return self._retry(request, attempt, self.backoff * (2**attempt), type(exception).__name__)

    def _retry(self, request: Request, attempt: int, delay: float, why: str) -> Request | None:
        if attempt >= self.retries:
            _inc(self.crawler, "wildwatch/retry/gave_up")
            logger.warning("giving up %s after %d retries (%s)", request.url, attempt, why)
            return None
        _inc(self.crawler, "wildwatch/retry/count")
        retry = request.replace(dont_filter=True, priority=request.priority - 1)
        retry.meta["wildwatch_retries"] = attempt + 1
        retry.meta.pop("wildwatch_gate", None)
        # The retry waits its own back-off in the host gate.
        retry.meta["wildwatch_not_before"] = time.time() + delay
        return retry
