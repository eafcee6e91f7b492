"""Saved searches and their alerts, on SQLite and PostgreSQL."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import pytest
from sqlalchemy import text

from indexer import (
    AlertStore,
    AuditLog,
    Database,
    DuplicateSavedSearchError,
    InvalidSavedSearchError,
    SavedSearchError,
    SavedSearchStore,
    UnknownListingError,
    UnknownSavedSearchError,
    UnknownUserError,
    UserStore,
)
from indexer.search import SearchQuery
from tests.indexer.test_audit import add_listing

IVORY = SearchQuery(
    text="象牙 bangle",
    species=["Loxodonta africana"],
    appendix=["i"],
    platform=["bazaar", "mercado"],
    tier=["high"],
    price_min=10,
    date_from=datetime(2026, 1, 1, tzinfo=UTC),
    sort="risk",
)
PANGOLIN = SearchQuery(text="pangolin scales", family=["scales"])


def users(db: Database, *names: str) -> None:
    with db.session() as session:
        for name in names:
            UserStore(session).create(name, "investigator")


def save(db: Database, name: str, query: SearchQuery, owner: str | None = None) -> int:
    with db.session() as session:
        return SavedSearchStore(session).save(name, query, owner).id


def test_a_saved_query_comes_back_exactly(database: Database) -> None:
    users(database, "ivo")
    search_id = save(database, "ivory in asia", IVORY, "ivo")
    with database.session() as session:
        saved = SavedSearchStore(session).get(search_id)
    assert saved.query == IVORY
    assert saved.name == "ivory in asia" and saved.owner == "ivo" and saved.active
    assert saved.query.appendix == ["I"]
    assert saved.created_at.tzinfo is not None


def test_names_are_unique_per_owner(database: Database) -> None:
    users(database, "ivo", "eva")
    save(database, "ivory", IVORY, "ivo")
    save(database, "ivory", IVORY, "eva")
    save(database, "ivory", IVORY)  # a shared search, owned by no one
    for owner in ("ivo", None):
        with (
            database.session() as session,
            pytest.raises(DuplicateSavedSearchError, match="already has a saved search named"),
        ):
            SavedSearchStore(session).save(" ivory ", PANGOLIN, owner)
    with database.session() as session:
        assert len(SavedSearchStore(session).list()) == 3


@pytest.mark.parametrize(
    ("name", "query", "owner", "error", "message"),
    [
        ("", IVORY, None, SavedSearchError, "name is 1 to 200"),
        ("a\nb", IVORY, None, SavedSearchError, "without control characters"),
        ("x" * 201, IVORY, None, SavedSearchError, "name is 1 to 200"),
        ("ok", {"text": "ivory"}, None, SavedSearchError, "holds a SearchQuery, not dict"),
        ("ok", IVORY, "nobody", UnknownUserError, "no account named 'nobody'"),
    ],
)
def test_bad_saves_are_one_clear_error(
    database: Database,
    name: str,
    query: object,
    owner: str | None,
    error: type[Exception],
    message: str,
) -> None:
    with database.session() as session, pytest.raises(error, match=message):
        SavedSearchStore(session).save(name, query, owner)  # type: ignore[arg-type]


def test_update_deactivate_list_and_delete(database: Database) -> None:
    users(database, "ivo", "eva")
    ivory = save(database, "ivory", IVORY, "ivo")
    scales = save(database, "scales", PANGOLIN, "eva")
    with database.session() as session:
        store = SavedSearchStore(session)
        renamed = store.update(ivory, name="ivory, high risk", query=IVORY.with_text("象牙"))
        store.deactivate(scales, actor="eva")
    assert renamed.name == "ivory, high risk" and renamed.query.text == "象牙"
    assert renamed.updated_at >= renamed.created_at
    with database.session() as session:
        store = SavedSearchStore(session)
        assert [s.id for s in store.list(active_only=True)] == [ivory]
        assert [s.id for s in store.list(owner="eva")] == [scales]
        assert store.get(scales).active is False
        store.update(scales, active=True)
        store.delete(ivory, actor="ivo")
    with database.session() as session:
        store = SavedSearchStore(session)
        assert [s.id for s in store.list(active_only=True)] == [scales]
        with pytest.raises(UnknownSavedSearchError, match=f"no saved search with id {ivory}"):
            store.get(ivory)


def test_renaming_onto_a_taken_name_is_refused(database: Database) -> None:
    users(database, "ivo")
    save(database, "ivory", IVORY, "ivo")
    scales = save(database, "scales", PANGOLIN, "ivo")
    with database.session() as session, pytest.raises(DuplicateSavedSearchError):
        SavedSearchStore(session).update(scales, name="ivory")


def test_saved_search_changes_are_audited(database: Database) -> None:
    users(database, "ivo")
    search_id = save(database, "ivory", IVORY, "ivo")
    with database.session() as session:
        store = SavedSearchStore(session)
        store.update(search_id, name="ivory 2", actor="ivo")
        store.deactivate(search_id, actor="admin")
        store.delete(search_id, actor="admin")
    with database.session() as session:
        entries = AuditLog(session).entries(target_type="saved_search", target_id=str(search_id))
    assert [(e.action, e.actor) for e in entries] == [
        ("saved_search.delete", "admin"),
        ("saved_search.deactivate", "admin"),
        ("saved_search.update", "ivo"),
        ("saved_search.create", "ivo"),  # the owner, when no one else is named
    ]
    assert entries[-1].details is not None and entries[-1].details["query"]["text"] == "象牙 bangle"


def _corrupt(db: Database, search_id: int, raw: str) -> None:
    with db.engine.begin() as conn:
        conn.execute(
            text("UPDATE saved_searches SET query = :raw WHERE id = :id"),
            {"raw": raw, "id": search_id},
        )


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        ('{"tier": ["extreme"]}', "tier.0"),
        ('{"text": "ivory", "shell_command": "rm -rf /"}', "shell_command"),
        ('["not", "an", "object"]', "query"),
        ("{not json", "not JSON"),
    ],
)
def test_an_unreadable_stored_query_is_named_not_fatal(
    database: Database, raw: str, problem: str, caplog: pytest.LogCaptureFixture
) -> None:
    if raw.startswith("{not") and database.engine.dialect.name == "postgresql":
        pytest.skip("PostgreSQL's json type cannot hold text that is not JSON")
    good = save(database, "good", PANGOLIN)
    bad = save(database, "bad", IVORY)
    _corrupt(database, bad, raw)
    with database.session() as session:
        store = SavedSearchStore(session)
        with pytest.raises(InvalidSavedSearchError, match=rf"saved search {bad} \('bad'\)") as exc:
            store.get(bad)
        assert problem in str(exc.value)
        with caplog.at_level(logging.WARNING, logger="indexer.saved_searches"):
            listed = store.list()
    # One bad row does not stop the others from being run.
    assert [s.id for s in listed] == [good]
    assert f"saved search {bad}" in caplog.text
    with database.session() as session:
        store = SavedSearchStore(session)
        store.deactivate(bad)
        store.update(bad, query=PANGOLIN)
    with database.session() as session:
        assert SavedSearchStore(session).get(bad).query == PANGOLIN


# -- alerts


def test_a_listing_alerts_once_per_search(database: Database) -> None:
    for i in (1, 2, 3):
        add_listing(database, f"bazaar:{i}")
    ivory = save(database, "ivory", IVORY)
    scales = save(database, "scales", PANGOLIN)
    with database.session() as session:
        alerts = AlertStore(session)
        first = alerts.record(ivory, ["bazaar:1", "bazaar:2", "bazaar:1"])
        again = alerts.record(ivory, ["bazaar:2", "bazaar:3"])
        other = alerts.record(scales, ["bazaar:1"])
    assert [a.listing_id for a in first] == ["bazaar:1", "bazaar:2"]
    assert [a.listing_id for a in again] == ["bazaar:3"]
    assert [(a.saved_search, a.listing_id) for a in other] == [("scales", "bazaar:1")]
    assert all(a.status == "new" for a in [*first, *again, *other])
    with database.session() as session:
        alerts = AlertStore(session)
        assert alerts.record(ivory, ["bazaar:1", "bazaar:2", "bazaar:3"]) == []
        assert len(alerts.for_search(ivory)) == 3


def test_alerts_for_unknown_listings_or_searches_are_refused(database: Database) -> None:
    add_listing(database, "bazaar:1")
    ivory = save(database, "ivory", IVORY)
    with database.session() as session:
        alerts = AlertStore(session)
        with pytest.raises(UnknownListingError, match="no listing 'bazaar:404'"):
            alerts.record(ivory, ["bazaar:1", "bazaar:404"])
        with pytest.raises(UnknownSavedSearchError):
            alerts.record(ivory + 100, ["bazaar:1"])
    with database.session() as session:
        assert AlertStore(session).for_search(ivory) == []


def test_a_deactivated_search_raises_no_alerts_and_keeps_none_pending(database: Database) -> None:
    add_listing(database, "bazaar:1")
    add_listing(database, "bazaar:2")
    ivory = save(database, "ivory", IVORY)
    with database.session() as session:
        AlertStore(session).record(ivory, ["bazaar:1"])
        SavedSearchStore(session).deactivate(ivory)
    with database.session() as session:
        alerts = AlertStore(session)
        assert alerts.record(ivory, ["bazaar:2"]) == []
        assert alerts.pending() == []


def test_a_platform_team_sees_and_acknowledges_only_its_own_platform(database: Database) -> None:
    add_listing(database, "bazaar:1", "bazaar")
    add_listing(database, "mercado:1", "mercado")
    add_listing(database, "bazaar:2", "bazaar")
    ivory = save(database, "ivory", IVORY)
    with database.session() as session:
        AlertStore(session).record(ivory, ["bazaar:1", "mercado:1", "bazaar:2"])
    with database.session() as session:
        alerts = AlertStore(session)
        everything = alerts.pending()
        bazaar = alerts.pending(platform="bazaar")
        first_only = alerts.pending(platform="bazaar", limit=1)
        # A bazaar team's acknowledgement cannot touch mercado's alert.
        changed = alerts.acknowledge([a.id for a in everything], actor="team", platform="bazaar")
    assert [a.listing_id for a in everything] == ["bazaar:1", "mercado:1", "bazaar:2"]
    assert [a.listing_id for a in bazaar] == ["bazaar:1", "bazaar:2"]
    assert {a.platform for a in bazaar} == {"bazaar"}
    assert [a.listing_id for a in first_only] == ["bazaar:1"]
    assert changed == 2
    with database.session() as session:
        alerts = AlertStore(session)
        assert [a.listing_id for a in alerts.pending()] == ["mercado:1"]
        entries = AuditLog(session).entries(action="alert.acknowledge")
    assert {e.details["listing_id"] for e in entries if e.details} == {"bazaar:1", "bazaar:2"}
    assert {e.actor for e in entries} == {"team"}


def test_sent_alerts_leave_the_pending_queue_and_keep_their_delivery_time(
    database: Database,
) -> None:
    add_listing(database, "bazaar:1")
    add_listing(database, "bazaar:2")
    ivory = save(database, "ivory", IVORY)
    sent_at = datetime(2026, 11, 4, 9, 30, tzinfo=UTC)
    with database.session() as session:
        created = AlertStore(session).record(ivory, ["bazaar:1", "bazaar:2"])
    with database.session() as session:
        alerts = AlertStore(session)
        assert alerts.mark_sent([created[0].id], at=sent_at) == 1
        assert alerts.mark_sent([created[0].id]) == 0  # already sent: left as it was
        pending = alerts.pending()
        sent = alerts.for_search(ivory, status="sent")
        assert alerts.acknowledge([created[0].id]) == 1
        assert alerts.acknowledge([created[0].id]) == 0
    assert [a.listing_id for a in pending] == ["bazaar:2"]
    assert [(a.listing_id, a.delivered_at) for a in sent] == [("bazaar:1", sent_at)]


def test_deleting_a_search_removes_its_alerts(database: Database) -> None:
    add_listing(database, "bazaar:1")
    ivory = save(database, "ivory", IVORY)
    scales = save(database, "scales", PANGOLIN)
    with database.session() as session:
        AlertStore(session).record(ivory, ["bazaar:1"])
        AlertStore(session).record(scales, ["bazaar:1"])
        SavedSearchStore(session).delete(ivory)
    with database.session() as session:
        assert [a.saved_search for a in AlertStore(session).pending()] == ["scales"]
        count = session.execute(text("SELECT count(*) FROM alerts")).scalar_one()
    assert count == 1
