"""Which search index the app uses, and the jobs that keep it in step with the store.

The embedded SQLite index is always there. With ``WILDWATCH_ES_URL`` set, searches
go to Elasticsearch instead, every change to the store is queued in the outbox, and
`sync` replays the queue (after each crawl, on the scheduler, or ``wildwatch
outbox --replay``).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from indexer.db import Database
from indexer.models import OutboxRow
from indexer.saved_searches import SavedSearchStore
from indexer.search import SearchBackend, SearchDocument, SearchQuery, SearchResult
from indexer.search.outbox import OutboxRelay, RelayReport
from indexer.search.sqlite import SqliteBackend, SqliteIndex

if TYPE_CHECKING:
    from indexer.search.elastic import ElasticBackend

__all__ = [
    "ES_API_KEY_ENV",
    "ES_CA_CERTS_ENV",
    "ES_PREFIX_ENV",
    "ES_URL_ENV",
    "IndexSettings",
    "ReindexReport",
    "reindex",
    "run_search",
    "search_backend",
    "sync",
]

ES_URL_ENV = "WILDWATCH_ES_URL"
ES_PREFIX_ENV = "WILDWATCH_ES_PREFIX"
ES_API_KEY_ENV = "WILDWATCH_ES_API_KEY"
ES_CA_CERTS_ENV = "WILDWATCH_ES_CA_CERTS"


@dataclass(frozen=True)
class IndexSettings:
    """Where the external index is, if there is one."""

    es_url: str | None = None
    prefix: str = "wildwatch"
    api_key: str | None = None
    ca_certs: str | None = None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> IndexSettings:
        return cls(
            es_url=environ.get(ES_URL_ENV) or None,
            prefix=environ.get(ES_PREFIX_ENV) or "wildwatch",
            api_key=environ.get(ES_API_KEY_ENV) or None,
            ca_certs=environ.get(ES_CA_CERTS_ENV) or None,
        )

    @property
    def external(self) -> bool:
        return self.es_url is not None

    def elastic(self) -> ElasticBackend:
        from indexer.search.elastic import ElasticBackend

        if self.es_url is None:
            raise ValueError(f"{ES_URL_ENV} is not set")
        return ElasticBackend.from_url(
            self.es_url, prefix=self.prefix, api_key=self.api_key, ca_certs=self.ca_certs
        )


@contextmanager
def search_backend(
    database: Database, settings: IndexSettings, session: Session
) -> Iterator[SearchBackend]:
    """Elasticsearch when it is configured, else the store's own SQLite index."""
    if settings.external:
        yield settings.elastic()
    elif database.engine.dialect.name == "sqlite":
        yield SqliteBackend(session)
    else:
        raise ValueError(
            f"full-text search on {database.engine.dialect.name} needs Elasticsearch: "
            f"set {ES_URL_ENV}"
        )


def run_search(database: Database, settings: IndexSettings, query: SearchQuery) -> SearchResult:
    from indexer.search.service import search

    with database.session() as session, search_backend(database, settings, session) as backend:
        return search(session, backend, query)


@dataclass(frozen=True)
class ReindexReport:
    backend: str
    documents: int
    index: str | None = None
    replayed: RelayReport | None = None


def reindex(
    database: Database,
    settings: IndexSettings,
    *,
    progress: Callable[[int], None] | None = None,
) -> ReindexReport:
    """Rebuild the index from the store; searches keep working while it runs.

    On Elasticsearch the new index is built beside the old one and the alias moves
    once it is complete. Outbox rows queued before the rebuild read the store are
    covered by it; those queued during it are replayed afterwards.
    """
    if not settings.external:
        with database.session() as session:
            count = SqliteIndex(session).rebuild(progress=progress)
        return ReindexReport("sqlite", count)
    from indexer.search.build import iter_documents

    backend = settings.elastic()
    with database.session() as session:
        covered = session.scalar(select(func.max(OutboxRow.id))) or 0
    count = 0

    def counted(docs: Iterable[SearchDocument]) -> Iterator[SearchDocument]:
        nonlocal count
        for doc in docs:
            count += 1
            if progress is not None and count % 1000 == 0:
                progress(count)
            yield doc

    with database.session() as session:
        name = backend.rebuild(counted(iter_documents(session)))
    with database.session() as session:
        session.execute(delete(OutboxRow).where(OutboxRow.id <= covered))
        searches = SavedSearchStore(session).list(active_only=True)
    backend.rebuild_saved_searches((s.id, s.query) for s in searches)
    replayed = OutboxRelay(database, backend).drain()
    return ReindexReport("elasticsearch", count, index=name, replayed=replayed)


def sync(database: Database, settings: IndexSettings) -> RelayReport | None:
    """Replay the outbox into Elasticsearch; None when no external index is set."""
    if not settings.external:
        return None
    return OutboxRelay(database, settings.elastic()).drain()
