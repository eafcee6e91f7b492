"""Storing stage: the system of record and its full-text index."""

from indexer.db import Database
from indexer.errors import IndexerError, StoreError
from indexer.store import ListingStore, SaveOutcome, SearchHit, StoreCounts

__all__ = [
    "Database",
    "IndexerError",
    "ListingStore",
    "SaveOutcome",
    "SearchHit",
    "StoreCounts",
    "StoreError",
]
