"""How text becomes FTS5 terms, so words are found in scripts written without spaces.

FTS5's ``unicode61`` tokenizer splits on spaces and punctuation, so a Chinese, Japanese
or Thai sentence would become one huge token and 象牙 would never match inside it.
Before text reaches the index (and before a query reaches FTS5), every run of such
script is rewritten as overlapping character bigrams: 象牙手镯 -> 象牙 牙手 手镯. A
query bigram-expanded the same way becomes a phrase that matches the run exactly.
Diacritics are folded by the tokenizer, so Vietnamese matches with or without them.

The index itself lives in `indexer.search.sqlite`; the table functions kept here
(`create_table`, `replace`, `delete`, `search_ids`) only forward to it for callers
written before the search API.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Sequence

from sqlalchemy import Connection
from sqlalchemy.orm import Session

__all__ = [
    "TOKENIZER",
    "UNSPACED",
    "create_table",
    "delete",
    "fold_letters",
    "index_terms",
    "is_unspaced",
    "match_expression",
    "replace",
    "search_ids",
    "single_units",
]

#: The FTS5 tokenizer every indexed column uses; `fold_letters` mirrors what it folds.
TOKENIZER = "unicode61 remove_diacritics 2"

#: Han, Hiragana, Katakana, Thai, Lao, Khmer, Myanmar: scripts without word spaces (a
#: regular-expression character class body).
UNSPACED = (
    "\u0e00-\u0e7f\u0e80-\u0eff\u1000-\u109f\u1780-\u17ff"
    "\u3040-\u309f\u30a0-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
)
_UNSPACED_RUN = re.compile(f"[{UNSPACED}]+")
# Thai and Lao vowel signs and tone marks attach to the previous letter; keep them with it.
_MARKS = "\u0e31\u0e34-\u0e3a\u0e47-\u0e4e\u0eb1\u0eb4-\u0ebc\u0ec8-\u0ecd"
_CLUSTER = re.compile(f"[^{_MARKS}][{_MARKS}]*|[{_MARKS}]+")
# The tokenizer does not fold đ (a letter, not a diacritic); Vietnamese users type "d".
_FOLD = str.maketrans({"đ": "d", "Đ": "D"})
_WORD = re.compile(r"\w+")
# A query piece: a run of unspaced script, or anything else up to the next such run.
_PIECE = re.compile(f"[{UNSPACED}]+|[^{UNSPACED}]+")


def _clusters(run: str) -> list[str]:
    # A mark at the very start of a run has no letter to attach to; it stands alone.
    return _CLUSTER.findall(run)


def _bigrams(run: str) -> str:
    units = _clusters(run)
    if len(units) == 1:
        return units[0]
    return " ".join(map(operator.add, units, units[1:]))


def is_unspaced(value: str) -> bool:
    """Whether `value` is written entirely in scripts without word spaces."""
    return bool(value) and _UNSPACED_RUN.fullmatch(value) is not None


def fold_letters(value: str) -> str:
    """The folds the index applies beyond the tokenizer's (đ -> d)."""
    return value.translate(_FOLD)


def index_terms(value: str) -> str:
    """Text as the index stores it: unspaced runs turned into bigrams, đ folded."""
    value = value.translate(_FOLD)
    return _UNSPACED_RUN.sub(lambda m: f" {_bigrams(m.group())} ", value)


def single_units(value: str) -> str:
    """Every letter of the unspaced runs on its own, so a one-character query (虎) matches."""
    return " ".join(unit for run in _UNSPACED_RUN.findall(value) for unit in _clusters(run))


def match_expression(query: str, *, columns: Sequence[str] = ()) -> str | None:
    """A safe FTS5 MATCH expression for a user's query, or None if it has no words.

    Every word becomes a quoted phrase, so FTS5 operators in user input are inert; all
    words must match, wherever they are (``NEAR(ivory`` is the words near and ivory).
    A run of unspaced script becomes the phrase of its bigrams, so it matches exactly
    that run; a lone character of such a script is looked up in the ``units`` column,
    since the text columns hold bigrams. With `columns`, words are looked up in those
    columns only (and lone characters still in ``units``).
    """
    scope = "{" + " ".join(columns) + "} : " if columns else ""
    phrases: list[str] = []
    for piece in _PIECE.findall(query.translate(_FOLD)):
        if not _UNSPACED_RUN.fullmatch(piece):
            phrases += [f'{scope}"{word}"' for word in _WORD.findall(piece)]
        elif len(_clusters(piece)) == 1:
            phrases.append(f'units : "{piece}"')
        else:
            phrases.append(f'{scope}"{_bigrams(piece)}"')
    return " AND ".join(dict.fromkeys(phrases)) if phrases else None


# -- Forwarders for code written before indexer.search; new code uses indexer.search.sqlite.


def create_table(conn: Connection) -> None:
    """Create (or bring up to date) the embedded search index's tables."""
    from indexer.search.sqlite import ensure_index

    ensure_index(conn)


def replace(
    session: Session, listing_id: str, title: str, description: str | None, seller: str | None
) -> None:
    """Bring one listing's search document up to date (the other arguments are unused)."""
    from indexer.search.sqlite import SqliteIndex

    SqliteIndex(session).refresh([listing_id])


def delete(session: Session, listing_id: str) -> None:
    from indexer.search.sqlite import SqliteIndex

    SqliteIndex(session).remove([listing_id])


def search_ids(session: Session, query: str, limit: int) -> list[tuple[str, float]]:
    """Listing ids matching the query with their bm25 rank (lower is better)."""
    from indexer.search.query import MAX_QUERY_CHARS, MAX_RESULTS, SearchQuery
    from indexer.search.sqlite import SqliteBackend

    request = SearchQuery(text=query[:MAX_QUERY_CHARS], limit=min(limit, MAX_RESULTS))
    result = SqliteBackend(session).search(request)
    return [(hit.listing_id, -hit.score) for hit in result.hits]
