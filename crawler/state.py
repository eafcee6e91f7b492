"""What the crawler remembers between runs: pages seen, pauses, budgets and run health.

Kept in four tables of its own (``crawl_*``) in any SQLAlchemy database; the app
points it at the store's database (``WILDWATCH_STATE_URL``), so one SQLite file or
one PostgreSQL database holds everything. The crawler imports no other stage: these
tables are the crawler's, not the indexer's.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    Connection,
    DateTime,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    event,
    insert,
    select,
    update,
)

__all__ = ["CrawlState", "PageRecord", "Pause", "RunRecord"]

metadata = MetaData()

pages = Table(
    "crawl_pages",
    metadata,
    Column("source", String(100), primary_key=True),
    Column("url_key", String(64), primary_key=True),  # SHA-256 of the URL
    Column("url", Text, nullable=False),
    Column("listing_id", String(400)),
    Column("card", String(64)),
    Column("etag", String(300)),
    Column("last_modified", String(100)),
    Column("status", Integer),
    Column("fetched_at", DateTime(timezone=True)),
    Column("next_due", DateTime(timezone=True)),
    Column("gone_at", DateTime(timezone=True)),
)
pauses = Table(
    "crawl_pauses",
    metadata,
    Column("source", String(100), primary_key=True),
    Column("paused_at", DateTime(timezone=True), nullable=False),
    Column("until", DateTime(timezone=True), nullable=False),
    Column("reason", Text, nullable=False),
)
budgets = Table(
    "crawl_budget",
    metadata,
    Column("source", String(100), primary_key=True),
    Column("day", String(10), primary_key=True),  # UTC date, ISO
    Column("requests", Integer, nullable=False, default=0),
)
runs = Table(
    "crawl_runs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("source", String(100), index=True, nullable=False),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True), nullable=False),
    Column("finish_reason", String(100), nullable=False),
    Column("counts", JSON, nullable=False),  # pages, listings, new, changed, blocked, errors
    Column("coverage", JSON, nullable=False),  # field -> share of listings that had it
    Column("warnings", JSON, nullable=False),  # drops against the previous runs
)


def _aware(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def url_key(url: str) -> str:
    return hashlib.sha256(url.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Pause:
    until: datetime
    reason: str
    paused_at: datetime


@dataclass(frozen=True)
class PageRecord:
    url: str
    listing_id: str | None
    card: str | None
    etag: str | None
    last_modified: str | None
    status: int | None
    fetched_at: datetime | None
    next_due: datetime | None
    gone_at: datetime | None


@dataclass(frozen=True)
class RunRecord:
    source: str
    started_at: datetime
    finished_at: datetime
    finish_reason: str
    counts: dict[str, int]
    coverage: dict[str, float] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


_ENGINES: dict[str, Engine] = {}
_ENGINES_LOCK = threading.Lock()


def _engine(url: str) -> Engine:
    # One engine per URL and process: several crawlers of one run share it.
    with _ENGINES_LOCK:
        engine = _ENGINES.get(url)
        if engine is None:
            engine = create_engine(url)
            if engine.dialect.name == "sqlite":
                event.listen(engine, "connect", _sqlite_pragmas)
            metadata.create_all(engine)
            _ENGINES[url] = engine
        return engine


class CrawlState:
    """The crawler's memory in one database."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = _engine(url)

    @classmethod
    def from_settings(cls, settings: Any) -> CrawlState | None:
        """The state named by ``WILDWATCH_STATE_URL``; None when the crawl keeps none."""
        url = settings.get("WILDWATCH_STATE_URL")
        return cls(url) if url else None

    @contextmanager
    def _tx(self) -> Iterator[Connection]:
        with self.engine.begin() as conn:
            yield conn

    # -- pauses

    def pause(self, source: str, until: datetime, reason: str) -> None:
        now = datetime.now(UTC)
        with self._tx() as conn:
            conn.execute(pauses.delete().where(pauses.c.source == source))
            conn.execute(
                insert(pauses).values(source=source, paused_at=now, until=until, reason=reason)
            )

    def paused(self, source: str, now: datetime | None = None) -> Pause | None:
        """The source's pause, while it lasts."""
        now = now or datetime.now(UTC)
        with self._tx() as conn:
            row = conn.execute(select(pauses).where(pauses.c.source == source)).first()
        if row is None:
            return None
        until = _aware(row.until)
        assert until is not None
        if until <= now:
            return None
        return Pause(until, row.reason, _aware(row.paused_at) or now)

    def resume(self, source: str) -> bool:
        """Lift a pause; True if there was one."""
        with self._tx() as conn:
            return conn.execute(pauses.delete().where(pauses.c.source == source)).rowcount > 0

    # -- daily budget

    def spend(self, source: str, day: date, n: int = 1) -> int:
        """Count `n` more requests for `source` on `day`; the day's total after."""
        key = day.isoformat()
        with self._tx() as conn:
            done = conn.execute(
                update(budgets)
                .where(budgets.c.source == source, budgets.c.day == key)
                .values(requests=budgets.c.requests + n)
            ).rowcount
            if not done:
                conn.execute(insert(budgets).values(source=source, day=key, requests=n))
            total = conn.execute(
                select(budgets.c.requests).where(budgets.c.source == source, budgets.c.day == key)
            ).scalar_one()
        return int(total)

    def spent(self, source: str, day: date) -> int:
        with self._tx() as conn:
            total = conn.execute(
                select(budgets.c.requests).where(
                    budgets.c.source == source, budgets.c.day == day.isoformat()
                )
            ).scalar()
        return int(total or 0)

    # -- pages

    def page(self, source: str, url: str) -> PageRecord | None:
        with self._tx() as conn:
            row = conn.execute(
                select(pages).where(pages.c.source == source, pages.c.url_key == url_key(url))
            ).first()
        if row is None:
            return None
        return PageRecord(
            url=row.url,
            listing_id=row.listing_id,
            card=row.card,
            etag=row.etag,
            last_modified=row.last_modified,
            status=row.status,
            fetched_at=_aware(row.fetched_at),
            next_due=_aware(row.next_due),
            gone_at=_aware(row.gone_at),
        )

    def record_page(
        self,
        source: str,
        url: str,
        *,
        status: int,
        fetched_at: datetime,
        next_due: datetime | None,
        card: str | None = None,
        etag: str | None = None,
        last_modified: str | None = None,
        listing_id: str | None = None,
        gone_at: datetime | None = None,
    ) -> None:
        """Remember one fetch of `url` (insert or update)."""
        values = {
            "url": url,
            "status": status,
            "fetched_at": fetched_at,
            "next_due": next_due,
            "etag": etag,
            "last_modified": last_modified,
            "gone_at": gone_at,
        }
        if card is not None:
            values["card"] = card
        if listing_id is not None:
            values["listing_id"] = listing_id
        key = url_key(url)
        with self._tx() as conn:
            done = conn.execute(
                update(pages).where(pages.c.source == source, pages.c.url_key == key).values(values)
            ).rowcount
            if not done:
                conn.execute(insert(pages).values(source=source, url_key=key, **values))

    def pages_of(self, source: str) -> list[PageRecord]:
        with self._tx() as conn:
            rows = conn.execute(select(pages).where(pages.c.source == source)).all()
        return [
            PageRecord(
                r.url,
                r.listing_id,
                r.card,
                r.etag,
                r.last_modified,
                r.status,
                _aware(r.fetched_at),
                _aware(r.next_due),
                _aware(r.gone_at),
            )
            for r in rows
        ]

    # -- runs

    def record_run(self, run: RunRecord) -> None:
        with self._tx() as conn:
            conn.execute(
                insert(runs).values(
                    source=run.source,
                    started_at=run.started_at,
                    finished_at=run.finished_at,
                    finish_reason=run.finish_reason,
                    counts=run.counts,
                    coverage=run.coverage,
                    warnings=run.warnings,
                )
            )

    def runs(self, source: str | None = None, limit: int = 10) -> list[RunRecord]:
        """The newest runs first (of one source, or of all)."""
        stmt = select(runs).order_by(runs.c.finished_at.desc(), runs.c.id.desc()).limit(limit)
        if source is not None:
            stmt = stmt.where(runs.c.source == source)
        with self._tx() as conn:
            rows = conn.execute(stmt).all()
        return [
            RunRecord(
                source=r.source,
                started_at=_aware(r.started_at) or r.started_at,
                finished_at=_aware(r.finished_at) or r.finished_at,
                finish_reason=r.finish_reason,
                counts=dict(r.counts),
                coverage=dict(r.coverage),
                warnings=list(r.warnings),
            )
            for r in rows
        ]

    def sources(self) -> list[str]:
        """Every source the state has heard of."""
        with self._tx() as conn:
            names = set(conn.execute(select(runs.c.source).distinct()).scalars())
            names |= set(conn.execute(select(pauses.c.source)).scalars())
        return sorted(names)
