"""How the Elasticsearch indices look: names, analyzers, mappings, the index template.

Listings live in versioned indices ``<prefix>-listings-v<N>`` behind the alias
``<prefix>-listings``; a composable index template (``<prefix>-listings-*``) gives every
new version the same settings and mapping, so a rebuild only has to create and fill it.
Saved searches live in ``<prefix>-saved-searches-v<N>`` behind ``<prefix>-saved-searches``:
the listing mapping plus a percolator field holding each saved search's query.

Text is analysed so the same words match in any script:

- ``wildwatch_text`` (index) / ``wildwatch_text_search`` (query): standard tokenizer,
  combining marks stripped, ``cjk_width``, lowercase, ``asciifolding`` (Vietnamese
  matches without diacritics, đ -> d) and ``cjk_bigram``. The index side also keeps the
  single characters, so a one-character query (象) matches; the query side keeps only
  bigrams, so 象牙 must appear as a pair, not as two loose characters.
- ``wildwatch_thai`` on each text field's ``.thai`` sub-field: the ``thai`` dictionary
  tokenizer, which cuts unspaced Thai into words (the standard tokenizer keeps a Thai
  run as one token).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from elasticsearch.dsl import (
    Boolean,
    ComposableIndexTemplate,
    Date,
    Double,
    Float,
    Index,
    Keyword,
    Long,
    Mapping,
    Percolator,
    Text,
    analyzer,
    char_filter,
    token_filter,
)

from indexer.search.query import MAX_RESULTS

__all__ = [
    "FILTER_FIELDS",
    "TEXT_FIELDS",
    "IndexNames",
    "listing_mapping",
    "listings_template",
    "saved_searches_index",
]

#: Deep paging: SearchQuery allows offset 10 000 plus a page of MAX_RESULTS.
MAX_RESULT_WINDOW = 10_000 + MAX_RESULTS
#: Above other templates a cluster may carry for overlapping patterns.
TEMPLATE_PRIORITY = 200
#: Longer keyword values are kept in _source but not indexed (the document is not refused).
KEYWORD_MAX_CHARS = 1024

#: Full-text fields, each with a ``.thai`` sub-field.
TEXT_FIELDS: tuple[str, ...] = ("title", "description", "seller_name", "hashtags")
#: Exact-value fields the search filters and facets use.
FILTER_FIELDS: tuple[str, ...] = (
    "id",
    "platform",
    "seller_id",
    "language",
    "country",
    "species",
    "appendix",
    "family",
    "tier",
    "review_status",
    "seller_cluster",
    "repost_cluster",
    "currency",
)

_PREFIX = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")

# NFD input (a base letter followed by U+0300-U+036F) folds like the precomposed letters.
_strip_combining = char_filter(
    "wildwatch_strip_combining", "pattern_replace", pattern=r"[\u0300-\u036F]", replacement=""
)
_bigrams_with_unigrams = token_filter(
    "wildwatch_cjk_bigram_index", "cjk_bigram", output_unigrams=True
)
_bigrams_only = token_filter("wildwatch_cjk_bigram_search", "cjk_bigram", output_unigrams=False)
_FOLDING = ["cjk_width", "lowercase", "asciifolding", "decimal_digit"]

TEXT_ANALYZER = analyzer(
    "wildwatch_text",
    tokenizer="standard",
    char_filter=[_strip_combining],
    filter=[*_FOLDING, _bigrams_with_unigrams],
)
TEXT_SEARCH_ANALYZER = analyzer(
    "wildwatch_text_search",
    tokenizer="standard",
    char_filter=[_strip_combining],
    filter=[*_FOLDING, _bigrams_only],
)
THAI_ANALYZER = analyzer(
    "wildwatch_thai",
    tokenizer="thai",
    char_filter=[_strip_combining],
    filter=["lowercase", "asciifolding", "decimal_digit"],
)


@dataclass(frozen=True)
class IndexNames:
    """Every index, alias and template name derived from one prefix."""

    prefix: str = "wildwatch"

    def __post_init__(self) -> None:
        if not _PREFIX.fullmatch(self.prefix):
            raise ValueError(
                "index prefix must be 1 to 64 characters of a-z, 0-9, '_' or '-', "
                f"starting with a letter or digit: {self.prefix[:70]!r}"
            )

    @property
    def listings(self) -> str:
        """The alias every search and write goes through."""
        return f"{self.prefix}-listings"

    @property
    def listings_template(self) -> str:
        return f"{self.prefix}-listings"

    @property
    def listings_pattern(self) -> str:
        return f"{self.prefix}-listings-*"

    @property
    def saved_searches(self) -> str:
        """The alias of the percolator index."""
        return f"{self.prefix}-saved-searches"

    def versioned(self, alias: str, version: int) -> str:
        return f"{alias}-v{version}"

    def version_of(self, alias: str, index: str) -> int | None:
        """The N of ``<alias>-v<N>``, or None for any other name."""
        match = re.fullmatch(re.escape(alias) + r"-v([0-9]{1,9})", index)
        return int(match.group(1)) if match else None


def _text() -> Text:
    return Text(
        analyzer=TEXT_ANALYZER,
        search_analyzer=TEXT_SEARCH_ANALYZER,
        fields={"thai": Text(analyzer=THAI_ANALYZER)},
    )


def _keyword() -> Keyword:
    return Keyword(ignore_above=KEYWORD_MAX_CHARS)


def listing_mapping() -> Mapping:
    """Every `SearchDocument` field, typed; unknown fields are refused (dynamic: strict)."""
    mapping = Mapping()
    mapping.meta("dynamic", "strict")
    for name in TEXT_FIELDS:
        mapping.field(name, _text())
    for name in FILTER_FIELDS:
        mapping.field(name, _keyword())
    # Shown, never searched: kept in _source only.
    mapping.field("url", Keyword(index=False, doc_values=False))
    mapping.field("risk", Float())
    # Double, not float: a price of 123456789 (dong, rupiah) must survive exactly for ranges.
    mapping.field("price", Double())
    mapping.field("date", Date())
    mapping.field("last_seen", Date())
    mapping.field("flagged", Boolean())
    mapping.field("removed", Boolean())
    return mapping


def _settings(shards: int) -> dict[str, int]:
    if shards < 1:
        raise ValueError("an index needs at least one shard")
    # One shard by default: term statistics, hence relevance, are then the same for all
    # documents; a large deployment raises it.
    return {"number_of_shards": shards, "max_result_window": MAX_RESULT_WINDOW}


def listings_template(names: IndexNames, *, shards: int = 1) -> ComposableIndexTemplate:
    """The composable template every ``<prefix>-listings-v<N>`` index is created from."""
    # Built in place: Index.as_composable_template() clones the index, and the clone drops
    # the mapping's meta (dynamic: strict).
    template = ComposableIndexTemplate(
        names.listings_template, names.listings_pattern, priority=TEMPLATE_PRIORITY
    )
    # The template forwards these to the index it describes.
    template.settings(**_settings(shards))
    template.mapping(listing_mapping())
    return template


def saved_searches_index(names: IndexNames, version: int, *, shards: int = 1) -> Index:
    """A percolator index: the listing fields (so queries parse) plus the stored queries."""
    index = Index(names.versioned(names.saved_searches, version))
    index.settings(**_settings(shards))
    mapping = listing_mapping()
    mapping.field("query", Percolator())
    mapping.field("saved_search_id", Long())
    index.mapping(mapping)
    return index
