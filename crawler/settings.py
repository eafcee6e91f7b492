"""Scrapy settings for wildwatch crawls, in one place.

`settings_for_source` turns one source's configuration into the settings of the
crawler that crawls it: politeness, safety, session, browser. The app layer adds its
item pipeline by dotted path and the state database URL.
"""

from __future__ import annotations

from typing import Any

from crawler.sources import SourceBase

__all__ = [
    "BROWSER_ARGS",
    "CHROMIUM",
    "CRAWLER_VERSION",
    "USER_AGENT",
    "default_settings",
    "settings_for_source",
]

CRAWLER_VERSION = "wildwatch-crawler/0.2.0"
USER_AGENT = f"{CRAWLER_VERSION} (+research crawler; obeys robots.txt)"
CHROMIUM = "/usr/bin/chromium"
# Without the network flags Chromium calls home, which a closed network punishes.
BROWSER_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)

_MIDDLEWARES = "crawler.middlewares"


def default_settings() -> dict[str, Any]:
    """A fresh dict of settings; callers may change their copy freely."""
    return {
        "BOT_NAME": "wildwatch",
        "USER_AGENT": USER_AGENT,
        # Politeness: robots.txt obeyed (Protego), one second between requests to a
        # host unless a source says otherwise, few parallel requests per host.
        "ROBOTSTXT_OBEY": True,
        "ROBOTSTXT_PARSER": "scrapy.robotstxt.ProtegoRobotParser",
        "DOWNLOAD_DELAY": 1.0,
        "DOWNLOAD_DELAY_JITTER": 0.5,
        "CONCURRENT_REQUESTS": 16,
        "CONCURRENT_REQUESTS_PER_DOMAIN": 2,
        "DOWNLOAD_TIMEOUT": 30,
        # Listing pages are hostile input: refuse anything unreasonably large.
        "DOWNLOAD_MAXSIZE": 8 * 1024 * 1024,
        "DOWNLOAD_WARNSIZE": 2 * 1024 * 1024,
        "COOKIES_ENABLED": False,
        "TELNETCONSOLE_ENABLED": False,
        "LOG_LEVEL": "WARNING",
        # Scrapy's retry middleware retries at once; ours backs off and honours
        # Retry-After (crawler/middlewares.py).
        "RETRY_ENABLED": False,
        "WILDWATCH_RETRY_TIMES": 3,
        "WILDWATCH_BACKOFF": 2.0,
        "WILDWATCH_MAX_RETRY_AFTER": 600.0,
        "DOWNLOADER_MIDDLEWARES": {
            f"{_MIDDLEWARES}.AddressGuardMiddleware": 50,
            f"{_MIDDLEWARES}.DailyBudgetMiddleware": 60,
            f"{_MIDDLEWARES}.IncrementalMiddleware": 70,
            f"{_MIDDLEWARES}.FetchTimeMiddleware": 80,
            f"{_MIDDLEWARES}.PoliteRetryMiddleware": 550,
            "crawler.blocks.BlockDetectionMiddleware": 560,
            # Next to the downloader: it must see every answer before anything else.
            f"{_MIDDLEWARES}.HostGateMiddleware": 950,
        },
        "EXTENSIONS": {"crawler.health.CrawlHealthExtension": 500},
        # Listing photos hashed for repost detection (crawler/photos.py). In the base
        # list, so it runs whatever pipelines a caller sets, and before them (the app's
        # classify-and-store pipeline is at 300).
        "ITEM_PIPELINES_BASE": {"crawler.photos.PhotoHashPipeline": 200},
        "WILDWATCH_PHOTOS_MAX": 2,
        "WILDWATCH_PHOTOS_MAX_BYTES": 5 * 1024 * 1024,
        "WILDWATCH_CRAWLER_VERSION": CRAWLER_VERSION,
        "WILDWATCH_ALLOW_PRIVATE": False,
    }


def settings_for_source(source: SourceBase) -> dict[str, Any]:
    """Defaults with the source's own politeness, safety, session and browser applied
    (one crawler crawls one source)."""
    settings = default_settings()
    polite = source.politeness
    settings["ROBOTSTXT_OBEY"] = polite.obey_robots
    settings["DOWNLOAD_DELAY"] = polite.download_delay
    settings["CONCURRENT_REQUESTS_PER_DOMAIN"] = polite.concurrency
    # One crawler crawls one source: a larger total would only queue requests in the
    # downloader, past the middlewares, where a pause can no longer stop them.
    settings["CONCURRENT_REQUESTS"] = polite.concurrency
    settings["WILDWATCH_RETRY_TIMES"] = polite.retries
    settings["WILDWATCH_BACKOFF"] = polite.backoff
    settings["WILDWATCH_MAX_RETRY_AFTER"] = polite.max_retry_after
    settings["WILDWATCH_DAILY_BUDGET"] = polite.daily_budget
    settings["WILDWATCH_PAUSE_AFTER_BLOCKS"] = polite.pause_after_blocks
    settings["WILDWATCH_PAUSE_FOR"] = polite.pause_for.total_seconds()
    settings["WILDWATCH_ALLOW_PRIVATE"] = source.allow_private
    settings["WILDWATCH_REVISIT_LISTINGS"] = source.revisit.listings.total_seconds()
    settings["DOWNLOAD_MAXSIZE"] = source.max_bytes
    settings["WILDWATCH_PHOTOS_MAX"] = source.photos.max
    settings["DOWNLOAD_WARNSIZE"] = min(source.max_bytes, settings["DOWNLOAD_WARNSIZE"])
    settings["COOKIES_ENABLED"] = source.session is not None
    if source.browser:
        settings.update(browser_settings())
        if not source.allow_private:
            settings["PLAYWRIGHT_ABORT_REQUEST"] = "crawler.browser.refuse_private_requests"
    return settings


def browser_settings() -> dict[str, Any]:
    """scrapy-playwright with the system's Chromium (no browser download)."""
    handler = "scrapy_playwright.handler.ScrapyPlaywrightDownloadHandler"
    return {
        "DOWNLOAD_HANDLERS": {"http": handler, "https": handler},
        "TWISTED_REACTOR": "twisted.internet.asyncioreactor.AsyncioSelectorReactor",
        "PLAYWRIGHT_BROWSER_TYPE": "chromium",
        "PLAYWRIGHT_LAUNCH_OPTIONS": {
            "executable_path": CHROMIUM,
            "headless": True,
            "args": list(BROWSER_ARGS),
        },
        # Only requests with meta "playwright" go through the browser; robots.txt
        # and JSON requests take the plain HTTP path.
        "PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT": 30_000,
    }
