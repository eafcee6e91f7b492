"""The store of record on a SQLite file and on a real PostgreSQL server, and its
full-text index (SQLite FTS5)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from crawler.listing import Classification, Listing, Reason, Seller, SpeciesMatch
from indexer import Database, ListingStore
from indexer.fts import index_terms, match_expression
from indexer.search import SearchQuery
from indexer.search.service import search as run_search
from indexer.search.sqlite import SqliteBackend

T0 = datetime(2026, 11, 1, tzinfo=UTC)


def listing(
    pid: str, title: str, description: str | None = None, risk: float | None = None, **extra: object
) -> Listing:
    classification = None
    if risk is not None:
        classification = Classification(
            wildlife_product=risk,
            risk=risk,
            flagged=risk >= 0.5,
            tier="high" if risk >= 0.8 else "medium" if risk >= 0.5 else "none",
            species=[
                SpeciesMatch(
                    name="African elephant",
                    scientific_name="Loxodonta africana",
                    cites_appendix="I",
                )
            ],
            reasons=[Reason(kind="product", term=title[:5], start=0, end=min(5, len(title)))],
            model="test",
        )
    return Listing(
        platform="bazaar",
        platform_id=pid,
        url=f"https://bazaar.example/l/{pid}",
        title=title,
        description=description,
        classification=classification,
        **extra,
    )  # type: ignore[arg-type]


def save(db: Database, *items: Listing, seen_at: datetime = T0) -> None:
    with db.session() as session:
        store = ListingStore(session)
        for item in items:
            store.save(item, seen_at=seen_at)


def search(db: Database, text: str) -> list[str]:
    """Ids the embedded index finds for `text`, best first."""
    with db.session() as session:
        result = run_search(session, SqliteBackend(session), SearchQuery(text=text, limit=100))
    return [h.listing.id for h in result.hits]


def test_round_trip_keeps_every_field(database: Database) -> None:
    original = listing(
        "1",
        "象牙手镯",
        "老料 微信 ivory88",
        risk=0.9,
        price=3800.0,
        currency="CNY",
        seller=Seller(id="s1", name="老王", profile_url="https://bazaar.example/s/1"),
        location="广州",
        language="zh",
        image_urls=["https://img.example/1.jpg"],
    )
    save(database, original)
    with database.session() as session:
        loaded = ListingStore(session).get("bazaar:1")
    assert loaded is not None
    assert loaded.model_dump(exclude={"first_seen", "last_seen"}) == original.model_dump(
        exclude={"first_seen", "last_seen"}
    )
    assert loaded.first_seen == T0


def test_second_save_updates_but_keeps_first_seen(database: Database) -> None:
    save(database, listing("1", "ivory bangle", risk=0.9))
    later = T0 + timedelta(days=2)
    with database.session() as session:
        outcome = ListingStore(session).save(
            listing("1", "ivory bangle, price drop", risk=0.9), seen_at=later
        )
    assert (outcome.created, outcome.changed) == (False, True)
    with database.session() as session:
        loaded = ListingStore(session).get("bazaar:1")
    assert loaded is not None
    assert (loaded.first_seen, loaded.last_seen) == (T0, later)
    with database.session() as session:
        [before] = ListingStore(session).history("bazaar:1")
    assert before.title == "ivory bangle" and before.fields == ["title"]
    assert before.changed_at == later


def test_an_edit_reaches_the_full_text_index(sqlite_database: Database) -> None:
    save(sqlite_database, listing("1", "ivory bangle", risk=0.9))
    save(sqlite_database, listing("1", "ivory bangle, price drop", risk=0.9))
    assert search(sqlite_database, "drop") == ["bazaar:1"]


def test_review_queue_is_flagged_only_highest_risk_first(database: Database) -> None:
    save(
        database,
        listing("a", "resin elephant", risk=0.1),
        listing("b", "tusk", risk=0.95),
        listing("c", "bangle", risk=0.6),
        listing("d", "phone"),
    )
    with database.session() as session:
        store = ListingStore(session)
        assert [x.id for x in store.flagged()] == ["bazaar:b", "bazaar:c"]
        counts = store.counts()
    assert (counts.listings, counts.flagged) == (4, 2)
    assert counts.by_tier == {"high": 1, "medium": 1, "none": 1}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("象牙", ["bazaar:zh"]),
        ("牙手镯", ["bazaar:zh"]),
        ("虎", ["bazaar:tiger"]),
        ("犀牛角", ["bazaar:zh2"]),
        ("งาช้าง", ["bazaar:th"]),
        ("sừng tê giác", ["bazaar:vi"]),
        ("sung te giac", ["bazaar:vi"]),  # typed without diacritics
        ("do co", ["bazaar:vi"]),  # đ typed as d
        ("IVORY bangle", ["bazaar:en"]),
        ("ivoire", []),
    ],
)
def test_full_text_search_in_many_scripts(
    sqlite_database: Database, query: str, expected: list[str]
) -> None:
    save(
        sqlite_database,
        listing("zh", "出售象牙手镯", "老料，微信联系"),
        listing("zh2", "犀牛角杯", "清代老货"),
        listing("tiger", "老虎牙齿挂件"),
        listing("th", "ขายงาช้างแท้", "ส่งด่วน"),
        listing("vi", "Bán sừng tê giác thật", "đồ cổ, giao kín"),
        listing("en", "Carved ivory bangle", "old stock"),
    )
    assert search(sqlite_database, query) == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ('"', []),
        ('"ivory"', ["bazaar:en"]),
        ("(ivory)", ["bazaar:en"]),
        ("ivory*", ["bazaar:en"]),
        # Operators are plain words or punctuation: "-" is no NOT, "OR" must itself appear,
        # "title:" picks no column, and unbalanced syntax is no error.
        ("ivory -bangle", ["bazaar:en"]),
        ("ivory OR", []),
        ("title:ivory", []),
        ("NEAR(a b)", []),
        ("a AND (", []),
        ("*", []),
    ],
)
def test_query_syntax_in_user_input_is_inert(
    sqlite_database: Database, query: str, expected: list[str]
) -> None:
    save(sqlite_database, listing("en", "Carved ivory bangle"))
    assert search(sqlite_database, query) == expected


def test_query_of_only_punctuation_finds_nothing() -> None:
    assert match_expression("!!! ...") is None


def test_index_terms_cut_unspaced_scripts_into_bigrams() -> None:
    assert index_terms("出售象牙").split() == ["出售", "售象", "象牙"]
    assert index_terms("ivory 象").split() == ["ivory", "象"]
