"""Scripted steps on a browser page: a source's `Action` list run in headless Chromium.

An action is one of ``scroll`` (to the bottom, N times, stopping once the page stops
growing), ``click`` (a selector, again while it is there, up to ``repeat`` times) or
``wait_for`` (a selector). After each step the page is left to *settle*: no request
of its own in flight and its DOM unchanged for the step's ``pause_ms``, so content a
script loads in answer is there before the next step.

`page_steps` turns actions into scrapy-playwright ``PageMethod``\\ s (they run in the
download, before the response body, the rendered DOM, is taken); `browser_meta`
builds the whole request meta, with a capture step (visible text and full-page
screenshot, read back with `captured`). Steps are module-level coroutines with plain
arguments, so requests carrying them can be serialised.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from weakref import WeakKeyDictionary

from playwright.async_api import Error as PlaywrightError
from playwright.async_api import Page
from playwright.async_api import Request as PageRequest
from playwright.async_api import TimeoutError as PlaywrightTimeout
from scrapy_playwright.page import PageMethod

from crawler.sources import Action

__all__ = [
    "GROWTH_PATIENCE_MS",
    "SELECTOR_TIMEOUT_MS",
    "SETTLE_TIMEOUT_MS",
    "PageCapture",
    "browser_meta",
    "capture_page",
    "captured",
    "click",
    "close_page",
    "page_steps",
    "page_text",
    "run_actions",
    "screenshot",
    "scroll",
    "settle",
    "track_network",
    "wait_for",
]

logger = logging.getLogger(__name__)

#: The longest one step waits for the page to settle before going on regardless.
SETTLE_TIMEOUT_MS = 10_000
#: After a scroll, how long to wait for the page to grow when nothing is loading.
GROWTH_PATIENCE_MS = 2_000
#: How long a click or wait_for waits for its selector.
SELECTOR_TIMEOUT_MS = 10_000
#: Even a step with ``pause_ms: 0`` gives the page this long to start loading: a
#: scroll's observer or a click's handler sends its request a frame or two later.
_MIN_QUIET_MS = 200
_POLL_S = 0.05
# Requests that never finish by design; waiting for them would never settle.
_LONG_LIVED = frozenset({"eventsource", "websocket"})

# Resolves true once the DOM has not changed for `quietMs`, false at `timeoutMs`.
_DOM_QUIET_JS = """
async ([quietMs, timeoutMs]) => {
  const start = performance.now();
  let last = start;
  const observer = new MutationObserver(() => { last = performance.now(); });
  observer.observe(document, {subtree: true, childList: true, attributes: true,
                              characterData: true});
  try {
    for (;;) {
      const now = performance.now();
      if (now - last >= quietMs) return true;
      if (now - start >= timeoutMs) return false;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  } finally {
    observer.disconnect();
  }
}
"""
_HEIGHT_JS = "() => document.documentElement.scrollHeight"
_TO_BOTTOM_JS = "() => window.scrollTo(0, document.documentElement.scrollHeight)"


class _InFlight:
    """The requests a page has sent and not yet seen finish or fail."""

    def __init__(self, page: Page) -> None:
        self.pending: set[PageRequest] = set()
        page.on("request", self._sent)
        page.on("requestfinished", self._done)
        page.on("requestfailed", self._done)

    def _sent(self, request: PageRequest) -> None:
        if request.resource_type not in _LONG_LIVED:
            self.pending.add(request)

    def _done(self, request: PageRequest) -> None:
        self.pending.discard(request)


_TRACKED: WeakKeyDictionary[Page, _InFlight] = WeakKeyDictionary()


def _in_flight(page: Page) -> _InFlight:
    tracker = _TRACKED.get(page)
    if tracker is None:
        tracker = _TRACKED[page] = _InFlight(page)
    return tracker


async def track_network(page: Page, request: Any = None) -> None:
    """Start counting the page's requests in flight: a ``playwright_page_init_callback``,
    so the requests the page sends while loading are counted too."""
    _in_flight(page)


async def settle(page: Page, quiet_ms: int, timeout_ms: int = SETTLE_TIMEOUT_MS) -> bool:
    """Wait until no request of the page is in flight and its DOM has not changed for
    `quiet_ms`; False when that did not happen within `timeout_ms` (the caller goes on)."""
    tracker = _in_flight(page)
    deadline = time.monotonic() + timeout_ms / 1000
    while True:
        while tracker.pending:
            if time.monotonic() >= deadline:
                return False
            await asyncio.sleep(_POLL_S)
        left_ms = int((deadline - time.monotonic()) * 1000)
        if left_ms <= 0:
            return False
        try:
            quiet = await page.evaluate(_DOM_QUIET_JS, [quiet_ms, left_ms])
        except PlaywrightError:
            # The page navigated under the step (its context was destroyed).
            try:
                await page.wait_for_load_state(timeout=max(left_ms, 1))
            except PlaywrightError:
                return False
            continue
        if not quiet:
            return False
        if not tracker.pending:
            return True


async def scroll(page: Page, times: int, pause_ms: int = 400) -> int:
    """Scroll to the bottom up to `times` times, letting the page load more after each;
    stops early once the page no longer grows. Returns the scrolls that made it grow."""
    grew = 0
    for _ in range(times):
        before = await page.evaluate(_HEIGHT_JS)
        # A real wheel turn: a page that is not the browser's front tab gets no frames,
        # so no IntersectionObserver callbacks, from a scripted scroll alone.
        await page.mouse.wheel(0, before)
        await page.evaluate(_TO_BOTTOM_JS)
        patience = max(pause_ms, GROWTH_PATIENCE_MS)
        if not await _grows(page, before, patience):
            # A busy machine can miss the moment the end of the feed came into view:
            # move away and back once before deciding the feed has ended.
            await page.mouse.wheel(0, -400)
            await page.mouse.wheel(0, before)
            await page.evaluate(_TO_BOTTOM_JS)
            if not await _grows(page, before, patience):
                break
        grew += 1
        await settle(page, max(pause_ms, _MIN_QUIET_MS))
    return grew


async def _grows(page: Page, height: int, patience_ms: int) -> bool:
    """Whether the page grows past `height`: waited for while a request of the page is in
    flight, or for `patience_ms` (a busy browser may take a while to even start one)."""
    tracker = _in_flight(page)
    start = time.monotonic()
    while True:
        if await page.evaluate(_HEIGHT_JS) > height:
            return True
        waited_ms = (time.monotonic() - start) * 1000
        if waited_ms >= SETTLE_TIMEOUT_MS or (waited_ms >= patience_ms and not tracker.pending):
            return False
        await asyncio.sleep(_POLL_S * 2)


async def click(page: Page, selector: str, repeat: int = 1, pause_ms: int = 400) -> int:
    """Click the first match of `selector` while one is visible, up to `repeat` times,
    letting the page settle after each click. Returns the number of clicks."""
    clicks = 0
    for _ in range(repeat):
        target = page.locator(selector).first
        if not await target.is_visible():
            break
        try:
            # Waits for the button to be enabled again (sites disable it while loading).
            await target.click(timeout=SELECTOR_TIMEOUT_MS)
        except PlaywrightTimeout:
            logger.warning("could not click %r on %s: gave up after a timeout", selector, page.url)
            break
        clicks += 1
        await settle(page, max(pause_ms, _MIN_QUIET_MS))
    return clicks


async def wait_for(page: Page, selector: str, pause_ms: int = 400) -> bool:
    """Wait for `selector` to be visible; False (logged) when it never shows, so that a
    page showing something else (a "removed" notice) can still be read."""
    try:
        await page.wait_for_selector(selector, timeout=SELECTOR_TIMEOUT_MS)
    except PlaywrightTimeout:
        logger.warning("%r did not appear on %s", selector, page.url)
        return False
    await settle(page, pause_ms)
    return True


async def run_actions(page: Page, actions: Sequence[Action]) -> None:
    """Run `actions` on `page`, in order (the same steps `page_steps` schedules)."""
    for action in actions:
        step = _step(action)
        await step.method(page, *step.args)


def _step(action: Action) -> PageMethod:
    if action.scroll is not None:
        return PageMethod(scroll, action.scroll, action.pause_ms)
    if action.click is not None:
        return PageMethod(click, action.click, action.repeat, action.pause_ms)
    if action.wait_for is not None:
        return PageMethod(wait_for, action.wait_for, action.pause_ms)
    raise ValueError(f"an action needs one of scroll, click or wait_for: {action!r}")


def page_steps(actions: Sequence[Action]) -> list[PageMethod]:
    """scrapy-playwright page methods (``playwright_page_methods``) running `actions`;
    new objects each call, since a page method keeps its result."""
    return [_step(action) for action in actions]


def browser_meta(
    actions: Sequence[Action], *, capture: bool = False, include_page: bool = True
) -> dict[str, Any]:
    """Request meta that renders the page in the browser and runs `actions` on it before
    the response is made; with `capture`, then takes its visible text and a screenshot
    (read them with `captured`).

    Everything happens inside the download, so the source's concurrency bounds the
    pages open at once. With `include_page` the callback gets the page
    (``response.meta["playwright_page"]``) and must close it (`close_page`), also from
    its errback.
    """
    methods = {f"step-{n}": step for n, step in enumerate(page_steps(actions))}
    if capture:
        methods[_CAPTURE] = PageMethod(capture_page)
    return {
        "playwright": True,
        "playwright_include_page": include_page,
        "playwright_page_init_callback": track_network,
        "playwright_page_methods": methods,
    }


@dataclass(frozen=True)
class PageCapture:
    """What a page showed once its steps had run."""

    text: str | None
    screenshot: bytes | None  # PNG


_CAPTURE = "capture"


async def screenshot(page: Page, timeout_ms: int = 30_000) -> bytes:
    """A PNG of the whole page, not just the viewport."""
    return await page.screenshot(full_page=True, type="png", timeout=timeout_ms)


async def page_text(page: Page) -> str:
    """The text of the page as it shows: what is hidden by CSS left out, lines kept."""
    return await page.inner_text("body")


async def capture_page(page: Page) -> PageCapture:
    """The page's visible text and a full-page screenshot; a part that fails is None
    (logged), since a page without a picture is still worth reading."""
    text: str | None = None
    shot: bytes | None = None
    try:
        text = await page_text(page)
        shot = await screenshot(page)
    except PlaywrightError as exc:
        logger.warning("could not capture %s: %s", page.url, exc)
    return PageCapture(text, shot)


def captured(meta: Mapping[str, Any]) -> PageCapture | None:
    """The `PageCapture` taken for a request made with ``browser_meta(..., capture=True)``."""
    methods = meta.get("playwright_page_methods")
    step = methods.get(_CAPTURE) if isinstance(methods, dict) else None
    result = getattr(step, "result", None)
    return result if isinstance(result, PageCapture) else None


async def close_page(page: Any) -> None:
    """Close a page handed to a callback; anything else (None, closed) is left alone."""
    if isinstance(page, Page) and not page.is_closed():
        try:
            await page.close()
        except PlaywrightError as exc:  # the browser went away first
            logger.debug("closing a page failed: %s", exc)


# -- what a page may fetch by itself

_PAGE_SCHEMES = frozenset({"http", "https", "data", "blob", "about"})
_host_verdicts: dict[str, bool] = {}  # host -> public; DNS answers, cached per process


async def refuse_private_requests(request: PageRequest) -> bool:
    """``PLAYWRIGHT_ABORT_REQUEST`` for sources without ``allow_private``: True (abort)
    for requests a page makes to private, loopback or link-local hosts, or with an
    unusual scheme.

    The requests a page makes itself (XHR, images, frames) go from Chromium straight
    to the network, past every Scrapy middleware, so the address guard is repeated
    here: a hostile page must not make the crawler reach its own network.
    """
    from urllib.parse import urlsplit

    from crawler.middlewares import is_public_address

    parts = urlsplit(request.url)
    if parts.scheme not in _PAGE_SCHEMES:
        return True
    if parts.scheme not in ("http", "https"):
        return False
    host = parts.hostname or ""
    if host not in _host_verdicts:
        loop = asyncio.get_running_loop()
        try:
            infos = await loop.getaddrinfo(host, None)
        except OSError:
            return False  # unresolvable: the request fails by itself
        _host_verdicts[host] = all(is_public_address(str(i[4][0])) for i in infos)
    if not _host_verdicts[host]:
        logger.warning("page request to a non-public host refused: %s", request.url[:200])
        return True
    return False
