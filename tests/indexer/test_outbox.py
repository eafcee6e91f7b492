"""The outbox: every change to the store reaches the external index, in order, even when
the index goes away in the middle of a replay.

Elasticsearch cannot run here, so the index is the write-path stand-in of
`tests.indexer.es_standin` (real HTTP, the official client unchanged); the store is a
real SQLite file or a real PostgreSQL server.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from crawler.listing import Classification, Listing
from indexer import Database, ListingStore, ReviewStore
from indexer.audit import AuditLog
from indexer.models import Base, ListingRow, OutboxRow
from indexer.search import sync
from indexer.search.elastic import ElasticBackend
from indexer.search.outbox import OutboxRelay, pending_changes
from tests.indexer.es_standin import EsStandIn

ALIAS = "ob-listings"


@pytest.fixture
def standin() -> Iterator[EsStandIn]:
    with EsStandIn() as running:
        yield running


@pytest.fixture
def index(standin: EsStandIn) -> ElasticBackend:
    backend = ElasticBackend.from_url(standin.url, prefix="ob", max_retries=0)
    backend.ensure()
    return backend


@pytest.fixture(params=["sqlite", "postgresql"])
def attached(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A store whose changes are queued for an external index."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'wildwatch.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
    database = Database(url, search_outbox=True)
    database.create_schema()
    yield database
    if request.param == "postgresql":
        Base.metadata.drop_all(database.engine)
        with database.engine.begin() as conn:
            conn.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
    database.dispose()


def _listing(n: int, title: str | None = None) -> Listing:
    return Listing(
        platform="bazaar",
        platform_id=str(n),
        url=f"https://bazaar.example/item/{n}",
        title=title or f"Carved ivory bangle number {n}",
        price=100.0 + n,
        currency="USD",
        classification=Classification(
            wildlife_product=0.9, risk=0.8, flagged=True, tier="high", model="test"
        ),
    )


def _save(database: Database, *listings: Listing) -> None:
    with database.session() as session:
        store = ListingStore(session)
        for listing in listings:
            store.save(listing)


def test_every_change_is_queued_in_order(attached: Database) -> None:
    _save(attached, _listing(1), _listing(2))
    _save(attached, _listing(1, "Carved ivory bangle, price lowered"))
    with attached.session() as session:
        ReviewStore(session).record("bazaar:2", "confirm", reviewer="ana")
    with attached.session() as session:
        queued = [(r.listing_id, r.op) for r in session.query(OutboxRow).order_by(OutboxRow.id)]
    assert queued == [
        ("bazaar:1", "upsert"),
        ("bazaar:2", "upsert"),
        ("bazaar:1", "upsert"),
        ("bazaar:2", "upsert"),
    ]


def test_no_outbox_without_an_external_index(tmp_path: Path) -> None:
    database = Database.for_data_dir(tmp_path)
    database.create_schema()
    _save(database, _listing(1))
    assert pending_changes(database) == 0


def test_index_down_mid_replay_loses_nothing(
    attached: Database, index: ElasticBackend, standin: EsStandIn
) -> None:
    _save(attached, *[_listing(n) for n in range(30)])
    assert pending_changes(attached) == 30

    # The cluster goes away after the first batch has been taken.
    report = OutboxRelay(attached, index, batch_size=10).drain(
        progress=lambda sent: standin.go_down()
    )
    assert report.sent == 10
    assert report.pending == 20
    assert report.error
    with attached.session() as session:
        waiting = session.query(OutboxRow).order_by(OutboxRow.id).all()
    assert [r.attempts for r in waiting[:10]] == [1] * 10
    assert waiting[0].last_error

    # While it is down the store keeps changing: an edit and a new listing.
    _save(attached, _listing(25, "Carved ivory bangle, now 30% off"), _listing(99))
    assert OutboxRelay(attached, index, batch_size=10).drain().sent == 0

    standin.come_back()
    report = OutboxRelay(attached, index, batch_size=10).drain()
    assert report.error is None
    assert report.pending == 0
    assert report.sent == 22

    indexed = standin.documents(ALIAS)
    assert set(indexed) == {f"bazaar:{n}" for n in [*range(30), 99]}
    # The last word is the store's: the edit made while the index was down is there.
    assert indexed["bazaar:25"]["title"] == "Carved ivory bangle, now 30% off"
    assert indexed["bazaar:3"]["price"] == 103.0
    assert indexed["bazaar:3"]["tier"] == "high"


def test_a_verdict_reaches_the_index(
    attached: Database, index: ElasticBackend, standin: EsStandIn
) -> None:
    _save(attached, _listing(1))
    OutboxRelay(attached, index).drain()
    assert standin.documents(ALIAS)["bazaar:1"]["review_status"] == "unreviewed"
    with attached.session() as session:
        ReviewStore(session).record("bazaar:1", "dismiss", reviewer="ana")
    OutboxRelay(attached, index).drain()
    assert standin.documents(ALIAS)["bazaar:1"]["review_status"] == "dismissed"


def test_a_takedown_reaches_the_index(
    attached: Database, index: ElasticBackend, standin: EsStandIn
) -> None:
    _save(attached, _listing(1))
    with attached.session() as session:
        ListingStore(session).mark_checked(
            "bazaar:1", at=datetime(2026, 11, 1, tzinfo=UTC), removed=True, status=404
        )
    OutboxRelay(attached, index).drain()
    assert standin.documents(ALIAS)["bazaar:1"]["removed"] is True


def test_a_listing_gone_from_the_store_is_deleted_from_the_index(
    attached: Database, index: ElasticBackend, standin: EsStandIn
) -> None:
    _save(attached, _listing(1), _listing(2), _listing(3))
    with attached.session() as session:
        # Queued as an upsert, then the listing left the store before the replay.
        session.delete(session.get(ListingRow, "bazaar:3"))
    OutboxRelay(attached, index).drain()
    assert set(standin.documents(ALIAS)) == {"bazaar:1", "bazaar:2"}
    with attached.session() as session:
        session.delete(session.get(ListingRow, "bazaar:2"))
        sync.listing_removed(session, ["bazaar:2"])
    OutboxRelay(attached, index).drain()
    assert set(standin.documents(ALIAS)) == {"bazaar:1"}


def test_a_document_the_index_refuses_does_not_block_the_others(
    attached: Database, index: ElasticBackend, standin: EsStandIn
) -> None:
    standin.refuse_document("bazaar:2", "failed to parse field [price]")
    _save(attached, _listing(1), _listing(2), _listing(3))
    report = OutboxRelay(attached, index).drain()
    assert report.pending == 0
    assert set(standin.documents(ALIAS)) == {"bazaar:1", "bazaar:3"}
    with attached.session() as session:
        [entry] = AuditLog(session).entries(action="search.rejected")
    assert entry.target_id == "bazaar:2"
    assert "price" in entry.details["reason"]
