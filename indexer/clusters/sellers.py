"""Seller clusters: accounts on any platform that are one trader.

An account is a seller on one platform, keyed ``platform:seller id`` (or
``platform:name:seller name`` when the platform shows no id). Two accounts are tied
when

- their listings give the same contact: a phone number (given for calls, WhatsApp or
  Zalo: one number is one person), a WeChat, Telegram or LINE id, an e-mail address,
  or a payment handle (PayPal, Venmo, Cash App, Alipay, MoMo, Zelle), as
  `classifiers.entities.ContactExtractor` reads and normalises them; or
- they posted listings in the same repost cluster.

Seller clusters are the connected components of those ties, across platforms, named
``s-`` plus a hash of the earliest account's key (so adding an account keeps the
name). Every account has a cluster, alone or not, so a search can follow one trader.

A contact that very many accounts give is no tie: a platform's support address, a
placeholder number, a payment service's own handle. A contact (or repost cluster)
shared by more than `hub_accounts` accounts (25 by default: larger than the rings
investigators report, far below what a placeholder reaches) is left out and
reported as a hub.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np
from sqlalchemy import case, delete, func, insert, select, tuple_, update
from sqlalchemy.orm import Session

from indexer.clusters.assign import assign_clusters
from indexer.clusters.components import cluster_names, connected_components
from indexer.clusters.fingerprints import PHONE_KINDS, ContactKey, refresh_fingerprints
from indexer.models import (
    ClassificationRow,
    ListingContactRow,
    ListingRow,
    SellerAccountRow,
)

__all__ = [
    "DEFAULT_HUB_ACCOUNTS",
    "SELLER_PREFIX",
    "HubTie",
    "SellerClusterSummary",
    "SellerClusterer",
    "SellerReport",
    "account_key",
    "accounts_giving",
    "seller_cluster_summaries",
]

logger = logging.getLogger(__name__)

SELLER_PREFIX = "s-"
DEFAULT_HUB_ACCOUNTS = 25
_REPOST_TIE = "repost"
_WRITE_PAGE = 1_000
_KEY_CHARS = 500  # seller_accounts.key
_IN_CHUNK = 500  # values per IN (...) list


def account_key(platform: str, seller_id: str | None, seller_name: str | None) -> str | None:
    """``platform:seller id``, else ``platform:name:<name, case and spacing folded>``."""
    if seller_id and seller_id.strip():
        return f"{platform}:{seller_id.strip()}"[:_KEY_CHARS]
    name = " ".join((seller_name or "").split()).casefold()
    return f"{platform}:name:{name}"[:_KEY_CHARS] if name else None


@dataclass(frozen=True, slots=True)
class HubTie:
    """A contact (or repost cluster, kind ``repost``) too widely shared to tie anyone."""

    kind: str
    value: str
    accounts: int


@dataclass(frozen=True)
class SellerReport:
    """What one `SellerClusterer.update` did."""

    accounts: int
    #: Clusters of two or more accounts, and the accounts in them.
    clusters: int
    tied_accounts: int
    changed_listings: int
    hubs: list[HubTie] = field(default_factory=list)


@dataclass
class _Account:
    key: str
    platform: str
    seller_id: str | None
    seller_name: str | None


class SellerClusterer:
    """Keeps `seller_accounts` and `listings.seller_cluster` up to date, in the caller's
    session; the caller commits. Run repost clustering first: its clusters are ties."""

    def __init__(self, session: Session, *, hub_accounts: int = DEFAULT_HUB_ACCOUNTS) -> None:
        if hub_accounts < 2:
            raise ValueError("hub_accounts must be at least 2 (a tie needs two accounts)")
        self.session = session
        self.hub_accounts = hub_accounts

    def update(self, listing_ids: Iterable[str] | None = None) -> SellerReport:
        """Refresh contacts of `listing_ids` (None: every listing), then recluster."""
        refresh_fingerprints(self.session, listing_ids)
        accounts, account_of, reposts = self._accounts()
        index = {account.key: i for i, account in enumerate(accounts)}
        ties = self._contact_ties(account_of, index)
        for cluster, keys in reposts.items():
            ties[(_REPOST_TIE, cluster)] = {index[key] for key in keys}
        a, b, hubs = self._edges(ties)
        labels = connected_components(len(accounts), a, b)
        keys = [account.key for account in accounts]
        names = cluster_names(labels, keys, SELLER_PREFIX, min_size=1)
        cluster_of = dict(zip(keys, names, strict=True))
        self._write_accounts(accounts, cluster_of)
        changed = assign_clusters(
            self.session,
            "seller_cluster",
            {listing: cluster_of[key] for listing, key in account_of.items()},
        )
        sizes = np.bincount(labels, minlength=len(accounts))
        report = SellerReport(
            accounts=len(accounts),
            clusters=int((sizes > 1).sum()),
            tied_accounts=int((sizes[labels] > 1).sum()),
            changed_listings=len(changed),
            hubs=hubs,
        )
        logger.info("seller clusters: %s", report)
        return report

    def _accounts(self) -> tuple[list[_Account], dict[str, str], dict[str, set[str]]]:
        """Accounts in age order, the account of each listing, accounts per repost cluster."""
        stmt = select(
            ListingRow.id,
            ListingRow.platform,
            ListingRow.seller_id,
            ListingRow.seller_name,
            ListingRow.repost_cluster,
        ).order_by(ListingRow.first_seen, ListingRow.id)
        by_key: dict[str, _Account] = {}
        account_of: dict[str, str] = {}
        repost_keys: dict[str, set[str]] = defaultdict(set)
        for listing_id, platform, seller_id, name, repost in self.session.execute(stmt):
            key = account_key(platform, seller_id, name)
            if key is None:
                continue
            account = by_key.get(key)
            if account is None:
                by_key[key] = _Account(key, platform, seller_id, name)
            elif name:
                account.seller_name = name  # rows come oldest first: keep the latest name
            account_of[listing_id] = key
            if repost:
                repost_keys[repost].add(key)
        # First seen first: rows come in that order and dicts keep insertion order.
        return list(by_key.values()), account_of, repost_keys

    def _contact_ties(
        self, account_of: dict[str, str], index: dict[str, int]
    ) -> dict[tuple[str, str], set[int]]:
        """Accounts (by index) per contact, contacts read as tie keys."""
        ties: dict[tuple[str, str], set[int]] = defaultdict(set)
        rows = self.session.execute(
            select(ListingContactRow.listing_id, ListingContactRow.kind, ListingContactRow.value)
        )
        for listing_id, kind, value in rows:
            key = account_of.get(listing_id)
            if key is not None:
                tie_kind, _, tie_value = ContactKey(kind, value).tie.partition(":")
                ties[(tie_kind, tie_value)].add(index[key])
        return ties

    def _edges(
        self, ties: dict[tuple[str, str], set[int]]
    ) -> tuple[np.ndarray, np.ndarray, list[HubTie]]:
        """Star edges from each tie's first account to the others; hubs left out."""
        a: list[int] = []
        b: list[int] = []
        hubs: list[HubTie] = []
        for (kind, value), members in ties.items():
            if len(members) > self.hub_accounts:
                hubs.append(HubTie(kind, value, len(members)))
                continue
            if len(members) < 2:
                continue
            ordered = sorted(members)
            a.extend([ordered[0]] * (len(ordered) - 1))
            b.extend(ordered[1:])
        hubs.sort(key=lambda hub: (-hub.accounts, hub.kind, hub.value))
        for hub in hubs:
            logger.warning(
                "%s %s is shared by %d accounts: a hub, not a tie",
                hub.kind,
                hub.value,
                hub.accounts,
            )
        return np.asarray(a, dtype=np.int64), np.asarray(b, dtype=np.int64), hubs

    def _write_accounts(self, accounts: list[_Account], cluster_of: dict[str, str | None]) -> None:
        stored = {
            key: (cluster, name)
            for key, cluster, name in self.session.execute(
                select(SellerAccountRow.key, SellerAccountRow.cluster, SellerAccountRow.seller_name)
            )
        }
        now = datetime.now(UTC)
        inserts: list[dict[str, Any]] = []
        updates: list[dict[str, Any]] = []
        for account in accounts:
            cluster = cluster_of[account.key]
            row = {"key": account.key, "cluster": cluster, "seller_name": account.seller_name}
            if account.key not in stored:
                inserts.append(
                    {
                        **row,
                        "platform": account.platform,
                        "seller_id": account.seller_id,
                        "updated_at": now,
                    }
                )
            elif stored[account.key] != (cluster, account.seller_name):
                updates.append({**row, "updated_at": now})
        gone = set(stored) - set(cluster_of)
        for start in range(0, len(inserts), _WRITE_PAGE):
            self.session.execute(insert(SellerAccountRow), inserts[start : start + _WRITE_PAGE])
        for start in range(0, len(updates), _WRITE_PAGE):
            self.session.execute(update(SellerAccountRow), updates[start : start + _WRITE_PAGE])
        # Accounts whose every listing left the store are derived data with no source.
        gone_keys = sorted(gone)
        for start in range(0, len(gone_keys), _WRITE_PAGE):
            chunk = gone_keys[start : start + _WRITE_PAGE]
            self.session.execute(delete(SellerAccountRow).where(SellerAccountRow.key.in_(chunk)))


# --------------------------------------------------------------------------- reading


def accounts_giving(session: Session, ties: Iterable[str]) -> dict[str, set[str]]:
    """For each tie key, every account in the store that gives it (hubs show here)."""
    stored: list[tuple[str, str]] = []  # (kind, value) as listing_contacts holds them
    for tie in set(ties):
        kind, _, value = tie.partition(":")
        stored.extend((k, value) for k in (PHONE_KINDS if kind == "phone" else (kind,)))
    stored.sort()
    givers: dict[str, set[str]] = defaultdict(set)
    contact = tuple_(ListingContactRow.kind, ListingContactRow.value)
    for start in range(0, len(stored), _IN_CHUNK):
        stmt = (
            select(
                ListingContactRow.kind,
                ListingContactRow.value,
                ListingRow.platform,
                ListingRow.seller_id,
                ListingRow.seller_name,
            )
            .join(ListingRow, ListingRow.id == ListingContactRow.listing_id)
            .where(contact.in_(stored[start : start + _IN_CHUNK]))
        )
        for kind, value, platform, seller_id, name in session.execute(stmt):
            key = account_key(platform, seller_id, name)
            if key is not None:
                givers[ContactKey(kind, value).tie].add(key)
    return givers


@dataclass(frozen=True)
class SellerClusterSummary:
    """One seller cluster as the CLI and the web app show it."""

    id: str
    accounts: list[str]
    platforms: list[str]
    listings: int
    flagged: int
    #: Contacts (``kind:value``) that two or more of its accounts give.
    shared_contacts: list[str]
    top_risk: float | None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def seller_cluster_summaries(
    session: Session,
    *,
    min_accounts: int = 2,
    cluster: str | None = None,
    hub_accounts: int = DEFAULT_HUB_ACCOUNTS,
) -> list[SellerClusterSummary]:
    """Seller clusters with at least `min_accounts` accounts (or the one named
    `cluster`, whatever its size), the largest and most flagged first."""
    accounts_stmt = select(
        SellerAccountRow.cluster, SellerAccountRow.key, SellerAccountRow.platform
    ).where(SellerAccountRow.cluster.is_not(None))
    if cluster is not None:
        accounts_stmt = accounts_stmt.where(SellerAccountRow.cluster == cluster)
    members: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for name, key, platform in session.execute(accounts_stmt):
        members[name].append((key, platform))
    wanted = {
        name
        for name, accounts in members.items()
        if cluster is not None or len(accounts) >= min_accounts
    }
    if not wanted:
        return []
    counts = _listing_counts(session, cluster)
    shared = _shared_contacts(session, wanted, cluster, hub_accounts)
    summaries = []
    for name in wanted:
        listings, flagged, top_risk = counts.get(name, (0, 0, None))
        keys = sorted(key for key, _ in members[name])
        summaries.append(
            SellerClusterSummary(
                id=name,
                accounts=keys,
                platforms=sorted({platform for _, platform in members[name]}),
                listings=listings,
                flagged=flagged,
                shared_contacts=shared.get(name, []),
                top_risk=top_risk,
            )
        )
    summaries.sort(key=lambda s: (-len(s.accounts), -s.flagged, -s.listings, s.id))
    return summaries


def _listing_counts(
    session: Session, cluster: str | None
) -> dict[str, tuple[int, int, float | None]]:
    flagged = func.sum(case((ClassificationRow.flagged.is_(True), 1), else_=0))
    stmt = (
        select(
            ListingRow.seller_cluster,
            func.count(ListingRow.id),
            flagged,
            func.max(ClassificationRow.risk),
        )
        .outerjoin(ClassificationRow, ClassificationRow.listing_id == ListingRow.id)
        .where(ListingRow.seller_cluster.is_not(None))
        .group_by(ListingRow.seller_cluster)
    )
    if cluster is not None:
        stmt = stmt.where(ListingRow.seller_cluster == cluster)
    return {
        name: (int(count), int(flags or 0), None if risk is None else float(risk))
        for name, count, flags, risk in session.execute(stmt)
    }


def _shared_contacts(
    session: Session, wanted: set[str], cluster: str | None, hub_accounts: int
) -> dict[str, list[str]]:
    """Per cluster, the tie keys two or more of its accounts give (hubs left out)."""
    stmt = select(
        ListingRow.seller_cluster,
        ListingRow.platform,
        ListingRow.seller_id,
        ListingRow.seller_name,
        ListingContactRow.kind,
        ListingContactRow.value,
    ).join(ListingContactRow, ListingContactRow.listing_id == ListingRow.id)
    if cluster is not None:
        stmt = stmt.where(ListingRow.seller_cluster == cluster)
    else:
        stmt = stmt.where(ListingRow.seller_cluster.is_not(None))
    users: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for name, platform, seller_id, seller_name, kind, value in session.execute(stmt):
        key = account_key(platform, seller_id, seller_name)
        if name in wanted and key is not None:
            users[name][ContactKey(kind, value).tie].add(key)
    shared = {
        name: [t for t, keys in ties.items() if len(keys) >= 2] for name, ties in users.items()
    }
    # A contact is a tie only where the whole store does not make it a hub.
    givers = accounts_giving(session, {t for ties in shared.values() for t in ties})
    return {
        name: sorted(t for t in ties if len(givers.get(t, ())) <= hub_accounts)
        for name, ties in shared.items()
    }
