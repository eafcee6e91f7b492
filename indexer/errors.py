"""Errors raised by the indexer.

IndexerError
 └── StoreError   the store of record cannot be opened or written
"""


class IndexerError(Exception):
    """Base of every error the indexer raises."""


class StoreError(IndexerError):
    """The database could not be opened, created or written; the message says which and why."""
