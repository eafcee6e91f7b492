"""``python -m crawler``: crawl sources to a JSON-lines file, with no other stage.

    python -m crawler --sources config/sources.yaml SOURCE... --base-url URL \
        --output items.jsonl [--state-url sqlite:///state.db] [--set NAME=VALUE]

Prints one JSON object per source with its crawl stats. Used by the tests (each
crawl needs a fresh process) and handy for checking a new source's configuration.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from crawler.errors import CrawlerError
from crawler.runner import crawl
from crawler.sources import load_sources


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m crawler", description=__doc__.split("\n")[0])
    parser.add_argument("names", nargs="+", metavar="SOURCE")
    parser.add_argument("--sources", type=Path, default=Path("config/sources.yaml"))
    parser.add_argument("--base-url")
    parser.add_argument("--output", type=Path, required=True)
    parser.add_argument("--state-url", help="database URL for crawl state (incremental, pauses)")
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="extra Scrapy setting (JSON value, or a plain string)",
    )
    parser.add_argument("-v", "--verbose", action="count", default=0)
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=[logging.WARNING, logging.INFO, logging.DEBUG][min(args.verbose, 2)],
        format="%(levelname)s %(name)s: %(message)s",
    )
    try:
        sources = load_sources(args.sources)
        missing = [n for n in args.names if n not in sources]
        if missing:
            parser.error(f"unknown source(s): {', '.join(missing)}")
        settings: dict[str, object] = {
            "ITEM_PIPELINES": {"crawler.pipelines.JsonLinesPipeline": 300},
            "WILDWATCH_JSONL_PATH": str(args.output),
        }
        if args.state_url:
            settings["WILDWATCH_STATE_URL"] = args.state_url
        for pair in args.set:
            name, _, value = pair.partition("=")
            try:
                settings[name] = json.loads(value)
            except json.JSONDecodeError:
                settings[name] = value
        runs = crawl([sources[n] for n in args.names], base_url=args.base_url, settings=settings)
    except CrawlerError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for run in runs:
        stats = {
            k: (v if isinstance(v, int | float | str) else str(v)) for k, v in run.stats.items()
        }
        print(json.dumps({"source": run.source, "seconds": run.seconds, "stats": stats}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
