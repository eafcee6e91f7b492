"""``wildwatch clusters``: updates the clusters, prints them, exports the graph."""

from __future__ import annotations

import json
from pathlib import Path

import networkx as nx
import pytest
from click.testing import CliRunner
from sqlalchemy import select, update

from crawler.listing import Listing, Seller
from indexer import Database, ListingStore
from indexer.models import ListingRow
from wildwatch.commands.clusters import clusters

LISTINGS = [
    ("bazaar", "1", "Old bangle", "Old stock bangle, 52 g. WeChat: ivory_88", "u1", None),
    ("social", "p7", "老货手镯", "老货手镯 包真 微信 ivory_88", None, "林记"),
    ("forum", "9", "Horn cup", "Horn cup, 210 g. WhatsApp +66 81 234 5678", None, "cups"),
    ("market", "4", "Horn bowl", "Horn bowl. Call 081 234 5678", "m4", None),
    ("bazaar", "5", "Bike", "Mountain bike, 21 gears, pick up in Leeds", "sam", None),
]


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    database = Database.for_data_dir(tmp_path)
    database.create_schema()
    with database.session() as session:
        store = ListingStore(session)
        for platform, pid, title, description, seller_id, name in LISTINGS:
            store.save(
                Listing(
                    platform=platform,
                    platform_id=pid,
                    url=f"https://{platform}.example/{pid}",
                    title=title,
                    description=description,
                    seller=Seller(id=seller_id, name=name),
                )
            )
    database.dispose()
    return tmp_path


def _run(data_dir: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(clusters, [*args, "--data-dir", str(data_dir)])
    return result.exit_code, result.stdout, result.stderr


def _seller_clusters(data_dir: Path) -> dict[str, str | None]:
    database = Database.for_data_dir(data_dir)
    with database.session() as session:
        rows = session.execute(select(ListingRow.id, ListingRow.seller_cluster)).all()
    database.dispose()
    return {listing_id: cluster for listing_id, cluster in rows}


def test_help_names_the_options_and_the_data_dir() -> None:
    result = CliRunner().invoke(clusters, ["--help"])
    assert result.exit_code == 0
    for option in ("--json", "--export", "--cluster", "--min-size", "WILDWATCH_DATA_DIR"):
        assert option in result.stdout


def test_table_lists_the_tied_sellers(data_dir: Path) -> None:
    code, out, err = _run(data_dir)
    assert code == 0, err
    stored = _seller_clusters(data_dir)
    header, *rows = out.splitlines()
    assert header.split()[:4] == ["CLUSTER", "ACCOUNTS", "LISTINGS", "FLAGGED"]
    assert len(rows) == 2
    by_id = {row.split()[0]: row for row in rows}
    wechat = by_id[stored["bazaar:1"]]
    assert wechat.split()[1:4] == ["2", "2", "0"]
    assert "bazaar,social" in wechat and "wechat:ivory_88" in wechat
    assert "phone:812345678" in by_id[stored["forum:9"]]
    assert stored["bazaar:5"] not in by_id  # a lone seller is below --min-size 2
    assert "2 seller cluster(s)" in err


def test_json_is_one_object_per_cluster(data_dir: Path) -> None:
    code, out, err = _run(data_dir, "--json", "--min-size", "1")
    assert code == 0, err
    found = [json.loads(line) for line in out.splitlines()]
    assert len(found) == 3  # two pairs of tied accounts, and the bike seller alone
    wechat = next(c for c in found if "wechat:ivory_88" in c["shared_contacts"])
    assert wechat["accounts"] == ["bazaar:u1", "social:name:林记"]
    assert wechat["platforms"] == ["bazaar", "social"]
    assert wechat["listings"] == 2


@pytest.mark.parametrize("suffix", [".graphml", ".gexf", ".json"])
def test_export_writes_the_graph_of_one_cluster(data_dir: Path, suffix: str) -> None:
    assert _run(data_dir)[0] == 0
    cluster = _seller_clusters(data_dir)["bazaar:1"]
    target = data_dir / f"net{suffix}"
    code, out, err = _run(data_dir, "--cluster", cluster, "--export", str(target))
    assert code == 0, err
    assert len(out.splitlines()) == 2 and cluster in out
    if suffix == ".json":
        data = json.loads(target.read_text(encoding="utf-8"))
        nodes = {node["id"] for node in data["nodes"]}
        assert len(data["links"]) == 2
    else:
        graph = nx.read_graphml(target) if suffix == ".graphml" else nx.read_gexf(target)
        nodes = set(graph.nodes)
        assert graph.number_of_edges() == 2
    assert nodes == {"account:bazaar:u1", "account:social:name:林记", "contact:wechat:ivory_88"}
    assert f"wrote {target}" in err


def test_unknown_cluster_and_bad_export_suffix_are_clear_errors(data_dir: Path) -> None:
    code, _, err = _run(data_dir, "--cluster", "s-nope")
    assert code == 1 and "no seller cluster 's-nope'" in err
    code, _, err = _run(data_dir, "--export", str(data_dir / "graph.png"))
    assert code == 2 and ".graphml, .gexf, .json" in err
    assert not (data_dir / "graph.png").exists()


def test_hostile_store_text_does_not_reach_the_terminal(data_dir: Path) -> None:
    # Written by something other than the crawler, which would have cleaned it.
    database = Database.for_data_dir(data_dir)
    with database.session() as session:
        session.execute(
            update(ListingRow).where(ListingRow.id == "social:p7").values(platform="soc\x1b[2Jial")
        )
    database.dispose()
    code, out, err = _run(data_dir)
    assert code == 0, err
    assert "bazaar,soc [2Jial" in out  # the escape character became a space
    assert "\x1b" not in out and "\x1b" not in err
