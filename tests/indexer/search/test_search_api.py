"""The search API, the same on every backend: words in many scripts, filters, facets,
sorting, paging and highlights over a multilingual corpus saved through the store.

Expected results come from the corpus entries (tests/indexer/search/corpus.py): which
listings contain a word is written down per query below; which pass a filter, how they
sort and how they count is worked out from the entries' own fields.
"""

from __future__ import annotations

import html
import re
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from indexer.search import FACETS, SearchQuery
from tests.indexer.search.conftest import Searcher
from tests.indexer.search.corpus import CORPUS, EPOCH, Entry

BY_ID = {entry.id: entry for entry in CORPUS}
IVORY = {
    "shop:en-bangle",
    "shop:en-dress",
    "bazaar:en-hostile",
    "shop:en-syntax",
    "bazaar:en-phone",
}

# query -> the listings whose title, description, seller name or hashtags hold its words.
WORDS: dict[str, set[str]] = {
    # Chinese inside unspaced text; 大象 (elephant) and 牙刷 (toothbrush) share a character.
    "象牙": {"bazaar:zh-ivory", "shop:ja-seal"},
    "象牙手镯": {"bazaar:zh-ivory"},
    "犀牛角": {"feed:zh-horn"},
    "犀角": {"feed:zht-horn"},
    "鱗片": {"bazaar:zht-scales"},
    "香港現貨": {"feed:zht-horn"},
    # One character: found inside words, in Chinese and Japanese alike.
    "虎": {"bazaar:zh-tiger"},
    "象": {"bazaar:zh-ivory", "shop:zh-toy", "shop:ja-seal", "shop:ja-figure"},
    "牙": {"bazaar:zh-ivory", "shop:zh-brush", "shop:ja-seal"},
    # Japanese: kanji and kana inside a sentence.
    "印鑑": {"shop:ja-seal"},
    "べっ甲": {"shop:ja-hairpin"},
    "かんざし": {"shop:ja-hairpin"},
    # Thai without spaces; ช้าง (elephant) alone is in the wooden carving too.
    "งาช้าง": {"feed:th-bangle"},
    "ช้าง": {"feed:th-bangle", "shop:th-carving"},
    "นอแรด": {"feed:th-horn"},
    # Vietnamese with and without diacritics, đ typed as d.
    "ngà voi": {"bazaar:vi-bangle"},
    "nga voi": {"bazaar:vi-bangle"},
    "sừng tê giác": {"bazaar:vi-horn", "feed:vi-horn-plain"},
    "sung te giac": {"bazaar:vi-horn", "feed:vi-horn-plain"},
    "do thu cong": {"feed:vi-scales"},
    "Đồ thủ công": {"feed:vi-scales"},
    # Indonesian, English, French (accents either way), Spanish, Portuguese.
    "gading gajah": {"bazaar:id-ivory"},
    "ivory": IVORY,
    "IVOIRE": {"shop:fr-bracelet"},
    "defense sculptee": {"bazaar:fr-tusk"},
    "Défense d'éléphant": {"bazaar:fr-tusk"},
    "marfil": {"shop:es-bracelet"},
    "marfim": {"shop:pt-bracelet"},
    # Seller names and hashtags are searched too.
    "ivoryking": {"shop:en-bangle"},
    "parrots": {"feed:en-macaw"},
    "收藏": {"bazaar:zh-ivory"},
    # All words must match.
    "ivory bangle": {"shop:en-bangle"},
    "rhino nowhere": set(),
}


def _ids(entries: list[Entry]) -> list[str]:
    return [entry.id for entry in entries]


@pytest.mark.parametrize("text", list(WORDS))
def test_words_are_found_in_any_script(backend: Searcher, text: str) -> None:
    result = backend(text=text)
    assert {hit.listing.id for hit in result.hits} == WORDS[text]
    assert result.total == len(WORDS[text])


def test_no_text_finds_everything(backend: Searcher) -> None:
    result = backend(limit=100)
    assert result.total == len(CORPUS)
    assert sorted(hit.listing.id for hit in result.hits) == sorted(BY_ID)


def test_hits_are_the_stores_listings(backend: Searcher) -> None:
    hit = backend(text="ngà voi").hits[0]
    entry = BY_ID[hit.listing.id]
    assert hit.listing.title == entry.title
    assert hit.listing.classification is not None
    assert hit.listing.classification.risk == entry.risk


def test_title_words_rank_above_description_words(backend: Searcher) -> None:
    ranked = backend.ids(text="carving")
    # "carving" is in two titles and in one description only.
    assert set(ranked) == {"bazaar:en-hostile", "shop:en-elephant", "shop:en-syntax"}
    assert ranked[-1] == "shop:en-syntax"
    scores = [hit.score for hit in backend(text="carving").hits]
    assert scores == sorted(scores, reverse=True)


# -- FTS syntax in a query is taken literally


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # A prefix query would also find "ivoryware" and the seller "ivoryking".
        ("ivory*", IVORY),
        ('"ivory', IVORY),
        ('ivory"', IVORY),
        ("-ivory", IVORY),
        # OR, NOT, NEAR and column filters are words like any other.
        ("ivory OR horn", {"shop:en-syntax"}),
        ("ivory NOT dress", set()),
        ("NEAR(ivory horn)", {"shop:en-syntax"}),
        ("title:antique", {"shop:en-syntax"}),
        ("{ivory}", IVORY),
        ("***", set()),
        ("ivory AND (", {"shop:en-syntax"}),
    ],
)
def test_query_syntax_is_inert(backend: Searcher, text: str, expected: set[str]) -> None:
    assert set(backend.ids(text=text)) == expected


# -- Filters: each one, and together


def _passes(entry: Entry, query: SearchQuery) -> bool:
    checks: list[bool] = [
        not query.platform or entry.platform in query.platform,
        not query.country or entry.country in query.country,
        not query.language or entry.language in query.language,
        not query.tier or entry.tier in query.tier,
        not query.review_status or entry.review_status in query.review_status,
        not query.seller_cluster or entry.seller_cluster in query.seller_cluster,
        not query.repost_cluster or entry.repost_cluster in query.repost_cluster,
        not query.currency or entry.currency in query.currency,
        not query.species or bool(entry.scientific_names & set(query.species)),
        not query.appendix or bool(entry.appendix & set(query.appendix)),
        not query.family or bool(set(entry.families) & set(query.family)),
        not query.listing_ids or entry.id in query.listing_ids,
        not query.flagged or entry.flagged,
        not query.online or not entry.removed,
        query.date_from is None or entry.date >= query.date_from,
        query.date_to is None or entry.date <= query.date_to,
        query.price_min is None or (entry.price is not None and entry.price >= query.price_min),
        query.price_max is None or (entry.price is not None and entry.price <= query.price_max),
        not query.text or entry.id in WORDS[query.text],
    ]
    return all(checks)


def expected_ids(query: SearchQuery) -> set[str]:
    return {entry.id for entry in CORPUS if _passes(entry, query)}


DAY = timedelta(days=1)
FILTERS: list[dict[str, Any]] = [
    {"platform": ["shop"]},
    {"platform": ["shop", "feed"]},
    {"country": ["VN"]},
    {"country": ["jp", "TH"]},
    {"country": ["MZ"]},  # known from the currency alone
    {"language": ["vi", "zh-Hant"]},
    {"tier": ["medium"]},
    {"tier": ["high", "low"]},
    {"review_status": ["confirmed"]},  # vi-horn: dismissed first, confirmed last
    {"review_status": ["dismissed"]},
    {"review_status": ["unreviewed"]},
    {"species": ["Manis javanica"]},
    {"species": ["Ceratotherium simum", "Panthera tigris"]},
    {"appendix": ["II"]},  # elephants are listed "I/II"
    {"appendix": ["i"]},
    {"family": ["horn"]},
    {"family": ["scales", "bile"]},
    {"seller_cluster": ["sc-wang"]},
    {"repost_cluster": ["rp-horn"]},
    {"currency": ["eur"]},
    {"flagged": True},
    {"online": True},
    {"date_from": EPOCH + 10 * DAY, "date_to": EPOCH + 20 * DAY},
    {"date_from": EPOCH + 30 * DAY},
    {"date_to": EPOCH},  # the listing never posted is dated when first seen
    {"price_min": 1000, "price_max": 10000},
    {"price_max": 100},
    {"listing_ids": ["shop:en-bangle", "bazaar:zh-ivory", "missing:1"]},
    # Combinations.
    {"text": "ivory", "listing_ids": ["shop:en-bangle", "shop:fr-bracelet"]},
    {"text": "ivory", "flagged": True, "online": True},
    {"text": "sung te giac", "platform": ["bazaar"], "tier": ["high"]},
    {
        "text": "象牙",
        "platform": ["bazaar", "shop"],
        "tier": ["high", "medium"],
        "date_from": EPOCH,
        "date_to": EPOCH + 4 * DAY,
    },
    {"family": ["ivory"], "country": ["FR", "ES", "BR"], "price_max": 1500},
    {"species": ["Loxodonta africana"], "review_status": ["unreviewed"], "language": ["en"]},
    {"appendix": ["I"], "platform": ["feed"], "online": True, "currency": ["VND", "IDR"]},
    {"seller_cluster": ["sc-duc", "sc-wang"], "family": ["horn"]},
    {"country": ["VN"], "tier": ["none"]},
]


@pytest.mark.parametrize("filters", FILTERS, ids=lambda f: ",".join(sorted(f)))
def test_filters_keep_exactly_the_listings_that_pass(
    backend: Searcher, filters: dict[str, Any]
) -> None:
    query = SearchQuery(limit=100, **filters)
    expected = expected_ids(query)
    result = backend(query)
    assert {hit.listing.id for hit in result.hits} == expected
    assert result.total == len(expected)


def test_every_filter_field_is_exercised() -> None:
    used = {name for filters in FILTERS for name in filters}
    filter_fields = set(SearchQuery.model_fields) - {
        "sort",
        "descending",
        "limit",
        "offset",
        "facets",
    }
    assert filter_fields - used == set()


# -- Facets


def _facet_values(entry: Entry, facet: str) -> list[str]:
    value = {
        "species": sorted(entry.scientific_names),
        "appendix": sorted(entry.appendix),
        "family": list(entry.families),
        "platform": [entry.platform],
        "country": [entry.country] if entry.country else [],
        "language": [entry.language],
        "tier": [entry.tier],
        "review_status": [entry.review_status],
        "seller_cluster": [entry.seller_cluster] if entry.seller_cluster else [],
    }
    return value[facet]


@pytest.mark.parametrize(
    "filters",
    [{}, {"flagged": True}, {"text": "ivory"}, {"text": "象", "platform": ["shop"]}],
    ids=["all", "flagged", "text", "text+platform"],
)
def test_facets_count_every_match_not_just_the_page(
    backend: Searcher, filters: dict[str, Any]
) -> None:
    query = SearchQuery(limit=2, facets=list(FACETS), **filters)
    matching = [entry for entry in CORPUS if _passes(entry, query)]
    result = backend(query)
    assert len(result.hits) == min(2, len(matching))
    for facet in FACETS:
        counted = Counter(value for entry in matching for value in _facet_values(entry, facet))
        got = [(bucket.value, bucket.count) for bucket in result.facets[facet]]
        assert got == sorted(counted.items(), key=lambda kv: (-kv[1], kv[0])), facet


def test_facets_only_when_asked(backend: Searcher) -> None:
    assert backend(text="ivory").facets == {}
    assert set(backend(text="ivory", facets=["tier"]).facets) == {"tier"}


# -- Sorting and paging


def _sorted(entries: list[Entry], key: Callable[[Entry], Any], descending: bool) -> list[str]:
    present = [e for e in entries if key(e) is not None]
    missing = [e for e in entries if key(e) is None]
    # Ties are broken by id (ascending either way); listings without a value come last.
    present.sort(key=lambda e: e.id)
    present.sort(key=key, reverse=descending)
    return _ids(present) + sorted(_ids(missing))


SORT_KEYS: dict[str, Callable[[Entry], Any]] = {
    "risk": lambda e: e.risk,
    "date": lambda e: e.date,
    "price": lambda e: e.price,
}


@pytest.mark.parametrize("descending", [True, False], ids=["desc", "asc"])
@pytest.mark.parametrize("sort", list(SORT_KEYS))
def test_sort_both_ways(backend: Searcher, sort: str, descending: bool) -> None:
    got = backend.ids(sort=sort, descending=descending, limit=100)
    assert got == _sorted(list(CORPUS), SORT_KEYS[sort], descending)


def test_sort_applies_after_the_filters(backend: Searcher) -> None:
    query = SearchQuery(text="ivory", sort="price", descending=False, limit=100)
    matching = [entry for entry in CORPUS if _passes(entry, query)]
    assert backend.ids(query) == _sorted(matching, SORT_KEYS["price"], False)


def test_relevance_both_ways(backend: Searcher) -> None:
    best_first = backend.ids(text="carving", sort="relevance")
    worst_first = backend.ids(text="carving", sort="relevance", descending=False)
    assert worst_first[0] == "shop:en-syntax"
    assert set(best_first) == set(worst_first)
    assert best_first[0] != worst_first[0]


def test_relevance_without_text_orders_by_id(backend: Searcher) -> None:
    assert backend.ids(tier=["high"], limit=100) == sorted(e.id for e in CORPUS if e.tier == "high")


@pytest.mark.parametrize("page_size", [1, 4, 7])
def test_pages_cover_the_results_once_with_a_steady_total(
    backend: Searcher, page_size: int
) -> None:
    everything = backend.ids(sort="risk", limit=100)
    seen: list[str] = []
    for offset in range(0, len(CORPUS) + page_size, page_size):
        page = backend(sort="risk", limit=page_size, offset=offset)
        assert page.total == len(CORPUS)
        seen += [hit.listing.id for hit in page.hits]
    assert seen == everything


def test_a_page_past_the_end_is_empty_but_counts(backend: Searcher) -> None:
    result = backend(text="ivory", offset=50, limit=10)
    assert result.hits == []
    assert result.total == len(IVORY)


def test_limit_zero_only_counts(backend: Searcher) -> None:
    result = backend(text="ivory", limit=0, facets=["platform"])
    assert result.hits == []
    assert result.total == len(IVORY)
    assert sum(bucket.count for bucket in result.facets["platform"]) == len(IVORY)


# -- Highlights


_MARK = re.compile(r"<mark>(.*?)</mark>")


def _marked(fragment: str) -> str:
    return "".join(_MARK.findall(fragment))


def _plain(fragment: str) -> str:
    return html.unescape(fragment.replace("<mark>", "").replace("</mark>", ""))


def test_hostile_text_comes_back_escaped_with_marks(backend: Searcher) -> None:
    hit = next(h for h in backend(text="ivory").hits if h.listing.id == "bazaar:en-hostile")
    assert set(hit.highlights) == {"title", "description"}
    for field, fragments in hit.highlights.items():
        original = getattr(hit.listing, field)
        for fragment in fragments:
            # The only markup is ours.
            assert re.sub(r"</?mark>", "", fragment).count("<") == 0
            assert "<script" not in fragment and "<img" not in fragment and "<b>" not in fragment
            assert _marked(fragment).casefold() == "ivory"
            assert _plain(fragment) in original
    assert "&lt;script&gt;" in hit.highlights["title"][0]


@pytest.mark.parametrize(
    ("text", "listing_id", "field", "marked"),
    [
        ("象牙", "bazaar:zh-ivory", "title", "象牙"),
        ("象牙", "shop:ja-seal", "description", "象牙"),
        ("虎", "bazaar:zh-tiger", "title", "虎"),
        ("งาช้าง", "feed:th-bangle", "title", "งาช้าง"),
        ("nga voi", "bazaar:vi-bangle", "title", "ngàvoi"),
        ("sung te giac", "bazaar:vi-horn", "title", "sừngtêgiác"),
        ("defense sculptee", "bazaar:fr-tusk", "title", "Défensesculptée"),
    ],
)
def test_highlights_mark_the_original_words(
    backend: Searcher, text: str, listing_id: str, field: str, marked: str
) -> None:
    hit = next(h for h in backend(text=text).hits if h.listing.id == listing_id)
    fragments = hit.highlights[field]
    assert marked in "".join(_marked(f) for f in fragments)
    original = getattr(hit.listing, field)
    assert all(_plain(f) in original for f in fragments)


def test_no_highlights_without_text(backend: Searcher) -> None:
    assert all(hit.highlights == {} for hit in backend(tier=["high"]).hits)


def test_long_descriptions_give_short_fragments(backend: Searcher) -> None:
    hit = backend(text="ivory", listing_ids=["bazaar:en-hostile"]).hits[0]
    assert all(len(_plain(f)) <= 200 for f in hit.highlights["description"])


# -- Invalid queries say what is wrong


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"appendix": ["IV"]}, "CITES appendix must be I, II or III"),
        ({"tier": ["extreme"]}, "tier"),
        ({"review_status": ["maybe"]}, "review_status"),
        ({"date_from": EPOCH, "date_to": EPOCH - DAY}, "date_from is after date_to"),
        ({"price_min": 10, "price_max": 5}, "price_min is above price_max"),
        ({"price_min": -1}, "price_min"),
        ({"limit": 501}, "limit"),
        ({"offset": -1}, "offset"),
        ({"text": "x" * 501}, "text"),
        ({"sort": "colour"}, "sort"),
        ({"facets": ["url"]}, "facets"),
        ({"platform": [" "]}, "filter value must be 1 to 300 characters"),
        ({"platform": [f"p{i}" for i in range(51)]}, "at most 50 values"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_invalid_queries_are_refused_with_a_reason(fields: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=re.escape(message)):
        SearchQuery(**fields)
