"""Writing cluster names onto listings, and telling the search index which ones moved."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from indexer.models import ListingRow
from indexer.search import sync

__all__ = ["assign_clusters"]

_WRITE_PAGE = 1_000
# Documents rebuilt per call to the index: a first run changes every listing, and
# rebuilding a million documents at once would hold them all in memory.
_REINDEX_PAGE = 5_000


def assign_clusters(
    session: Session,
    column: Literal["repost_cluster", "seller_cluster"],
    names: Mapping[str, str | None],
) -> list[str]:
    """Set `column` of every listing to its name in `names` (None when absent), writing
    only the listings where it changed, and re-index those. Returns their ids."""
    field = getattr(ListingRow, column)
    changes = [
        {"id": listing_id, column: names.get(listing_id)}
        for listing_id, current in session.execute(select(ListingRow.id, field))
        if names.get(listing_id) != current
    ]
    for start in range(0, len(changes), _WRITE_PAGE):
        session.execute(update(ListingRow), changes[start : start + _WRITE_PAGE])
    changed = [change["id"] for change in changes]
    for start in range(0, len(changed), _REINDEX_PAGE):
        sync.listing_changed(session, changed[start : start + _REINDEX_PAGE])
    return changed
