"""Stores made before migrations: complete them to the baseline, then stamp it.

Older wildwatch versions created their tables with ``create_all`` and kept no
``alembic_version``; the oldest lack tables (reviews, listing_history, takedowns)
or nullable columns (hashtags, comments) that came later. Such a store is brought
to exactly the 0001 schema, its rows untouched, and stamped 0001, so that the
ordinary upgrade path takes it from there.
"""

from __future__ import annotations

import logging

from alembic.operations import Operations
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Column, Connection, inspect

from indexer.errors import StoreError
from indexer.migrations import BASELINE_REVISION, baseline

__all__ = ["adopt_unversioned"]

logger = logging.getLogger(__name__)


def adopt_unversioned(connection: Connection, script: ScriptDirectory) -> bool:
    """Complete and stamp a pre-migration store; False when there is none (empty database).

    A database holding only other parts' tables (the crawler's, the scheduler's)
    counts as empty: the upgrade creates ours from scratch.
    """
    inspector = inspect(connection)
    if not inspector.has_table("listings"):
        return False
    operations = Operations(MigrationContext.configure(connection))
    for table in baseline.metadata.sorted_tables:
        if not inspector.has_table(table.name):
            table.create(connection)
            logger.info("store before migrations: created table %s", table.name)
            continue
        present = {c["name"] for c in inspector.get_columns(table.name)}
        for column in table.columns:
            if column.name in present:
                continue
            if not column.nullable:
                raise StoreError(
                    f"cannot bring this store up to date: table {table.name} lacks the "
                    f"required column {column.name}, which no wildwatch version left out"
                )
            operations.add_column(table.name, Column(column.name, column.type, nullable=True))
            logger.info("store before migrations: added %s.%s", table.name, column.name)
        indexes = {i["name"] for i in inspector.get_indexes(table.name)}
        for index in table.indexes:
            if index.name not in indexes:
                index.create(connection)
    MigrationContext.configure(connection).stamp(script, BASELINE_REVISION)
    return True
