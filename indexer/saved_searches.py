"""Saved searches and the alerts they raise.

An investigator saves a `SearchQuery` under a name; it is stored as JSON and run
against every new or changed listing (by the app layer, or the search cluster's
percolator). Each listing that matches raises one alert per search, once, which
then goes out (``new`` -> ``sent``) and is acknowledged by whoever acts on it. A
platform team's view holds only alerts about listings on its own platform.
"""

from __future__ import annotations

import builtins
import json
import logging
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal, get_args

from pydantic import ValidationError
from sqlalchemy import Select, Text, select, type_coerce, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, defer

from indexer.accounts import AccountError, UnknownUserError
from indexer.audit import AuditLog
from indexer.errors import StoreError
from indexer.models import AlertRow, ListingRow, SavedSearchRow, UserRow
from indexer.reviews import UnknownListingError
from indexer.search.query import SearchQuery

__all__ = [
    "ALERT_STATUSES",
    "Alert",
    "AlertStatus",
    "AlertStore",
    "DuplicateSavedSearchError",
    "InvalidSavedSearchError",
    "SavedSearch",
    "SavedSearchError",
    "SavedSearchStore",
    "UnknownSavedSearchError",
]

logger = logging.getLogger(__name__)

AlertStatus = Literal["new", "sent", "acknowledged"]
ALERT_STATUSES: tuple[str, ...] = get_args(AlertStatus)
_MAX_NAME_CHARS = 200
_MAX_LIMIT = 10_000
_CHUNK = 500  # ids per IN (...) list, well under every backend's parameter limit
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class SavedSearchError(StoreError):
    """A saved search cannot be saved or changed as asked: a bad name or query."""


class DuplicateSavedSearchError(SavedSearchError):
    """The owner already has a saved search of that name."""


class UnknownSavedSearchError(SavedSearchError):
    """No saved search has the id given."""


class InvalidSavedSearchError(SavedSearchError):
    """A saved search's stored query is not valid JSON or not a valid `SearchQuery`.

    Raised when such a search is read by id; the message names it. Listing all
    searches skips it with a warning, so one bad row does not stop every alert.
    Updating it with a valid query, or deleting it, puts things right.
    """


@dataclass(frozen=True, slots=True)
class SavedSearch:
    id: int
    name: str
    #: The owner's username; None for searches that belong to no one (configured ones).
    owner: str | None
    query: SearchQuery
    active: bool
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class Alert:
    id: int
    saved_search_id: int
    saved_search: str
    listing_id: str
    #: The listing's platform: what a platform team's view is scoped by.
    platform: str
    status: AlertStatus
    created_at: datetime
    delivered_at: datetime | None


def _utc(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)  # SQLite drops the zone


def _chunks(values: Sequence[Any]) -> Iterator[Sequence[Any]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start : start + _CHUNK]


def _unique(values: Iterable[Any]) -> list[Any]:
    return list(dict.fromkeys(values))


def _name(value: str) -> str:
    name = value.strip() if isinstance(value, str) else ""
    if not name or len(name) > _MAX_NAME_CHARS or _CONTROL.search(name):
        raise SavedSearchError(
            f"a saved search's name is 1 to {_MAX_NAME_CHARS} characters without control "
            f"characters; not {str(value)[:60]!r}"
        )
    return name


def _query_json(query: SearchQuery) -> dict[str, Any]:
    if not isinstance(query, SearchQuery):
        raise SavedSearchError(f"a saved search holds a SearchQuery, not {type(query).__name__}")
    return query.model_dump(mode="json")


def _read_query(search_id: int, name: str, raw: Any) -> SearchQuery:
    try:
        data = json.loads(raw) if isinstance(raw, str | bytes) else raw
        return SearchQuery.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "query"
        problem = f"{where}: {first['msg']}"
    except ValueError as exc:
        problem = f"not JSON ({exc})"
    raise InvalidSavedSearchError(
        f"saved search {search_id} ({name!r}) holds a query wildwatch cannot read ({problem}); "
        "save a valid query over it or delete it"
    )


class SavedSearchStore:
    """Saved searches inside one session; the caller commits. Changes are audited."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def save(
        self,
        name: str,
        query: SearchQuery,
        owner: str | None = None,
        *,
        actor: str | None = None,
    ) -> SavedSearch:
        """A new, active saved search; names are unique per owner. `actor` defaults to the
        owner."""
        name = _name(name)
        document = _query_json(query)
        owner_id = self._owner_id(owner)
        if self._find(name, owner_id) is not None:
            whose = f"{owner!r}" if owner else "the shared searches"
            raise DuplicateSavedSearchError(f"{whose} already has a saved search named {name!r}")
        now = datetime.now(UTC)
        row = SavedSearchRow(
            name=name,
            owner_id=owner_id,
            query=document,
            active=True,
            created_at=now,
            updated_at=now,
        )
        self.session.add(row)
        try:
            self.session.flush()
        except IntegrityError as exc:  # saved by someone else since we looked
            raise DuplicateSavedSearchError(f"a saved search named {name!r} exists") from exc
        self._audit("saved_search.create", row.id, actor or owner, name=name, query=document)
        return self.get(row.id)

    def get(self, search_id: int) -> SavedSearch:
        """One saved search; `InvalidSavedSearchError` when its stored query is unreadable."""
        row = self.session.execute(self._select().where(SavedSearchRow.id == search_id)).first()
        if row is None:
            raise UnknownSavedSearchError(f"no saved search with id {search_id!r}")
        return self._from_row(row)

    def list(
        self, *, active_only: bool = False, owner: str | None = None
    ) -> builtins.list[SavedSearch]:
        """Saved searches by id (of one owner, when given); unreadable ones are skipped and
        logged."""
        stmt = self._select().order_by(SavedSearchRow.id)
        if active_only:
            stmt = stmt.where(SavedSearchRow.active.is_(True))
        if owner is not None:
            stmt = stmt.where(UserRow.username == owner.strip().lower())
        searches = []
        for row in self.session.execute(stmt):
            try:
                searches.append(self._from_row(row))
            except InvalidSavedSearchError as exc:
                logger.warning("%s", exc)
        return searches

    def update(
        self,
        search_id: int,
        *,
        name: str | None = None,
        query: SearchQuery | None = None,
        active: bool | None = None,
        actor: str | None = None,
    ) -> SavedSearch:
        """Rename, change the query of, or (de)activate a saved search."""
        row = self._row(search_id)
        changes: dict[str, Any] = {}
        if name is not None:
            name = _name(name)
            if name != row.name:
                other = self._find(name, row.owner_id)
                if other is not None and other != search_id:
                    raise DuplicateSavedSearchError(
                        f"the owner already has a saved search named {name!r}"
                    )
                changes["name"] = name
        if query is not None:
            changes["query"] = _query_json(query)
        if active is not None:
            changes["active"] = bool(active)
        if changes:
            for key, value in changes.items():
                setattr(row, key, value)
            row.updated_at = datetime.now(UTC)
            self.session.flush()
            self._audit("saved_search.update", search_id, actor, **changes)
        return self.get(search_id)

    def deactivate(self, search_id: int, *, actor: str | None = None) -> None:
        """Stop running the search; it and its alerts stay. Works on unreadable ones too."""
        row = self._row(search_id)
        row.active = False
        row.updated_at = datetime.now(UTC)
        self.session.flush()
        self._audit("saved_search.deactivate", search_id, actor)

    def delete(self, search_id: int, *, actor: str | None = None) -> None:
        """Remove the search and its alerts."""
        row = self._row(search_id)
        name = row.name
        self.session.delete(row)
        self.session.flush()
        self._audit("saved_search.delete", search_id, actor, name=name)

    # -- internals

    def _select(self) -> Select[Any]:
        # The query column is read as text so a corrupt value is reported, not raised
        # from deep inside the result.
        return select(
            SavedSearchRow.id,
            SavedSearchRow.name,
            UserRow.username,
            type_coerce(SavedSearchRow.query, Text).label("query"),
            SavedSearchRow.active,
            SavedSearchRow.created_at,
            SavedSearchRow.updated_at,
        ).outerjoin(UserRow, UserRow.id == SavedSearchRow.owner_id)

    @staticmethod
    def _from_row(row: Any) -> SavedSearch:
        return SavedSearch(
            id=row.id,
            name=row.name,
            owner=row.username,
            query=_read_query(row.id, row.name, row.query),
            active=row.active,
            created_at=_utc(row.created_at),
            updated_at=_utc(row.updated_at),
        )

    def _row(self, search_id: int) -> SavedSearchRow:
        # Loads every column but the query, which may be unreadable.
        row = self.session.scalars(
            select(SavedSearchRow)
            .options(defer(SavedSearchRow.query))
            .where(SavedSearchRow.id == search_id)
        ).first()
        if row is None:
            raise UnknownSavedSearchError(f"no saved search with id {search_id!r}")
        return row

    def _find(self, name: str, owner_id: int | None) -> int | None:
        owned = (
            SavedSearchRow.owner_id.is_(None)
            if owner_id is None
            else SavedSearchRow.owner_id == owner_id
        )
        return self.session.scalars(
            select(SavedSearchRow.id).where(SavedSearchRow.name == name, owned)
        ).first()

    def _owner_id(self, owner: str | None) -> int | None:
        if owner is None:
            return None
        row = self.session.scalars(
            select(UserRow).where(UserRow.username == owner.strip().lower())
        ).first()
        if row is None:
            raise UnknownUserError(f"no account named {owner[:60]!r} to own the search")
        if not row.active:
            raise AccountError(f"account {row.username!r} is deactivated")
        return row.id

    def _audit(self, action: str, search_id: int, actor: str | None, **details: Any) -> None:
        AuditLog(self.session).record(
            action,
            actor=actor,
            target_type="saved_search",
            target_id=str(search_id),
            details=details or None,
        )


class AlertStore:
    """Alerts inside one session; the caller commits."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def record(
        self, saved_search_id: int, listing_ids: Iterable[str], *, at: datetime | None = None
    ) -> builtins.list[Alert]:
        """Alerts for the listings a search matched; only the new ones are returned.

        A listing alerts once per search however often it matches (also when two
        processes record the same match at once). A deactivated search raises none.
        """
        search = self.session.execute(
            select(SavedSearchRow.active).where(SavedSearchRow.id == saved_search_id)
        ).first()
        if search is None:
            raise UnknownSavedSearchError(f"no saved search with id {saved_search_id!r}")
        ids = _unique(str(i) for i in listing_ids)
        if not search.active or not ids:
            return []
        self._check_listings(ids)
        now = at or datetime.now(UTC)
        rows = [
            {
                "saved_search_id": saved_search_id,
                "listing_id": listing_id,
                "created_at": now,
                "status": "new",
            }
            for listing_id in ids
        ]
        created: list[int] = []
        for chunk in _chunks(rows):
            created += self._insert_new(chunk)
        return self._alerts(AlertRow.id.in_(created)) if created else []

    def pending(self, platform: str | None = None, limit: int = 100) -> builtins.list[Alert]:
        """Alerts not sent yet, oldest first; with `platform`, only that platform's listings.

        Alerts of searches deactivated since they matched are left out.
        """
        _check_limit(limit)
        where = [AlertRow.status == "new", SavedSearchRow.active.is_(True)]
        if platform is not None:
            where.append(ListingRow.platform == platform)
        return self._alerts(*where, limit=limit)

    def for_search(
        self, saved_search_id: int, *, status: str | None = None, limit: int = 100
    ) -> builtins.list[Alert]:
        """One search's alerts, oldest first."""
        _check_limit(limit)
        where = [AlertRow.saved_search_id == saved_search_id]
        if status is not None:
            where.append(AlertRow.status == _status(status))
        return self._alerts(*where, limit=limit)

    def mark_sent(self, ids: Iterable[int], *, at: datetime | None = None) -> int:
        """Mark new alerts as delivered; returns how many changed (others are left)."""
        changed = 0
        for chunk in _chunks(_unique(ids)):
            result = self.session.execute(
                update(AlertRow)
                .where(AlertRow.id.in_(chunk), AlertRow.status == "new")
                .values(status="sent", delivered_at=at or datetime.now(UTC))
                .execution_options(synchronize_session=False)
            )
            changed += result.rowcount  # type: ignore[attr-defined]
        return changed

    def acknowledge(
        self, ids: Iterable[int], *, actor: str | None = None, platform: str | None = None
    ) -> int:
        """Mark alerts as dealt with; with `platform`, only alerts about that platform's
        listings are touched. Each acknowledgement is audited; returns how many changed."""
        changed = 0
        for chunk in _chunks(_unique(ids)):
            stmt = (
                select(AlertRow.id, AlertRow.saved_search_id, AlertRow.listing_id)
                .join(ListingRow, ListingRow.id == AlertRow.listing_id)
                .where(AlertRow.id.in_(chunk), AlertRow.status != "acknowledged")
            )
            if platform is not None:
                stmt = stmt.where(ListingRow.platform == platform)
            targets = self.session.execute(stmt).all()
            if not targets:
                continue
            self.session.execute(
                update(AlertRow)
                .where(AlertRow.id.in_([t.id for t in targets]))
                .values(status="acknowledged")
                .execution_options(synchronize_session=False)
            )
            audit = AuditLog(self.session)
            for target in targets:
                audit.record(
                    "alert.acknowledge",
                    actor=actor,
                    target_type="alert",
                    target_id=str(target.id),
                    details={
                        "saved_search_id": target.saved_search_id,
                        "listing_id": target.listing_id,
                    },
                )
            changed += len(targets)
        return changed

    # -- internals

    def _check_listings(self, ids: Sequence[str]) -> None:
        known: set[str] = set()
        for chunk in _chunks(ids):
            known.update(
                self.session.scalars(select(ListingRow.id).where(ListingRow.id.in_(chunk)))
            )
        missing = [i for i in ids if i not in known]
        if missing:
            more = f" (and {len(missing) - 3} more)" if len(missing) > 3 else ""
            raise UnknownListingError(
                f"no listing {', '.join(repr(i) for i in missing[:3])}{more} in the store"
            )

    def _insert_new(self, rows: Sequence[dict[str, Any]]) -> builtins.list[int]:
        """Insert the rows that are not there yet; the ids of those inserted."""
        dialect = self.session.get_bind().dialect.name
        if dialect in ("sqlite", "postgresql"):
            insert = sqlite.insert if dialect == "sqlite" else postgresql.insert
            stmt = (
                insert(AlertRow)
                .values(list(rows))
                .on_conflict_do_nothing(index_elements=["saved_search_id", "listing_id"])
                .returning(AlertRow.id)
            )
            return list(self.session.scalars(stmt))
        # Elsewhere: skip the pairs already there (without the race protection).
        search_id = rows[0]["saved_search_id"]
        present = set(
            self.session.scalars(
                select(AlertRow.listing_id).where(
                    AlertRow.saved_search_id == search_id,
                    AlertRow.listing_id.in_([r["listing_id"] for r in rows]),
                )
            )
        )
        new = [AlertRow(**r) for r in rows if r["listing_id"] not in present]
        self.session.add_all(new)
        self.session.flush()
        return [row.id for row in new]

    def _alerts(self, *where: Any, limit: int | None = None) -> builtins.list[Alert]:
        # Columns, not entities: statuses changed by bulk UPDATEs are read fresh.
        stmt = (
            select(
                AlertRow.id,
                AlertRow.saved_search_id,
                SavedSearchRow.name,
                AlertRow.listing_id,
                ListingRow.platform,
                AlertRow.status,
                AlertRow.created_at,
                AlertRow.delivered_at,
            )
            .join(SavedSearchRow, SavedSearchRow.id == AlertRow.saved_search_id)
            .join(ListingRow, ListingRow.id == AlertRow.listing_id)
            .where(*where)
            .order_by(AlertRow.id)
        )
        if limit is not None:
            stmt = stmt.limit(limit)
        return [
            Alert(
                id=row.id,
                saved_search_id=row.saved_search_id,
                saved_search=row.name,
                listing_id=row.listing_id,
                platform=row.platform,
                status=row.status,
                created_at=_utc(row.created_at),
                delivered_at=_utc(row.delivered_at) if row.delivered_at else None,
            )
            for row in self.session.execute(stmt)
        ]


def _check_limit(limit: int) -> None:
    if not 0 < limit <= _MAX_LIMIT:
        raise StoreError(f"limit must be 1 to {_MAX_LIMIT}, not {limit}")


def _status(value: str) -> str:
    if value not in ALERT_STATUSES:
        raise StoreError(f"alert status must be one of {', '.join(ALERT_STATUSES)}, not {value!r}")
    return value
