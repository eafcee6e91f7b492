"""Graph export: what networkx reads back is what the store holds, hostile text included."""

from __future__ import annotations

import json
from pathlib import Path

import networkx as nx
import pytest
from sqlalchemy import update

from indexer.clusters.graph import GraphExportError, graph_json, seller_graph, write_graph
from indexer.models import SellerAccountRow
from tests.indexer.clusters.conftest import Store, listing

HOSTILE = "<script>alert('x')</script> & \"Lin\" ]]> 象牙 \u202eevil"


@pytest.fixture
def network(store: Store) -> Store:
    store.save(
        listing(
            "bazaar",
            "1",
            "Bangle",
            "Old bangle, 52 g. WeChat: ivory_88",
            seller_id="u1",
            seller_name=HOSTILE,
        ),
        listing("bazaar", "2", "Comb", "Bone comb. WeChat: ivory_88", seller_id="u1"),
        listing("social", "p7", "手镯", "老货手镯 包真 微信 ivory_88", seller_name="林记"),
        listing("forum", "9", "Cup", "Horn cup. WhatsApp +66 81 234 5678", seller_name="cups"),
        listing("market", "4", "Bowl", "Horn bowl. Call 081 234 5678", seller_id="m4"),
    )
    store.recluster()
    with store.database.session() as session:
        # A store is not trusted to hold only what the crawler cleaned: a control
        # character XML cannot carry, written by something else.
        session.execute(
            update(SellerAccountRow)
            .where(SellerAccountRow.key == "bazaar:u1")
            .values(seller_name=HOSTILE + "\x0b")
        )
    return store


def _graph(store: Store, cluster: str | None = None) -> nx.Graph:
    with store.database.session() as session:
        return seller_graph(session, cluster=cluster)


def test_graph_holds_accounts_contacts_and_their_links(network: Store) -> None:
    graph = _graph(network)
    accounts = {n for n, d in graph.nodes(data=True) if d["category"] == "account"}
    assert accounts == {
        "account:bazaar:u1",
        "account:social:name:林记",
        "account:forum:name:cups",
        "account:market:m4",
    }
    assert set(graph["contact:wechat:ivory_88"]) == {
        "account:bazaar:u1",
        "account:social:name:林记",
    }
    # One number, given for WhatsApp in one country format and for calls in another.
    assert set(graph["contact:phone:812345678"]) == {
        "account:forum:name:cups",
        "account:market:m4",
    }
    u1 = graph.nodes["account:bazaar:u1"]
    assert (u1["listings"], u1["platform"], u1["name"]) == (2, "bazaar", HOSTILE)
    assert graph.edges["account:bazaar:u1", "contact:wechat:ivory_88"]["listings"] == 2
    assert graph.nodes["contact:wechat:ivory_88"]["accounts"] == 2


def test_one_cluster_only(network: Store) -> None:
    cluster = network.sellers()["bazaar:1"]
    graph = _graph(network, cluster)
    assert {n for n in graph if n.startswith("account:")} == {
        "account:bazaar:u1",
        "account:social:name:林记",
    }
    assert "contact:phone:812345678" not in graph
    assert _graph(network, "s-0000000000000000").number_of_nodes() == 0


@pytest.mark.parametrize("suffix", [".graphml", ".gexf"])
def test_xml_exports_round_trip_through_networkx(
    network: Store, tmp_path: Path, suffix: str
) -> None:
    graph = _graph(network)
    path = tmp_path / f"sellers{suffix}"
    write_graph(graph, path)
    text = path.read_text(encoding="utf-8")
    assert "<script>" not in text  # escaped, never raw markup
    back = nx.read_graphml(path) if suffix == ".graphml" else nx.read_gexf(path)
    assert set(back.nodes) == set(graph.nodes)
    assert {frozenset(e) for e in back.edges} == {frozenset(e) for e in graph.edges}
    u1 = back.nodes["account:bazaar:u1"]
    assert u1["name"] == HOSTILE  # the stray control character is gone, the rest intact
    assert int(u1["listings"]) == 2
    assert back.nodes["contact:wechat:ivory_88"]["category"] == "contact"
    edge = back.edges["account:bazaar:u1", "contact:wechat:ivory_88"]
    assert edge["relation"] == "uses"


def test_json_export_is_nodes_and_links(network: Store, tmp_path: Path) -> None:
    graph = _graph(network)
    path = tmp_path / "sellers.json"
    assert write_graph(graph, path) == "json"
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data == graph_json(graph)
    assert set(data) == {"nodes", "links"}
    ids = {node["id"] for node in data["nodes"]}
    assert all(link["source"] in ids and link["target"] in ids for link in data["links"])
    names = {node["id"]: node.get("name") for node in data["nodes"]}
    assert names["account:bazaar:u1"] == HOSTILE


def test_unknown_suffix_is_a_clear_error_and_writes_nothing(tmp_path: Path) -> None:
    with pytest.raises(GraphExportError, match=r"\.graphml, \.gexf, \.json"):
        write_graph(nx.Graph(), tmp_path / "graph.png")
    with pytest.raises(GraphExportError, match="cannot write"):
        write_graph(nx.Graph(), tmp_path / "missing" / "graph.json")
    assert list(tmp_path.iterdir()) == []


def test_hub_contact_is_marked(store: Store) -> None:
    store.save(
        *(
            listing("bazaar", str(i), item, f"{item}. Help: help@bazaar.example", seller_id=f"s{i}")
            for i, item in enumerate(["comb", "cup", "bowl", "ring"])
        )
    )
    store.recluster(hub_accounts=3)
    with store.database.session() as session:
        graph = seller_graph(session, hub_accounts=3)
    assert graph.nodes["contact:email:help@bazaar.example"]["hub"] is True
    assert graph.nodes["contact:email:help@bazaar.example"]["accounts"] == 4
    assert len(set(store.sellers().values())) == 4  # the hub tied nobody
