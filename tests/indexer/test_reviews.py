"""Reviewer verdicts in the store of record."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from indexer import Database, ReviewStore, StoreError, UnknownListingError
from tests.indexer.test_store import listing, save

T0 = datetime(2026, 11, 2, tzinfo=UTC)


def test_verdicts_are_kept_in_order_with_the_score_they_judged(database: Database) -> None:
    save(database, listing("1", "ivory bangle", risk=0.8))
    with database.session() as session:
        reviews = ReviewStore(session)
        reviews.record("bazaar:1", "dismiss", note="resin, checked photos", at=T0)
        reviews.record(
            "bazaar:1",
            "confirm",
            note="seller admits real",
            reviewer="ana",
            at=T0 + timedelta(hours=1),
        )
    with database.session() as session:
        history = ReviewStore(session).for_listing("bazaar:1")
        latest = ReviewStore(session).latest()
    assert [r.verdict for r in history] == ["dismiss", "confirm"]
    assert history[0].note == "resin, checked photos"
    assert history[1].reviewer == "ana"
    assert history[0].risk_at_review == 0.8 and history[0].model_at_review == "test"
    assert history[0].created_at == T0
    # The newest verdict is the one that counts for training.
    assert latest["bazaar:1"].verdict == "confirm"


def test_verdict_on_an_unknown_listing_is_refused_and_nothing_is_written(
    database: Database,
) -> None:
    with database.session() as session, pytest.raises(UnknownListingError, match="nope"):
        ReviewStore(session).record("bazaar:nope", "confirm")
    with database.session() as session:
        assert ReviewStore(session).latest() == {}


def test_only_confirm_and_dismiss_are_verdicts(database: Database) -> None:
    save(database, listing("2", "rhino horn cup"))
    with database.session() as session, pytest.raises(StoreError, match="confirm, dismiss"):
        ReviewStore(session).record("bazaar:2", "maybe")


def test_notes_are_capped_and_blank_notes_dropped(database: Database) -> None:
    save(database, listing("3", "pangolin scales"))
    with database.session() as session:
        store = ReviewStore(session)
        long = store.record("bazaar:3", "confirm", note="x" * 10_000)
        blank = store.record("bazaar:3", "confirm", note="   ")
    assert len(long.note or "") == 2_000
    assert blank.note is None
