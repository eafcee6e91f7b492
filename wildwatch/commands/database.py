"""``wildwatch db``: which schema revision the store is at, and bringing it up to date.

Every command that opens the store upgrades it on the way; these two make that a
step of its own (before a deployment rolls out, say) and let an operator check it.
"""

from __future__ import annotations

import click

from wildwatch.cli_options import data_dir_option
from wildwatch.config import AppConfig

__all__ = ["db"]


@click.group(name="db")
def db() -> None:
    """The store's schema: its revision, and upgrading it."""


@db.command()
@data_dir_option
def upgrade(config: AppConfig) -> None:
    """Migrate the store to the newest schema revision (harmless when it is there)."""
    from indexer import Database, StoreError

    database = Database(config.database_url)
    try:
        before = database.schema_revision()
        database.create_schema()
        after = database.schema_revision()
    except StoreError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        database.dispose()
    if before == after:
        click.echo(f"schema already at revision {after} (head)")
    else:
        click.echo(f"schema upgraded from {before or 'nothing'} to revision {after} (head)")


@db.command()
@click.option("--check", is_flag=True, help="Exit with status 1 unless the store is at head.")
@data_dir_option
def current(config: AppConfig, check: bool) -> None:
    """Print the store's schema revision and whether it is the newest."""
    from indexer import Database, StoreError
    from indexer.migrations import head_revision, is_known

    head = head_revision()
    if not config.database_path.exists():
        revision = None
    else:
        database = Database(config.database_url)
        try:
            revision = database.schema_revision()
        except StoreError as exc:
            raise click.ClickException(str(exc)) from exc
        finally:
            database.dispose()
    if revision == head:
        click.echo(f"{revision} (head)")
        return
    if revision is None:
        click.echo(f"none: no schema yet, or one from before migrations (head is {head})")
    elif not is_known(revision):
        click.echo(f"{revision}: newer than this wildwatch knows (head is {head})")
    else:
        click.echo(f"{revision} (head is {head})")
    if check:
        raise click.ClickException(
            "the store is not at the newest schema: run `wildwatch db upgrade`"
        )
