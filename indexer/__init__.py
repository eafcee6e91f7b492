"""Storing stage: the system of record and its full-text index."""

from indexer.accounts import (
    ROLES,
    AccountError,
    DuplicateUserError,
    UnknownUserError,
    User,
    UserStore,
)
from indexer.audit import AuditEntry, AuditLog
from indexer.db import Database
from indexer.errors import IndexerError, StoreError
from indexer.reviews import VERDICTS, Review, ReviewStore, UnknownListingError
from indexer.saved_searches import (
    Alert,
    AlertStore,
    DuplicateSavedSearchError,
    InvalidSavedSearchError,
    SavedSearch,
    SavedSearchError,
    SavedSearchStore,
    UnknownSavedSearchError,
)
from indexer.store import ListingStore, SaveOutcome, StoreCounts

__all__ = [
    "ROLES",
    "VERDICTS",
    "AccountError",
    "Alert",
    "AlertStore",
    "AuditEntry",
    "AuditLog",
    "Database",
    "DuplicateSavedSearchError",
    "DuplicateUserError",
    "IndexerError",
    "InvalidSavedSearchError",
    "ListingStore",
    "Review",
    "ReviewStore",
    "SaveOutcome",
    "SavedSearch",
    "SavedSearchError",
    "SavedSearchStore",
    "StoreCounts",
    "StoreError",
    "UnknownListingError",
    "UnknownSavedSearchError",
    "UnknownUserError",
    "User",
    "UserStore",
]
