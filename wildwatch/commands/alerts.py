"""``wildwatch saved-search add|list|remove`` and ``wildwatch alerts``.

A saved search is run against every listing a crawl stores or changes; each listing
it matches raises one alert. Saving a search also runs it over the store as it is, so
what already matches alerts at once.
"""

from __future__ import annotations

import json
from typing import Any

import click

from wildwatch.cli_options import data_dir_option
from wildwatch.commands.search import open_database, query_from_options, with_search_options
from wildwatch.config import AppConfig

__all__ = ["alerts", "saved_search"]


@click.group("saved-search")
def saved_search() -> None:
    """Searches run on every new or changed listing, raising alerts."""


@saved_search.command("add")
@click.argument("name")
@click.argument("text", required=False, default="")
@with_search_options
@click.option("--owner", help="Username of the investigator it belongs to.")
@click.option("--no-backfill", is_flag=True, help="Do not alert on listings already stored.")
@data_dir_option
def add(
    config: AppConfig,
    name: str,
    text: str,
    owner: str | None,
    no_backfill: bool,
    ascending: bool,
    **filters: Any,
) -> None:
    """Save a search under NAME (same TEXT and options as `wildwatch search`)."""
    from indexer.saved_searches import SavedSearchStore
    from indexer.search.query import MAX_RESULTS
    from wildwatch.search_index import IndexSettings, run_search

    query = query_from_options(text, ascending=ascending, **filters)
    settings = IndexSettings.from_env()
    database = open_database(config, settings)
    with database.session() as session:
        saved = SavedSearchStore(session).save(name, query, owner, actor=owner)
    if settings.external:
        settings.elastic().register_saved_search(saved.id, saved.query)
    alerted = 0
    if not no_backfill:
        from indexer.saved_searches import AlertStore

        offset = 0
        while True:
            page = run_search(
                database,
                settings,
                query.model_copy(update={"limit": MAX_RESULTS, "offset": offset, "facets": []}),
            )
            with database.session() as session:
                alerted += len(
                    AlertStore(session).record(saved.id, [h.listing.id for h in page.hits])
                )
            offset += len(page.hits)
            if not page.hits or offset >= min(page.total, 10_000):
                break
    click.echo(json.dumps({"id": saved.id, "name": saved.name, "alerts": alerted}))


@saved_search.command("list")
@click.option("--json", "as_json", is_flag=True)
@data_dir_option
def list_searches(config: AppConfig, as_json: bool) -> None:
    """The saved searches."""
    from indexer.saved_searches import SavedSearchStore
    from wildwatch.search_index import IndexSettings

    with open_database(config, IndexSettings.from_env()).session() as session:
        searches = SavedSearchStore(session).list()
    for s in searches:
        query = s.query.model_dump(mode="json", exclude_defaults=True)
        if as_json:
            click.echo(
                json.dumps(
                    {
                        "id": s.id,
                        "name": s.name,
                        "owner": s.owner,
                        "active": s.active,
                        "query": query,
                    },
                    ensure_ascii=False,
                )
            )
        else:
            state = "" if s.active else "  (inactive)"
            click.echo(
                f"{s.id:>4}  {s.name:<30.30}  {json.dumps(query, ensure_ascii=False)}{state}"
            )


@saved_search.command("remove")
@click.argument("search_id", type=int)
@data_dir_option
def remove(config: AppConfig, search_id: int) -> None:
    """Delete a saved search and its alerts."""
    from indexer.saved_searches import SavedSearchStore
    from wildwatch.search_index import IndexSettings

    settings = IndexSettings.from_env()
    with open_database(config, settings).session() as session:
        SavedSearchStore(session).delete(search_id)
    if settings.external:
        settings.elastic().remove_saved_search(search_id)


@click.command()
@click.option("--platform", help="Only listings on this platform (a platform team's view).")
@click.option("--limit", default=100, show_default=True, type=click.IntRange(1, 10_000))
@click.option("--mark-sent", is_flag=True, help="Mark the alerts shown as sent.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per alert.")
@data_dir_option
def alerts(
    config: AppConfig, platform: str | None, limit: int, mark_sent: bool, as_json: bool
) -> None:
    """New alerts: listings that matched a saved search, oldest first."""
    from indexer.saved_searches import AlertStore
    from wildwatch.search_index import IndexSettings

    with open_database(config, IndexSettings.from_env()).session() as session:
        store = AlertStore(session)
        pending = store.pending(platform=platform, limit=limit)
        if mark_sent:
            store.mark_sent([a.id for a in pending])
    for alert in pending:
        if as_json:
            click.echo(
                json.dumps(
                    {
                        "id": alert.id,
                        "saved_search": alert.saved_search,
                        "saved_search_id": alert.saved_search_id,
                        "listing_id": alert.listing_id,
                        "platform": alert.platform,
                        "created_at": alert.created_at.isoformat(),
                    },
                    ensure_ascii=False,
                )
            )
        else:
            click.echo(
                f"{alert.created_at:%Y-%m-%d %H:%M}  {alert.saved_search:<24.24}  "
                f"{alert.platform:<12.12}  {alert.listing_id}"
            )
    if not as_json:
        click.echo(f"{len(pending)} alert(s)", err=True)
