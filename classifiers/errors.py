"""Errors raised by the classifiers.

ClassifierError
 └── LexiconError   a data file under classifiers/data is missing, unreadable or invalid
"""

from __future__ import annotations

__all__ = ["ClassifierError", "LexiconError"]


class ClassifierError(Exception):
    """Base of every error the classifiers raise; catch it to handle any classifier failure."""


class LexiconError(ClassifierError):
    """Raised while loading term, species or folding data; the message names the file and line.

    Nothing is classified with a half-loaded lexicon: fix the data file named in the
    message (or point the classifier at another data directory) and load again.
    """
