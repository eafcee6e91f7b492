"""``wildwatch clusters``: bring repost and seller clusters up to date, list and export them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import click

from wildwatch.cli_options import data_dir_option
from wildwatch.config import AppConfig
from wildwatch.errors import InputError, WildwatchError

if TYPE_CHECKING:
    from indexer.clusters.sellers import SellerClusterSummary

__all__ = ["clusters"]

_CONTACTS_SHOWN = 60  # characters of the shared-contacts column


@click.command("clusters")
@click.option(
    "--json", "as_json", is_flag=True, help="One JSON object per seller cluster, per line."
)
@click.option(
    "--export",
    "export_path",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Also write the seller graph to FILE: .graphml, .gexf or .json (by suffix).",
)
@click.option("--cluster", "cluster_id", metavar="ID", help="Only this seller cluster.")
@click.option(
    "--min-size",
    default=2,
    show_default=True,
    type=click.IntRange(1),
    help="Only seller clusters with at least this many accounts.",
)
@data_dir_option
def clusters(
    config: AppConfig,
    as_json: bool,
    export_path: Path | None,
    cluster_id: str | None,
    min_size: int,
) -> None:
    """Update repost and seller clusters, then list the seller clusters.

    Reposts (near-identical text, or a copied photo with related text) are grouped
    across platforms; seller accounts are tied when they give the same phone,
    WeChat, WhatsApp, Telegram, LINE, e-mail or payment handle, or post the same
    offer. A contact too many accounts give (a platform's help address) ties nobody
    and is reported on stderr.
    """
    from indexer.clusters.graph import GRAPH_FORMATS
    from indexer.errors import IndexerError

    if export_path is not None and export_path.suffix.lower() not in GRAPH_FORMATS:
        raise click.BadParameter(
            f"{export_path}: use a file ending in {', '.join(GRAPH_FORMATS)}",
            param_hint="--export",
        )
    try:
        _run(config, as_json, export_path, cluster_id, min_size)
    except (IndexerError, WildwatchError) as exc:
        raise click.ClickException(str(exc)) from exc


def _run(
    config: AppConfig,
    as_json: bool,
    export_path: Path | None,
    cluster_id: str | None,
    min_size: int,
) -> None:
    from indexer.clusters import seller_cluster_summaries, update_clusters
    from indexer.clusters.graph import seller_graph, write_graph
    from wildwatch.commands.search import open_database
    from wildwatch.search_index import IndexSettings, sync

    settings = IndexSettings.from_env()
    database = open_database(config, settings)
    with database.session() as session:
        update = update_clusters(session)
    reposts, sellers = update.reposts, update.sellers
    click.echo(
        f"reposts: {reposts.clusters} cluster(s) of {reposts.clustered_listings} listing(s); "
        f"sellers: {sellers.clusters} cluster(s) of {sellers.tied_accounts} tied account(s) "
        f"among {sellers.accounts}",
        err=True,
    )
    for hub in sellers.hubs:
        click.echo(
            f"hub, not a tie: {_printable(hub.kind)}:{_printable(hub.value)} "
            f"({hub.accounts} accounts)",
            err=True,
        )
    relayed = sync(database, settings)
    if relayed is not None and relayed.pending:
        click.echo(f"{relayed.pending} index change(s) wait in the outbox", err=True)

    with database.session() as session:
        summaries = seller_cluster_summaries(session, min_accounts=min_size, cluster=cluster_id)
        if cluster_id is not None and not summaries:
            raise InputError(f"no seller cluster {cluster_id!r} (run without --cluster to list)")
        graph = (
            seller_graph(session, cluster=cluster_id, min_accounts=min_size)
            if export_path is not None
            else None
        )
    if as_json:
        for summary in summaries:
            click.echo(json.dumps(summary.to_dict(), ensure_ascii=False))
    else:
        _print_table(summaries)
    if graph is not None and export_path is not None:
        fmt = write_graph(graph, export_path)
        click.echo(
            f"wrote {export_path} ({fmt}: {graph.number_of_nodes()} nodes, "
            f"{graph.number_of_edges()} links)",
            err=True,
        )


def _print_table(summaries: list[SellerClusterSummary]) -> None:
    click.echo(
        f"{'CLUSTER':<20}  {'ACCOUNTS':>8}  {'LISTINGS':>8}  {'FLAGGED':>7}  "
        f"{'PLATFORMS':<24}  SHARED CONTACTS"
    )
    for s in summaries:
        platforms = _printable(",".join(s.platforms))
        contacts = _printable(", ".join(s.shared_contacts)) or "-"
        if len(contacts) > _CONTACTS_SHOWN:
            contacts = contacts[: _CONTACTS_SHOWN - 1] + "…"
        click.echo(
            f"{s.id:<20}  {len(s.accounts):>8}  {s.listings:>8}  {s.flagged:>7}  "
            f"{platforms:<24.24}  {contacts}"
        )
    click.echo(f"{len(summaries)} seller cluster(s)", err=True)


def _printable(text: str) -> str:
    # Store content is hostile: no control or escape sequence of its own reaches a terminal.
    return "".join(ch if ch.isprintable() else " " for ch in text)
