"""The audit log: appended by every store that acts for someone, refused any change by the
database itself, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from indexer import AuditLog, Database, ReviewStore, StoreError
from indexer.audit import MAX_DETAILS_CHARS
from indexer.models import ListingRow

T0 = datetime(2026, 11, 3, tzinfo=UTC)


def add_listing(db: Database, listing_id: str, platform: str = "bazaar") -> None:
    """A bare listing row (the stores under test need one to point at)."""
    with db.session() as session:
        session.add(
            ListingRow(
                id=listing_id,
                platform=platform,
                url=f"https://{platform}.example/{listing_id}",
                title=f"listing {listing_id}",
                image_urls=[],
                evidence=[],
                first_seen=T0,
                last_seen=T0,
            )
        )


def test_entries_come_back_newest_first_and_filtered_by_target(database: Database) -> None:
    with database.session() as session:
        log = AuditLog(session)
        log.record("export.case", actor="ana", target_type="listing", target_id="bazaar:1")
        log.record("reindex.start", actor="ops")
        log.record(
            "export.case",
            actor="ben",
            target_type="listing",
            target_id="bazaar:2",
            details={"format": "zip", "at": T0},
        )
    with database.session() as session:
        log = AuditLog(session)
        everything = log.entries()
        about_one = log.entries(target_type="listing", target_id="bazaar:2")
        by_ana = log.entries(actor="ana")
        newest = log.entries(limit=1)
    assert [e.action for e in everything] == ["export.case", "reindex.start", "export.case"]
    assert [e.actor for e in everything] == ["ben", "ops", "ana"]
    assert [e.target_id for e in about_one] == ["bazaar:2"]
    # Values JSON cannot hold are kept as text rather than failing the action.
    assert about_one[0].details == {"format": "zip", "at": str(T0)}
    assert about_one[0].at.tzinfo is not None
    assert [e.target_id for e in by_ana] == ["bazaar:1"]
    assert [e.actor for e in newest] == ["ben"]


def test_oversized_details_are_kept_as_a_capped_excerpt(database: Database) -> None:
    note = "象" * (MAX_DETAILS_CHARS * 2)
    with database.session() as session:
        AuditLog(session).record("review.confirm", details={"note": note})
    with database.session() as session:
        (entry,) = AuditLog(session).entries()
    assert entry.details is not None and entry.details["truncated"] is True
    assert len(json.dumps(entry.details, ensure_ascii=False)) < MAX_DETAILS_CHARS + 200
    assert entry.details["excerpt"].startswith('{"note": "象象')


@pytest.mark.parametrize("action", ["", "Review Confirm", "drop table; --", "x" * 101, "a..b"])
def test_an_action_that_is_not_a_dotted_name_is_refused(database: Database, action: str) -> None:
    with database.session() as session, pytest.raises(StoreError, match="dotted"):
        AuditLog(session).record(action)


def test_verdicts_are_audited_with_their_reviewer(database: Database) -> None:
    add_listing(database, "bazaar:7")
    with database.session() as session:
        reviews = ReviewStore(session)
        reviews.record("bazaar:7", "dismiss", note="resin", reviewer="ana")
        reviews.record("bazaar:7", "confirm", reviewer="ben")
    with database.session() as session:
        entries = AuditLog(session).entries(target_type="listing", target_id="bazaar:7")
    assert [(e.action, e.actor) for e in entries] == [
        ("review.confirm", "ben"),
        ("review.dismiss", "ana"),
    ]
    assert entries[1].details is not None and entries[1].details["note"] == "resin"


def test_a_refused_verdict_leaves_no_audit_entry(database: Database) -> None:
    with database.session() as session, pytest.raises(StoreError):
        ReviewStore(session).record("bazaar:404", "confirm", reviewer="ana")
    with database.session() as session:
        assert AuditLog(session).entries() == []


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_log SET actor = 'mallory'",
        "DELETE FROM audit_log",
    ],
)
def test_the_database_refuses_to_change_or_remove_entries(
    database: Database, statement: str
) -> None:
    with database.session() as session:
        AuditLog(session).record("review.confirm", actor="ana", target_id="bazaar:1")
    # Straight SQL, as anyone with a database connection could send it.
    with pytest.raises(DBAPIError, match="append-only"), database.engine.begin() as conn:
        conn.execute(text(statement))
    with database.session() as session:
        entries = AuditLog(session).entries()
    assert [(e.action, e.actor) for e in entries] == [("review.confirm", "ana")]


def test_postgresql_refuses_truncating_the_log(database: Database) -> None:
    if database.engine.dialect.name != "postgresql":
        pytest.skip("TRUNCATE is PostgreSQL's (SQLite has none)")
    with database.session() as session:
        AuditLog(session).record("reindex.start", actor="ops")
    with pytest.raises(DBAPIError, match="append-only"), database.engine.begin() as conn:
        conn.execute(text("TRUNCATE audit_log"))
    with database.session() as session:
        assert len(AuditLog(session).entries()) == 1
