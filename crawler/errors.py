"""Errors raised by the crawler.

CrawlerError
 └── SourceConfigError   config/sources.yaml is missing, unreadable or invalid
"""


class CrawlerError(Exception):
    """Base of every error the crawler raises."""


class SourceConfigError(CrawlerError):
    """Raised when loading sources; the message names the file, the source and the field."""
