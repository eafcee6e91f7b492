"""Keeps the search index in step with the store, inside the store's own transaction.

Every write that changes what a listing's search document holds (a crawl saving it, a
verdict, a takedown, a new cluster) calls `listing_changed` in the same session:

- on SQLite the embedded index lives in the same file, so it is updated right there
  and commits or rolls back with the change;
- when an external index (Elasticsearch) is attached, the change is also queued in
  the outbox (`search_outbox`), and `indexer.search.outbox.OutboxRelay` sends it
  later; a cluster that is down only delays it.

The outbox is on when the session says so (``session.info["search_outbox"]``, set by
`indexer.Database` for stores attached to an external index).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from indexer.models import OutboxRow

__all__ = ["OUTBOX_FLAG", "listing_changed", "listing_removed", "outbox_enabled"]

#: Key in ``Session.info`` that turns the outbox on.
OUTBOX_FLAG = "search_outbox"


def outbox_enabled(session: Session) -> bool:
    return bool(session.info.get(OUTBOX_FLAG))


def listing_changed(session: Session, listing_ids: Iterable[str]) -> None:
    """The listings' documents are out of date: rebuild them (SQLite), queue them (outbox)."""
    ids = list(dict.fromkeys(listing_ids))
    if not ids:
        return
    # Pending ORM changes must reach the database before the documents are read back.
    session.flush()
    if session.get_bind().dialect.name == "sqlite":
        from indexer.search.sqlite import SqliteIndex

        SqliteIndex(session).refresh(ids)
    _queue(session, ids, "upsert")


def listing_removed(session: Session, listing_ids: Iterable[str]) -> None:
    """The listings left the store: drop them from the index too."""
    ids = list(dict.fromkeys(listing_ids))
    if not ids:
        return
    if session.get_bind().dialect.name == "sqlite":
        from indexer.search.sqlite import SqliteIndex

        SqliteIndex(session).remove(ids)
    _queue(session, ids, "delete")


def _queue(session: Session, ids: list[str], op: str) -> None:
    if not outbox_enabled(session):
        return
    now = datetime.now(UTC)
    session.add_all(OutboxRow(listing_id=i, op=op, created_at=now, attempts=0) for i in ids)
