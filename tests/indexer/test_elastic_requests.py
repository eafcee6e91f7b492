"""The Elasticsearch backend without a cluster: what it would send, and its write path.

Part one checks the request bodies built with ``elasticsearch.dsl`` (template, mapping,
analyzers, search, percolator). Part two runs the real client against the write-path
stand-in (tests/indexer/es_standin.py): bulk writes, retries, outages, rebuilds.
Searching itself is covered by tests/indexer/test_elastic_live.py on a real cluster.
"""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from elasticsearch.dsl import Search

from indexer.errors import DocumentsRejected, SearchIndexError, SearchIndexUnavailable
from indexer.search.document import SearchDocument
from indexer.search.elastic import ElasticBackend
from indexer.search.elastic_bulk import BulkPolicy
from indexer.search.elastic_layout import (
    FILTER_FIELDS,
    TEXT_FIELDS,
    IndexNames,
    listings_template,
    saved_searches_index,
)
from indexer.search.elastic_query import (
    backend_result,
    percolator_entry,
    query_for,
    search_for,
)
from indexer.search.query import FACETS, SearchBackend, SearchQuery
from tests.indexer.es_standin import EsStandIn

NAMES = IndexNames("wwtest")


def _template() -> dict[str, Any]:
    return listings_template(NAMES).to_dict()


def _mapping() -> dict[str, Any]:
    return _template()["template"]["mappings"]


def _analysis() -> dict[str, Any]:
    return _template()["template"]["settings"]["analysis"]


def _filter_named(name: str) -> dict[str, Any]:
    return _analysis()["filter"][name]


# -- index layout


def test_every_document_field_is_mapped_and_nothing_else() -> None:
    assert set(_mapping()["properties"]) == set(SearchDocument.model_fields)


def test_unknown_fields_are_refused() -> None:
    assert _mapping()["dynamic"] == "strict"


@pytest.mark.parametrize(
    ("field", "expected_type"),
    [
        *[(name, "keyword") for name in FILTER_FIELDS],
        *[(name, "text") for name in TEXT_FIELDS],
        ("risk", "float"),
        ("price", "double"),
        ("date", "date"),
        ("last_seen", "date"),
        ("flagged", "boolean"),
        ("removed", "boolean"),
        ("url", "keyword"),
    ],
)
def test_each_field_has_its_type(field: str, expected_type: str) -> None:
    assert _mapping()["properties"][field]["type"] == expected_type


def test_url_is_kept_but_not_indexed() -> None:
    url = _mapping()["properties"]["url"]
    assert url["index"] is False and url["doc_values"] is False


@pytest.mark.parametrize("field", TEXT_FIELDS)
def test_text_fields_fold_bigram_and_have_a_thai_subfield(field: str) -> None:
    spec = _mapping()["properties"][field]
    index_analyzer = _analysis()["analyzer"][spec["analyzer"]]
    search_analyzer = _analysis()["analyzer"][spec["search_analyzer"]]
    for analyzer in (index_analyzer, search_analyzer):
        assert analyzer["tokenizer"] == "standard"
        # Folding before bigrams: full-width forms, case and diacritics (Vietnamese, đ).
        assert analyzer["filter"][:3] == ["cjk_width", "lowercase", "asciifolding"]
        bigram = _filter_named(analyzer["filter"][-1])
        assert bigram["type"] == "cjk_bigram"
    # Single characters are indexed (a one-character query matches) ...
    assert _filter_named(index_analyzer["filter"][-1])["output_unigrams"] is True
    # ... but a query of two or more characters is matched as bigrams only.
    assert _filter_named(search_analyzer["filter"][-1])["output_unigrams"] is False
    thai = spec["fields"]["thai"]
    assert thai["type"] == "text"
    assert _analysis()["analyzer"][thai["analyzer"]]["tokenizer"] == "thai"


def test_every_analysis_component_named_is_defined_or_built_in() -> None:
    built_in = {"cjk_width", "lowercase", "asciifolding", "decimal_digit", "standard", "thai"}
    analysis = _analysis()
    for analyzer in analysis["analyzer"].values():
        assert analyzer["type"] == "custom"
        assert analyzer["tokenizer"] in built_in
        for name in analyzer["filter"]:
            assert name in built_in or name in analysis["filter"]
        for name in analyzer.get("char_filter", []):
            assert name in analysis["char_filter"]


def test_combining_diacritics_are_stripped_but_thai_marks_are_not() -> None:
    import re

    (char_filter,) = _analysis()["char_filter"].values()
    pattern = re.compile(char_filter["pattern"])
    # Vietnamese typed in decomposed form (o + dot below + circumflex).
    assert pattern.sub(char_filter["replacement"], "ngo\u0323\u0302c") == "ngoc"
    # Thai vowel and tone marks are letters of the word, not accents.
    assert pattern.sub(char_filter["replacement"], "ช้าง") == "ช้าง"


def test_template_covers_the_versioned_indices_only() -> None:
    template = _template()
    (pattern,) = template["index_patterns"]
    assert fnmatch.fnmatchcase(NAMES.versioned(NAMES.listings, 1), pattern)
    assert fnmatch.fnmatchcase(NAMES.versioned(NAMES.listings, 12), pattern)
    assert not fnmatch.fnmatchcase(NAMES.listings, pattern)
    assert not fnmatch.fnmatchcase(NAMES.versioned(NAMES.saved_searches, 1), pattern)
    assert template["priority"] > 0
    assert template["template"]["settings"]["max_result_window"] >= 10_000 + 500


def test_saved_search_index_has_the_listing_mapping_and_a_percolator() -> None:
    body = saved_searches_index(NAMES, 1).to_dict()
    properties = body["mappings"]["properties"]
    assert properties.pop("query") == {"type": "percolator"}
    assert properties.pop("saved_search_id") == {"type": "long"}
    assert body["mappings"] == _mapping()
    assert body["settings"]["analysis"] == _analysis()


@pytest.mark.parametrize("prefix", ["", "WildWatch", "-x", "a b", "a*", "x/y", "é", "a" * 65])
def test_bad_prefixes_are_refused(prefix: str) -> None:
    with pytest.raises(ValueError, match="index prefix"):
        IndexNames(prefix)


def test_version_numbers_are_read_from_index_names_only() -> None:
    assert NAMES.version_of(NAMES.listings, "wwtest-listings-v7") == 7
    assert NAMES.version_of(NAMES.listings, "wwtest-listings-v7x") is None
    assert NAMES.version_of(NAMES.listings, "wwtest-listings") is None
    assert NAMES.version_of(NAMES.listings, "other-listings-v7") is None


# -- search requests

QUERIES = [
    SearchQuery(),
    SearchQuery(text="pangolin scales"),
    SearchQuery(text="象牙", platform=["shopee", "lazada"], tier=["high"]),
    SearchQuery(text="ngà voi", country=["vn"], language=["vi"], sort="date"),
    SearchQuery(species=["Manis javanica"], appendix=["i"], family=["scales"], sort="price"),
    SearchQuery(
        text="งาช้าง",
        review_status=["unreviewed"],
        seller_cluster=["s1"],
        repost_cluster=["r1"],
        flagged=True,
        online=True,
        descending=False,
        sort="risk",
    ),
    SearchQuery(
        date_from=datetime(2025, 1, 1, tzinfo=UTC),
        date_to=datetime(2025, 6, 30, 23, 59, tzinfo=UTC),
        price_min=10,
        price_max=2_000_000,
        currency=["vnd"],
        offset=40,
        limit=20,
        facets=list(FACETS),
    ),
    SearchQuery(listing_ids=["a", "b"], text="tiger bone", facets=["platform", "tier"]),
]


def _body(query: SearchQuery) -> dict[str, Any]:
    return search_for(query).to_dict()


def _filters(body: dict[str, Any]) -> list[dict[str, Any]]:
    query = body["query"]
    return query.get("bool", {}).get("filter", [])


@pytest.mark.parametrize("query", QUERIES)
def test_bodies_round_trip_through_the_dsl_and_json(query: SearchQuery) -> None:
    body = _body(query)
    assert Search.from_dict(body).to_dict() == body
    assert json.loads(json.dumps(body)) == body


@pytest.mark.parametrize(
    ("query", "clause"),
    [
        (SearchQuery(platform=["a", "b"]), {"terms": {"platform": ["a", "b"]}}),
        (SearchQuery(species=["Manis javanica"]), {"terms": {"species": ["Manis javanica"]}}),
        (SearchQuery(appendix=["ii"]), {"terms": {"appendix": ["II"]}}),
        (SearchQuery(family=["ivory"]), {"terms": {"family": ["ivory"]}}),
        (SearchQuery(country=["vn"]), {"terms": {"country": ["VN"]}}),
        (SearchQuery(language=["th"]), {"terms": {"language": ["th"]}}),
        (SearchQuery(tier=["high", "medium"]), {"terms": {"tier": ["high", "medium"]}}),
        (SearchQuery(review_status=["confirmed"]), {"terms": {"review_status": ["confirmed"]}}),
        (SearchQuery(seller_cluster=["c9"]), {"terms": {"seller_cluster": ["c9"]}}),
        (SearchQuery(repost_cluster=["r2"]), {"terms": {"repost_cluster": ["r2"]}}),
        (SearchQuery(currency=["thb"]), {"terms": {"currency": ["THB"]}}),
        (SearchQuery(listing_ids=["x1", "x2"]), {"terms": {"id": ["x1", "x2"]}}),
        (SearchQuery(flagged=True), {"term": {"flagged": True}}),
        (SearchQuery(online=True), {"term": {"removed": False}}),
        (
            SearchQuery(date_from=datetime(2025, 3, 1), date_to=datetime(2025, 3, 31)),
            {"range": {"date": {"gte": "2025-03-01T00:00:00", "lte": "2025-03-31T00:00:00"}}},
        ),
        (
            SearchQuery(date_to=datetime(2025, 3, 31, tzinfo=UTC)),
            {"range": {"date": {"lte": "2025-03-31T00:00:00+00:00"}}},
        ),
        (SearchQuery(price_min=5), {"range": {"price": {"gte": 5.0}}}),
        (SearchQuery(price_min=5, price_max=9), {"range": {"price": {"gte": 5.0, "lte": 9.0}}}),
    ],
)
def test_each_filter_becomes_one_non_scoring_clause(
    query: SearchQuery, clause: dict[str, Any]
) -> None:
    body = _body(query)
    assert _filters(body) == [clause]
    assert "must" not in body["query"]["bool"]


def test_every_filter_at_once_is_required_and_only_the_words_score() -> None:
    query = SearchQuery(
        text="ivory",
        **{name: ["v"] for name in ("species", "family", "platform", "language")},
        **{name: ["c"] for name in ("seller_cluster", "repost_cluster", "listing_ids")},
        appendix=["I"],
        country=["TH"],
        currency=["THB"],
        tier=["high"],
        review_status=["confirmed"],
        flagged=True,
        online=True,
        date_from=datetime(2025, 1, 1),
        price_max=10,
    )
    body = _body(query)
    fields = {next(iter(next(iter(c.values())))) for c in _filters(body)}
    assert fields == set(FILTER_FIELDS) - {"seller_id"} | {"flagged", "removed", "date", "price"}
    assert len(body["query"]["bool"]["must"]) == 1


def test_no_text_and_no_filters_matches_everything_without_highlights() -> None:
    body = _body(SearchQuery())
    assert body["query"] == {"match_all": {}}
    assert "highlight" not in body


def test_words_must_all_match_across_the_text_fields_in_any_script() -> None:
    body = _body(SearchQuery(text="pangolin scales"))
    (must,) = body["query"]["bool"]["must"]
    match = must["multi_match"]
    assert match["query"] == "pangolin scales"
    assert match["operator"] == "and"
    assert match["type"] == "cross_fields"
    fields = {f.split("^")[0] for f in match["fields"]}
    assert fields == {*TEXT_FIELDS, *(f"{f}.thai" for f in TEXT_FIELDS)}


@pytest.mark.parametrize("text", ["!!!", "🐘", " - ", "\u0300"])
def test_text_without_letters_or_digits_filters_nothing(text: str) -> None:
    body = _body(SearchQuery(text=text, platform=["a"]))
    assert "must" not in body["query"]["bool"]
    assert "highlight" not in body


def test_no_analyzer_group_can_match_everything_on_its_own() -> None:
    # zero_terms_query=all would apply per analyzer group: a query the Thai tokenizer
    # finds no words in would then match every listing.
    match = _body(SearchQuery(text="ivory 🐘"))["query"]["bool"]["must"][0]["multi_match"]
    assert match.get("zero_terms_query", "none") == "none"


@pytest.mark.parametrize(
    "text", ['ivory OR "horn', "title:ivory AND NOT x", "horn* ~2 ^3", "<script>alert(1)</script>"]
)
def test_query_syntax_in_user_text_stays_plain_words(text: str) -> None:
    body = _body(SearchQuery(text=text))
    serialised = json.dumps(body)
    assert "query_string" not in serialised and "simple_query_string" not in serialised
    assert body["query"]["bool"]["must"][0]["multi_match"]["query"] == text


@pytest.mark.parametrize(
    ("sort", "field"),
    [("relevance", "_score"), ("risk", "risk"), ("date", "date"), ("price", "price")],
)
@pytest.mark.parametrize("descending", [True, False])
def test_sort_with_direction_and_an_id_tie_break(sort: str, field: str, descending: bool) -> None:
    body = _body(SearchQuery(text="x", sort=sort, descending=descending))  # type: ignore[arg-type]
    first, tie_break = body["sort"]
    assert first[field]["order"] == ("desc" if descending else "asc")
    if field != "_score":
        assert first[field]["missing"] == "_last"
    assert tie_break == {"id": {"order": "asc"}}


def test_paging_and_an_exact_total() -> None:
    body = _body(SearchQuery(offset=40, limit=20))
    assert (body["from"], body["size"]) == (40, 20)
    assert body["track_total_hits"] is True
    assert body["_source"] is False


def test_highlights_are_escaped_and_marked() -> None:
    highlight = _body(SearchQuery(text="ivory"))["highlight"]
    assert highlight["pre_tags"] == ["<mark>"] and highlight["post_tags"] == ["</mark>"]
    assert highlight["encoder"] == "html"
    assert 100 <= highlight["fragment_size"] <= 200
    assert {"title", "description", "title.thai", "description.thai"} == set(highlight["fields"])


def test_facets_are_counted_over_all_matches() -> None:
    body = _body(SearchQuery(text="x", facets=["platform", "species"], limit=5))
    assert set(body["aggs"]) == {"platform", "species"}
    for name, agg in body["aggs"].items():
        assert agg["terms"]["field"] == name
        assert agg["terms"]["size"] >= 50
    # Aggregations run over the query, not a post_filter: the page size does not limit them.
    assert "post_filter" not in body
    assert "aggs" not in _body(SearchQuery(text="x"))


@pytest.mark.parametrize("query", QUERIES)
def test_a_saved_search_is_percolated_with_the_same_query_as_search(query: SearchQuery) -> None:
    entry = percolator_entry(42, query)
    assert entry["saved_search_id"] == 42
    assert entry["query"] == _body(query)["query"] == query_for(query).to_dict()


def test_a_response_becomes_a_backend_result() -> None:
    query = SearchQuery(text="งาช้าง", facets=["platform"], sort="risk")
    response = {
        "hits": {
            "total": {"value": 57, "relation": "eq"},
            "hits": [
                {"_id": "b", "_score": None, "highlight": {"title.thai": ["<mark>งา</mark>"]}},
                {
                    "_id": "a",
                    "_score": 1.5,
                    "highlight": {
                        "title": ["an <mark>x</mark>"],
                        "title.thai": ["ignored"],
                        "description": ["&lt;b&gt; <mark>x</mark>"],
                    },
                },
            ],
        },
        "aggregations": {"platform": {"buckets": [{"key": "shopee", "doc_count": 40}]}},
    }
    result = backend_result(response, query)
    assert result.total == 57
    assert [hit.listing_id for hit in result.hits] == ["b", "a"]
    assert [hit.score for hit in result.hits] == [0.0, 1.5]
    assert result.hits[0].highlights == {"title": ["<mark>งา</mark>"]}
    assert result.hits[1].highlights["title"] == ["an <mark>x</mark>"]
    assert result.facets["platform"][0].value == "shopee"
    assert result.facets["platform"][0].count == 40


# -- the write path, against the stand-in


def _docs(count: int, *, start: int = 0) -> list[SearchDocument]:
    return [
        SearchDocument(
            id=f"L{i}",
            platform="shopee",
            url=f"https://shop.example/{i}",
            title=f"listing {i} ngà voi",
            species=["Elephas maximus"],
            price=1_500_000.0,
            currency="VND",
            date=datetime(2025, 5, 1, tzinfo=UTC),
        )
        for i in range(start, start + count)
    ]


@pytest.fixture
def standin() -> Iterator[EsStandIn]:
    with EsStandIn() as server:
        yield server


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The bulk helper's backoff waits, recorded instead of slept."""
    import elasticsearch.helpers.actions as actions

    waited: list[float] = []
    monkeypatch.setattr(actions.time, "sleep", waited.append)
    return waited


def _backend(standin: EsStandIn, **policy: Any) -> ElasticBackend:
    return ElasticBackend.from_url(
        standin.url,
        prefix=NAMES.prefix,
        request_timeout=5,
        retry_backoff=0.01,
        bulk=BulkPolicy(**{"initial_backoff": 0.5, **policy}),
    )


def test_ensure_creates_template_index_alias_and_saved_search_index_once(
    standin: EsStandIn,
) -> None:
    backend = _backend(standin)
    backend.ensure()
    backend.ensure()
    v1 = NAMES.versioned(NAMES.listings, 1)
    assert standin.alias_targets(NAMES.listings) == {v1}
    assert standin.indices[v1].template == NAMES.listings_template
    assert standin.indices[v1].mappings == _mapping()
    saved = standin.alias_targets(NAMES.saved_searches)
    assert saved == {NAMES.versioned(NAMES.saved_searches, 1)}
    assert standin.indices[saved.pop()].mappings["properties"]["query"]["type"] == "percolator"
    assert len(standin.requests_to(v1, "PUT")) == 1  # created once


def test_bulk_writes_land_through_the_alias(standin: EsStandIn) -> None:
    backend = _backend(standin, chunk_size=2)
    docs = _docs(5)
    assert backend.index_documents(docs) == 5
    stored = standin.documents(NAMES.listings)
    assert stored == {doc.id: doc.model_dump(mode="json") for doc in docs}
    bulks = standin.requests_to("/_bulk")
    assert len(bulks) == 3  # chunks of 2
    assert all(r.query.get("require_alias") == "true" for r in bulks)
    assert {line["index"]["_index"] for r in bulks for line in r.ndjson() if "index" in line} == {
        NAMES.listings
    }
    backend.refresh()
    assert backend.count() == 5


def test_nothing_is_visible_to_count_before_a_refresh(standin: EsStandIn) -> None:
    backend = _backend(standin)
    backend.index_documents(_docs(3))
    assert backend.count() == 0
    backend.refresh()
    assert backend.count() == 3


def test_delete_removes_and_a_missing_document_is_not_an_error(standin: EsStandIn) -> None:
    backend = _backend(standin)
    backend.index_documents(_docs(3))
    assert backend.delete(["L1", "never-indexed"]) == 2
    assert set(standin.documents(NAMES.listings)) == {"L0", "L2"}


def test_a_busy_cluster_is_retried_with_growing_waits(
    standin: EsStandIn, sleeps: list[float]
) -> None:
    backend = _backend(standin)
    backend.ensure()
    standin.fail_next(429, times=3)
    assert backend.index_documents(_docs(4)) == 4
    assert len(standin.requests_to("/_bulk")) == 4
    assert sleeps == [0.5, 1.0, 2.0]
    assert len(standin.documents(NAMES.listings)) == 4


def test_documents_rejected_one_by_one_as_too_busy_are_retried(
    standin: EsStandIn, sleeps: list[float]
) -> None:
    backend = _backend(standin)
    backend.ensure()
    standin.reject_items_next(status=429, times=2)
    assert backend.index_documents(_docs(3)) == 3
    assert sleeps == [0.5, 1.0]
    assert len(standin.documents(NAMES.listings)) == 3


def test_a_cluster_busy_beyond_the_retries_is_unavailable(
    standin: EsStandIn, sleeps: list[float]
) -> None:
    backend = _backend(standin, max_retries=2)
    backend.ensure()
    standin.fail_next(429, times=10)
    with pytest.raises(SearchIndexUnavailable, match="429"):
        backend.index_documents(_docs(2))
    assert len(sleeps) == 2


@pytest.mark.parametrize("mode", ["refuse", "503"])
def test_a_down_cluster_raises_unavailable_and_writes_resume_when_it_returns(
    standin: EsStandIn, mode: str
) -> None:
    backend = _backend(standin)
    backend.index_documents(_docs(2))
    standin.go_down(mode)  # type: ignore[arg-type]
    with pytest.raises(SearchIndexUnavailable):
        backend.index_documents(_docs(2, start=2))
    with pytest.raises(SearchIndexUnavailable):
        backend.delete(["L0"])
    standin.come_back()
    assert backend.index_documents(_docs(2, start=2)) == 2
    assert set(standin.documents(NAMES.listings)) == {"L0", "L1", "L2", "L3"}


def test_an_unreachable_cluster_on_first_use_raises_unavailable(standin: EsStandIn) -> None:
    backend = _backend(standin)
    standin.go_down()
    with pytest.raises(SearchIndexUnavailable, match="cannot be reached"):
        backend.index_documents(_docs(1))
    assert backend.ping() is False


def test_refused_documents_are_named_and_the_others_land(standin: EsStandIn) -> None:
    backend = _backend(standin)
    standin.refuse_document("L1", "failed to parse field [price] of type [double]")
    with pytest.raises(DocumentsRejected) as caught:
        backend.index_documents(_docs(3))
    assert caught.value.written == 2
    assert caught.value.failures == {
        "L1": "mapper_parsing_exception: failed to parse field [price] of type [double]"
    }
    assert "L1" in str(caught.value)
    assert set(standin.documents(NAMES.listings)) == {"L0", "L2"}


def test_rebuild_fills_a_new_index_and_swaps_the_alias_atomically(standin: EsStandIn) -> None:
    backend = _backend(standin, chunk_size=3)
    backend.index_documents(_docs(2, start=100))  # stale: gone from the store since
    v1, v2 = (NAMES.versioned(NAMES.listings, n) for n in (1, 2))
    served_during_load: list[set[str]] = []

    def store_documents() -> Iterator[SearchDocument]:
        for doc in _docs(7):
            served_during_load.append(standin.alias_targets(NAMES.listings))
            yield doc

    assert backend.rebuild(store_documents()) == v2
    # Searches kept being served by the old index while the new one filled.
    assert served_during_load and all(s == {v1} for s in served_during_load)
    assert standin.alias_targets(NAMES.listings) == {v2}
    assert v1 not in standin.indices
    assert set(standin.documents(NAMES.listings)) == {f"L{i}" for i in range(7)}
    assert standin.indices[v2].template == NAMES.listings_template
    # Loaded without refreshes, then opened: refreshed before the alias moved, in one request.
    create = standin.requests_to(f"/{v2}", "PUT")[0].json()
    assert create["settings"]["refresh_interval"] == "-1"
    assert "refresh_interval" not in standin.indices[v2].settings
    (swap,) = standin.requests_to("/_aliases")
    assert swap.json()["actions"] == [
        {"remove": {"index": v1, "alias": NAMES.listings}},
        {"add": {"index": v2, "alias": NAMES.listings}},
    ]
    paths = [r.path for r in standin.requests]
    assert paths.index(f"/{v2}/_refresh") < paths.index("/_aliases")
    assert backend.count() == 7
    # Writes after the swap go to the new index.
    backend.index_documents(_docs(1, start=50))
    assert "L50" in standin.indices[v2].docs


def test_rebuild_on_an_empty_cluster_creates_everything(standin: EsStandIn) -> None:
    backend = _backend(standin)
    name = backend.rebuild(_docs(3))
    assert standin.alias_targets(NAMES.listings) == {name}
    assert standin.alias_targets(NAMES.saved_searches)
    assert backend.count() == 3


def test_a_failed_rebuild_leaves_the_old_index_serving(standin: EsStandIn) -> None:
    backend = _backend(standin)
    backend.index_documents(_docs(2))
    v1 = NAMES.versioned(NAMES.listings, 1)

    def broken_store() -> Iterator[SearchDocument]:
        yield from _docs(3, start=10)
        raise RuntimeError("store went away")

    with pytest.raises(RuntimeError, match="store went away"):
        backend.rebuild(broken_store())
    assert standin.alias_targets(NAMES.listings) == {v1}
    assert set(standin.indices) == {v1, NAMES.versioned(NAMES.saved_searches, 1)}

    standin.refuse_document("L11")
    with pytest.raises(DocumentsRejected):
        backend.rebuild(_docs(3, start=10))
    assert standin.alias_targets(NAMES.listings) == {v1}
    assert set(standin.documents(NAMES.listings)) == {"L0", "L1"}


def test_a_rebuild_into_a_down_cluster_raises_unavailable(standin: EsStandIn) -> None:
    backend = _backend(standin)
    backend.ensure()
    standin.fail_next(503, times=50)
    with pytest.raises(SearchIndexUnavailable):
        backend.rebuild(_docs(3))
    assert standin.alias_targets(NAMES.listings) == {NAMES.versioned(NAMES.listings, 1)}


def test_saved_searches_are_stored_as_percolator_queries(standin: EsStandIn) -> None:
    backend = _backend(standin)
    query = SearchQuery(text="tê giác", country=["VN"], tier=["high"])
    backend.register_saved_search(7, query)
    stored = standin.documents(NAMES.saved_searches)
    assert stored == {"7": {"saved_search_id": 7, "query": _body(query)["query"]}}
    backend.remove_saved_search(7)
    backend.remove_saved_search(8)  # never stored: not an error
    assert standin.documents(NAMES.saved_searches) == {}


def test_rebuilding_saved_searches_swaps_their_alias(standin: EsStandIn) -> None:
    backend = _backend(standin)
    backend.register_saved_search(1, SearchQuery(text="old"))
    name = backend.rebuild_saved_searches([(2, SearchQuery(text="a")), (3, SearchQuery())])
    assert name == NAMES.versioned(NAMES.saved_searches, 2)
    assert standin.alias_targets(NAMES.saved_searches) == {name}
    assert set(standin.documents(NAMES.saved_searches)) == {"2", "3"}


def test_drop_all_removes_this_prefix_only(standin: EsStandIn) -> None:
    other = ElasticBackend.from_url(standin.url, prefix="other")
    other.ensure()
    backend = _backend(standin)
    backend.rebuild(_docs(2))
    backend.drop_all()
    assert all(name.startswith("other-") for name in standin.indices)
    assert set(standin.templates) == {"other-listings"}
    other.index_documents(_docs(1))


def test_an_index_in_the_way_of_the_alias_is_reported(standin: EsStandIn) -> None:
    standin.handle("PUT", f"/{NAMES.listings}", b"{}")
    with pytest.raises(SearchIndexError, match="in the way"):
        _backend(standin).ensure()


def test_a_server_that_is_not_elasticsearch_is_refused_clearly() -> None:
    with EsStandIn(product=None) as server, pytest.raises(SearchIndexError, match="OpenSearch"):
        _backend(server).ensure()


@pytest.mark.parametrize("url", ["localhost:9200", "ftp://host", ""])
def test_a_url_without_http_is_refused(url: str) -> None:
    with pytest.raises(ValueError, match="http"):
        ElasticBackend.from_url(url)


def test_searches_send_the_dsl_body_to_the_alias(standin: EsStandIn) -> None:
    backend = _backend(standin)
    assert isinstance(backend, SearchBackend) and backend.name == "elasticsearch"
    query = SearchQuery(text="象牙", offset=5, facets=["tier"])
    with pytest.raises(SearchIndexError):  # the stand-in does not search
        backend.search(query)
    (sent,) = standin.requests_to("/_search")
    assert sent.path == f"/{NAMES.listings}/_search"
    assert sent.json() == _body(query)


def test_percolation_sends_the_listings_as_documents(standin: EsStandIn) -> None:
    backend = _backend(standin)
    docs = _docs(2)
    with pytest.raises(SearchIndexError):  # the stand-in does not search
        backend.percolate(docs)
    (sent,) = standin.requests_to("/_search")
    assert sent.path == f"/{NAMES.saved_searches}/_search"
    percolate = sent.json()["query"]["percolate"]
    assert percolate["field"] == "query"
    assert percolate["documents"] == [doc.model_dump(mode="json") for doc in docs]
    assert backend.percolate([]) == {}
