"""Crawl health: what each run of a source did, kept, and compared with earlier runs.

A marketplace that changes its layout does not fail loudly: the crawl "succeeds" with
no prices, or with a tenth of the listings. `CrawlHealthExtension` records per run
the pages, listings, new, changed, blocked, errors and the share of listings that
had each field, and reports a drop against the previous runs.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from statistics import median
from typing import Any, Self

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

from crawler.spiders.base import LISTING_FIELDS
from crawler.state import CrawlState, RunRecord

__all__ = ["CrawlHealthExtension", "compare_runs", "run_counts"]

logger = logging.getLogger(__name__)

#: A run is reported when it reads fewer than this share of the listings the
#: previous runs read (median), or a field's coverage falls by this many points.
LISTINGS_DROP = 0.5
COVERAGE_DROP = 0.3
HISTORY = 5


def run_counts(stats: dict[str, Any]) -> dict[str, int]:
    """The health counts of one run, from its Scrapy stats."""

    def n(key: str) -> int:
        return int(stats.get(key, 0) or 0)

    errors = n("log_count/ERROR") + n("wildwatch/retry/gave_up") + n("wildwatch/errors")
    return {
        "pages": n("response_received_count"),
        "listings": n("wildwatch/listings"),
        "new": n("wildwatch/new"),
        "changed": n("wildwatch/changed"),
        "unchanged": n("wildwatch/skipped/not_due") + n("wildwatch/unchanged"),
        "blocked": n("wildwatch/blocked"),
        "gone": n("wildwatch/gone"),
        "errors": errors,
        "dropped": sum(int(v) for k, v in stats.items() if k.startswith("wildwatch/dropped/")),
    }


def compare_runs(
    counts: dict[str, int], coverage: dict[str, float], previous: list[RunRecord]
) -> list[str]:
    """Warnings for this run against the previous completed ones (newest first)."""
    done = [r for r in previous if r.finish_reason == "finished"][:HISTORY]
    if not done:
        return []
    warnings = []
    seen = counts["listings"] + counts["unchanged"]
    before = median(r.counts.get("listings", 0) + r.counts.get("unchanged", 0) for r in done)
    if before >= 5 and seen < LISTINGS_DROP * before:
        warnings.append(
            f"listings dropped: {seen} seen this run against a median of {before:g} "
            f"over the previous {len(done)} runs"
        )
    if counts["listings"] >= 5:
        for name in LISTING_FIELDS:
            earlier = [r.coverage[name] for r in done if name in r.coverage]
            if not earlier:
                continue
            was, now = median(earlier), coverage.get(name, 0.0)
            if was - now >= COVERAGE_DROP:
                warnings.append(
                    f"field {name} found on {now:.0%} of listings, {was:.0%} before "
                    "(has the page layout changed?)"
                )
    if counts["blocked"] and counts["blocked"] >= counts["pages"] / 2:
        warnings.append(f"{counts['blocked']} of {counts['pages']} pages were blocked")
    return warnings


class CrawlHealthExtension:
    """Stores each run's health in the crawl state and logs drops (needs the state)."""

    def __init__(self, crawler: Crawler, state: CrawlState) -> None:
        self.crawler = crawler
        self.state = state
        self.started = datetime.now(UTC)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        state = CrawlState.from_settings(crawler.settings)
        if state is None:
            raise NotConfigured("no crawl state to keep health in")
        extension = cls(crawler, state)
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def spider_opened(self) -> None:
        self.started = datetime.now(UTC)

    def spider_closed(self, reason: str) -> None:
        if getattr(self.crawler.spider, "recheck", None):
            return  # a takedown re-check is not a crawl: its counts would read as a drop
        stats = self.crawler.stats.get_stats() if self.crawler.stats else {}
        counts = run_counts(stats)
        listings = counts["listings"]
        coverage = (
            {
                name: round(int(stats.get(f"wildwatch/field/{name}", 0)) / listings, 4)
                for name in LISTING_FIELDS
            }
            if listings
            else {}
        )
        source = getattr(getattr(self.crawler.spider, "source", None), "name", None)
        source = str(source or getattr(self.crawler.spider, "name", "unknown"))
        warnings = compare_runs(counts, coverage, self.state.runs(source, limit=HISTORY))
        for warning in warnings:
            logger.warning("source %s: %s", source, warning)
        if self.crawler.stats is not None:
            self.crawler.stats.set_value("wildwatch/health/warnings", len(warnings))
        self.state.record_run(
            RunRecord(
                source=source,
                started_at=self.started,
                finished_at=datetime.now(UTC),
                finish_reason=reason,
                counts=counts,
                coverage=coverage,
                warnings=warnings,
            )
        )
