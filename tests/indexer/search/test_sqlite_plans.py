"""The SQLite backend's plans all give the same answers.

Which plan a query gets depends on how many listings carry its filters (see
`indexer.search.sqlite_query`); on the small corpus only some plans are chosen, so
here the thresholds are moved to force each one, and every answer is compared with the
answer of the plainest plan (everything in one FTS5 expression, a join, a sort).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from indexer import Database
from indexer.search import SearchQuery, sqlite_query
from indexer.search.service import search
from indexer.search.sqlite import SqliteBackend
from tests.indexer.search.corpus import EPOCH

DAY = timedelta(days=1)
QUERIES: list[dict[str, Any]] = [
    {"text": "ivory", "platform": ["shop", "bazaar"]},
    {"text": "象牙", "tier": ["high", "medium"], "date_from": EPOCH, "date_to": EPOCH + 9 * DAY},
    {"text": "sung te giac", "family": ["horn"], "online": True},
    {"text": "ivory", "flagged": True, "price_max": 1000},
    {"text": "carving", "sort": "relevance", "descending": False},
    {"platform": ["shop"]},
    {"tier": ["high"], "sort": "risk"},
    {"flagged": True, "sort": "date"},
    {"country": ["VN", "CN"], "sort": "price"},
    {"appendix": ["I"], "sort": "risk", "descending": False},
    {"date_from": EPOCH + 10 * DAY, "sort": "date"},
    {"review_status": ["unreviewed"], "online": True, "sort": "risk"},
    {"sort": "price"},
]


def _answer(database: Database, fields: dict[str, Any]) -> tuple[Any, ...]:
    query = SearchQuery(limit=100, facets=["platform", "family"], **fields)
    with database.session() as session:
        result = search(session, SqliteBackend(session), query)
    hits = [(h.listing.id, round(h.score, 9), h.highlights) for h in result.hits]
    return result.total, hits, result.facets


@pytest.mark.parametrize(
    ("top_ranked", "rank_share", "ordered_scan", "scan_steps"),
    [
        (True, 1.0, 10**9, 10**9),
        (False, 0.0, 10**9, 10**9),
        (False, 1.0, 0, 10**9),
        (False, 1.0, 0, 1),
        (True, 0.0, 0, 10**9),
    ],
    ids=[
        "ranked-by-fts-alone",
        "ranked-filters-on-docs",
        "ordered-index-walks",
        "index-walk-too-short",
        "all",
    ],
)
@pytest.mark.parametrize("fields", QUERIES, ids=lambda f: ",".join(sorted(f)))
def test_every_plan_gives_the_same_answer(
    monkeypatch: pytest.MonkeyPatch,
    corpus_store: Database,
    fields: dict[str, Any],
    top_ranked: bool,
    rank_share: float,
    ordered_scan: int,
    scan_steps: int,
) -> None:
    with monkeypatch.context() as plainest:
        plainest.setattr(sqlite_query.Plan, "top_ranked", lambda _self: None)
        plainest.setattr(sqlite_query, "_RANK_TAG_SHARE", 1.0)
        plainest.setattr(sqlite_query, "_ORDERED_SCAN_MATCHES", 10**9)
        expected = _answer(corpus_store, fields)
    if not top_ranked:
        monkeypatch.setattr(sqlite_query.Plan, "top_ranked", lambda _self: None)
    monkeypatch.setattr(sqlite_query, "_RANK_TAG_SHARE", rank_share)
    monkeypatch.setattr(sqlite_query, "_ORDERED_SCAN_MATCHES", ordered_scan)
    monkeypatch.setattr(sqlite_query, "SCAN_STEPS", scan_steps)
    assert _answer(corpus_store, fields) == expected
    assert expected[0] > 0
