"""Request dependencies: one database session per request, the listing store over it."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.templating import Jinja2Templates
from sqlalchemy.orm import Session

from indexer import Database, ListingStore, ReviewStore
from indexer.search import SearchQuery, SearchResult
from indexer.search.service import search
from wildwatch.search_index import IndexSettings, search_backend

__all__ = ["ReviewsDep", "SearcherDep", "SessionDep", "StoreDep", "TemplatesDep"]


def get_session(request: Request) -> Iterator[Session]:
    database: Database = request.app.state.database
    with database.session() as session:
        yield session


def get_store(session: Annotated[Session, Depends(get_session)]) -> ListingStore:
    return ListingStore(session)


def get_reviews(session: Annotated[Session, Depends(get_session)]) -> ReviewStore:
    return ReviewStore(session)


Searcher = Callable[[SearchQuery], SearchResult]


def get_searcher(
    request: Request, session: Annotated[Session, Depends(get_session)]
) -> Iterator[Searcher]:
    """Runs searches on the configured index, reading the hits from this request's session."""
    database: Database = request.app.state.database
    settings: IndexSettings = request.app.state.index_settings
    with search_backend(database, settings, session) as backend:
        yield functools.partial(search, session, backend)


def get_templates(request: Request) -> Jinja2Templates:
    return request.app.state.templates


SessionDep = Annotated[Session, Depends(get_session)]
StoreDep = Annotated[ListingStore, Depends(get_store)]
ReviewsDep = Annotated[ReviewStore, Depends(get_reviews)]
SearcherDep = Annotated[Searcher, Depends(get_searcher)]
TemplatesDep = Annotated[Jinja2Templates, Depends(get_templates)]
