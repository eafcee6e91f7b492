"""What `wildwatch sources status` and `wildwatch takedowns` read: per-source health
from the crawl state, and which flagged listings are due a takedown re-check."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from crawler.sources import SourceBase
from crawler.state import CrawlState, Pause, RunRecord
from indexer import Database, ListingStore

__all__ = ["SourceStatus", "recheck_plan", "source_statuses"]


@dataclass(frozen=True)
class SourceStatus:
    name: str
    kind: str
    platform: str
    enabled: bool
    schedule: timedelta | None
    pause: Pause | None
    runs: list[RunRecord] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        last = self.runs[0] if self.runs else None
        return {
            "source": self.name,
            "kind": self.kind,
            "platform": self.platform,
            "enabled": self.enabled,
            "schedule_seconds": self.schedule.total_seconds() if self.schedule else None,
            "paused": None
            if self.pause is None
            else {"until": self.pause.until.isoformat(), "reason": self.pause.reason},
            "last_run": None
            if last is None
            else {
                "finished_at": last.finished_at.isoformat(),
                "finish_reason": last.finish_reason,
                **last.counts,
                "coverage": last.coverage,
                "warnings": last.warnings,
            },
            "runs": len(self.runs),
        }

    def describe(self) -> str:
        """A few lines for a terminal."""
        head = f"{self.name} ({self.kind}, {self.platform})"
        if not self.enabled:
            head += " disabled"
        lines = [head]
        if self.pause is not None:
            lines.append(
                f"  PAUSED until {self.pause.until:%Y-%m-%d %H:%M} UTC: {self.pause.reason}"
            )
        if not self.runs:
            lines.append("  never crawled")
            return "\n".join(lines)
        last = self.runs[0]
        c = last.counts
        lines.append(
            f"  last run {last.finished_at:%Y-%m-%d %H:%M} UTC ({last.finish_reason}): "
            f"{c.get('pages', 0)} pages, {c.get('listings', 0)} listings, {c.get('new', 0)} new, "
            f"{c.get('changed', 0)} changed, {c.get('unchanged', 0)} unchanged, "
            f"{c.get('blocked', 0)} blocked, {c.get('errors', 0)} errors"
        )
        if last.coverage:
            lines.append(
                "  field coverage: "
                + ", ".join(f"{k} {v:.0%}" for k, v in sorted(last.coverage.items()))
            )
        lines += [f"  WARNING: {w}" for w in last.warnings]
        return "\n".join(lines)


def source_statuses(sources: Mapping[str, SourceBase], database_url: str) -> list[SourceStatus]:
    """Every configured source (and any the state knows that the file no longer has)."""
    state = CrawlState(database_url)
    now = datetime.now(UTC)
    statuses = [
        SourceStatus(
            name=name,
            kind=source.kind,  # type: ignore[attr-defined]
            platform=source.platform,
            enabled=source.enabled,
            schedule=source.schedule,
            pause=state.paused(name, now),
            runs=state.runs(name, limit=10),
        )
        for name, source in sources.items()
    ]
    for name in state.sources():
        if name not in sources:
            statuses.append(
                SourceStatus(
                    name, "unknown", "-", False, None, state.paused(name, now), state.runs(name)
                )
            )
    return statuses


def recheck_plan(
    sources: Mapping[str, SourceBase],
    database_url: str,
    older_than: timedelta,
    *,
    only: Sequence[str] = (),
) -> dict[str, list[tuple[str, str]]]:
    """Source name -> flagged listings (id, URL) not checked for `older_than`."""
    database = Database(database_url)
    try:
        database.create_schema()
        with database.session() as session:
            due = ListingStore(session).due_for_recheck(older_than=datetime.now(UTC) - older_than)
    finally:
        database.dispose()
    plan: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for listing_id, url, source in due:
        if source in sources and (not only or source in only):
            plan[source].append((listing_id, url))
    return dict(plan)
