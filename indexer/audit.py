"""The audit log: who did what, appended and never changed.

Verdicts, saved searches, accounts, alerts acknowledged, exports and reindexes each
leave one entry. There is no API to edit or remove an entry, and the database
refuses UPDATE and DELETE on the table (triggers, revision 0002), so an entry stands
as written whoever connects.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from indexer.errors import StoreError
from indexer.models import AuditRow

__all__ = ["MAX_DETAILS_CHARS", "AuditEntry", "AuditLog"]

#: Details longer than this (as JSON) are kept as a truncated excerpt.
MAX_DETAILS_CHARS = 8_000
_MAX_LIMIT = 10_000
# Actions are dotted names (review.confirm, saved_search.create), not free text.
_ACTION = re.compile(r"[a-z][a-z0-9_]*(?:\.[a-z][a-z0-9_]*)*")


@dataclass(frozen=True, slots=True)
class AuditEntry:
    id: int
    at: datetime
    action: str
    actor: str | None
    target_type: str | None
    target_id: str | None
    details: dict[str, Any] | None

    @classmethod
    def from_row(cls, row: AuditRow) -> AuditEntry:
        at = row.at if row.at.tzinfo else row.at.replace(tzinfo=UTC)  # SQLite drops the zone
        return cls(
            id=row.id,
            at=at,
            action=row.action,
            actor=row.actor,
            target_type=row.target_type,
            target_id=row.target_id,
            details=row.details,
        )


def _capped_details(details: dict[str, Any] | None) -> dict[str, Any] | None:
    """Details as plain JSON, at most `MAX_DETAILS_CHARS` of it."""
    if not details:
        return None
    try:
        # default=str keeps datetimes and paths readable instead of failing the action.
        encoded = json.dumps(details, ensure_ascii=False, default=str, sort_keys=True)
    except (TypeError, ValueError) as exc:
        raise StoreError(f"audit details must be a JSON object: {exc}") from exc
    if len(encoded) <= MAX_DETAILS_CHARS:
        loaded: dict[str, Any] = json.loads(encoded)
        return loaded
    return {"truncated": True, "chars": len(encoded), "excerpt": encoded[:MAX_DETAILS_CHARS]}


def _clip(value: str | None, limit: int) -> str | None:
    return value[:limit] if value else None


class AuditLog:
    """Appends to and reads the audit log inside one session; the caller commits.

    An entry written in the caller's transaction stands or falls with the action it
    records.
    """

    def __init__(self, session: Session) -> None:
        self.session = session

    def record(
        self,
        action: str,
        *,
        actor: str | None = None,
        target_type: str | None = None,
        target_id: str | None = None,
        details: dict[str, Any] | None = None,
        at: datetime | None = None,
    ) -> AuditEntry:
        """Append one entry; `action` is a dotted name such as ``review.confirm``."""
        if not isinstance(action, str) or len(action) > 100 or not _ACTION.fullmatch(action):
            raise StoreError(
                f"audit action must be a dotted lower-case name such as review.confirm, "
                f"not {str(action)[:60]!r}"
            )
        if details is not None and not isinstance(details, dict):
            raise StoreError(f"audit details must be a dict, not {type(details).__name__}")
        row = AuditRow(
            at=at or datetime.now(UTC),
            action=action,
            actor=_clip(actor, 200),
            target_type=_clip(target_type, 50),
            target_id=_clip(target_id, 400),
            details=_capped_details(details),
        )
        self.session.add(row)
        self.session.flush()
        return AuditEntry.from_row(row)

    def entries(
        self,
        *,
        target_type: str | None = None,
        target_id: str | None = None,
        actor: str | None = None,
        action: str | None = None,
        limit: int = 100,
    ) -> list[AuditEntry]:
        """Entries newest first, optionally about one target, by one actor or of one action."""
        if not 0 < limit <= _MAX_LIMIT:
            raise StoreError(f"limit must be 1 to {_MAX_LIMIT}, not {limit}")
        stmt = select(AuditRow)
        if target_type is not None:
            stmt = stmt.where(AuditRow.target_type == target_type)
        if target_id is not None:
            stmt = stmt.where(AuditRow.target_id == target_id)
        if actor is not None:
            stmt = stmt.where(AuditRow.actor == actor)
        if action is not None:
            stmt = stmt.where(AuditRow.action == action)
        # Ids grow with every insert; `at` may tie (or come from a caller).
        stmt = stmt.order_by(AuditRow.id.desc()).limit(limit)
        return [AuditEntry.from_row(row) for row in self.session.scalars(stmt)]
