"""Crawls run in a child process (Scrapy's reactor is one-shot): `crawl_sources` runs
``python -m crawler`` and hands back what it wrote and the stats it printed."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class CrawlOutput:
    listings: list[dict[str, Any]]  # each {"listing": {...}, "capture": {...}}
    gone: list[dict[str, Any]]
    stats: dict[str, dict[str, Any]]  # source name -> Scrapy stats
    returncode: int
    stderr: str

    def titles(self) -> list[str]:
        return [r["listing"]["title"] for r in self.listings]


def write_sources(path: Path, sources: dict[str, Any]) -> Path:
    """A sources file holding `sources` (name -> mapping)."""
    path.write_text(yaml.safe_dump({"sources": sources}, allow_unicode=True), encoding="utf-8")
    return path


def crawl_sources(
    sources_file: Path,
    names: Sequence[str],
    workdir: Path,
    *,
    base_url: str | None = None,
    state_url: str | None = None,
    settings: dict[str, Any] | None = None,
    timeout: float = 240,
) -> CrawlOutput:
    """Crawl `names` from `sources_file` into ``workdir/items-N.jsonl``."""
    workdir.mkdir(parents=True, exist_ok=True)
    output = workdir / f"items-{len(list(workdir.glob('items-*.jsonl')))}.jsonl"
    command = [sys.executable, "-m", "crawler", *names, "--sources", str(sources_file)]
    command += ["--output", str(output)]
    if base_url:
        command += ["--base-url", base_url]
    if state_url:
        command += ["--state-url", state_url]
    for name, value in (settings or {}).items():
        command += ["--set", f"{name}={json.dumps(value)}"]
    proc = subprocess.run(
        command, capture_output=True, text=True, timeout=timeout, cwd=ROOT, check=False
    )
    records = (
        [json.loads(line) for line in output.read_text().splitlines()] if output.exists() else []
    )
    stats = {}
    for line in proc.stdout.splitlines():
        if line.startswith("{"):
            run = json.loads(line)
            stats[run["source"]] = run["stats"]
    return CrawlOutput(
        listings=[r for r in records if "listing" in r],
        gone=[r["gone"] for r in records if "gone" in r],
        stats=stats,
        returncode=proc.returncode,
        stderr=proc.stderr,
    )
