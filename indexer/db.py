"""Engine and session factory for the store of record (SQLite by default)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from indexer import fts, migrations
from indexer.errors import StoreError
from indexer.search.sync import OUTBOX_FLAG

__all__ = ["Database", "sqlite_url"]

# Any fixed number: PostgreSQL's advisory lock that serialises schema migrations.
_SCHEMA_LOCK_KEY = 0x77696C64  # "wild"


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path.resolve()}"


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets the review app read while a crawl writes; foreign keys are off by default.
    # The busy timeout comes first: switching a new file to WAL needs a lock too.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _create_derived_tables(conn: Connection) -> None:
    """Tables derived from the store, outside the migrations: SQLite's full-text index."""
    if conn.dialect.name == "sqlite":
        fts.create_table(conn)


class Database:
    """One database: its engine, its schema and a session factory."""

    def __init__(self, url: str, *, search_outbox: bool = False) -> None:
        """`search_outbox`: the store feeds an external search index, so every change
        is also queued in the outbox (`indexer.search.sync`)."""
        self.url = url
        try:
            self.engine: Engine = create_engine(url)
        except (SQLAlchemyError, ValueError) as exc:
            raise StoreError(f"cannot use database URL {url!r}: {exc}") from exc
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
        self._sessions = sessionmaker(
            self.engine, expire_on_commit=False, info={OUTBOX_FLAG: search_outbox}
        )

    @classmethod
    def for_data_dir(cls, data_dir: Path) -> Database:
        """The default store: ``wildwatch.db`` inside the data directory."""
        try:
            data_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"cannot create data directory {data_dir}: {exc}") from exc
        return cls(sqlite_url(data_dir / "wildwatch.db"))

    @property
    def path(self) -> str | None:
        """The SQLite file, or None for a server database."""
        return self.engine.url.database if self.engine.dialect.name == "sqlite" else None

    @property
    def _shown_url(self) -> str:
        # Error messages end up in logs: never with the password in them.
        return self.engine.url.render_as_string(hide_password=True)

    def create_schema(self) -> None:
        """Bring the schema to the newest revision; harmless when it is there already.

        Runs the Alembic migrations (`indexer.migrations`) on this engine. A store an
        older wildwatch made is completed and versioned first. Two processes may call
        this at once: one migrates, the other waits for it and finds nothing to do.
        """
        try:
            with self.engine.connect() as conn:
                at_head = migrations.current_revision(conn) == migrations.head_revision()
            if at_head:
                with self.engine.begin() as conn:
                    _create_derived_tables(conn)
                return
            with self.engine.connect() as conn:
                self._lock_schema(conn)
                # Another process may have migrated while we waited for the lock.
                if migrations.current_revision(conn) != migrations.head_revision():
                    migrations.upgrade(conn)
                _create_derived_tables(conn)
                conn.commit()
        except SQLAlchemyError as exc:
            raise StoreError(f"cannot create the schema in {self._shown_url}: {exc}") from exc

    def _lock_schema(self, conn: Connection) -> None:
        """Begin the migration's transaction holding a lock only one process can hold."""
        dialect = self.engine.dialect.name
        if dialect == "sqlite":
            # The driver would begin only before the first write, and without taking the
            # write lock; IMMEDIATE takes it now, so a second process waits here.
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        elif dialect == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _SCHEMA_LOCK_KEY})

    def schema_revision(self) -> str | None:
        """The schema revision the database is at; None when it has none yet."""
        try:
            with self.engine.connect() as conn:
                return migrations.current_revision(conn)
        except SQLAlchemyError as exc:
            raise StoreError(
                f"cannot read the schema revision of {self._shown_url}: {exc}"
            ) from exc

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session whose transaction commits on success and rolls back on error."""
        with self._sessions() as session, session.begin():
            yield session

    def dispose(self) -> None:
        self.engine.dispose()
