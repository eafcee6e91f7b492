"""The Elasticsearch backend against a real cluster: analyzers, searches, rebuilds, percolator.

Runs only when ``WILDWATCH_ES_URL`` points at a cluster (``WILDWATCH_ES_API_KEY`` and
``WILDWATCH_ES_CA_CERTS`` are used when set); otherwise every test here is reported as
skipped with the reason. Each test works under its own index prefix and deletes it after.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from elasticsearch import BadRequestError

from indexer.search.document import SearchDocument
from indexer.search.elastic import ElasticBackend
from indexer.search.query import SearchQuery

ES_URL = os.environ.get("WILDWATCH_ES_URL")

pytestmark = [
    pytest.mark.elasticsearch,
    pytest.mark.skipif(
        not ES_URL, reason="WILDWATCH_ES_URL not set: no Elasticsearch cluster to test against"
    ),
]


def _doc(listing_id: str, title: str, **fields: object) -> SearchDocument:
    values: dict[str, object] = {
        "platform": "shopee",
        "url": f"https://shop.example/{listing_id}",
        "date": datetime(2025, 5, 1, tzinfo=UTC),
        **fields,
    }
    return SearchDocument(id=listing_id, title=title, **values)  # type: ignore[arg-type]


CORPUS = [
    _doc("zh1", "出售穿山甲鳞片 正品", language="zh", country="CN", tier="high", price=800.0),
    _doc("zh2", "象牙手鐲 收藏多年", language="zh", country="HK", tier="high", price=5000.0),
    _doc("zh3", "大象玩具 儿童礼物", language="zh", country="CN", tier="none", price=30.0),
    _doc("zh4", "山羊奶粉", language="zh", country="CN", tier="none"),
    _doc("ja1", "象牙の印鑑 販売中", language="ja", country="JP", tier="high", platform="mercari"),
    _doc("ja2", "本物のべっ甲ブレスレット", language="ja", country="JP", tier="medium"),
    _doc("th1", "ขายงาช้างแท้ราคาถูก", language="th", country="TH", tier="high", price=12000.0),
    _doc("th2", "ขายเสื้อช้างลายสวย", language="th", country="TH", tier="none"),
    _doc(
        "vi1",
        "Bán vòng tay ngà voi thật",
        description="Hàng đồi mồi tự nhiên",
        language="vi",
        country="VN",
        tier="high",
        price=1_500_000.0,
        currency="VND",
        flagged=True,
    ),
    _doc("vi2", "ban sung te giac nguyen chiec", language="vi", country="VN", tier="high"),
    _doc(
        "en1",
        "Rare pangolin",
        description="Dried scales, bulk price",
        language="en",
        tier="medium",
        removed=True,
    ),
    _doc("en2", "<script>alert(1)</script> ivory carving", language="en", tier="low"),
    _doc("en3", "pangolin plush toy", language="en", tier="none", platform="facebook"),
]


@pytest.fixture
def backend() -> Iterator[ElasticBackend]:
    assert ES_URL is not None
    es = ElasticBackend.from_url(
        ES_URL,
        prefix=f"wwtest-{uuid.uuid4().hex[:12]}",
        api_key=os.environ.get("WILDWATCH_ES_API_KEY"),
        ca_certs=os.environ.get("WILDWATCH_ES_CA_CERTS"),
    )
    es.ensure()
    try:
        yield es
    finally:
        es.drop_all()
        es.close()


@pytest.fixture
def corpus(backend: ElasticBackend) -> ElasticBackend:
    assert backend.index_documents(CORPUS) == len(CORPUS)
    backend.refresh()
    return backend


def _ids(backend: ElasticBackend, **query: object) -> set[str]:
    result = backend.search(SearchQuery(limit=100, **query))  # type: ignore[arg-type]
    return {hit.listing_id for hit in result.hits}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("穿山甲", {"zh1"}),
        ("鳞片", {"zh1"}),
        ("象牙", {"zh2", "ja1"}),  # not 大象玩具 (象 and 牙 apart)
        ("象", {"zh2", "zh3", "ja1"}),  # one character
        ("山羊", {"zh4"}),
        ("印鑑", {"ja1"}),
        ("べっ甲", {"ja2"}),
        ("งาช้าง", {"th1"}),  # th2 has ช้าง but not งา
        ("ราคาถูก", {"th1"}),
        ("เสื้อ", {"th2"}),
    ],
)
def test_words_inside_unspaced_cjk_and_thai_text(
    corpus: ElasticBackend, text: str, expected: set[str]
) -> None:
    assert _ids(corpus, text=text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ngà voi", {"vi1"}),
        ("nga voi", {"vi1"}),
        ("NGÀ VOI", {"vi1"}),
        ("đồi mồi", {"vi1"}),
        ("doi moi", {"vi1"}),
        ("nga\u0300 voi", {"vi1"}),  # typed with a combining accent (NFD)
        ("sừng tê giác", {"vi2"}),
    ],
)
def test_vietnamese_with_and_without_diacritics(
    corpus: ElasticBackend, text: str, expected: set[str]
) -> None:
    assert _ids(corpus, text=text) == expected


def test_all_words_are_required_each_in_any_field(corpus: ElasticBackend) -> None:
    assert _ids(corpus, text="pangolin scales") == {"en1"}
    assert _ids(corpus, text="pangolin") == {"en1", "en3"}
    assert _ids(corpus, text="pangolin elephant") == set()


def test_query_syntax_is_plain_text(corpus: ElasticBackend) -> None:
    assert _ids(corpus, text='pangolin OR "ivory') == set()
    assert _ids(corpus, text="title:pangolin") == set()
    assert _ids(corpus, text="!!!") == {doc.id for doc in CORPUS}


def test_filters_facets_and_paging(corpus: ElasticBackend) -> None:
    assert _ids(corpus, platform=["mercari"]) == {"ja1"}
    assert _ids(corpus, text="象牙", country=["hk"]) == {"zh2"}
    assert _ids(corpus, price_min=700, price_max=5000) == {"zh1", "zh2"}
    assert _ids(corpus, flagged=True) == {"vi1"}
    assert "en1" not in _ids(corpus, online=True)
    assert _ids(corpus, listing_ids=["zh1", "th1", "missing"]) == {"zh1", "th1"}
    assert _ids(corpus, date_from=datetime(2025, 6, 1, tzinfo=UTC)) == set()
    result = corpus.search(SearchQuery(tier=["high"], facets=["country", "tier"], limit=2))
    assert result.total == 6 and len(result.hits) == 2
    countries = {bucket.value: bucket.count for bucket in result.facets["country"]}
    assert countries == {"CN": 1, "HK": 1, "JP": 1, "TH": 1, "VN": 2}
    assert [(b.value, b.count) for b in result.facets["tier"]] == [("high", 6)]


def test_sorts_both_ways_with_missing_values_last(corpus: ElasticBackend) -> None:
    priced = [d for d in CORPUS if d.price is not None]
    cheapest = sorted(priced, key=lambda d: d.price or 0)
    result = corpus.search(SearchQuery(sort="price", descending=False, limit=100))
    ids = [hit.listing_id for hit in result.hits]
    assert ids[: len(priced)] == [d.id for d in cheapest]
    result = corpus.search(SearchQuery(sort="price", limit=len(priced)))
    assert [hit.listing_id for hit in result.hits] == [d.id for d in reversed(cheapest)]
    # Ties (no price, same date) fall back to the id.
    result = corpus.search(SearchQuery(sort="date", limit=100))
    assert [hit.listing_id for hit in result.hits] == sorted(d.id for d in CORPUS)


def test_highlights_are_escaped_and_marked(corpus: ElasticBackend) -> None:
    (hit,) = corpus.search(SearchQuery(text="ivory")).hits
    (fragment,) = hit.highlights["title"]
    assert "<script>" not in fragment
    assert "&lt;script&gt;" in fragment
    assert "<mark>ivory</mark>" in fragment
    (thai,) = corpus.search(SearchQuery(text="งาช้าง")).hits
    assert "<mark>" in thai.highlights["title"][0]


def test_bulk_writes_in_chunks_and_deletes(backend: ElasticBackend) -> None:
    docs = [_doc(f"b{i}", f"listing {i}") for i in range(1_200)]
    assert backend.index_documents(docs) == 1_200
    assert backend.delete(["b0", "b1", "not-there"]) == 3
    backend.refresh()
    assert backend.count() == 1_198


def test_unknown_fields_are_refused_by_the_mapping(backend: ElasticBackend) -> None:
    with pytest.raises(BadRequestError, match="strict"):
        backend.client.index(
            index=backend.names.listings, id="x", document={"id": "x", "unmapped": 1}
        )


def test_rebuild_swaps_the_alias_and_drops_the_old_index(corpus: ElasticBackend) -> None:
    names = corpus.names
    old = names.versioned(names.listings, 1)
    new = corpus.rebuild(CORPUS[:3])
    assert new == names.versioned(names.listings, 2)
    assert set(corpus.client.indices.get_alias(name=names.listings).body) == {new}
    assert not corpus.client.indices.exists(index=old)
    assert _ids(corpus) == {d.id for d in CORPUS[:3]}
    assert _ids(corpus, text="穿山甲") == {"zh1"}  # the template's analyzers apply to v2


def test_saved_searches_are_matched_by_the_percolator(corpus: ElasticBackend) -> None:
    corpus.register_saved_search(1, SearchQuery(text="象牙"))
    corpus.register_saved_search(2, SearchQuery(tier=["high"], country=["VN"]))
    corpus.register_saved_search(3, SearchQuery(text="nga voi", flagged=True))
    corpus.register_saved_search(4, SearchQuery(listing_ids=["en2"]))
    corpus.register_saved_search(5, SearchQuery(text="pangolin", online=True))
    by_id = {doc.id: doc for doc in CORPUS}
    wanted = ["zh2", "vi1", "vi2", "en1", "en2", "en3", "th2"]
    matches = corpus.percolate([by_id[i] for i in wanted])
    assert matches == {
        "zh2": [1],
        "vi1": [2, 3],
        "vi2": [2],
        "en1": [],  # removed: not online
        "en2": [4],
        "en3": [5],
        "th2": [],
    }
    corpus.remove_saved_search(2)
    assert corpus.percolate([by_id["vi1"]]) == {"vi1": [3]}
