"""``wildwatch search``, ``wildwatch reindex`` and ``wildwatch outbox``."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from html import unescape
from typing import TYPE_CHECKING, Any

import click
from pydantic import ValidationError

from indexer.search import FACETS, SearchQuery, SearchResult
from wildwatch.cli_options import data_dir_option
from wildwatch.config import AppConfig
from wildwatch.errors import InputError

if TYPE_CHECKING:
    from indexer.db import Database
    from wildwatch.search_index import IndexSettings

__all__ = [
    "open_database",
    "outbox",
    "query_from_options",
    "reindex_command",
    "search",
    "with_search_options",
]

_MARK = ("<mark>", "</mark>")


def open_database(config: AppConfig, settings: IndexSettings) -> Database:
    from indexer.db import Database

    database = Database(config.database_url, search_outbox=settings.external)
    database.create_schema()
    return database


def _many(name: str, help: str) -> Callable[..., Any]:
    return click.option(
        f"--{name.replace('_', '-')}", name, multiple=True, metavar="VALUE", help=help
    )


_FILTERS: list[Callable[..., Any]] = [
    _many("species", "Scientific name of a species found (repeat for any of several)."),
    _many("appendix", "CITES appendix: I, II or III."),
    _many("family", "Product family: ivory, horn, scales, ..."),
    _many("platform", "Platform the listing is on."),
    _many("country", "ISO 3166-1 country code of the listing."),
    _many("language", "Language the listing is written in."),
    click.option(
        "--tier",
        "tier",
        multiple=True,
        type=click.Choice(["high", "medium", "low", "none"]),
        help="Risk tier.",
    ),
    click.option(
        "--review-status",
        "review_status",
        multiple=True,
        type=click.Choice(["unreviewed", "confirmed", "dismissed"]),
        help="Reviewers' verdict.",
    ),
    _many("seller_cluster", "Seller cluster id (see `wildwatch clusters`)."),
    _many("repost_cluster", "Repost cluster id."),
    _many("currency", "ISO 4217 currency of the price."),
    click.option("--from", "date_from", type=click.DateTime(), help="Posted on or after."),
    click.option("--to", "date_to", type=click.DateTime(), help="Posted on or before."),
    click.option("--min-price", "price_min", type=float, help="Lowest price."),
    click.option("--max-price", "price_max", type=float, help="Highest price."),
    click.option("--flagged", is_flag=True, help="Flagged listings only."),
    click.option("--online", is_flag=True, help="Listings not taken down only."),
    click.option(
        "--sort",
        type=click.Choice(["relevance", "risk", "date", "price"]),
        default="relevance",
        show_default=True,
    ),
    click.option("--asc", "ascending", is_flag=True, help="Lowest, oldest or cheapest first."),
    click.option("--limit", default=20, show_default=True, type=click.IntRange(0, 500)),
    click.option("--offset", default=0, show_default=True, type=click.IntRange(0, 10_000)),
    click.option(
        "--facet",
        "facets",
        multiple=True,
        type=click.Choice(FACETS),
        help="Count matches by this field (repeat for several).",
    ),
]


def with_search_options(func: Callable[..., Any]) -> Callable[..., Any]:
    for option in reversed(_FILTERS):
        func = option(func)
    return func


@click.command()
@click.argument("text", required=False, default="")
@with_search_options
@click.option("--json", "as_json", is_flag=True, help="The whole result as one JSON object.")
@data_dir_option
def search(config: AppConfig, text: str, as_json: bool, ascending: bool, **filters: Any) -> None:
    """Search the store in any language, with filters and facets.

    TEXT is matched word by word (all words required) in titles, descriptions,
    seller names and hashtags; Chinese, Japanese and Thai inside unspaced text and
    Vietnamese without diacritics are found too.
    """
    query = query_from_options(text, ascending=ascending, **filters)
    from wildwatch.search_index import IndexSettings, run_search

    settings = IndexSettings.from_env()
    result = run_search(open_database(config, settings), settings, query)
    if as_json:
        click.echo(result.model_dump_json(exclude_none=True))
        return
    _print_table(result, color=sys.stdout.isatty())


def query_from_options(text: str, *, ascending: bool, **filters: Any) -> SearchQuery:
    """The `SearchQuery` the search options describe; a bad value is one clear error."""
    filters["date_from"] = _utc(filters["date_from"])
    filters["date_to"] = _utc(_end_of_day(filters["date_to"]))
    try:
        return SearchQuery(text=text, descending=not ascending, **_lists(filters))
    except ValidationError as exc:
        raise InputError(_first_error(exc)) from exc


def _lists(filters: dict[str, Any]) -> dict[str, Any]:
    return {k: list(v) if isinstance(v, tuple) else v for k, v in filters.items()}


def _end_of_day(value: datetime | None) -> datetime | None:
    # `--to 2026-03-31` means up to the end of that day, not its first second.
    if value is not None and value.time() == datetime.min.time():
        return value + timedelta(days=1, microseconds=-1)
    return value


def _utc(value: datetime | None) -> datetime | None:
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


def _first_error(exc: ValidationError) -> str:
    error = exc.errors()[0]
    where = ".".join(str(p) for p in error["loc"]) or "query"
    return f"invalid search ({where}): {error['msg']}"


def _print_table(result: SearchResult, *, color: bool) -> None:
    for hit in result.hits:
        listing, c = hit.listing, hit.listing.classification
        risk = f"{c.risk:.2f} {c.tier:<6}" if c else "   -       "
        click.echo(f"{risk}  {listing.platform:<12.12}  {listing.id:<30.30}  {listing.title[:70]}")
        for fragment in [f for fragments in hit.highlights.values() for f in fragments][:2]:
            click.echo(f"{'':15}{_terminal(fragment, color)}")
    for name, buckets in result.facets.items():
        shown = ", ".join(f"{b.value} ({b.count})" for b in buckets[:10])
        click.echo(f"{name}: {shown or '-'}")
    click.echo(f"{len(result.hits)} of {result.total} result(s)", err=True)


def _terminal(fragment: str, color: bool) -> str:
    """A highlighted fragment for a terminal: matches in bold (or brackets), no markup."""
    start, end = ("\x1b[1m", "\x1b[0m") if color else ("[", "]")
    parts = fragment.split(_MARK[0])
    text = _printable(parts[0])
    for part in parts[1:]:
        matched, _, rest = part.partition(_MARK[1])
        text += start + _printable(matched) + end + _printable(rest)
    return text


def _printable(html: str) -> str:
    # Listing text is hostile: no control or escape sequence of its own reaches the terminal.
    return "".join(ch if ch.isprintable() else " " for ch in unescape(html))


@click.command("reindex")
@data_dir_option
def reindex_command(config: AppConfig) -> None:
    """Rebuild the search index from the store (searches keep working meanwhile)."""
    from wildwatch.search_index import IndexSettings, reindex

    settings = IndexSettings.from_env()
    report = reindex(open_database(config, settings), settings)
    where = f" into {report.index}" if report.index else ""
    click.echo(f"indexed {report.documents} listing(s) on {report.backend}{where}")
    if report.replayed is not None and report.replayed.pending:
        raise click.ClickException(
            f"{report.replayed.pending} change(s) still wait in the outbox: {report.replayed.error}"
        )


@click.command()
@click.option("--replay", is_flag=True, help="Send the waiting changes to the index now.")
@data_dir_option
def outbox(config: AppConfig, replay: bool) -> None:
    """Changes waiting for the external search index."""
    from indexer.search.outbox import pending_changes
    from wildwatch.search_index import IndexSettings, sync

    settings = IndexSettings.from_env()
    database = open_database(config, settings)
    if replay:
        report = sync(database, settings)
        if report is None:
            raise InputError("no external index: set WILDWATCH_ES_URL")
        click.echo(json.dumps({"sent": report.sent, "pending": report.pending}))
        if report.error:
            raise click.ClickException(f"index unavailable: {report.error}")
        return
    click.echo(json.dumps({"pending": pending_changes(database)}))
