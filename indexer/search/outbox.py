"""Replays the outbox into an external search index, oldest change first.

A row leaves the outbox only after the index has taken it. When the index is down
(`SearchIndexUnavailable`), the batch stays where it is, its attempts are counted, and
the relay stops; the next run starts again from the same row, so nothing is lost and
nothing overtakes an earlier change.

The outbox holds listing ids, not documents: a document is built from the store when
it is sent, so a replay always sends what the store holds now, and a listing that left
the store in the meantime is deleted from the index.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import delete, func, select, update

from indexer.audit import AuditLog
from indexer.db import Database
from indexer.errors import DocumentsRejected, SearchIndexUnavailable
from indexer.models import OutboxRow
from indexer.search.build import documents_for
from indexer.search.document import SearchDocument

__all__ = ["DocumentIndex", "OutboxRelay", "RelayReport", "pending_changes"]

logger = logging.getLogger(__name__)

_ERROR_CHARS = 1_000


class DocumentIndex(Protocol):
    """The write side of an external index."""

    def index_documents(self, docs: Iterable[SearchDocument]) -> int: ...

    def delete(self, ids: Iterable[str]) -> int: ...


@dataclass(frozen=True)
class RelayReport:
    sent: int
    """Outbox rows the index took."""
    pending: int
    """Rows still waiting (the index went down, or `max_batches` was reached)."""
    error: str | None = None


def pending_changes(database: Database) -> int:
    with database.session() as session:
        return session.scalar(select(func.count()).select_from(OutboxRow)) or 0


class OutboxRelay:
    """Sends the store's queued changes to `index`, `batch_size` rows at a time."""

    def __init__(self, database: Database, index: DocumentIndex, *, batch_size: int = 500) -> None:
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        self.database = database
        self.index = index
        self.batch_size = batch_size

    def drain(
        self,
        *,
        max_batches: int | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> RelayReport:
        """Send everything queued, in order, until the outbox is empty or the index fails."""
        sent = batches = 0
        error = None
        while max_batches is None or batches < max_batches:
            batch = self._next_batch()
            if not batch:
                break
            try:
                self._send(batch)
            except DocumentsRejected as exc:
                # The index refuses these documents whatever we do; waiting would block
                # every later change. They are logged and audited; `wildwatch reindex`
                # brings them back once the mapping is fixed.
                self._record_rejected(exc)
            except SearchIndexUnavailable as exc:
                error = str(exc)
                self._count_attempt(batch, error)
                logger.warning("search index unavailable; %d change(s) wait: %s", len(batch), exc)
                break
            self._forget(batch)
            sent += len(batch)
            batches += 1
            if progress is not None:
                progress(sent)
        return RelayReport(sent=sent, pending=pending_changes(self.database), error=error)

    def _next_batch(self) -> list[OutboxRow]:
        with self.database.session() as session:
            return list(
                session.scalars(select(OutboxRow).order_by(OutboxRow.id).limit(self.batch_size))
            )

    def _send(self, batch: list[OutboxRow]) -> None:
        # The latest operation per listing decides; the document is read from the store now.
        latest: dict[str, str] = {}
        for row in batch:
            latest.pop(row.listing_id, None)
            latest[row.listing_id] = row.op
        upserts = [i for i, op in latest.items() if op == "upsert"]
        with self.database.session() as session:
            docs = documents_for(session, upserts)
        found = {doc.id for doc in docs}
        gone = [i for i, op in latest.items() if op == "delete" or i not in found]
        rejected = None
        if docs:
            try:
                self.index.index_documents(docs)
            except DocumentsRejected as exc:
                rejected = exc  # the rest landed; the deletes still go
        if gone:
            self.index.delete(gone)
        if rejected is not None:
            raise rejected

    def _record_rejected(self, exc: DocumentsRejected) -> None:
        with self.database.session() as session:
            audit = AuditLog(session)
            for listing_id, reason in exc.failures.items():
                logger.error("search index refused %s: %s", listing_id, reason)
                audit.record(
                    "search.rejected",
                    actor=None,
                    target_type="listing",
                    target_id=listing_id,
                    details={"reason": str(reason)[:_ERROR_CHARS]},
                )

    def _forget(self, batch: list[OutboxRow]) -> None:
        with self.database.session() as session:
            session.execute(delete(OutboxRow).where(OutboxRow.id.in_([r.id for r in batch])))

    def _count_attempt(self, batch: list[OutboxRow], error: str) -> None:
        with self.database.session() as session:
            session.execute(
                update(OutboxRow)
                .where(OutboxRow.id.in_([r.id for r in batch]))
                .values(attempts=OutboxRow.attempts + 1, last_error=error[:_ERROR_CHARS])
            )
