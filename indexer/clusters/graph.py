"""The seller network as a graph: accounts, the contacts they give, the reposts they share.

Nodes (``id`` prefixed by what the node is; ``category`` says it too):

- ``account:<key>``: a seller account (platform, seller id, name, seller cluster,
  listing count, flagged count, top risk);
- ``contact:<kind>:<value>``: a contact (kind, value, ``hub`` when so many accounts
  give it that it ties nobody);
- ``repost:<id>``: a repost cluster (listing count), optional.

Edges (``relation``): account ``uses`` contact, account ``posted_in`` repost cluster,
each with the number of the account's listings behind it. (Not ``type``: GEXF keeps
that name for directed or undirected.)

Written as GraphML or GEXF for Gephi, Cytoscape or networkx, and as JSON
``{"nodes": [...], "links": [...]}`` for the web app. Seller names and contact values
are the sellers' own text: they are written as attribute values (the XML writers
escape them), with characters XML cannot hold removed and lengths capped. A reader of
the JSON must still escape them before putting them in a page.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import networkx as nx
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from indexer.clusters.fingerprints import ContactKey
from indexer.clusters.sellers import DEFAULT_HUB_ACCOUNTS, account_key, accounts_giving
from indexer.errors import IndexerError
from indexer.models import ClassificationRow, ListingContactRow, ListingRow, SellerAccountRow

__all__ = [
    "GRAPH_FORMATS",
    "GraphExportError",
    "graph_json",
    "seller_graph",
    "write_graph",
]

GRAPH_FORMATS = {".graphml": "graphml", ".gexf": "gexf", ".json": "json"}
_MAX_TEXT = 300
# Characters XML 1.0 cannot carry at all (most C0 controls, lone surrogates, U+FFFE/F).
_NOT_XML_RE = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_IN_CHUNK = 500


class GraphExportError(IndexerError):
    """Raised by :func:`write_graph` for a file suffix it cannot write, or a file that
    cannot be written; the message names the file. Nothing is left half-written."""


def _text(value: str | None) -> str:
    return _NOT_XML_RE.sub("", value or "")[:_MAX_TEXT]


def _node(prefix: str, name: str) -> str:
    """A node id: never cut short, so two long names stay two nodes."""
    return f"{prefix}:{_NOT_XML_RE.sub('', name)}"


@dataclass
class _AccountNode:
    key: str
    platform: str
    seller_id: str | None
    name: str | None
    cluster: str | None
    listings: int = 0
    flagged: int = 0
    top_risk: float = 0.0
    contacts: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    reposts: dict[str, int] = field(default_factory=lambda: defaultdict(int))


def seller_graph(
    session: Session,
    *,
    cluster: str | None = None,
    min_accounts: int = 1,
    include_reposts: bool = True,
    hub_accounts: int = DEFAULT_HUB_ACCOUNTS,
) -> nx.Graph:
    """The graph of one seller cluster (`cluster`), or of every cluster with at least
    `min_accounts` accounts. Run the clusterers first: this reads what they stored."""
    accounts = _accounts(session, cluster, min_accounts)
    listing_account = _fill_listings(session, accounts, cluster)
    _fill_contacts(session, accounts, listing_account, cluster)
    graph = nx.Graph(name=f"wildwatch seller cluster {cluster}" if cluster else "wildwatch")
    for account in accounts.values():
        graph.add_node(
            _node("account", account.key),
            category="account",
            label=_text(account.name or account.seller_id or account.key),
            platform=_text(account.platform),
            seller_id=_text(account.seller_id),
            name=_text(account.name),
            cluster=_text(account.cluster),
            listings=account.listings,
            flagged=account.flagged,
            top_risk=round(account.top_risk, 4),
        )
    ties = {tie for account in accounts.values() for tie in account.contacts}
    givers = accounts_giving(session, ties)
    for account in accounts.values():
        source = _node("account", account.key)
        for tie, listings in sorted(account.contacts.items()):
            node = _node("contact", tie)
            if node not in graph:
                kind, _, value = tie.partition(":")
                graph.add_node(
                    node,
                    category="contact",
                    label=_text(value),
                    kind=_text(kind),
                    value=_text(value),
                    accounts=len(givers.get(tie, ())),
                    hub=len(givers.get(tie, ())) > hub_accounts,
                )
            graph.add_edge(source, node, relation="uses", listings=listings)
    if include_reposts:
        sizes = _repost_sizes(session, {r for a in accounts.values() for r in a.reposts})
        for account in accounts.values():
            source = _node("account", account.key)
            for repost, listings in sorted(account.reposts.items()):
                node = _node("repost", repost)
                if node not in graph:
                    graph.add_node(
                        node,
                        category="repost_cluster",
                        label=_text(repost),
                        listings=sizes.get(repost, 0),
                    )
                graph.add_edge(source, node, relation="posted_in", listings=listings)
    return graph


def _accounts(session: Session, cluster: str | None, min_accounts: int) -> dict[str, _AccountNode]:
    stmt = select(
        SellerAccountRow.key,
        SellerAccountRow.platform,
        SellerAccountRow.seller_id,
        SellerAccountRow.seller_name,
        SellerAccountRow.cluster,
    ).order_by(SellerAccountRow.key)
    if cluster is not None:
        stmt = stmt.where(SellerAccountRow.cluster == cluster)
    else:
        sizes = (
            select(SellerAccountRow.cluster)
            .where(SellerAccountRow.cluster.is_not(None))
            .group_by(SellerAccountRow.cluster)
            .having(func.count() >= min_accounts)
        )
        stmt = stmt.where(SellerAccountRow.cluster.in_(sizes))
    return {
        key: _AccountNode(key, platform, seller_id, name, name_cluster)
        for key, platform, seller_id, name, name_cluster in session.execute(stmt)
    }


def _fill_listings(
    session: Session, accounts: dict[str, _AccountNode], cluster: str | None
) -> dict[str, str]:
    """Count each account's listings, flagged listings, top risk and repost clusters."""
    stmt = (
        select(
            ListingRow.id,
            ListingRow.platform,
            ListingRow.seller_id,
            ListingRow.seller_name,
            ListingRow.repost_cluster,
            ClassificationRow.flagged,
            ClassificationRow.risk,
        )
        .outerjoin(ClassificationRow, ClassificationRow.listing_id == ListingRow.id)
        .where(ListingRow.seller_cluster.is_not(None))
    )
    if cluster is not None:
        stmt = stmt.where(ListingRow.seller_cluster == cluster)
    listing_account: dict[str, str] = {}
    for listing_id, platform, seller_id, name, repost, flagged, risk in session.execute(stmt):
        key = account_key(platform, seller_id, name)
        account = accounts.get(key) if key else None
        if account is None:
            continue
        listing_account[listing_id] = account.key
        account.listings += 1
        account.flagged += int(bool(flagged))
        account.top_risk = max(account.top_risk, float(risk or 0.0))
        if repost:
            account.reposts[repost] += 1
    return listing_account


def _fill_contacts(
    session: Session,
    accounts: dict[str, _AccountNode],
    listing_account: dict[str, str],
    cluster: str | None,
) -> None:
    stmt = select(
        ListingContactRow.listing_id, ListingContactRow.kind, ListingContactRow.value
    ).join(ListingRow, ListingRow.id == ListingContactRow.listing_id)
    if cluster is not None:
        stmt = stmt.where(ListingRow.seller_cluster == cluster)
    per_listing: dict[tuple[str, str], None] = {}
    for listing_id, kind, value in session.execute(stmt):
        key = listing_account.get(listing_id)
        if key is not None:
            # A number given for calls and for WhatsApp in one listing is one edge.
            per_listing[(listing_id, ContactKey(kind, value).tie)] = None
    for listing_id, tie in per_listing:
        accounts[listing_account[listing_id]].contacts[tie] += 1


def _repost_sizes(session: Session, reposts: set[str]) -> dict[str, int]:
    names = sorted(reposts)
    sizes: dict[str, int] = {}
    for start in range(0, len(names), _IN_CHUNK):
        stmt = (
            select(ListingRow.repost_cluster, func.count())
            .where(ListingRow.repost_cluster.in_(names[start : start + _IN_CHUNK]))
            .group_by(ListingRow.repost_cluster)
        )
        sizes.update({name: int(count) for name, count in session.execute(stmt)})
    return sizes


def graph_json(graph: nx.Graph) -> dict[str, list[dict[str, Any]]]:
    """``{"nodes": [{"id": ..., ...}], "links": [{"source": ..., "target": ..., ...}]}``."""
    return {
        "nodes": [{"id": node, **attrs} for node, attrs in graph.nodes(data=True)],
        "links": [
            {"source": source, "target": target, **attrs}
            for source, target, attrs in graph.edges(data=True)
        ],
    }


def write_graph(graph: nx.Graph, path: Path, *, fmt: str | None = None) -> str:
    """Write `graph` to `path` as GraphML, GEXF or JSON (chosen by suffix unless `fmt`
    says); returns the format. The file appears whole or not at all."""
    fmt = fmt or GRAPH_FORMATS.get(path.suffix.lower())
    if fmt not in GRAPH_FORMATS.values():
        known = ", ".join(GRAPH_FORMATS)
        raise GraphExportError(f"{path}: unknown graph format (use a file ending in {known})")
    directory = path.parent if str(path.parent) else Path(".")
    try:
        handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=directory)
    except OSError as exc:
        raise GraphExportError(f"{path}: cannot write there ({exc.strerror})") from exc
    try:
        with os.fdopen(handle, "wb") as out:
            if fmt == "graphml":
                nx.write_graphml(graph, out)
            elif fmt == "gexf":
                nx.write_gexf(graph, out)
            else:
                text = json.dumps(graph_json(graph), ensure_ascii=False, indent=1)
                out.write(text.encode("utf-8"))
        os.replace(temporary, path)
    except OSError as exc:
        Path(temporary).unlink(missing_ok=True)
        raise GraphExportError(f"{path}: cannot write the graph ({exc.strerror})") from exc
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return fmt
