"""Runs one crawl of a source in this process, with classification and storage wired in."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scrapy.crawler import CrawlerProcess

from crawler.settings import settings_for_source
from crawler.sources import SourceConfig
from crawler.spiders import MarketplaceSpider

__all__ = ["CrawlReport", "run_crawl"]

logger = logging.getLogger(__name__)

PIPELINE = "wildwatch.pipelines.ClassifyAndStorePipeline"


@dataclass(frozen=True)
class CrawlReport:
    """What one crawl did, read from the crawler's stats."""

    source: str
    pages: int
    listings: int
    stored: int
    new: int
    flagged: int
    dropped: int
    errors: int
    robots_forbidden: int
    finish_reason: str
    seconds: float


def run_crawl(
    source: SourceConfig,
    database_url: str,
    *,
    base_url: str | None = None,
    head_path: Path | None = None,
    settings: dict[str, Any] | None = None,
) -> CrawlReport:
    """Crawl `source` to the end, classifying and storing every listing.

    Twisted's reactor cannot be restarted, so this runs once per process.
    """
    merged = settings_for_source(source)
    merged["ITEM_PIPELINES"] = {PIPELINE: 300}
    merged["WILDWATCH_DATABASE_URL"] = database_url
    if head_path is not None:
        merged["WILDWATCH_HEAD_PATH"] = str(head_path)
    merged.update(settings or {})
    # The CLI owns logging; Scrapy must not add a second root handler.
    merged["LOG_INSTALL_ROOT_HANDLER"] = False
    process = CrawlerProcess(merged)
    crawler = process.create_crawler(MarketplaceSpider)
    started = time.monotonic()
    process.crawl(crawler, source=source, base_url=base_url)
    process.start()
    stats: dict[str, Any] = crawler.stats.get_stats() if crawler.stats else {}

    def count(key: str) -> int:
        return int(stats.get(key, 0))

    return CrawlReport(
        source=source.name,
        pages=count("response_received_count"),
        listings=count("wildwatch/listings"),
        stored=count("wildwatch/stored"),
        new=count("wildwatch/new"),
        flagged=count("wildwatch/flagged"),
        dropped=sum(int(v) for k, v in stats.items() if k.startswith("wildwatch/dropped/")),
        errors=count("log_count/ERROR"),
        robots_forbidden=count("robotstxt/forbidden"),
        finish_reason=str(stats.get("finish_reason", "unknown")),
        seconds=round(time.monotonic() - started, 2),
    )
