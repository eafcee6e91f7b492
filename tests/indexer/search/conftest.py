"""The search suite's fixtures: the corpus in a real store, and each backend over it.

`backend` runs every test once per backend: the embedded SQLite index, and
Elasticsearch when ``WILDWATCH_ES_URL`` points at a cluster (skipped otherwise, with
the reason shown). Both answer the same `SearchQuery` through
`indexer.search.service.search`, which reads the hits from the store.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session

from indexer import Database, ListingStore, ReviewStore
from indexer.models import ListingRow
from indexer.search import SearchBackend, SearchQuery, SearchResult
from indexer.search.build import documents_for
from indexer.search.service import search
from indexer.search.sqlite import SqliteBackend, SqliteIndex
from tests.indexer.search.corpus import CORPUS, EPOCH

ES_URL_ENV = "WILDWATCH_ES_URL"
ES_SKIP_REASON = "WILDWATCH_ES_URL not set: no Elasticsearch cluster to test against"


def fill_store(database: Database) -> None:
    """Save the corpus through the store, then record verdicts, takedowns and clusters."""
    with database.session() as session:
        store = ListingStore(session)
        reviews = ReviewStore(session)
        for entry in CORPUS:
            store.save(entry.listing(), seen_at=EPOCH)
        for entry in CORPUS:
            for minute, verdict in enumerate(entry.verdicts):
                at = EPOCH.replace(hour=12, minute=minute)
                reviews.record(entry.id, verdict, reviewer="tester", at=at)
            if entry.removed:
                store.mark_checked(entry.id, removed=True, status=404, at=EPOCH)
            row = session.get(ListingRow, entry.id)
            assert row is not None
            row.seller_cluster = entry.seller_cluster
            row.repost_cluster = entry.repost_cluster
        session.flush()
        # Whatever the store's own hooks did, this brings every document up to date.
        SqliteIndex(session).refresh([entry.id for entry in CORPUS])


@pytest.fixture(scope="session")
def corpus_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    """A SQLite store holding the corpus, indexed; shared by the suite (read-only)."""
    database = Database.for_data_dir(Path(tmp_path_factory.mktemp("search-corpus")))
    database.create_schema()
    fill_store(database)
    yield database
    database.dispose()


@dataclass
class Searcher:
    """Runs queries on one backend over the corpus store."""

    name: str
    database: Database
    backend_for: Callable[[Session], SearchBackend]

    def __call__(self, query: SearchQuery | None = None, /, **fields: Any) -> SearchResult:
        if query is None:
            query = SearchQuery(**{"limit": 100, **fields})
        with self.database.session() as session:
            return search(session, self.backend_for(session), query)

    def ids(self, query: SearchQuery | None = None, /, **fields: Any) -> list[str]:
        return [hit.listing.id for hit in self(query, **fields).hits]


def _elastic(database: Database) -> Iterator[Searcher]:
    url = os.environ.get(ES_URL_ENV)
    if not url:
        pytest.skip(ES_SKIP_REASON)
    from indexer.search.elastic import ElasticBackend

    backend = ElasticBackend.from_url(url, prefix=f"wwtest-{uuid.uuid4().hex[:12]}")
    try:
        backend.ensure()
        with database.session() as session:
            backend.index_documents(documents_for(session, [entry.id for entry in CORPUS]))
        backend.refresh()
        yield Searcher("elasticsearch", database, lambda _session: backend)
    finally:
        backend.drop_all()
        backend.close()


@pytest.fixture(scope="session", params=["sqlite", "elasticsearch"])
def backend(request: pytest.FixtureRequest, corpus_store: Database) -> Iterator[Searcher]:
    """Searches over the corpus, on each backend in turn."""
    if request.param == "sqlite":
        yield Searcher("sqlite", corpus_store, SqliteBackend)
    else:
        yield from _elastic(corpus_store)
