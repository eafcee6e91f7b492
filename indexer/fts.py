"""Full-text index on SQLite FTS5 that also finds words in scripts written without spaces.

FTS5's ``unicode61`` tokenizer splits on spaces and punctuation, so a Chinese, Japanese
or Thai sentence would become one huge token and 象牙 would never match inside it.
Before text reaches the index (and before a query reaches FTS5), every run of such
script is rewritten as overlapping character bigrams: 象牙手镯 -> 象牙 牙手 手镯. A
query bigram-expanded the same way becomes a phrase that matches the run exactly.
Diacritics are folded by the tokenizer, so Vietnamese matches with or without them.
"""

from __future__ import annotations

import re
from itertools import pairwise

from sqlalchemy import Connection, text
from sqlalchemy.orm import Session

__all__ = [
    "create_table",
    "delete",
    "index_terms",
    "match_expression",
    "replace",
    "search_ids",
    "single_units",
]

# Han, Hiragana, Katakana, Thai, Lao, Khmer, Myanmar: scripts without word spaces.
_UNSPACED = (
    "\u0e00-\u0e7f\u0e80-\u0eff\u1000-\u109f\u1780-\u17ff"
    "\u3040-\u309f\u30a0-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
)
_UNSPACED_RUN = re.compile(f"[{_UNSPACED}]+")
# Thai and Lao vowel signs and tone marks attach to the previous letter; keep them with it.
_COMBINING = re.compile("[\u0e31\u0e34-\u0e3a\u0e47-\u0e4e\u0eb1\u0eb4-\u0ebc\u0ec8-\u0ecd]")
# The tokenizer does not fold đ (a letter, not a diacritic); Vietnamese users type "d".
_FOLD = str.maketrans({"đ": "d", "Đ": "D"})
_WORD = re.compile(r"\w+")


def _clusters(run: str) -> list[str]:
    clusters: list[str] = []
    for char in run:
        if clusters and _COMBINING.match(char):
            clusters[-1] += char
        else:
            clusters.append(char)
    return clusters


def _bigrams(run: str) -> str:
    units = _clusters(run)
    if len(units) == 1:
        return units[0]
    return " ".join(a + b for a, b in pairwise(units))


def index_terms(value: str) -> str:
    """Text as the index stores it: unspaced runs turned into bigrams, đ folded."""
    value = value.translate(_FOLD)
    return _UNSPACED_RUN.sub(lambda m: f" {_bigrams(m.group())} ", value)


def single_units(value: str) -> str:
    """Every letter of the unspaced runs on its own, so a one-character query (虎) matches."""
    return " ".join(unit for run in _UNSPACED_RUN.findall(value) for unit in _clusters(run))


def match_expression(query: str) -> str | None:
    """A safe FTS5 MATCH expression for a user's query, or None if it has no words.

    Every word becomes a quoted phrase, so FTS5 operators in user input are inert;
    all words must match. A lone character of an unspaced script is looked up in
    the ``units`` column, since the text columns hold bigrams.
    """
    phrases = []
    for part in query.split():
        words = _WORD.findall(index_terms(part))
        if not words:
            continue
        phrase = '"' + " ".join(words) + '"'
        if len(words) == 1 and _UNSPACED_RUN.fullmatch(part) and len(_clusters(part)) == 1:
            phrase = "units : " + phrase
        phrases.append(phrase)
    return " AND ".join(phrases) if phrases else None


def create_table(conn: Connection) -> None:
    conn.execute(
        text(
            "CREATE VIRTUAL TABLE IF NOT EXISTS listing_fts USING fts5("
            "listing_id UNINDEXED, title, description, seller, units, "
            "tokenize = 'unicode61 remove_diacritics 2')"
        )
    )


def replace(
    session: Session, listing_id: str, title: str, description: str | None, seller: str | None
) -> None:
    delete(session, listing_id)
    session.execute(
        text(
            "INSERT INTO listing_fts (listing_id, title, description, seller, units) "
            "VALUES (:id, :title, :description, :seller, :units)"
        ),
        {
            "id": listing_id,
            "title": index_terms(title),
            "description": index_terms(description or ""),
            "seller": index_terms(seller or ""),
            "units": single_units(f"{title} {description or ''}"),
        },
    )


def delete(session: Session, listing_id: str) -> None:
    session.execute(text("DELETE FROM listing_fts WHERE listing_id = :id"), {"id": listing_id})


def search_ids(session: Session, query: str, limit: int) -> list[tuple[str, float]]:
    """Listing ids matching the query with their bm25 rank (lower is better)."""
    expression = match_expression(query)
    if expression is None:
        return []
    rows = session.execute(
        text(
            # Column weights: title counts most, the single-character column least.
            "SELECT listing_id, bm25(listing_fts, 0.0, 4.0, 1.0, 1.0, 0.5) AS rank "
            "FROM listing_fts WHERE listing_fts MATCH :q ORDER BY rank LIMIT :limit"
        ),
        {"q": expression, "limit": limit},
    )
    return [(row[0], float(row[1])) for row in rows]
