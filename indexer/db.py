"""Engine and session factory for the store of record (SQLite by default)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from indexer import fts
from indexer.errors import StoreError
from indexer.models import Base

__all__ = ["Database", "sqlite_url"]


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path.resolve()}"


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets the review app read while a crawl writes; foreign keys are off by default.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


class Database:
    """One database: its engine, its schema and a session factory."""

    def __init__(self, url: str) -> None:
        self.url = url
        try:
            self.engine: Engine = create_engine(url)
        except (SQLAlchemyError, ValueError) as exc:
            raise StoreError(f"cannot use database URL {url!r}: {exc}") from exc
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

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

    def create_schema(self) -> None:
        """Create missing tables and the full-text index; harmless when they exist."""
        try:
            Base.metadata.create_all(self.engine)
            self._add_missing_columns()
            if self.engine.dialect.name == "sqlite":
                with self.engine.begin() as conn:
                    fts.create_table(conn)
        except SQLAlchemyError as exc:
            raise StoreError(f"cannot create the schema in {self.url}: {exc}") from exc

    def _add_missing_columns(self) -> None:
        """Add nullable columns that newer code declares to tables an older version made.

        A stopgap for stores created before a column existed; real migrations come
        with Alembic.
        """
        inspector = inspect(self.engine)
        with self.engine.begin() as conn:
            for table in Base.metadata.sorted_tables:
                if not inspector.has_table(table.name):
                    continue
                present = {c["name"] for c in inspector.get_columns(table.name)}
                for column in table.columns:
                    if column.name in present or not column.nullable:
                        continue
                    kind = column.type.compile(dialect=self.engine.dialect)
                    conn.execute(
                        text(f'ALTER TABLE "{table.name}" ADD COLUMN "{column.name}" {kind}')
                    )

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session whose transaction commits on success and rolls back on error."""
        with self._sessions() as session, session.begin():
            yield session

    def dispose(self) -> None:
        self.engine.dispose()
