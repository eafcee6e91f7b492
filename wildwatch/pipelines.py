"""Scrapy item pipeline that classifies each crawled listing and writes it to the store.

It lives in the app layer because it wires three stages together; the crawl runner
registers it in the crawler's settings by dotted path.
"""

from __future__ import annotations

import logging
from functools import lru_cache
from pathlib import Path
from typing import Any, Self

from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

from classifiers.wildlife import SHIPPED_HEAD, WildlifeClassifier
from crawler.listing import Listing
from indexer import Database, ListingStore

__all__ = ["ClassifyAndStorePipeline"]

logger = logging.getLogger(__name__)


class ClassifyAndStorePipeline:
    """Scores every `Listing` item and saves it with its classification.

    Settings: ``WILDWATCH_DATABASE_URL`` (required), ``WILDWATCH_HEAD_PATH`` (the
    classifier head; the shipped one by default). Stats: ``wildwatch/stored``,
    ``wildwatch/new``, ``wildwatch/changed``, ``wildwatch/flagged``,
    ``wildwatch/tier/<tier>``.
    """

    def __init__(self, database_url: str, stats: Any, classifier: WildlifeClassifier) -> None:
        self.database_url = database_url
        self.stats = stats
        self.classifier = classifier
        self.database: Database | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        url = crawler.settings.get("WILDWATCH_DATABASE_URL")
        if not url:
            raise NotConfigured("WILDWATCH_DATABASE_URL is not set")
        head = Path(crawler.settings.get("WILDWATCH_HEAD_PATH") or SHIPPED_HEAD)
        return cls(url, crawler.stats, _classifier(head))

    def open_spider(self) -> None:
        self.database = Database(self.database_url)
        self.database.create_schema()

    def close_spider(self) -> None:
        if self.database is not None:
            self.database.dispose()

    def process_item(self, item: Any) -> Any:
        if not isinstance(item, Listing) or self.database is None:
            return item
        result = self.classifier.classify(
            item.title,
            item.description,
            lang=item.language,
            price=item.price,
            currency=item.currency,
        )
        item.classification = result
        # One transaction per listing: a crawl killed halfway keeps what it stored.
        with self.database.session() as session:
            outcome = ListingStore(session).save(item)
        self.stats.inc_value("wildwatch/stored")
        self.stats.inc_value(f"wildwatch/tier/{result.tier}")
        if outcome.created:
            self.stats.inc_value("wildwatch/new")
        elif outcome.changed:
            self.stats.inc_value("wildwatch/changed")
        if result.flagged:
            self.stats.inc_value("wildwatch/flagged")
        return item


@lru_cache(maxsize=2)
def _classifier(head: Path) -> WildlifeClassifier:
    # Loading the encoder takes seconds; one crawl process may run several crawlers.
    return WildlifeClassifier(head)
