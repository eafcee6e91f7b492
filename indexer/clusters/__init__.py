"""Repost and seller clusters: near-duplicate listings and the accounts behind them.

Run `RepostClusterer` then `SellerClusterer` in one session (the seller step reads the
repost clusters), as `update_clusters` does; `seller_cluster_summaries` and
`seller_graph` read what they stored.
"""

from indexer.clusters.fingerprints import ContactKey, contacts_of, refresh_fingerprints
from indexer.clusters.graph import (
    GRAPH_FORMATS,
    GraphExportError,
    graph_json,
    seller_graph,
    write_graph,
)
from indexer.clusters.reposts import RepostClusterer, RepostReport, RepostRules
from indexer.clusters.sellers import (
    HubTie,
    SellerClusterer,
    SellerClusterSummary,
    SellerReport,
    account_key,
    seller_cluster_summaries,
)
from indexer.clusters.update import ClusterUpdate, update_clusters

__all__ = [
    "GRAPH_FORMATS",
    "ClusterUpdate",
    "ContactKey",
    "GraphExportError",
    "HubTie",
    "RepostClusterer",
    "RepostReport",
    "RepostRules",
    "SellerClusterSummary",
    "SellerClusterer",
    "SellerReport",
    "account_key",
    "contacts_of",
    "graph_json",
    "refresh_fingerprints",
    "seller_cluster_summaries",
    "seller_graph",
    "update_clusters",
    "write_graph",
]
