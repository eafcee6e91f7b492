"""The crawl state keeps pauses, budgets, pages and runs, on SQLite and on a real
PostgreSQL server alike."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine

from crawler.state import CrawlState, RunRecord, metadata


@pytest.fixture(params=["sqlite", "postgresql"])
def state(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[CrawlState]:
    if request.param == "sqlite":
        yield CrawlState(f"sqlite:///{tmp_path / 'state.db'}")
        return
    url = request.getfixturevalue("postgres_url")
    yield CrawlState(url)
    engine = create_engine(url)
    with engine.begin() as conn:  # one server for the session: empty the tables
        for table in reversed(metadata.sorted_tables):
            conn.execute(table.delete())
    engine.dispose()


def test_a_pause_lasts_until_its_time_or_a_resume(state: CrawlState) -> None:
    now = datetime.now(UTC)
    assert state.paused("den") is None
    state.pause("den", now + timedelta(hours=6), "logged out: renew DEN_COOKIES")
    pause = state.paused("den")
    assert pause is not None and pause.reason == "logged out: renew DEN_COOKIES"
    assert state.paused("den", now + timedelta(hours=7)) is None  # over by then
    assert state.resume("den") is True
    assert state.paused("den") is None and state.resume("den") is False


def test_the_daily_budget_adds_up_per_day_and_source(state: CrawlState) -> None:
    day = datetime(2026, 11, 22, tzinfo=UTC).date()
    assert [state.spend("a", day) for _ in range(3)] == [1, 2, 3]
    assert state.spend("a", day, 5) == 8
    assert state.spent("a", day + timedelta(days=1)) == 0
    assert state.spent("b", day) == 0


def test_pages_remember_their_last_fetch(state: CrawlState) -> None:
    now = datetime(2026, 11, 22, 12, tzinfo=UTC)
    url = "https://market.example/listing/42"
    state.record_page(
        "m", url, status=200, fetched_at=now, next_due=now + timedelta(days=7), card="c1"
    )
    state.record_page("m", url, status=404, fetched_at=now, next_due=None, gone_at=now)
    page = state.page("m", url)
    assert page is not None
    assert (page.status, page.card, page.gone_at, page.next_due) == (404, "c1", now, None)
    assert state.page("other", url) is None


def test_runs_come_back_newest_first(state: CrawlState) -> None:
    t0 = datetime(2026, 11, 22, tzinfo=UTC)
    for n in range(3):
        state.record_run(
            RunRecord(
                "m",
                t0 + timedelta(hours=n),
                t0 + timedelta(hours=n, minutes=5),
                "finished",
                {"listings": 10 + n},
                {"price": 1.0},
                [] if n < 2 else ["listings dropped"],
            )
        )
    runs = state.runs("m")
    assert [r.counts["listings"] for r in runs] == [12, 11, 10]
    assert runs[0].warnings == ["listings dropped"] and runs[0].coverage == {"price": 1.0}
    assert state.sources() == ["m"]
