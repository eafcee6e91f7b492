"""Storing stage: the system of record and its full-text index."""

from indexer.db import Database
from indexer.errors import IndexerError, StoreError
from indexer.reviews import VERDICTS, Review, ReviewStore, UnknownListingError
from indexer.store import ListingStore, SaveOutcome, SearchHit, StoreCounts

__all__ = [
    "VERDICTS",
    "Database",
    "IndexerError",
    "ListingStore",
    "Review",
    "ReviewStore",
    "SaveOutcome",
    "SearchHit",
    "StoreCounts",
    "StoreError",
    "UnknownListingError",
]
