"""Errors raised by the indexer.

IndexerError
 ├── StoreError              the store of record cannot be opened or written
 ├── SearchIndexUnavailable  the search cluster cannot be reached or is overloaded; retry later
 └── SearchIndexError        the search cluster answered but refused the request
      └── DocumentsRejected  some documents were refused; the others were written
"""

from __future__ import annotations

from collections.abc import Mapping


class IndexerError(Exception):
    """Base of every error the indexer raises."""


class StoreError(IndexerError):
    """The database could not be opened, created or written; the message says which and why."""


class SearchIndexUnavailable(IndexerError):
    """The search cluster is down, unreachable, timing out or still overloaded after retries.

    Raised by `indexer.search.elastic.ElasticBackend` for connection errors, timeouts, 5xx
    answers and 429 answers that outlast the retries. Nothing was lost: the caller keeps
    the change (the outbox keeps its rows) and sends it again later.
    """


class SearchIndexError(IndexerError):
    """The search cluster answered but refused the request; the same request will fail again.

    A bad request, a missing index, a server that is not Elasticsearch, a wrong API key:
    the message says what to fix.
    """


class DocumentsRejected(SearchIndexError):
    """The cluster refused some documents (a mapping error, a field too large); the rest landed.

    ``failures`` maps each refused listing id to the cluster's reason; ``written`` counts
    the documents that were written. Sending the same documents again fails the same way.
    """

    def __init__(self, failures: Mapping[str, str], *, written: int) -> None:
        self.failures = dict(failures)
        self.written = written
        sample = "; ".join(f"{key}: {reason}" for key, reason in list(self.failures.items())[:3])
        more = f" (and {len(self.failures) - 3} more)" if len(self.failures) > 3 else ""
        super().__init__(
            f"the search index refused {len(self.failures)} document(s), "
            f"wrote {written}: {sample}{more}"
        )
