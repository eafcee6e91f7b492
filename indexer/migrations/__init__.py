"""Schema migrations of the store of record (Alembic), run from code.

`upgrade` brings a database to the newest revision on a connection the caller
holds, inside the caller's transaction (the caller commits); `current_revision`
says where a database stands. Revisions live in ``versions/``: 0001 is the schema
wildwatch shipped before migrations (`indexer.migrations.baseline`), 0002 adds the
indexer's tables. A store made before migrations is completed to 0001 and stamped
(`indexer.migrations.legacy`) before it is upgraded.

Tables derived from the store or owned by other parts are not Alembic's: names
starting with one of `UNMANAGED_PREFIXES` are left out of every comparison.

A new revision is written in a checkout with the Alembic command line, against a
database already at head::

    alembic -c indexer/alembic.ini -x url=sqlite:////tmp/w.db revision --autogenerate -m "..."
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import Connection

from indexer.errors import StoreError

__all__ = [
    "BASELINE_REVISION",
    "UNMANAGED_PREFIXES",
    "alembic_config",
    "current_revision",
    "head_revision",
    "include_object",
    "is_known",
    "upgrade",
]

MIGRATIONS_DIR = Path(__file__).resolve().parent
BASELINE_REVISION = "0001"
#: Tables (and indexes) Alembic neither creates nor compares: the SQLite search
#: index's own tables, FTS5 tables and their shadow tables, the crawler's state, the
#: scheduler's job store.
UNMANAGED_PREFIXES: tuple[str, ...] = ("idx_", "listing_fts", "crawl_", "apscheduler_")


def include_object(
    obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
) -> bool:
    """Alembic's filter: False for anything in or of an unmanaged table."""
    if name is not None and name.startswith(UNMANAGED_PREFIXES):
        return False
    table = getattr(obj, "table", None)
    return not (table is not None and str(table.name).startswith(UNMANAGED_PREFIXES))


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic configuration for our revisions; env.py runs on `connection` when given."""
    config = Config()
    # The ini syntax treats % as interpolation.
    config.set_main_option("script_location", str(MIGRATIONS_DIR).replace("%", "%%"))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


@functools.cache
def _script_directory() -> ScriptDirectory:
    # The revision files do not change while the program runs; read them once.
    return ScriptDirectory.from_config(alembic_config())


def head_revision() -> str:
    """The newest revision this code knows."""
    head = _script_directory().get_current_head()
    assert head is not None, "no revisions in indexer/migrations/versions"
    return head


def current_revision(connection: Connection) -> str | None:
    """The revision the database is at; None when it has never been migrated."""
    return MigrationContext.configure(connection).get_current_revision()


def upgrade(connection: Connection, revision: str = "head") -> None:
    """Migrate the database to `revision` inside the connection's transaction.

    A store an older wildwatch made (our tables, no version) is first completed to
    the baseline and stamped with it. The caller holds whatever lock keeps two
    processes from migrating at once, and commits.
    """
    from indexer.migrations.legacy import adopt_unversioned

    current = current_revision(connection)
    if current is None:
        adopt_unversioned(connection, _script_directory())
    elif not is_known(current):
        raise StoreError(
            f"the store's schema is at revision {current}, which this wildwatch does not know "
            f"(its newest is {head_revision()}): a newer wildwatch has used this store; "
            "run that version, or restore a backup"
        )
    command.upgrade(alembic_config(connection), revision)


def is_known(revision: str) -> bool:
    """Whether `revision` is one of ours (a store a newer wildwatch migrated is not)."""
    try:
        return _script_directory().get_revision(revision) is not None
    except CommandError:
        return False
