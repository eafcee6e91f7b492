"""Item pipelines that belong to the crawler alone (the classifying one is the app's)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import IO, Any, Self

from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

from crawler.items import CrawledListing, Gone

__all__ = ["JsonLinesPipeline"]


class JsonLinesPipeline:
    """Writes every listing (and every gone listing) as one JSON line to
    ``WILDWATCH_JSONL_PATH``: ``{"listing": {...}, "capture": {...}}`` or ``{"gone": {...}}``.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._out: IO[str] | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        path = crawler.settings.get("WILDWATCH_JSONL_PATH")
        if not path:
            raise NotConfigured("WILDWATCH_JSONL_PATH is not set")
        return cls(Path(path))

    def open_spider(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._out = self.path.open("a", encoding="utf-8")

    def close_spider(self) -> None:
        if self._out is not None:
            self._out.close()

    def process_item(self, item: Any) -> Any:
        if self._out is None:
            return item
        if isinstance(item, CrawledListing):
            record: dict[str, Any] = {"listing": item.listing.model_dump(mode="json")}
            if item.capture is not None:
                c = item.capture
                record["capture"] = {
                    "url": c.url,
                    "final_url": c.final_url,
                    "status": c.status,
                    "bytes": len(c.body),
                    "rendered": c.rendered,
                    "screenshot": c.screenshot is not None,
                }
        elif isinstance(item, Gone):
            record = {
                "gone": {
                    "listing_id": item.listing_id,
                    "url": item.url,
                    "status": item.status,
                    "reason": item.reason,
                }
            }
        else:
            return item
        self._out.write(json.dumps(record, ensure_ascii=False) + "\n")
        self._out.flush()
        return item
