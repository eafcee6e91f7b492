"""Scrapy item pipeline that classifies each crawled listing, keeps evidence of the
flagged ones, and writes it to the store.

It lives in the app layer because it wires three stages together; the crawl runner
registers it in the crawler's settings by dotted path.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self

from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from sqlalchemy.orm import Session

from classifiers.wildlife import SHIPPED_HEAD, WildlifeClassifier
from crawler.evidence import EvidenceStore
from crawler.items import CrawledListing, Gone
from crawler.listing import Listing
from indexer import Database, ListingStore
from indexer.errors import SearchIndexUnavailable
from indexer.saved_searches import Alert
from indexer.search import SearchBackend
from indexer.search.alerts import match_saved_searches
from indexer.search.outbox import OutboxRelay
from indexer.search.sqlite import SqliteBackend

if TYPE_CHECKING:
    from indexer.search.elastic import ElasticBackend
from wildwatch.search_index import IndexSettings

__all__ = ["ClassifyAndStorePipeline"]

logger = logging.getLogger(__name__)


class ClassifyAndStorePipeline:
    """Scores every listing, captures evidence when it is flagged, and saves it.

    Settings: ``WILDWATCH_DATABASE_URL`` (required), ``WILDWATCH_HEAD_PATH`` (the
    classifier head; the shipped one by default), ``WILDWATCH_EVIDENCE_DIR`` (where
    evidence goes; none is kept without it), ``WILDWATCH_SCREENSHOTS`` (take a
    screenshot of flagged pages that the crawl fetched without a browser; on by
    default). Stats: ``wildwatch/stored``, ``wildwatch/new``, ``wildwatch/changed``,
    ``wildwatch/flagged``, ``wildwatch/tier/<tier>``, ``wildwatch/evidence``,
    ``wildwatch/removed``, ``wildwatch/alerts`` (saved searches matched).
    """

    def __init__(
        self,
        database_url: str,
        stats: Any,
        classifier: WildlifeClassifier,
        evidence: EvidenceStore | None = None,
        *,
        screenshots: bool = True,
        index: IndexSettings | None = None,
    ) -> None:
        self.database_url = database_url
        self.index = index or IndexSettings()
        self.stats = stats
        self.classifier = classifier
        self.evidence = evidence
        self.screenshots = screenshots
        self.database: Database | None = None
        self._elastic: ElasticBackend | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        settings = crawler.settings
        url = settings.get("WILDWATCH_DATABASE_URL")
        if not url:
            raise NotConfigured("WILDWATCH_DATABASE_URL is not set")
        head = Path(settings.get("WILDWATCH_HEAD_PATH") or SHIPPED_HEAD)
        evidence_dir = settings.get("WILDWATCH_EVIDENCE_DIR")
        return cls(
            url,
            crawler.stats,
            _classifier(head),
            EvidenceStore(Path(evidence_dir)) if evidence_dir else None,
            screenshots=settings.getbool("WILDWATCH_SCREENSHOTS", True),
            index=IndexSettings.from_env(),
        )

    def open_spider(self) -> None:
        self.database = Database(self.database_url, search_outbox=self.index.external)
        self.database.create_schema()
        self._elastic = self.index.elastic() if self.index.external else None

    async def close_spider(self) -> None:
        if self.evidence is not None:
            await self.evidence.aclose()
        if self.database is not None:
            self._replay_outbox()
            self.database.dispose()

    def _replay_outbox(self) -> None:
        """Send this crawl's changes to Elasticsearch; when it is down they wait."""
        if self._elastic is None or self.database is None:
            return
        report = OutboxRelay(self.database, self._elastic).drain()
        self.stats.set_value("wildwatch/index/sent", report.sent)
        self.stats.set_value("wildwatch/index/pending", report.pending)

    async def process_item(self, item: Any) -> Any:
        if self.database is None:
            return item
        if isinstance(item, Gone):
            self._record_gone(item)
        elif isinstance(item, CrawledListing):
            await self._store(item)
        elif isinstance(item, Listing):
            await self._store(CrawledListing(item))
        return item

    async def _store(self, item: CrawledListing) -> None:
        assert self.database is not None
        listing = item.listing
        result = self.classifier.classify(
            listing.title,
            listing.description,
            lang=listing.language,
            price=listing.price,
            currency=listing.currency,
        )
        listing.classification = result
        if result.flagged and self.evidence is not None and item.capture is not None:
            # Captured before the listing is stored, so a stored flagged listing
            # always has its evidence; files are content-addressed and write-once.
            listing.evidence = await self.evidence.capture(
                listing, item.capture, screenshot=self.screenshots
            )
            self.stats.inc_value("wildwatch/evidence")
        # One transaction per listing: a crawl killed halfway keeps what it stored.
        with self.database.session() as session:
            store = ListingStore(session)
            outcome = store.save(listing)
            if item.rechecked:
                store.mark_checked(listing.id, at=datetime.now(UTC))
            if outcome.created or outcome.changed:
                alerts = self._match_saved_searches(session, listing.id)
                self.stats.inc_value("wildwatch/alerts", len(alerts))
        self.stats.inc_value("wildwatch/stored")
        self.stats.inc_value(f"wildwatch/tier/{result.tier}")
        if outcome.created:
            self.stats.inc_value("wildwatch/new")
        elif outcome.changed:
            self.stats.inc_value("wildwatch/changed")
        if result.flagged:
            self.stats.inc_value("wildwatch/flagged")

    def _match_saved_searches(self, session: Session, listing_id: str) -> list[Alert]:
        backend: SearchBackend | None = self._elastic
        if backend is None:
            if session.get_bind().dialect.name != "sqlite":
                return []  # a server store searches through Elasticsearch only
            backend = SqliteBackend(session)
        try:
            return match_saved_searches(session, backend, [listing_id])
        except SearchIndexUnavailable as exc:
            # The listing is stored and queued; its alerts come when the index is back.
            logger.warning("saved searches not run for %s: %s", listing_id, exc)
            return []

    def _record_gone(self, gone: Gone) -> None:
        assert self.database is not None
        with self.database.session() as session:
            known = ListingStore(session).mark_checked(
                gone.listing_id,
                at=gone.checked_at,
                removed=True,
                status=gone.status,
                reason=gone.reason,
            )
        if known:
            self.stats.inc_value("wildwatch/removed")
            logger.info(
                "listing %s is gone (%s) since %s", gone.listing_id, gone.reason, gone.checked_at
            )


@lru_cache(maxsize=2)
def _classifier(head: Path) -> WildlifeClassifier:
    # Loading the encoder takes seconds; one crawl process may run several crawlers.
    return WildlifeClassifier(head)
