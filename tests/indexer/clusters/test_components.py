"""Connected components and cluster names; repost pairs found without comparing all pairs."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest

from indexer.clusters import __all__ as public_names
from indexer.clusters.components import cluster_names, connected_components
from indexer.clusters.minhash import NUM_PERMUTATIONS
from indexer.clusters.reposts import RepostData, RepostRules, find_repost_pairs


@pytest.mark.parametrize("seed", range(5))
def test_components_match_networkx(seed: int) -> None:
    rng = np.random.default_rng(seed)
    size = 400
    a = rng.integers(0, size, 300)
    b = rng.integers(0, size, 300)
    labels = connected_components(size, a, b)
    graph = nx.Graph()
    graph.add_nodes_from(range(size))
    graph.add_edges_from(zip(a.tolist(), b.tolist(), strict=True))
    for component in nx.connected_components(graph):
        members = sorted(component)
        assert set(labels[members].tolist()) == {members[0]}  # named after the first


def test_long_chain_is_one_component() -> None:
    size = 5000
    order = np.random.default_rng(1).permutation(size)
    labels = connected_components(size, order[:-1], order[1:])
    assert set(labels.tolist()) == {0}


def test_names_are_stable_and_singletons_have_none() -> None:
    labels = np.array([0, 0, 2, 0])
    names = cluster_names(labels, ["a", "b", "c", "d"], "r-")
    assert names[0] == names[1] == names[3] and names[0] is not None
    assert names[0].startswith("r-") and len(names[0]) == 18
    assert names[2] is None
    # The same earliest member gives the same name, whatever else joined.
    assert cluster_names(np.array([0, 0]), ["a", "z"], "r-")[0] == names[0]
    assert cluster_names(np.array([0]), ["c"], "s-", min_size=1) == [
        cluster_names(np.array([0, 0]), ["c", "q"], "s-")[0]
    ]


def _data(hashes: list[int]) -> RepostData:
    """Listings with one photo each and the same text, so only the photos decide."""
    size = len(hashes)
    return RepostData(
        ids=[str(i) for i in range(size)],
        signatures=np.ones((size, NUM_PERMUTATIONS), dtype=np.uint32),
        shingles=np.full(size, 100),
        photo_owner=np.arange(size),
        photo_hashes=np.array(hashes, dtype=np.uint64),
    )


def _flip(value: int, *bits: int) -> int:
    for bit in bits:
        value ^= 1 << bit
    return value


def test_photos_up_to_three_bits_apart_are_always_found() -> None:
    rng = np.random.default_rng(5)
    base = [int(v) for v in rng.integers(0, 2**63, 50, dtype=np.uint64)]
    copies = [
        _flip(value, int(a), 16 + int(b), 32 + int(c))  # one differing bit in 3 chunks
        for value, a, b, c in zip(base, *rng.integers(0, 16, (3, 50)), strict=True)
    ]
    rules = RepostRules(text_jaccard=1.0, photo_text_jaccard=0.5)
    data = _data(base + copies)
    data = RepostData(data.ids, data.signatures, np.zeros(100), data.photo_owner, data.photo_hashes)
    pairs = find_repost_pairs(data, rules)
    found = {(int(a), int(b)) for a, b in zip(pairs.a, pairs.b, strict=True)}
    assert found == {(i, i + 50) for i in range(50)}


def test_photos_too_far_apart_are_not_joined() -> None:
    value = 0x0123456789ABCDEF
    far = _flip(value, 0, 1, 2, 3, 4, 5, 6)  # seven bits, all in one chunk
    data = _data([value, far])
    data = RepostData(data.ids, data.signatures, np.zeros(2), data.photo_owner, data.photo_hashes)
    assert len(find_repost_pairs(data).a) == 0


def test_public_names_resolve() -> None:
    import indexer.clusters as clusters

    assert public_names == sorted(public_names, key=lambda n: (not n.isupper(), n))
    for name in public_names:
        assert getattr(clusters, name) is not None
