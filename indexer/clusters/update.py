"""Both cluster kinds brought up to date in the order they depend on each other."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from indexer.clusters.reposts import RepostClusterer, RepostReport
from indexer.clusters.sellers import SellerClusterer, SellerReport

__all__ = ["ClusterUpdate", "update_clusters"]


@dataclass(frozen=True)
class ClusterUpdate:
    reposts: RepostReport
    sellers: SellerReport


def update_clusters(session: Session) -> ClusterUpdate:
    """Update repost clusters, then seller clusters (a repost ties its two sellers),
    inside the caller's session; the caller commits."""
    reposts = RepostClusterer(session).update()
    return ClusterUpdate(reposts, SellerClusterer(session).update())
