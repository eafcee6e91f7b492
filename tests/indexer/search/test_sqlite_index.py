"""The embedded index's own behaviour: keeping in step with the store, rebuilding,
upgrading an older store, and refusing what it cannot do."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from crawler.listing import Classification, Listing
from indexer import Database, ListingStore, StoreError
from indexer.fts import match_expression, search_ids
from indexer.search import SearchDocument, SearchQuery
from indexer.search.service import search
from indexer.search.sqlite import (
    SqliteBackend,
    SqliteIndex,
    create_tables,
    drop_tables,
    ensure_index,
)

SEEN = datetime(2026, 5, 1, tzinfo=UTC)


def _listing(key: str, title: str, *, risk: float = 0.0, platform: str = "bazaar") -> Listing:
    tier = "high" if risk >= 0.75 else "none"
    return Listing(
        platform=platform,
        platform_id=key,
        url=f"https://{platform}.example/{key}",
        title=title,
        classification=Classification(
            wildlife_product=risk, risk=risk, flagged=risk >= 0.5, tier=tier
        ),
    )


def _save(database: Database, *listings: Listing) -> None:
    with database.session() as session:
        store = ListingStore(session)
        for listing in listings:
            store.save(listing, seen_at=SEEN)
        SqliteIndex(session).refresh([listing.id for listing in listings])


def _ids(database: Database, **fields: Any) -> list[str]:
    with database.session() as session:
        query = SearchQuery(**{"limit": 100, **fields})
        result = search(session, SqliteBackend(session), query)
    return [hit.listing.id for hit in result.hits]


def _index_state(database: Database) -> list[list[tuple[Any, ...]]]:
    with database.engine.connect() as conn:
        return [
            [tuple(row) for row in conn.execute(text(sql))]
            for sql in (
                "SELECT * FROM idx_docs ORDER BY doc",
                "SELECT * FROM idx_tag_docs ORDER BY tag",
                "SELECT rowid, * FROM idx_fts ORDER BY rowid",
            )
        ]


def test_refresh_is_idempotent(sqlite_database: Database) -> None:
    _save(sqlite_database, _listing("1", "出售象牙手镯", risk=0.9), _listing("2", "ngà voi"))
    before = _index_state(sqlite_database)
    with sqlite_database.session() as session:
        assert SqliteIndex(session).refresh(["bazaar:1", "bazaar:2", "bazaar:1"]) == 2
    assert _index_state(sqlite_database) == before
    assert len(before[0]) == 2


def test_an_edit_replaces_the_old_words_and_fields(sqlite_database: Database) -> None:
    _save(sqlite_database, _listing("1", "ivory bangle", risk=0.9))
    _save(sqlite_database, _listing("1", "resin bangle, price drop", risk=0.1))
    assert _ids(sqlite_database, text="drop") == ["bazaar:1"]
    assert _ids(sqlite_database, text="ivory") == []
    assert _ids(sqlite_database, tier=["high"]) == []
    assert _ids(sqlite_database, tier=["none"]) == ["bazaar:1"]


def test_listings_leave_the_index(sqlite_database: Database) -> None:
    _save(sqlite_database, _listing("1", "ivory"), _listing("2", "ivory"), _listing("3", "ivory"))
    with sqlite_database.session() as session:
        assert SqliteIndex(session).remove(["bazaar:1", "nowhere:9"]) == 1
        # A listing the store no longer holds is dropped by a refresh too.
        session.execute(text("DELETE FROM listings WHERE id = 'bazaar:2'"))
        SqliteIndex(session).refresh(["bazaar:2"])
    assert _ids(sqlite_database, text="ivory") == ["bazaar:3"]
    docs, tag_docs, fts = _index_state(sqlite_database)
    assert (len(docs), len(fts)) == (1, 1)
    assert ("*", 1) in tag_docs


def test_hits_the_store_no_longer_has_are_left_out(sqlite_database: Database) -> None:
    _save(sqlite_database, _listing("1", "ivory"))
    ghost = SearchDocument(
        id="bazaar:ghost", platform="bazaar", url="https://b.example/g", title="ivory"
    )
    with sqlite_database.session() as session:
        SqliteIndex(session).index_documents([ghost])
        backend = SqliteBackend(session)
        assert {h.listing_id for h in backend.search(SearchQuery(text="ivory")).hits} == {
            "bazaar:1",
            "bazaar:ghost",
        }
        result = search(session, backend, SearchQuery(text="ivory"))
    assert [hit.listing.id for hit in result.hits] == ["bazaar:1"]


@pytest.mark.parametrize("descending", [True, False])
def test_equal_scores_are_ordered_by_id_across_pages(
    sqlite_database: Database, descending: bool
) -> None:
    # Reposts: the same words, so the same score; one listing says them twice.
    _save(
        sqlite_database,
        *(_listing(key, "ivory bangle") for key in ("c", "a", "d", "b")),
        _listing("e", "ivory ivory bangle"),
    )
    full = _ids(sqlite_database, text="ivory bangle", descending=descending)
    paged = [
        i
        for offset in range(5)
        for i in _ids(
            sqlite_database, text="ivory bangle", descending=descending, limit=1, offset=offset
        )
    ]
    same = ["bazaar:a", "bazaar:b", "bazaar:c", "bazaar:d"]
    assert full == paged
    assert full == (["bazaar:e", *same] if descending else [*same, "bazaar:e"])


def test_rebuild_gives_the_same_answers(sqlite_database: Database) -> None:
    listings = [_listing(str(i), f"象牙 item {i}", risk=i / 10) for i in range(10)]
    _save(sqlite_database, *listings)
    queries: list[dict[str, Any]] = [
        {"text": "象牙", "sort": "risk"},
        {"text": "item", "facets": ["tier"]},
        {"tier": ["high"]},
    ]
    before = [_ids(sqlite_database, **q) for q in queries]
    seen: list[int] = []
    with sqlite_database.session() as session:
        assert SqliteIndex(session).rebuild(progress=seen.append) == 10
    assert seen[-1] == 10
    assert [_ids(sqlite_database, **q) for q in queries] == before


def test_an_older_store_gets_its_index_built(sqlite_database: Database) -> None:
    _save(sqlite_database, _listing("1", "ivory"), _listing("2", "horn"))
    with sqlite_database.engine.begin() as conn:
        drop_tables(conn)
        # What a store made before the search API had.
        conn.execute(text("CREATE VIRTUAL TABLE listing_fts USING fts5(listing_id, title)"))
    with sqlite_database.engine.begin() as conn:
        assert ensure_index(conn) == 2
    with sqlite_database.engine.begin() as conn:
        assert ensure_index(conn) is None
        names = {row[0] for row in conn.execute(text("SELECT name FROM sqlite_master"))}
    assert "listing_fts" not in names
    assert _ids(sqlite_database, text="horn") == ["bazaar:2"]


def test_an_index_of_another_version_is_made_again(sqlite_database: Database) -> None:
    _save(sqlite_database, _listing("1", "ivory"))
    with sqlite_database.engine.begin() as conn:
        conn.execute(text("UPDATE idx_meta SET value = '0' WHERE key = 'schema'"))
    with sqlite_database.engine.begin() as conn:
        assert ensure_index(conn) == 1
        assert create_tables(conn) is False
    assert _ids(sqlite_database, text="ivory") == ["bazaar:1"]


def test_a_missing_index_says_how_to_build_it(sqlite_database: Database) -> None:
    with sqlite_database.engine.begin() as conn:
        drop_tables(conn)
    with (
        sqlite_database.session() as session,
        pytest.raises(StoreError, match="wildwatch reindex"),
    ):
        SqliteBackend(session).search(SearchQuery(text="ivory"))


def test_the_embedded_index_needs_a_sqlite_store() -> None:
    # No server is contacted: the dialect alone decides.
    engine = create_engine("postgresql+psycopg://nobody@127.0.0.1:9/none")
    with Session(engine) as session, pytest.raises(StoreError, match="Elasticsearch"):
        SqliteBackend(session).search(SearchQuery(text="ivory"))


def test_the_stores_older_search_goes_through_the_new_index(sqlite_database: Database) -> None:
    _save(sqlite_database, _listing("1", "Bán sừng tê giác"), _listing("2", "ivory"))
    with sqlite_database.session() as session:
        assert [i for i, _ in search_ids(session, "sung te giac", limit=10)] == ["bazaar:1"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("ivory", '"ivory"'),
        ("NEAR(ivory horn)", '"NEAR" AND "ivory" AND "horn"'),
        ('"ivory* OR', '"ivory" AND "OR"'),
        ("象牙手镯", '"象牙 牙手 手镯"'),
        ("虎", 'units : "虎"'),
        ("象牙ivory", '"象牙" AND "ivory"'),
        ("đàn", '"dàn"'),
        ("ivory ivory", '"ivory"'),
        ("!!! ...", None),
        ("", None),
    ],
)
def test_match_expressions_quote_every_word(query: str, expected: str | None) -> None:
    assert match_expression(query) == expected
