"""The review web app: a triage queue of flagged listings, search, and a JSON API."""

from wildwatch.web.app import create_app

__all__ = ["create_app"]
