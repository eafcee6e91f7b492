"""Reposts and sellers tied across platforms, end to end: two sandbox marketplaces crawled
over real HTTP (photos fetched and hashed), then `wildwatch clusters`, then search by
cluster.

The sandbox plants one offer posted on Bazaar by one account and on Mercado by another:
reworded text, the same photo re-encoded by each site, and one WeChat id written two
ways ("WeChat: tusk_trader88", "微信 tusk_trader88").
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import networkx as nx
import pytest
from sqlalchemy import select

from indexer import Database
from indexer.models import ListingRow
from sandbox import SandboxServer, build_corpus
from sandbox.corpus import Corpus, RepostPair
from sandbox.shop import MercadoSite
from tests.conftest import SANDBOX_SEED, run_cli

BAZAAR = "sandbox-bazaar"
MERCADO = "sandbox-mercado"


@pytest.fixture(scope="module")
def corpus() -> Corpus:
    corpus = build_corpus(SANDBOX_SEED, 100)
    assert corpus.reposts, "the sandbox plants a repost pair in corpora of 100 or more"
    return corpus


@pytest.fixture(scope="module")
def data_dir(corpus: Corpus, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    path = tmp_path_factory.mktemp("clusters")
    with (
        SandboxServer(corpus=corpus) as bazaar,
        SandboxServer(corpus=corpus, site_factory=MercadoSite) as mercado,
    ):
        for source, server in ((BAZAAR, bazaar), (MERCADO, mercado)):
            crawl = run_cli(
                "crawl", source, "--base-url", server.url, "--no-screenshots", data_dir=path
            )
            assert crawl.returncode == 0, crawl.stderr
            assert json.loads(crawl.stdout.splitlines()[-1])["stored"] == 100
    result = run_cli("clusters", "--json", data_dir=path)
    assert result.returncode == 0, result.stderr
    yield path


@pytest.fixture(scope="module")
def pair(corpus: Corpus) -> RepostPair:
    return corpus.reposts[0]


def _rows(data_dir: Path) -> dict[str, ListingRow]:
    database = Database.for_data_dir(data_dir)
    with database.session() as session:
        rows = {row.id: row for row in session.scalars(select(ListingRow))}
    database.dispose()
    return rows


def test_crawled_photos_carry_perceptual_hashes(data_dir: Path) -> None:
    rows = _rows(data_dir)
    assert sum(1 for row in rows.values() if row.image_hashes) >= 190


def test_the_reworded_cross_platform_repost_is_one_repost_cluster(
    data_dir: Path, pair: RepostPair
) -> None:
    rows = _rows(data_dir)
    on_bazaar = rows[f"{BAZAAR}:{pair.bazaar_listing_id}"]
    on_mercado = rows[f"{MERCADO}:{pair.mercado_listing_id}"]
    assert on_bazaar.title != on_mercado.title
    assert on_bazaar.repost_cluster is not None
    assert on_bazaar.repost_cluster == on_mercado.repost_cluster
    members = {i for i, row in rows.items() if row.repost_cluster == on_bazaar.repost_cluster}
    # Both posts, and each one's copy on the other site; nothing else.
    assert members == {
        f"{platform}:{listing_id}"
        for platform in (BAZAAR, MERCADO)
        for listing_id in pair.listing_ids
    }


def test_other_listings_are_not_swept_into_clusters(data_dir: Path, pair: RepostPair) -> None:
    rows = _rows(data_dir)
    sizes: dict[str, int] = {}
    for row in rows.values():
        if row.repost_cluster:
            sizes[row.repost_cluster] = sizes.get(row.repost_cluster, 0) + 1
    # Every other offer is on both sites (the same listing), so clusters of two; the
    # planted pair is the only cluster of four.
    assert sorted(sizes.values())[-1] == 4
    assert max(sorted(sizes.values())[:-1]) <= 2


def test_sellers_sharing_a_wechat_id_are_one_seller_cluster(
    data_dir: Path, pair: RepostPair
) -> None:
    rows = _rows(data_dir)
    first = rows[f"{BAZAAR}:{pair.bazaar_listing_id}"]
    second = rows[f"{MERCADO}:{pair.mercado_listing_id}"]
    assert first.seller_id != second.seller_id
    assert first.seller_cluster is not None
    assert first.seller_cluster == second.seller_cluster
    others = {
        row.seller_cluster
        for row in rows.values()
        if row.seller_id not in (pair.bazaar_seller_id, pair.mercado_seller_id)
    }
    assert first.seller_cluster not in others


def test_search_by_seller_cluster_and_graph_export(
    data_dir: Path, pair: RepostPair, tmp_path: Path
) -> None:
    cluster = _rows(data_dir)[f"{BAZAAR}:{pair.bazaar_listing_id}"].seller_cluster
    assert cluster is not None
    found = run_cli(
        "search", "--seller-cluster", cluster, "--limit", "100", "--json", data_dir=data_dir
    )
    assert found.returncode == 0, found.stderr
    hits = json.loads(found.stdout)["hits"]
    assert {h["listing"]["seller"]["id"] for h in hits} == {
        pair.bazaar_seller_id,
        pair.mercado_seller_id,
    }

    export = tmp_path / "sellers.graphml"
    result = run_cli("clusters", "--cluster", cluster, "--export", str(export), data_dir=data_dir)
    assert result.returncode == 0, result.stderr
    graph = nx.read_graphml(export)
    wechat = [n for n, attrs in graph.nodes(data=True) if "tusk_trader88" in str(attrs)]
    assert len(wechat) == 1
    accounts = list(graph.neighbors(wechat[0]))
    assert len(accounts) >= 2


def test_the_review_app_serves_clusters_and_their_network(data_dir: Path, pair: RepostPair) -> None:
    from fastapi.testclient import TestClient

    from wildwatch.config import AppConfig
    from wildwatch.web import create_app

    with TestClient(create_app(AppConfig.at(data_dir))) as client:
        clusters = client.get("/api/clusters").json()
        [ours] = [c for c in clusters if "wechat:tusk_trader88" in c["shared_contacts"]]
        assert set(ours["platforms"]) == {BAZAAR, MERCADO}
        graph = client.get(f"/api/clusters/{ours['id']}/graph").json()
        ids = {node["id"] for node in graph["nodes"]}
        assert all(link["source"] in ids and link["target"] in ids for link in graph["links"])
        assert any("tusk_trader88" in str(node) for node in graph["nodes"])
        assert client.get("/api/clusters/s-nope/graph").status_code == 404
