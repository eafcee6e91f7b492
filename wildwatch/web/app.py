"""Builds the FastAPI application over one store."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.templating import Jinja2Templates

from indexer import Database
from wildwatch import __version__
from wildwatch.config import AppConfig
from wildwatch.search_index import IndexSettings
from wildwatch.web.highlight import distinct_reasons, format_time, marked_fragment
from wildwatch.web.routes import api, pages

__all__ = ["create_app"]

TEMPLATES_DIR = Path(__file__).parent / "templates"


def create_app(config: AppConfig) -> FastAPI:
    """The review app for the store in `config.data_dir`."""
    index_settings = IndexSettings.from_env()
    database = Database(config.database_url, search_outbox=index_settings.external)
    database.create_schema()

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        database.dispose()

    app = FastAPI(title="wildwatch review", version=__version__, lifespan=lifespan)
    app.state.database = database
    app.state.index_settings = index_settings
    app.state.evidence_dir = config.evidence_dir
    # Autoescape is on for .html: listing text is hostile and is never trusted as markup.
    templates = Jinja2Templates(directory=TEMPLATES_DIR)
    templates.env.filters["distinct"] = distinct_reasons
    templates.env.filters["utc"] = format_time
    templates.env.filters["marked"] = marked_fragment
    app.state.templates = templates
    app.include_router(pages.router)
    app.include_router(api.router)
    return app
