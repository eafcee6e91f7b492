"""Bulk writes to Elasticsearch with retries, and cluster errors as indexer errors.

Writes go through the client's ``streaming_bulk`` helper: a chunk the cluster answers
with 429 (too busy) is sent again after a pause that doubles each time. Whatever is
still failing afterwards is sorted into two kinds, because the caller acts on them
differently:

- the cluster could not take it now (connection refused, timeout, 5xx, 429 after the
  retries): `SearchIndexUnavailable`, try again later, nothing is lost;
- the cluster refused the document itself (a mapping error): `DocumentsRejected`,
  naming each document and the reason; sending it again fails the same way.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from elastic_transport import SerializationError, TransportError
from elasticsearch import ApiError, Elasticsearch, UnsupportedProductError
from elasticsearch.helpers import streaming_bulk

from indexer.errors import DocumentsRejected, SearchIndexError, SearchIndexUnavailable

__all__ = ["TRANSPORT_RETRY_STATUSES", "BulkPolicy", "cluster_call", "write_actions"]

logger = logging.getLogger(__name__)

#: Answers the transport retries at once (another node may answer). 429 is left to the
#: bulk helper, which waits before retrying.
TRANSPORT_RETRY_STATUSES = (502, 503, 504)
_REASON_CHARS = 300


@dataclass(frozen=True)
class BulkPolicy:
    """How writes are batched and how long a busy cluster is waited for."""

    #: Documents per bulk request.
    chunk_size: int = 500
    #: Bytes per bulk request (listing text is capped upstream, but a page of it adds up).
    max_chunk_bytes: int = 10 * 1024 * 1024
    #: Times a chunk answered with 429 is sent again.
    max_retries: int = 5
    #: Seconds before the first retry; doubled for each further one.
    initial_backoff: float = 1.0
    max_backoff: float = 30.0

    def __post_init__(self) -> None:
        if self.chunk_size < 1 or self.max_chunk_bytes < 1:
            raise ValueError("chunk_size and max_chunk_bytes must be positive")
        if self.max_retries < 0 or self.initial_backoff < 0 or self.max_backoff < 0:
            raise ValueError("max_retries and the backoff times cannot be negative")


def _unavailable_status(status: int) -> bool:
    return status == 429 or status >= 500


@contextmanager
def cluster_call(action: str) -> Iterator[None]:
    """Turn the client's exceptions raised while doing `action` into indexer errors."""
    try:
        yield
    except UnsupportedProductError as exc:
        raise SearchIndexError(
            f"cannot {action}: the server is not Elasticsearch (an OpenSearch server is "
            "refused by the Elasticsearch client; see docs/elasticsearch.md)"
        ) from exc
    except ApiError as exc:
        status = exc.meta.status
        message = f"cannot {action}: the cluster answered {status} {exc.message}"
        if _unavailable_status(status):
            raise SearchIndexUnavailable(message) from exc
        if status in (401, 403):
            message += " (check the API key and its privileges)"
        elif status == 404:
            message += " (no index yet? `wildwatch reindex` creates and fills it)"
        raise SearchIndexError(message) from exc
    except SerializationError as exc:
        raise SearchIndexError(f"cannot {action}: {exc}") from exc
    except TransportError as exc:
        raise SearchIndexUnavailable(
            f"cannot {action}: the cluster cannot be reached ({type(exc).__name__}: {exc})"
        ) from exc


def _reason(item: dict[str, Any]) -> str:
    error = item.get("error")
    if isinstance(error, dict):
        text = f"{error.get('type', 'error')}: {error.get('reason', '')}"
    else:
        text = str(error or f"status {item.get('status')}")
    return text[:_REASON_CHARS]


def write_actions(
    client: Elasticsearch,
    actions: Iterable[dict[str, Any]],
    policy: BulkPolicy,
    *,
    action: str,
    require_alias: bool,
) -> int:
    """Send bulk `actions`; the number of documents written or deleted (absent ones count).

    Raises `SearchIndexUnavailable` when the cluster could not take some of them, else
    `DocumentsRejected` when it refused some; either way the others were written.
    """
    written = 0
    refused: dict[str, str] = {}
    busy: dict[str, str] = {}
    results = streaming_bulk(
        client.options(retry_on_status=TRANSPORT_RETRY_STATUSES),
        actions,
        chunk_size=policy.chunk_size,
        max_chunk_bytes=policy.max_chunk_bytes,
        max_retries=policy.max_retries,
        initial_backoff=policy.initial_backoff,
        max_backoff=policy.max_backoff,
        raise_on_error=False,
        require_alias=require_alias,
    )
    with cluster_call(action):
        for ok, result in results:
            op_type, item = next(iter(result.items()))
            status = int(item.get("status", 500))
            if ok or (op_type == "delete" and status == 404):
                written += 1
            elif _unavailable_status(status):
                busy[str(item.get("_id"))] = _reason(item)
            else:
                refused[str(item.get("_id"))] = _reason(item)
    if busy:
        key, reason = next(iter(busy.items()))
        raise SearchIndexUnavailable(
            f"cannot {action}: the cluster could not take {len(busy)} document(s) "
            f"after retries (first: {key}: {reason})"
        )
    if refused:
        logger.error("%s: %d document(s) refused", action, len(refused))
        raise DocumentsRejected(refused, written=written)
    return written
