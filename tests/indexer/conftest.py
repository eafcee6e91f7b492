"""The store's tests run on both backends: a SQLite file, and a real PostgreSQL server
started on loopback by `postgres_url` (tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from indexer import Database


def _empty_postgres(db: Database) -> None:
    """Drop what the migrations made, so the next test on the shared server starts bare."""
    from indexer.models import Base

    Base.metadata.drop_all(db.engine)
    with db.engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
        conn.execute(text("DROP FUNCTION IF EXISTS audit_log_append_only() CASCADE"))


def _open(request: pytest.FixtureRequest, tmp_path: Path) -> Database:
    if request.param == "sqlite":
        return Database.for_data_dir(tmp_path)
    return Database(request.getfixturevalue("postgres_url"))


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """An empty store, on each backend in turn."""
    db = _open(request, tmp_path)
    db.create_schema()
    yield db
    if request.param == "postgresql":
        # One server for the session: each test starts from empty tables.
        _empty_postgres(db)
    db.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def bare_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A database with no schema at all, on each backend in turn (for migration tests)."""
    db = _open(request, tmp_path)
    yield db
    if request.param == "postgresql":
        _empty_postgres(db)
    db.dispose()


@pytest.fixture
def sqlite_database(tmp_path: Path) -> Iterator[Database]:
    """The embedded store alone (full-text search is SQLite FTS5 until the search API)."""
    db = Database.for_data_dir(tmp_path)
    db.create_schema()
    yield db
    db.dispose()
