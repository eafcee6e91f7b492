"""Repost clusters over the real store (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from crawler.listing import listing_text
from indexer import Database
from indexer.clusters.minhash import default_fingerprinter, estimated_jaccard
from indexer.clusters.reposts import RepostClusterer, RepostRules
from indexer.models import ListingFingerprintRow, OutboxRow
from indexer.search.query import SearchQuery
from indexer.search.sqlite import SqliteBackend
from indexer.search.sync import OUTBOX_FLAG
from tests.indexer.clusters.conftest import Store, listing, photo, photo_hash

OFFER_TITLE = "Antique ivory bangle, estate piece"
OFFER = (
    "Solid elephant ivory bangle from a private estate in Hong Kong, carved in the 1960s. "
    "Weight 52 g, inner diameter 58 mm, natural cracks and a warm yellow patina. "
    "Price 1200 USD or best offer. Shipping worldwide in discreet packaging, "
    "declared as a resin bracelet. WeChat: ivory_88"
)
# The same offer told again in other words, on another platform.
REWORDED_TITLE = "Old elephant ivory bracelet (estate, HK)"
REWORDED = (
    "Real ivory bracelet from a Hong Kong family estate, carved around 1960. 52g, "
    "58mm inside, some natural cracks, nice yellow patina. Asking 1100 dollars. "
    "Sent discreetly anywhere in the world, customs form says resin bracelet. 微信 ivory_88"
)
# The seller's template again, for another item.
TEMPLATE_TITLE = "Antique rhino horn cup, estate piece"
TEMPLATE = (
    "Rhino horn libation cup from a private estate in Hong Kong, carved in the 1960s. "
    "Weight 210 g, height 9 cm, dark amber colour with fine growth lines. "
    "Price 9000 USD or best offer. Shipping worldwide in discreet packaging, "
    "declared as a resin bracelet. WeChat: ivory_88"
)
BIKE = "Mountain bike, 21 gears, new tyres, pick up in Leeds. 150 GBP or best offer."
TEA = "云南普洱茶饼 2015年 357克 干仓存放 顺丰包邮 欢迎咨询"

PHOTO = photo(11)
OFFER_PHOTO = photo_hash(PHOTO, "PNG")
# The repost's photo: the same picture downloaded, shrunk and saved again as JPEG.
REPOST_PHOTO = photo_hash(PHOTO.resize((320, 240)), "JPEG", quality=35)


def test_reworded_repost_with_reencoded_photo_joins_across_platforms(store: Store) -> None:
    store.save(
        listing("bazaar", "1", OFFER_TITLE, OFFER, seller_id="lin", photos=[OFFER_PHOTO]),
        listing(
            "bazaar", "2", TEMPLATE_TITLE, TEMPLATE, seller_id="lin", photos=[photo_hash(photo(12))]
        ),
        listing("bazaar", "3", "Bike", BIKE, seller_id="sam", photos=[photo_hash(photo(13))]),
        listing("social", "7", "普洱茶", TEA, seller_name="茶人", photos=[photo_hash(photo(14))]),
        listing(
            "forum", "t9", REWORDED_TITLE, REWORDED, seller_name="lin_hk", photos=[REPOST_PHOTO]
        ),
    )
    store.recluster()
    clusters = store.reposts()
    assert clusters["bazaar:1"] is not None
    assert clusters["forum:t9"] == clusters["bazaar:1"]
    assert clusters["bazaar:2"] is None  # the same template for another item
    assert clusters["bazaar:3"] is None and clusters["social:7"] is None


def test_reworded_text_alone_is_not_enough(store: Store) -> None:
    """Without the shared photo, a reworded text is too far from the offer to join it."""
    store.save(
        listing("bazaar", "1", OFFER_TITLE, OFFER, seller_id="lin"),
        listing("forum", "t9", REWORDED_TITLE, REWORDED, seller_name="lin_hk"),
    )
    store.recluster()
    assert set(store.reposts().values()) == {None}


def test_shared_photo_with_unrelated_text_is_not_a_repost(store: Store) -> None:
    """A stock photo on an unrelated listing does not make it the same offer."""
    store.save(
        listing("bazaar", "1", OFFER_TITLE, OFFER, seller_id="lin", photos=[OFFER_PHOTO]),
        listing("bazaar", "3", "Bike", BIKE, seller_id="sam", photos=[REPOST_PHOTO]),
    )
    store.recluster()
    assert set(store.reposts().values()) == {None}


def test_disguised_copy_with_new_price_and_contact_joins_by_text(store: Store) -> None:
    disguised = (
        OFFER.replace("1200", "1050")
        .replace("WeChat: ivory_88", "WhatsApp +852 6123 4567")
        .replace("ivory", "і.v.о.r.y")  # Cyrillic look-alikes, dotted apart
        .replace("Hong Kong", "Ｈｏｎｇ Ｋｏｎｇ")  # full-width
    )
    store.save(
        listing("bazaar", "1", OFFER_TITLE, OFFER, seller_id="lin"),
        listing("market", "m5", "Αntique 1v0ry bangle, estate piece", disguised, seller_id="x"),
    )
    store.recluster()
    clusters = store.reposts()
    assert clusters["bazaar:1"] is not None
    assert clusters["market:m5"] == clusters["bazaar:1"]


def test_short_titles_alone_are_not_reposts(store: Store) -> None:
    store.save(
        listing("bazaar", "1", "Ivory bangle", seller_id="a"),
        listing("market", "2", "Ivory bangle", seller_id="b"),
    )
    store.recluster()
    assert set(store.reposts().values()) == {None}


def test_cluster_keeps_its_id_as_members_join(store: Store) -> None:
    store.save(
        listing("bazaar", "1", OFFER_TITLE, OFFER, seller_id="lin", photos=[OFFER_PHOTO]),
        listing(
            "forum", "t9", REWORDED_TITLE, REWORDED, seller_name="lin_hk", photos=[REPOST_PHOTO]
        ),
    )
    store.recluster()
    first = store.reposts()["bazaar:1"]
    assert first is not None

    copy = OFFER.replace("1200 USD", "950 USD")
    store.save(listing("social", "p3", OFFER_TITLE, copy, seller_name="lin.collects"))
    store.recluster()
    clusters = store.reposts()
    assert clusters == {"bazaar:1": first, "forum:t9": first, "social:p3": first}


def test_merging_two_clusters_keeps_the_older_name(store: Store) -> None:
    older = listing_text(TEMPLATE_TITLE, TEMPLATE)
    store.save(
        listing("bazaar", "1", OFFER_TITLE, OFFER, seller_id="lin", photos=[OFFER_PHOTO]),
        listing(
            "forum", "t9", REWORDED_TITLE, REWORDED, seller_name="lin_hk", photos=[REPOST_PHOTO]
        ),
        listing("bazaar", "2", TEMPLATE_TITLE, TEMPLATE, seller_id="lin"),
        listing("forum", "t10", TEMPLATE_TITLE, older.replace("9000", "8500"), seller_name="hk"),
    )
    store.recluster()
    before = store.reposts()
    assert before["bazaar:1"] != before["bazaar:2"]
    # A reworded copy that borrows the offer's photo and the template's wording ties both.
    bridge = TEMPLATE.replace("9000", "7000")
    store.save(
        listing("social", "b1", TEMPLATE_TITLE, bridge, seller_name="b", photos=[OFFER_PHOTO])
    )
    store.recluster()
    after = store.reposts()
    assert len(set(after.values())) == 1
    assert after["bazaar:1"] == before["bazaar:1"]


def test_only_new_or_changed_listings_are_fingerprinted_again(store: Store) -> None:
    store.save(
        listing("bazaar", "1", OFFER_TITLE, OFFER, seller_id="lin"),
        listing("bazaar", "2", OFFER_TITLE, OFFER.replace("1200", "1150"), seller_id="lin"),
        listing("bazaar", "3", "Bike", BIKE, seller_id="sam"),
    )
    with store.database.session() as session:
        assert RepostClusterer(session).update().fingerprinted == 3
    with store.database.session() as session:
        report = RepostClusterer(session).update()
        assert report.fingerprinted == 0 and report.changed_listings == 0
        assert report.clusters == 1
    # The second listing is edited into another offer: it alone is recomputed, and the
    # cluster it made with the first is gone.
    store.save(listing("bazaar", "2", "Rhino horn cup", TEMPLATE, seller_id="lin"))
    with store.database.session() as session:
        report = RepostClusterer(session).update()
        assert report.fingerprinted == 1 and report.clusters == 0
        assert report.changed_listings == 2
        assert session.scalar(select(func.count()).select_from(ListingFingerprintRow)) == 3
    assert set(store.reposts().values()) == {None}


def test_a_placeholder_photo_on_many_listings_is_ignored(store: Store) -> None:
    placeholder = photo_hash(photo(99))
    items = [
        "ivory bangle",
        "rhino horn cup",
        "tiger claw pendant",
        "pangolin scale powder",
        "hornbill casque carving",
        "elephant hair ring",
        "bear gall bladder",
    ]
    store.save(
        *(
            listing(
                "bazaar",
                str(i),
                f"Estate {item}",
                f"{item.capitalize()} from an estate. Shipping worldwide, discreet packaging.",
                seller_id=f"s{i}",
                photos=[placeholder],
            )
            for i, item in enumerate(items)
        )
    )
    with store.database.session() as session:
        report = RepostClusterer(session, rules=RepostRules(photo_hub_listings=5)).update()
    assert report.photo_hubs == [placeholder]
    assert set(store.reposts().values()) == {None}


def test_changed_clusters_reach_the_search_index(store: Store, database: Database) -> None:
    store.save(
        listing("bazaar", "1", OFFER_TITLE, OFFER, seller_id="lin", photos=[OFFER_PHOTO]),
        listing(
            "forum", "t9", REWORDED_TITLE, REWORDED, seller_name="lin_hk", photos=[REPOST_PHOTO]
        ),
        listing("bazaar", "3", "Bike", BIKE, seller_id="sam"),
    )
    with database.session() as session:
        session.info[OUTBOX_FLAG] = True  # as for a store attached to Elasticsearch
        RepostClusterer(session).update()
        queued = session.scalars(select(OutboxRow.listing_id)).all()
    assert sorted(queued) == ["bazaar:1", "forum:t9"]  # only those whose cluster changed
    cluster = store.reposts()["bazaar:1"]
    assert cluster is not None
    if database.engine.dialect.name == "sqlite":
        with database.session() as session:
            found = SqliteBackend(session).search(SearchQuery(repost_cluster=[cluster]))
        assert sorted(hit.listing_id for hit in found.hits) == ["bazaar:1", "forum:t9"]


@pytest.mark.parametrize(
    ("a", "b", "near"),
    [
        (listing_text(OFFER_TITLE, OFFER), listing_text(REWORDED_TITLE, REWORDED), False),
        (listing_text(OFFER_TITLE, OFFER), listing_text(TEMPLATE_TITLE, TEMPLATE), False),
        (OFFER, OFFER.replace("1200 USD", "1,150 USD").replace("ivory_88", "ivory_99"), True),
    ],
    ids=["reworded", "template", "price-and-contact"],
)
def test_text_threshold_sits_between_copies_and_rewordings(a: str, b: str, near: bool) -> None:
    """The measurements behind `RepostRules.text_jaccard`."""
    fingerprinter = default_fingerprinter()
    similarity = estimated_jaccard(
        fingerprinter.fingerprint(a).signature, fingerprinter.fingerprint(b).signature
    )
    assert (similarity >= RepostRules().text_jaccard) is near
    assert similarity >= RepostRules().photo_text_jaccard  # all share content
