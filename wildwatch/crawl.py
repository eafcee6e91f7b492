"""Runs crawls in this process, with classification, evidence and storage wired in."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from crawler.runner import SourceRun, crawl
from crawler.sources import SourceBase

__all__ = ["PIPELINE", "CrawlReport", "run_crawl"]

logger = logging.getLogger(__name__)

PIPELINE = "wildwatch.pipelines.ClassifyAndStorePipeline"


@dataclass(frozen=True)
class CrawlReport:
    """What one crawl of one source did, read from the crawler's stats."""

    source: str
    pages: int
    listings: int
    stored: int
    new: int
    changed: int
    unchanged: int
    flagged: int
    evidence: int
    blocked: int
    removed: int
    dropped: int
    errors: int
    robots_forbidden: int
    finish_reason: str
    seconds: float
    blocked_by_kind: dict[str, int] = field(default_factory=dict)

    @classmethod
    def from_run(cls, run: SourceRun) -> CrawlReport:
        count = run.count
        stats = run.stats
        return cls(
            source=run.source,
            pages=count("response_received_count"),
            listings=count("wildwatch/listings"),
            stored=count("wildwatch/stored"),
            new=count("wildwatch/new"),
            changed=count("wildwatch/changed"),
            unchanged=count("wildwatch/skipped/not_due") + count("wildwatch/unchanged"),
            flagged=count("wildwatch/flagged"),
            evidence=count("wildwatch/evidence"),
            blocked=count("wildwatch/blocked"),
            removed=count("wildwatch/removed"),
            dropped=sum(int(v) for k, v in stats.items() if k.startswith("wildwatch/dropped/")),
            errors=count("log_count/ERROR"),
            robots_forbidden=count("robotstxt/forbidden"),
            finish_reason=run.finish_reason,
            seconds=run.seconds,
            blocked_by_kind={
                k.rsplit("/", 1)[1]: int(v)
                for k, v in stats.items()
                if k.startswith("wildwatch/blocked/")
            },
        )


def run_crawl(
    sources: Sequence[SourceBase],
    database_url: str,
    *,
    evidence_dir: Path | None = None,
    base_url: str | None = None,
    head_path: Path | None = None,
    settings: Mapping[str, Any] | None = None,
    recheck: Mapping[str, Sequence[tuple[str, str]]] | None = None,
) -> list[CrawlReport]:
    """Crawl `sources` to the end (in parallel), classifying and storing every listing.

    The crawl state (pages seen, pauses, budgets, health) lives in the same database.
    With `recheck` (source name -> listing ids and URLs) only those listings are
    fetched, to verify takedowns. Twisted's reactor cannot be restarted, so this
    runs once per process.
    """
    merged: dict[str, Any] = {
        "ITEM_PIPELINES": {PIPELINE: 300},
        "WILDWATCH_DATABASE_URL": database_url,
        "WILDWATCH_STATE_URL": database_url,
    }
    if evidence_dir is not None:
        merged["WILDWATCH_EVIDENCE_DIR"] = str(evidence_dir)
    if head_path is not None:
        merged["WILDWATCH_HEAD_PATH"] = str(head_path)
    merged.update(settings or {})
    runs = crawl(
        sources,
        base_url=base_url,
        settings=merged,
        spider_kwargs_for={name: {"recheck": list(urls)} for name, urls in (recheck or {}).items()},
    )
    return [CrawlReport.from_run(run) for run in runs]
