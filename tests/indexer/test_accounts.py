"""Accounts, roles and API tokens, on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import text

from indexer import (
    AccountError,
    AuditLog,
    Database,
    DuplicateUserError,
    StoreError,
    UnknownUserError,
    UserStore,
)


def test_accounts_are_created_listed_and_read_back(database: Database) -> None:
    with database.session() as session:
        users = UserStore(session)
        users.create("ana", "reviewer", display_name="  Ana Lima ")
        users.create("Trust.Team@bazaar", "platform", "bazaar")
        users.create("ivo", "investigator")
    with database.session() as session:
        users = UserStore(session)
        listed = users.list()
        team = users.get("trust.team@bazaar")
    assert [u.username for u in listed] == ["ana", "ivo", "trust.team@bazaar"]
    assert listed[0].display_name == "Ana Lima" and listed[0].role == "reviewer"
    assert all(u.active for u in listed)
    assert team.role == "platform" and team.platform == "bazaar"
    assert team.created_at.tzinfo is not None


@pytest.mark.parametrize("taken", ["ana", "ANA", " ana "])
def test_a_taken_username_is_refused_whatever_its_case(database: Database, taken: str) -> None:
    with database.session() as session:
        UserStore(session).create("ana", "reviewer")
    with database.session() as session, pytest.raises(DuplicateUserError, match="'ana' is taken"):
        UserStore(session).create(taken, "admin")


@pytest.mark.parametrize(
    ("username", "role", "platform", "message"),
    [
        ("ana", "superuser", None, "role must be one of reviewer, investigator"),
        ("ana", "platform", None, "needs the platform"),
        ("ana", "platform", "  ", "needs the platform"),
        ("ana", "reviewer", "bazaar", "only platform accounts belong to a platform"),
        ("", "reviewer", None, "a username is 1 to 200 characters"),
        ("ana lima", "reviewer", None, "a username is 1 to 200 characters"),
        ("<script>", "reviewer", None, "a username is 1 to 200 characters"),
        ("a" * 201, "reviewer", None, "a username is 1 to 200 characters"),
    ],
)
def test_bad_account_details_are_one_clear_error(
    database: Database, username: str, role: str, platform: str | None, message: str
) -> None:
    with database.session() as session, pytest.raises(AccountError, match=message):
        UserStore(session).create(username, role, platform)
    with database.session() as session:
        assert UserStore(session).list() == []


def test_a_token_opens_the_account_and_only_its_hash_is_stored(database: Database) -> None:
    with database.session() as session:
        UserStore(session).create("ana", "reviewer")
        token = UserStore(session).issue_token("ana")
    with database.session() as session:
        user = UserStore(session).authenticate(token)
        stored = session.execute(text("SELECT token_sha256 FROM users")).scalar_one()
        audit_text = str([e.details for e in AuditLog(session).entries()])
    assert user is not None and user.username == "ana"
    assert stored == hashlib.sha256(token.encode()).hexdigest()
    assert token not in stored and token not in audit_text
    assert len(token) >= 40


def test_a_new_token_replaces_the_old_one(database: Database) -> None:
    with database.session() as session:
        users = UserStore(session)
        users.create("ana", "reviewer")
        first = users.issue_token("ana")
        second = users.issue_token("ana")
    with database.session() as session:
        users = UserStore(session)
        assert first != second
        assert users.authenticate(first) is None
        assert users.authenticate(second) is not None


@pytest.mark.parametrize("token", ["", "wwt_not-a-real-token", "x" * 10_000, None, 42])
def test_a_wrong_or_malformed_token_opens_nothing(database: Database, token: object) -> None:
    with database.session() as session:
        UserStore(session).create("ana", "reviewer")
        UserStore(session).issue_token("ana")
    with database.session() as session:
        assert UserStore(session).authenticate(token) is None  # type: ignore[arg-type]


def test_a_deactivated_account_is_refused_and_gets_no_new_token(database: Database) -> None:
    with database.session() as session:
        users = UserStore(session)
        users.create("ana", "reviewer")
        users.create("ben", "reviewer")
        token = users.issue_token("ana")
        users.deactivate("ana", actor="root")
    with database.session() as session:
        users = UserStore(session)
        assert users.authenticate(token) is None
        assert users.get("ana").active is False
        assert [u.username for u in users.list(active_only=True)] == ["ben"]
        with pytest.raises(AccountError, match="deactivated"):
            users.issue_token("ana")


def test_unknown_accounts_are_named_in_the_error(database: Database) -> None:
    with database.session() as session:
        users = UserStore(session)
        for action in (users.get, users.issue_token, users.deactivate):
            with pytest.raises(UnknownUserError, match="no account named 'zoe'"):
                action("zoe")
    assert issubclass(UnknownUserError, StoreError)


def test_account_changes_are_audited_with_their_actor(database: Database) -> None:
    with database.session() as session:
        users = UserStore(session)
        users.create("team", "platform", "bazaar", actor="root")
        users.issue_token("team", actor="root")
        users.deactivate("team", actor="root")
    with database.session() as session:
        entries = AuditLog(session).entries(target_type="user", target_id="team")
    assert [(e.action, e.actor) for e in entries] == [
        ("user.deactivate", "root"),
        ("user.token", "root"),
        ("user.create", "root"),
    ]
    assert entries[-1].details == {"role": "platform", "platform": "bazaar"}
