"""Request dependencies: one database session per request, the listing store over it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.templating import Jinja2Templates
from sqlalchemy.orm import Session

from indexer import Database, ListingStore, ReviewStore

__all__ = ["ReviewsDep", "StoreDep", "TemplatesDep"]


def get_session(request: Request) -> Iterator[Session]:
    database: Database = request.app.state.database
    with database.session() as session:
        yield session


def get_store(session: Annotated[Session, Depends(get_session)]) -> ListingStore:
    return ListingStore(session)


def get_reviews(session: Annotated[Session, Depends(get_session)]) -> ReviewStore:
    return ReviewStore(session)


def get_templates(request: Request) -> Jinja2Templates:
    return request.app.state.templates


StoreDep = Annotated[ListingStore, Depends(get_store)]
ReviewsDep = Annotated[ReviewStore, Depends(get_reviews)]
TemplatesDep = Annotated[Jinja2Templates, Depends(get_templates)]
