"""Runs crawls of configured sources in this process (one crawler per source).

Twisted's reactor cannot be restarted, so `crawl` runs once per process; the CLI and
the tests start a process per crawl.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from scrapy.crawler import Crawler, CrawlerProcess
from scrapy.settings import Settings

from crawler.distributed import with_shared_frontier
from crawler.settings import settings_for_source
from crawler.sources import SourceBase
from crawler.spiders import spider_class

__all__ = ["SourceRun", "crawl"]


@dataclass
class SourceRun:
    """One source's crawl: its final stats."""

    source: str
    stats: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0

    def count(self, key: str) -> int:
        return int(self.stats.get(key, 0) or 0)

    @property
    def finish_reason(self) -> str:
        return str(self.stats.get("finish_reason", "unknown"))


def crawl(
    sources: Sequence[SourceBase],
    *,
    base_url: str | None = None,
    settings: dict[str, Any] | None = None,
    spider_kwargs: dict[str, Any] | None = None,
    spider_kwargs_for: dict[str, dict[str, Any]] | None = None,
) -> list[SourceRun]:
    """Crawl every source to the end, in parallel, and return each one's stats.

    `settings` are laid over each source's own (pipelines, the state database URL);
    `spider_kwargs` go to every spider, `spider_kwargs_for` to one source's.
    """
    if not sources:
        return []
    first = settings_for_source(sources[0])
    first.update(settings or {})
    first["LOG_INSTALL_ROOT_HANDLER"] = False  # the caller owns logging
    # At default priority, so that each crawler keeps its own source's settings.
    process = CrawlerProcess(Settings(first, priority="default"))
    crawlers: list[tuple[SourceBase, Crawler]] = []
    for number, source in enumerate(sources):
        merged = settings_for_source(source)
        merged.update(settings or {})
        # WILDWATCH_REDIS_URL: share the source's frontier with other processes.
        merged = with_shared_frontier(merged, source.name)
        merged["LOG_INSTALL_ROOT_HANDLER"] = False
        if any(s.browser for s in sources):
            # One reactor per process: the browser's asyncio reactor for all.
            merged["TWISTED_REACTOR"] = first.get("TWISTED_REACTOR") or merged.get(
                "TWISTED_REACTOR"
            )
        # Each crawler has its own settings; the first one installs the reactor.
        crawler = Crawler(spider_class(source.kind), merged, init_reactor=number == 0)
        kwargs = {
            "base_url": base_url,
            **(spider_kwargs or {}),
            **(spider_kwargs_for or {}).get(source.name, {}),
        }
        process.crawl(crawler, source=source, **kwargs)
        crawlers.append((source, crawler))
    started = time.monotonic()
    process.start()
    elapsed = round(time.monotonic() - started, 2)
    return [
        SourceRun(s.name, dict(c.stats.get_stats()) if c.stats else {}, elapsed)
        for s, c in crawlers
    ]
