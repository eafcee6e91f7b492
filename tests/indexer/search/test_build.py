"""Search documents built from the store: what each field holds, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from crawler.listing import Classification, Listing, Reason, Seller, SpeciesMatch
from indexer import Database, ListingStore, ReviewStore
from indexer.models import ListingRow
from indexer.search.build import document_for, documents_for, iter_documents

SEEN = datetime(2026, 5, 1, 8, 30, tzinfo=UTC)


def _listing(key: str, title: str, description: str = "", **fields: object) -> Listing:
    values: dict[str, object] = {
        "platform": "bazaar",
        "platform_id": key,
        "url": f"https://bazaar.example/{key}",
        "title": title,
        "description": description or None,
    }
    values.update(fields)
    return Listing.model_validate(values)


def _classified(
    species: list[tuple[str, str | None, str | None]],
    reasons: list[tuple[str, str]],
    *,
    risk: float = 0.9,
) -> Classification:
    return Classification(
        wildlife_product=risk,
        risk=risk,
        flagged=risk >= 0.5,
        tier="high" if risk >= 0.75 else "none",
        species=[SpeciesMatch(name=n, scientific_name=s, cites_appendix=a) for n, s, a in species],
        reasons=[Reason(kind=k, term=t, start=0, end=len(t)) for k, t in reasons],
    )


def _save(database: Database, *listings: Listing) -> None:
    with database.session() as session:
        store = ListingStore(session)
        for listing in listings:
            store.save(listing, seen_at=SEEN)


def test_a_document_holds_what_the_store_says(database: Database) -> None:
    posted = SEEN - timedelta(days=3)
    listing = _listing(
        "1",
        "Vòng tay ngà voi",
        "Hàng thật, có cả 🐘 và sừng tê giác",
        price=5_000_000,
        currency="VND",
        seller=Seller(id="s-1", name="Đức Anh"),
        location="Hà Nội",
        posted_at=posted,
        language="vi",
        hashtags=["ngavoi", "hanoi"],
        classification=_classified(
            [
                ("African elephant", "Loxodonta africana", "I/II"),
                ("White rhinoceros", "Ceratotherium simum", "I"),
                ("Sunda pangolin", None, "I"),  # no scientific name: its name stands in
            ],
            [
                ("product", "ngà voi"),
                ("emoji", "🐘"),
                ("product", "sừng tê giác"),
                ("trade_context", "hàng thật"),
            ],
        ),
    )
    _save(database, listing)
    with database.session() as session:
        [doc] = documents_for(session, [listing.id])
    assert doc.id == "bazaar:1"
    assert (doc.title, doc.seller_id, doc.seller_name) == ("Vòng tay ngà voi", "s-1", "Đức Anh")
    assert doc.hashtags == ["ngavoi", "hanoi"]
    assert (doc.language, doc.country, doc.price, doc.currency) == ("vi", "VN", 5e6, "VND")
    assert doc.species == ["Loxodonta africana", "Ceratotherium simum", "Sunda pangolin"]
    assert doc.appendix == ["I", "II"]
    assert doc.family == ["ivory", "horn"]
    assert (doc.tier, doc.risk, doc.flagged) == ("high", 0.9, True)
    assert doc.review_status == "unreviewed" and doc.removed is False
    assert doc.date == posted and doc.last_seen == SEEN


@pytest.mark.parametrize(
    ("appendix", "expected"),
    [
        ("I", ["I"]),
        ("ii", ["II"]),
        ("I/II", ["I", "II"]),
        ("II/NC", ["II"]),
        ("NC", []),
        (None, []),
    ],
)
def test_appendix_values_are_normalised(
    database: Database, appendix: str | None, expected: list[str]
) -> None:
    _save(database, _listing("1", "x", classification=_classified([("a", "A b", appendix)], [])))
    with database.session() as session:
        assert documents_for(session, ["bazaar:1"])[0].appendix == expected


def test_code_words_name_their_product_family(database: Database) -> None:
    classification = _classified([], [("code_word", "非洲牛骨"), ("product", "穿山甲鱗片")])
    _save(database, _listing("1", "非洲牛骨 穿山甲鱗片", classification=classification))
    with database.session() as session:
        assert documents_for(session, ["bazaar:1"])[0].family == ["ivory", "scales"]


def test_latest_verdict_takedown_and_clusters_reach_the_document(database: Database) -> None:
    _save(database, _listing("1", "ivory"), _listing("2", "horn"), _listing("3", "shell"))
    with database.session() as session:
        reviews = ReviewStore(session)
        reviews.record("bazaar:1", "confirm", at=SEEN)
        reviews.record("bazaar:1", "dismiss", at=SEEN + timedelta(hours=1))
        reviews.record("bazaar:2", "confirm", at=SEEN)
        ListingStore(session).mark_checked("bazaar:3", removed=True, status=410, at=SEEN)
        row = session.get(ListingRow, "bazaar:2")
        assert row is not None
        row.seller_cluster, row.repost_cluster = "sc-1", "rp-1"
    with database.session() as session:
        docs = {doc.id: doc for doc in documents_for(session, ["bazaar:1", "bazaar:2", "bazaar:3"])}
    assert docs["bazaar:1"].review_status == "dismissed"
    assert docs["bazaar:2"].review_status == "confirmed"
    assert (docs["bazaar:2"].seller_cluster, docs["bazaar:2"].repost_cluster) == ("sc-1", "rp-1")
    assert docs["bazaar:3"].removed is True and docs["bazaar:1"].removed is False


def test_an_unposted_listing_is_dated_when_first_seen(database: Database) -> None:
    _save(database, _listing("1", "ivory"))
    with database.session() as session:
        assert documents_for(session, ["bazaar:1"])[0].date == SEEN


def test_documents_come_in_the_order_asked_and_skip_unknown_ids(database: Database) -> None:
    _save(database, *(_listing(str(i), f"listing {i}") for i in range(5)))
    with database.session() as session:
        docs = documents_for(session, ["bazaar:3", "nowhere:1", "bazaar:0", "bazaar:3"])
    assert [doc.id for doc in docs] == ["bazaar:3", "bazaar:0"]


def test_iter_documents_reads_every_listing_once_in_batches(database: Database) -> None:
    _save(database, *(_listing(str(i), f"listing {i}") for i in range(7)))
    with database.session() as session:
        ids = [doc.id for doc in iter_documents(session, batch_size=2)]
    assert sorted(ids) == sorted(f"bazaar:{i}" for i in range(7))
    assert len(ids) == len(set(ids))


def test_document_for_one_row_matches_the_batch_read(database: Database) -> None:
    classification = _classified([("Tiger", "Panthera tigris", "I")], [("product", "虎骨")])
    _save(database, _listing("1", "虎骨酒", location="昆明", classification=classification))
    with database.session() as session:
        ReviewStore(session).record("bazaar:1", "confirm", at=SEEN)
    with database.session() as session:
        row = session.get(ListingRow, "bazaar:1")
        assert row is not None
        single = document_for(row, review_status="confirmed")
        [batch] = documents_for(session, ["bazaar:1"])
    assert single == batch
    assert (single.country, single.family, single.species) == ("CN", ["bone"], ["Panthera tigris"])
