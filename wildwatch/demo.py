"""The main job: start the sandbox, crawl it, classify, index, cluster, and report."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from crawler.sources import load_sources
from indexer import Database, ListingStore
from indexer.clusters import update_clusters
from sandbox import SandboxServer
from wildwatch.classifier import active_head_path
from wildwatch.config import AppConfig, default_sources_file
from wildwatch.crawl import run_crawl
from wildwatch.search_index import IndexSettings, sync

__all__ = ["DEMO_SOURCE", "DemoSummary", "crawl_sandbox"]

DEMO_SOURCE = "sandbox-bazaar"


@dataclass(frozen=True)
class DemoSummary:
    """What the demo crawl did, next to what the store now holds for the sandbox."""

    crawled: int
    unchanged: int
    flagged: int
    evidence: int
    db: str
    store_listings: int
    store_flagged: int
    by_tier: dict[str, int]
    pages: int
    errors: int
    seconds: float
    sandbox_url: str
    repost_clusters: int
    seller_clusters: int
    tied_accounts: int

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def crawl_sandbox(
    config: AppConfig, sandbox: SandboxServer, *, screenshots: bool = True
) -> DemoSummary:
    """Crawl the running sandbox marketplace into the store in `config`, keeping
    evidence of every flagged listing (with a screenshot unless told not to), then
    bring repost and seller clusters up to date so the review app shows them (the
    scheduler does that hourly)."""
    source = load_sources(default_sources_file())[DEMO_SOURCE]
    [report] = run_crawl(
        [source],
        config.database_url,
        evidence_dir=config.evidence_dir,
        base_url=sandbox.url,
        head_path=active_head_path(config),
        settings={"WILDWATCH_SCREENSHOTS": screenshots},
    )
    index = IndexSettings.from_env()
    database = Database(config.database_url, search_outbox=index.external)
    try:
        with database.session() as session:
            clusters = update_clusters(session)
        sync(database, index)
        with database.session() as session:
            counts = ListingStore(session).counts(platform=source.platform)
    finally:
        database.dispose()
    return DemoSummary(
        crawled=report.stored,
        unchanged=report.unchanged,
        flagged=report.flagged,
        evidence=report.evidence,
        db=str(config.database_path),
        store_listings=counts.listings,
        store_flagged=counts.flagged,
        by_tier=counts.by_tier,
        pages=report.pages,
        errors=report.errors,
        seconds=report.seconds,
        sandbox_url=sandbox.url,
        repost_clusters=clusters.reposts.clusters,
        seller_clusters=clusters.sellers.clusters,
        tied_accounts=clusters.sellers.tied_accounts,
    )
