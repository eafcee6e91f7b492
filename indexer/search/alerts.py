"""Runs the saved searches against new and changed listings, and records the alerts.

On the embedded index each active saved search is run restricted to the listings
that changed (``SearchQuery.listing_ids``), so a saved search matches exactly what
the same search would find. A backend with a percolator (Elasticsearch) answers the
other way round: which stored queries match these documents; the listings need not be
in the index yet.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Protocol, runtime_checkable

from sqlalchemy.orm import Session

from indexer.saved_searches import Alert, AlertStore, SavedSearch, SavedSearchStore
from indexer.search.build import documents_for
from indexer.search.document import SearchDocument
from indexer.search.query import MAX_RESULTS, SearchBackend

__all__ = ["Percolator", "match_saved_searches"]


@runtime_checkable
class Percolator(Protocol):
    def percolate(self, docs: list[SearchDocument]) -> dict[str, list[int]]: ...


def match_saved_searches(
    session: Session, backend: SearchBackend, listing_ids: Iterable[str]
) -> list[Alert]:
    """New alerts for the listings that match an active saved search."""
    ids = list(dict.fromkeys(listing_ids))
    searches = SavedSearchStore(session).list(active_only=True)
    if not ids or not searches:
        return []
    if isinstance(backend, Percolator):
        matches = _percolate(session, backend, ids, searches)
    else:
        matches = {s.id: _run(backend, s, ids) for s in searches}
    alerts = AlertStore(session)
    return [
        alert
        for sid, hit_ids in matches.items()
        if hit_ids
        for alert in alerts.record(sid, hit_ids)
    ]


def _run(backend: SearchBackend, search: SavedSearch, ids: Sequence[str]) -> list[str]:
    found: list[str] = []
    for start in range(0, len(ids), MAX_RESULTS):
        chunk = list(ids[start : start + MAX_RESULTS])
        query = search.query.model_copy(
            update={"listing_ids": chunk, "limit": len(chunk), "offset": 0, "facets": []}
        )
        found += [hit.listing_id for hit in backend.search(query).hits]
    return found


def _percolate(
    session: Session, backend: Percolator, ids: list[str], searches: list[SavedSearch]
) -> dict[int, list[str]]:
    active = {s.id for s in searches}
    by_search: dict[int, list[str]] = defaultdict(list)
    for listing_id, search_ids in backend.percolate(documents_for(session, ids)).items():
        for sid in search_ids:
            if sid in active:
                by_search[sid].append(listing_id)
    return by_search
