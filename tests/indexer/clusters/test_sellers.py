"""Seller clusters over the real store (SQLite and PostgreSQL)."""

from __future__ import annotations

from sqlalchemy import select

from indexer.clusters.reposts import RepostClusterer
from indexer.clusters.sellers import HubTie, SellerClusterer, seller_cluster_summaries
from indexer.models import ListingContactRow, SellerAccountRow
from indexer.search.query import SearchQuery
from indexer.search.sqlite import SqliteBackend
from tests.indexer.clusters.conftest import Store, listing


def test_sellers_sharing_a_wechat_id_written_differently_are_one_cluster(store: Store) -> None:
    store.save(
        listing(
            "bazaar",
            "1",
            "Carved bangle, old stock",
            "Old stock carved bangle, 52 g. WeChat: ivory_88",
            seller_id="u1001",
            seller_name="Lin Antiques",
        ),
        listing("social", "p7", "老货手镯", "老货手镯 包真 微信 ivory_88", seller_name="林记"),
        listing(
            "bazaar",
            "2",
            "Carved bangle",
            "Carved bangle, 48 g. WeChat: jade_house",
            seller_id="u2002",
        ),
    )
    store.recluster()
    sellers = store.sellers()
    assert sellers["bazaar:1"] is not None
    assert sellers["social:p7"] == sellers["bazaar:1"]
    assert sellers["bazaar:2"] not in (None, sellers["bazaar:1"])

    with store.database.session() as session:
        summaries = seller_cluster_summaries(session)
        rows = session.execute(select(SellerAccountRow.key, SellerAccountRow.cluster))
        accounts = {key: cluster for key, cluster in rows}
    assert [s.id for s in summaries] == [sellers["bazaar:1"]]
    assert summaries[0].accounts == ["bazaar:u1001", "social:name:林记"]
    assert summaries[0].platforms == ["bazaar", "social"]
    assert summaries[0].listings == 2
    assert summaries[0].shared_contacts == ["wechat:ivory_88"]
    assert accounts["bazaar:u1001"] == accounts["social:name:林记"] == sellers["bazaar:1"]


def test_one_phone_number_given_for_calls_and_for_whatsapp_ties_accounts(store: Store) -> None:
    store.save(
        listing(
            "market",
            "a",
            "Tiger claw",
            "Tiger claw pendant. WhatsApp +84 912 345 678",
            seller_id="tc",
        ),
        listing(
            "forum", "b", "Claws", "Claws for sale, call 0912.345.678", seller_name="hanoi_claws"
        ),
        listing(
            "forum", "c", "Bear claws", "Two bear claws, call 0987 654 321", seller_name="other"
        ),
    )
    store.recluster()
    sellers = store.sellers()
    assert sellers["market:a"] == sellers["forum:b"]
    assert sellers["forum:c"] != sellers["market:a"]


def test_a_widely_shared_contact_is_a_hub_not_a_tie(store: Store) -> None:
    # Every seller's listing footer carries the platform's help address; two of them
    # also share a Telegram handle.
    footer = "Questions about buying? Write to help@bazaar.example"
    items = ["bone comb", "horn cup", "shell box", "tooth charm", "scale powder", "claw ring"]
    store.save(
        *(
            listing("bazaar", str(i), item, f"{item}, old stock. {footer}", seller_id=f"seller{i}")
            for i, item in enumerate(items)
        ),
        listing(
            "bazaar", "t1", "Horn", f"Horn cup. Telegram: @horn_dealer. {footer}", seller_id="h1"
        ),
        listing("bazaar", "t2", "Horn", f"Horn bowl. tg @horn_dealer {footer}", seller_id="h2"),
    )
    with store.database.session() as session:
        RepostClusterer(session).update()
        report = SellerClusterer(session, hub_accounts=5).update()
    assert report.hubs == [HubTie("email", "help@bazaar.example", 8)]
    assert report.clusters == 1 and report.tied_accounts == 2
    sellers = store.sellers()
    assert sellers["bazaar:t1"] == sellers["bazaar:t2"]
    assert len({sellers[f"bazaar:{i}"] for i in range(6)} | {sellers["bazaar:t1"]}) == 7
    with store.database.session() as session:
        (summary,) = seller_cluster_summaries(session, hub_accounts=5)
    # Both give the help address too, but it ties nobody: only the handle is shown.
    assert summary.shared_contacts == ["telegram:horn_dealer"]


def test_accounts_posting_one_repost_are_tied(store: Store) -> None:
    offer = (
        "Pangolin scales, cleaned and dried, 1 kg available, price per 100 g on request. "
        "Ships from Lagos by air, tracking number given after payment."
    )
    store.save(
        listing("bazaar", "1", "Pangolin scales 1kg", offer, seller_id="lagos1"),
        listing(
            "market", "9", "Pangolin scales 1kg", offer.replace("Lagos", "Abuja"), seller_id="ng"
        ),
    )
    store.recluster()
    reposts, sellers = store.reposts(), store.sellers()
    assert reposts["bazaar:1"] is not None and reposts["bazaar:1"] == reposts["market:9"]
    assert sellers["bazaar:1"] == sellers["market:9"]


def test_cluster_id_stays_when_an_account_joins(store: Store) -> None:
    store.save(
        listing("bazaar", "1", "Bangle", "Old bangle. WeChat: ivory_88", seller_id="u1"),
        listing("social", "2", "手镯", "老货 微信 ivory_88", seller_name="林记"),
    )
    store.recluster()
    before = store.sellers()["bazaar:1"]
    store.save(listing("forum", "3", "Bangle", "PM me, wx: IVORY_88", seller_name="lin88"))
    store.recluster()
    after = store.sellers()
    assert after == {"bazaar:1": before, "social:2": before, "forum:3": before}


def test_edited_listing_updates_its_contacts_and_clusters(store: Store) -> None:
    store.save(
        listing("bazaar", "1", "Bangle", "Old bangle. WeChat: ivory_88", seller_id="u1"),
        listing("social", "2", "Bangle", "Old bangle. WeChat: ivory_88", seller_id="u2"),
    )
    store.recluster()
    assert store.sellers()["bazaar:1"] == store.sellers()["social:2"]
    store.save(listing("social", "2", "Bangle", "Old bangle. Line id: bangle_th", seller_id="u2"))
    store.recluster()
    sellers = store.sellers()
    assert sellers["bazaar:1"] != sellers["social:2"]
    with store.database.session() as session:
        contacts = session.execute(
            select(ListingContactRow.kind, ListingContactRow.value).where(
                ListingContactRow.listing_id == "social:2"
            )
        ).all()
    assert [tuple(c) for c in contacts] == [("line", "bangle_th")]


def test_listings_without_a_seller_have_no_seller_cluster(store: Store) -> None:
    store.save(listing("forum", "1", "Bangle", "Old bangle. WeChat: ivory_88"))
    store.recluster()
    assert store.sellers() == {"forum:1": None}


def test_seller_cluster_is_searchable(store: Store) -> None:
    store.save(
        listing("bazaar", "1", "Bangle", "Old bangle. WeChat: ivory_88", seller_id="u1"),
        listing("social", "2", "手镯", "老货 微信 ivory_88", seller_name="林记"),
        listing("bazaar", "3", "Bangle", "Bangle. WeChat: someone_else", seller_id="u3"),
    )
    store.recluster()
    cluster = store.sellers()["bazaar:1"]
    if store.database.engine.dialect.name != "sqlite":
        return  # the embedded index is SQLite's; elsewhere the outbox carries the change
    with store.database.session() as session:
        found = SqliteBackend(session).search(SearchQuery(seller_cluster=[cluster]))
    assert sorted(hit.listing_id for hit in found.hits) == ["bazaar:1", "social:2"]


def test_an_empty_store_has_nothing_to_cluster(store: Store) -> None:
    with store.database.session() as session:
        reposts = RepostClusterer(session).update()
        sellers = SellerClusterer(session).update()
        assert seller_cluster_summaries(session) == []
    assert (reposts.listings, reposts.clusters, reposts.changed_listings) == (0, 0, 0)
    assert (sellers.accounts, sellers.clusters, sellers.hubs) == (0, 0, [])
