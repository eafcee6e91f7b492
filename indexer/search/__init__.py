"""One search API over two backends: SQLite FTS5 in the store, or Elasticsearch."""

from indexer.search.document import SearchDocument
from indexer.search.query import (
    FACETS,
    BackendHit,
    BackendResult,
    FacetBucket,
    SearchBackend,
    SearchHit,
    SearchQuery,
    SearchResult,
)

__all__ = [
    "FACETS",
    "BackendHit",
    "BackendResult",
    "FacetBucket",
    "SearchBackend",
    "SearchDocument",
    "SearchHit",
    "SearchQuery",
    "SearchResult",
]
