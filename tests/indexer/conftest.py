"""The store's tests run on both backends: a SQLite file, and a real PostgreSQL server
started on loopback by `postgres_url` (tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from indexer import Database


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """An empty store, on each backend in turn."""
    if request.param == "sqlite":
        db = Database.for_data_dir(tmp_path)
    else:
        db = Database(request.getfixturevalue("postgres_url"))
    db.create_schema()
    yield db
    if request.param == "postgresql":
        # One server for the session: each test starts from empty tables.
        from indexer.models import Base

        Base.metadata.drop_all(db.engine)
    db.dispose()


@pytest.fixture
def sqlite_database(tmp_path: Path) -> Iterator[Database]:
    """The embedded store alone (full-text search is SQLite FTS5 until the search API)."""
    db = Database.for_data_dir(tmp_path)
    db.create_schema()
    yield db
    db.dispose()
