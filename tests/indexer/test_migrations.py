"""Schema migrations (Alembic) on SQLite and PostgreSQL: the migrated schema is what the
models declare, older stores are upgraded with every row kept, and two processes may
create the schema at once."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from click.testing import CliRunner
from sqlalchemy import Column, ForeignKey, MetaData, Table, insert, inspect, select, text, update

from indexer import (
    AlertStore,
    AuditLog,
    Database,
    ListingStore,
    ReviewStore,
    SavedSearchStore,
    StoreError,
    UserStore,
    migrations,
)
from indexer.migrations import baseline
from indexer.models import Base, ListingRow
from indexer.search import SearchQuery
from wildwatch.commands.database import db as db_command

T0 = datetime(2026, 10, 1, 8, 0, tzinfo=UTC)
T1 = datetime(2026, 10, 2, 9, 30, tzinfo=UTC)
HEAD = migrations.head_revision()


def schema_differences(database: Database) -> list[Any]:
    """What Alembic's autogenerate would still change to match the models."""
    with database.engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"include_object": migrations.include_object, "compare_type": True}
        )
        return list(compare_metadata(context, Base.metadata))


def migrate_to(database: Database, revision: str) -> None:
    with database.engine.connect() as conn:
        migrations.upgrade(conn, revision)
        conn.commit()


def test_the_migrated_schema_is_what_the_models_declare(database: Database) -> None:
    # Tables other parts own sit in the same database and must not count as drift.
    others = MetaData()
    for name in ("idx_probe", "crawl_probe", "apscheduler_probe"):
        Table(name, others, Column("id", ListingRow.id.type, primary_key=True))
    others.create_all(database.engine)
    try:
        assert database.schema_revision() == HEAD
        # A model changed without a revision shows up here.
        assert schema_differences(database) == []
    finally:
        others.drop_all(database.engine)


def test_creating_the_schema_again_changes_nothing(database: Database) -> None:
    with database.session() as session:
        UserStore(session).create("ana", "reviewer")
        AuditLog(session).record("reindex.start", actor="ops")
    database.create_schema()
    database.create_schema()
    assert database.schema_revision() == HEAD
    with database.session() as session:
        assert [u.username for u in UserStore(session).list()] == ["ana"]
        assert [e.action for e in AuditLog(session).entries()] == ["reindex.start", "user.create"]
    assert schema_differences(database) == []


def _fill_0001(database: Database) -> None:
    """One listing with a classification, a verdict, an edit and a takedown check, written
    through the 0001 tables themselves."""
    t = baseline.metadata.tables
    with database.engine.begin() as conn:
        conn.execute(
            insert(t["listings"]).values(
                id="bazaar:1",
                platform="bazaar",
                platform_id="1",
                url="https://bazaar.example/l/1",
                title="象牙手镯 ivory bangle",
                description="old stock",
                price=120.0,
                currency="USD",
                seller_id="s1",
                seller_name="Mr Lee",
                image_urls=["https://bazaar.example/p/1.jpg"],
                hashtags=["#ivory"],
                comments=[],
                first_seen=T0,
                last_seen=T1,
                crawl={"source": "sandbox-bazaar", "body_sha256": "ab" * 32},
                evidence=[],
            )
        )
        conn.execute(
            insert(t["classifications"]).values(
                listing_id="bazaar:1",
                wildlife_product=0.93,
                risk=0.91,
                flagged=True,
                tier="high",
                species=[],
                reasons=[],
                model="head-v1",
                classified_at=T1,
            )
        )
        conn.execute(
            insert(t["reviews"]).values(
                listing_id="bazaar:1",
                verdict="confirm",
                note="real",
                reviewer="ana",
                risk_at_review=0.91,
                model_at_review="head-v1",
                created_at=T1,
            )
        )
        conn.execute(
            insert(t["listing_history"]).values(
                listing_id="bazaar:1",
                changed_at=T1,
                fields=["price"],
                title="象牙手镯 ivory bangle",
                price=150.0,
                currency="USD",
            )
        )
        conn.execute(
            insert(t["takedowns"]).values(listing_id="bazaar:1", last_checked=T1, status=200)
        )


def _assert_0001_rows_intact(database: Database) -> None:
    with database.session() as session:
        store = ListingStore(session)
        listing = store.get("bazaar:1")
        history = store.history("bazaar:1")
        reviews = ReviewStore(session).for_listing("bazaar:1")
        checked = session.execute(text("SELECT status FROM takedowns")).scalar_one()
    assert listing is not None
    assert listing.title == "象牙手镯 ivory bangle" and listing.price == 120.0
    assert listing.hashtags == ["#ivory"] and listing.first_seen == T0
    assert listing.classification is not None and listing.classification.risk == 0.91
    assert [(h.fields, h.price) for h in history] == [(["price"], 150.0)]
    assert [(r.verdict, r.reviewer, r.created_at) for r in reviews] == [("confirm", "ana", T1)]
    assert checked == 200


def _assert_new_tables_usable(database: Database) -> None:
    with database.session() as session:
        session.execute(
            update(ListingRow)
            .where(ListingRow.id == "bazaar:1")
            .values(image_hashes=["f0e1d2c3b4a59687"], repost_cluster="r1", seller_cluster="s1")
        )
        UserStore(session).create("ivo", "investigator")
        search = SavedSearchStore(session).save("ivory", SearchQuery(text="ivory"), "ivo")
        alerts = AlertStore(session).record(search.id, ["bazaar:1"])
    assert [a.listing_id for a in alerts] == ["bazaar:1"]
    with database.session() as session:
        row = session.get(ListingRow, "bazaar:1")
        assert row is not None and row.repost_cluster == "r1"
        assert row.image_hashes == ["f0e1d2c3b4a59687"]


def test_a_0001_store_is_upgraded_with_every_row_kept(bare_database: Database) -> None:
    migrate_to(bare_database, "0001")
    assert bare_database.schema_revision() == "0001"
    _fill_0001(bare_database)
    bare_database.create_schema()
    assert bare_database.schema_revision() == HEAD
    _assert_0001_rows_intact(bare_database)
    _assert_new_tables_usable(bare_database)
    assert schema_differences(bare_database) == []


def test_downgrading_to_0001_keeps_the_listings(bare_database: Database) -> None:
    migrate_to(bare_database, "0001")
    _fill_0001(bare_database)
    bare_database.create_schema()
    with bare_database.engine.connect() as conn:
        command.downgrade(migrations.alembic_config(conn), "0001")
        conn.commit()
    assert bare_database.schema_revision() == "0001"
    assert "users" not in inspect(bare_database.engine).get_table_names()
    with bare_database.engine.connect() as conn:
        counts = {
            name: conn.execute(text(f"SELECT count(*) FROM {name}")).scalar_one()
            for name in baseline.metadata.tables
        }
    assert set(counts.values()) == {1}, counts
    # And up again: everything is still there.
    bare_database.create_schema()
    _assert_0001_rows_intact(bare_database)
    assert schema_differences(bare_database) == []


def test_an_unversioned_store_missing_tables_and_columns_is_completed(
    bare_database: Database,
) -> None:
    """A store an older wildwatch made with create_all: no alembic_version, no takedowns or
    listing_history tables, no hashtags or comments columns."""
    old = MetaData()
    dropped = {"hashtags", "comments"}
    for table in baseline.metadata.sorted_tables:
        if table.name in ("takedowns", "listing_history"):
            continue
        columns = [
            Column(
                c.name,
                c.type,
                *[ForeignKey(fk.target_fullname, ondelete=fk.ondelete) for fk in c.foreign_keys],
                primary_key=c.primary_key,
                nullable=c.nullable,
            )
            for c in table.columns
            if c.name not in dropped
        ]
        Table(table.name, old, *columns)
    old.create_all(bare_database.engine)
    with bare_database.engine.begin() as conn:
        conn.execute(
            insert(old.tables["listings"]).values(
                id="bazaar:9",
                platform="bazaar",
                url="https://bazaar.example/l/9",
                title="rhino horn cup",
                image_urls=[],
                first_seen=T0,
                last_seen=T0,
                evidence=[],
            )
        )
    bare_database.create_schema()
    assert bare_database.schema_revision() == HEAD
    assert schema_differences(bare_database) == []
    with bare_database.session() as session:
        listing = ListingStore(session).get("bazaar:9")
        assert listing is not None and listing.title == "rhino horn cup"
        assert listing.hashtags == []
        assert ListingStore(session).history("bazaar:9") == []


# The tables as the first wildwatch with reviews wrote them on SQLite (its create_all),
# with its full-text table; no hashtags or comments, no history, no takedowns.
_LEGACY_SQLITE = """
CREATE TABLE listings (
    id VARCHAR(400) NOT NULL, platform VARCHAR(100) NOT NULL, platform_id VARCHAR(300),
    url TEXT NOT NULL, title TEXT NOT NULL, description TEXT, price FLOAT,
    currency VARCHAR(3), seller_id VARCHAR(300), seller_name VARCHAR(300), seller_url TEXT,
    location VARCHAR(300), posted_at DATETIME, language VARCHAR(16),
    image_urls JSON NOT NULL, first_seen DATETIME NOT NULL, last_seen DATETIME NOT NULL,
    crawl JSON, evidence JSON NOT NULL, PRIMARY KEY (id)
);
CREATE INDEX ix_listings_seller_id ON listings (seller_id);
CREATE INDEX ix_listings_platform ON listings (platform);
CREATE TABLE classifications (
    listing_id VARCHAR(400) NOT NULL, wildlife_product DOUBLE NOT NULL, risk DOUBLE NOT NULL,
    flagged BOOLEAN NOT NULL, tier VARCHAR(10) NOT NULL, species JSON NOT NULL,
    reasons JSON NOT NULL, model VARCHAR(300) NOT NULL, classified_at DATETIME NOT NULL,
    PRIMARY KEY (listing_id),
    FOREIGN KEY(listing_id) REFERENCES listings (id) ON DELETE CASCADE
);
CREATE INDEX ix_classifications_flagged_risk ON classifications (flagged, risk);
CREATE TABLE reviews (
    id INTEGER NOT NULL, listing_id VARCHAR(400) NOT NULL, verdict VARCHAR(10) NOT NULL,
    note TEXT, reviewer VARCHAR(200), risk_at_review FLOAT, model_at_review VARCHAR(300),
    created_at DATETIME NOT NULL, PRIMARY KEY (id),
    FOREIGN KEY(listing_id) REFERENCES listings (id) ON DELETE CASCADE
);
CREATE INDEX ix_reviews_listing_created ON reviews (listing_id, created_at);
CREATE VIRTUAL TABLE listing_fts USING fts5(
    listing_id UNINDEXED, title, description, seller, units,
    tokenize = 'unicode61 remove_diacritics 2'
);
INSERT INTO listings VALUES ('bazaar:3', 'bazaar', '3', 'https://bazaar.example/l/3',
    'pangolin scales 穿山甲', NULL, 80.0, 'USD', 's3', 'Ms Tan', NULL, NULL, NULL, 'en',
    '[]', '2026-09-01 10:00:00.000000', '2026-09-02 10:00:00.000000', NULL, '[]');
INSERT INTO classifications VALUES ('bazaar:3', 0.8, 0.85, 1, 'high', '[]', '[]', 'shipped',
    '2026-09-02 10:00:00.000000');
INSERT INTO reviews VALUES (1, 'bazaar:3', 'dismiss', 'replica', 'ana', 0.85, 'shipped',
    '2026-09-03 10:00:00.000000');
"""


def test_an_unversioned_sqlite_store_from_an_older_wildwatch_upgrades(tmp_path: Path) -> None:
    path = tmp_path / "wildwatch.db"
    with sqlite3.connect(path) as conn:
        conn.executescript(_LEGACY_SQLITE)
    database = Database.for_data_dir(tmp_path)
    try:
        assert database.schema_revision() is None
        database.create_schema()
        assert database.schema_revision() == HEAD
        assert schema_differences(database) == []
        with database.session() as session:
            listing = ListingStore(session).get("bazaar:3")
            reviews = ReviewStore(session).for_listing("bazaar:3")
        assert listing is not None and listing.title == "pangolin scales 穿山甲"
        assert listing.classification is not None and listing.classification.risk == 0.85
        assert [(r.verdict, r.note) for r in reviews] == [("dismiss", "replica")]
        columns = {c["name"] for c in inspect(database.engine).get_columns("listings")}
        assert {"hashtags", "comments", "image_hashes", "repost_cluster"} <= columns
    finally:
        database.dispose()


def test_a_store_from_a_newer_wildwatch_is_one_clear_error(database: Database) -> None:
    with database.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    with pytest.raises(StoreError, match="revision 9999, which this wildwatch does not know"):
        database.create_schema()


_CREATE_SCHEMA = """
import sys
from indexer import Database
Database(sys.argv[1]).create_schema()
"""


def test_two_processes_may_create_the_schema_at_once(bare_database: Database) -> None:
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", _CREATE_SCHEMA, bare_database.url],
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    errors = [p.communicate(timeout=120)[1] for p in processes]
    assert [p.returncode for p in processes] == [0, 0, 0], errors
    assert bare_database.schema_revision() == HEAD
    assert schema_differences(bare_database) == []
    with bare_database.engine.connect() as conn:
        versions = conn.execute(select(text("version_num")).select_from(text("alembic_version")))
        assert [v[0] for v in versions] == [HEAD]


def test_db_commands_report_and_upgrade_the_revision(tmp_path: Path) -> None:
    runner = CliRunner()
    data_dir = ["--data-dir", str(tmp_path)]

    before = runner.invoke(db_command, ["current", "--check", *data_dir])
    assert before.exit_code == 1
    assert before.output.startswith("none: no schema yet")
    assert "run `wildwatch db upgrade`" in before.output

    upgraded = runner.invoke(db_command, ["upgrade", *data_dir])
    assert upgraded.exit_code == 0, upgraded.output
    assert upgraded.output.strip() == f"schema upgraded from nothing to revision {HEAD} (head)"

    again = runner.invoke(db_command, ["upgrade", *data_dir])
    assert again.output.strip() == f"schema already at revision {HEAD} (head)"

    after = runner.invoke(db_command, ["current", "--check", *data_dir])
    assert after.exit_code == 0
    assert after.output.strip() == f"{HEAD} (head)"
