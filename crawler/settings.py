"""Default Scrapy settings for every wildwatch crawl, in one place.

The app layer starts from these, adds its item pipeline by dotted path, and lets a
source override its own delay and concurrency on the spider.
"""

from __future__ import annotations

from typing import Any

from crawler.sources import SourceConfig

__all__ = ["CRAWLER_VERSION", "USER_AGENT", "default_settings", "settings_for_source"]

CRAWLER_VERSION = "wildwatch-crawler/0.1.0"
USER_AGENT = f"{CRAWLER_VERSION} (+research crawler; obeys robots.txt)"


def default_settings() -> dict[str, Any]:
    """A fresh dict of settings; callers may change their copy freely."""
    return {
        "BOT_NAME": "wildwatch",
        "USER_AGENT": USER_AGENT,
        # Politeness: robots.txt obeyed, one second between requests to a host unless a
        # source says otherwise, few parallel requests per host.
        "ROBOTSTXT_OBEY": True,
        "DOWNLOAD_DELAY": 1.0,
        "DOWNLOAD_DELAY_JITTER": 0.5,
        "CONCURRENT_REQUESTS": 16,
        "CONCURRENT_REQUESTS_PER_DOMAIN": 2,
        "RETRY_TIMES": 2,
        "DOWNLOAD_TIMEOUT": 30,
        # Listing pages are hostile input: refuse anything unreasonably large.
        "DOWNLOAD_MAXSIZE": 8 * 1024 * 1024,
        "DOWNLOAD_WARNSIZE": 2 * 1024 * 1024,
        "COOKIES_ENABLED": False,
        "TELNETCONSOLE_ENABLED": False,
        "LOG_LEVEL": "WARNING",
        "WILDWATCH_CRAWLER_VERSION": CRAWLER_VERSION,
    }


def settings_for_source(source: SourceConfig) -> dict[str, Any]:
    """Defaults with the source's own politeness applied (one crawler crawls one source)."""
    settings = default_settings()
    settings["DOWNLOAD_DELAY"] = source.download_delay
    settings["CONCURRENT_REQUESTS_PER_DOMAIN"] = source.concurrency
    return settings
