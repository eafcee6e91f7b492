"""Connected components over numpy edge lists, and the stable names clusters carry.

Both kinds of cluster are the connected components of a graph whose edges are
"these two are the same offer" or "these two accounts are tied". A cluster is named
after its earliest member, so adding members never renames it; merging two clusters
keeps the name of the older one.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np

__all__ = ["cluster_names", "connected_components", "stable_cluster_id"]


def connected_components(size: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The component of each of `size` nodes, given edges ``a[i] -- b[i]``.

    Every node is labelled with the smallest node index in its component, so labels
    follow the node order the caller chose (by age: the label is the earliest member).
    Runs in numpy: each round hooks every root to the smallest root it touches, then
    compresses paths; a few rounds suffice even for millions of edges.
    """
    labels = np.arange(size, dtype=np.int64)
    if size == 0 or len(a) == 0:
        return labels
    a = np.asarray(a, dtype=np.int64)
    b = np.asarray(b, dtype=np.int64)
    while True:
        la, lb = labels[a], labels[b]
        differ = la != lb
        if not differ.any():
            return labels
        low = np.minimum(la[differ], lb[differ])
        high = np.maximum(la[differ], lb[differ])
        np.minimum.at(labels, high, low)  # `high` is a root: hook it under `low`
        while True:
            jumped = labels[labels]
            if np.array_equal(jumped, labels):
                break
            labels = jumped
        # Edges inside one component no longer matter; fewer to look at next round.
        keep = labels[a] != labels[b]
        a, b = a[keep], b[keep]


def stable_cluster_id(prefix: str, earliest_member: str) -> str:
    """``prefix`` plus 16 hex digits of SHA-256 of the earliest member's id."""
    return prefix + hashlib.sha256(earliest_member.encode("utf-8")).hexdigest()[:16]


def cluster_names(
    labels: np.ndarray, member_ids: Sequence[str], prefix: str, *, min_size: int = 2
) -> list[str | None]:
    """A name per node: its component's stable id, or None when the component has fewer
    than `min_size` members. `labels` come from :func:`connected_components`."""
    sizes = np.bincount(labels, minlength=len(labels))
    names: dict[int, str] = {}
    out: list[str | None] = []
    for label in labels.tolist():
        if sizes[label] < min_size:
            out.append(None)
            continue
        name = names.get(label)
        if name is None:
            name = names[label] = stable_cluster_id(prefix, member_ids[label])
        out.append(name)
    return out
