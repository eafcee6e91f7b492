"""Alembic's entry point for the store's revisions.

wildwatch runs it from code (`indexer.migrations.upgrade`) on a connection it
already holds, in the caller's transaction. From the Alembic command line in a
checkout (``alembic -c indexer/alembic.ini -x url=...``) it opens its own.
"""

from __future__ import annotations

from logging.config import fileConfig

from alembic import context
from sqlalchemy import Connection, create_engine, pool

from indexer.migrations import include_object
from indexer.models import Base

config = context.config


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        include_object=include_object,
        # SQLite cannot alter most of a table in place; batch mode copies it instead.
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def _url() -> str:
    url = context.get_x_argument(as_dictionary=True).get("url") or config.get_main_option(
        "sqlalchemy.url"
    )
    if not url:
        raise SystemExit("give the database with -x url=... (e.g. -x url=sqlite:////tmp/w.db)")
    return url


given = config.attributes.get("connection")
if given is not None:
    _run(given)
elif context.is_offline_mode():
    context.configure(url=_url(), target_metadata=Base.metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    if config.config_file_name is not None:
        fileConfig(config.config_file_name)
    engine = create_engine(_url(), poolclass=pool.NullPool)
    with engine.connect() as connection:
        _run(connection)
