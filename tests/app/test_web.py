"""The review web app over a real store: queue order, reasons shown, hostile text escaped."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from crawler.listing import Classification, Listing, Reason
from indexer import Database, ListingStore
from tests.conftest import CrawledStore
from wildwatch.config import AppConfig
from wildwatch.web import create_app


@pytest.fixture(scope="module")
def client(crawled_store: CrawledStore) -> Iterator[TestClient]:
    with TestClient(create_app(AppConfig.at(crawled_store.data_dir))) as c:
        yield c


def test_api_queue_is_flagged_highest_risk_first(client: TestClient) -> None:
    rows = client.get("/api/listings", params={"limit": 200}).json()
    assert len(rows) > 20
    assert all(r["flagged"] for r in rows)
    risks = [r["risk"] for r in rows]
    assert risks == sorted(risks, reverse=True)
    assert all(r["reasons"] for r in rows)


def test_queue_page_shows_flagged_listings_with_their_terms(client: TestClient) -> None:
    top = client.get("/api/listings", params={"limit": 1}).json()[0]
    page = client.get("/").text
    assert "Flagged listings" in page
    first_row = page.split("<tbody>")[1].split("</tr>")[0]
    assert top["reasons"][0]["term"] in first_row
    assert f"{top['risk']:.2f}" in first_row


def test_listing_page_marks_the_matched_spans(client: TestClient) -> None:
    top = client.get("/api/listings", params={"limit": 1}).json()[0]
    page = client.get(f"/listings/{top['id']}").text
    marked = re.findall(r"<mark[^>]*>(.*?)</mark>", page)
    assert marked
    # Overlapping spans are marked as one ("犀牛" inside "犀牛角粉").
    assert any(top["reasons"][0]["term"] in m for m in marked)


def test_search_page_and_api_find_chinese_text(client: TestClient) -> None:
    api = client.get("/api/search", params={"q": "象牙"}).json()
    assert api["count"] > 0
    for row in api["results"]:
        detail = client.get(f"/api/listings/{row['id']}").json()
        assert "象牙" in f"{detail['title']}\n{detail['description']}"
    page = client.get("/search", params={"q": "象牙"}).text
    assert api["results"][0]["title"][:30] in page


def test_api_search_filters_facets_and_highlights(client: TestClient) -> None:
    params = [("q", "象牙"), ("tier", "high"), ("tier", "medium"), ("facets", "tier")]
    params += [("facets", "language"), ("sort", "risk"), ("limit", "5")]
    found = client.get("/api/search", params=params).json()
    assert found["total"] >= found["count"] == len(found["results"]) > 0
    assert {r["tier"] for r in found["results"]} <= {"high", "medium"}
    risks = [r["risk"] for r in found["results"]]
    assert risks == sorted(risks, reverse=True)
    assert sum(b["count"] for b in found["facets"]["tier"]) == found["total"]
    assert {b["value"] for b in found["facets"]["tier"]} <= {"high", "medium"}
    fragments = [f for r in found["results"] for fs in r["highlights"].values() for f in fs]
    assert any("<mark>" in f for f in fragments)


def test_api_search_refuses_bad_filters(client: TestClient) -> None:
    assert client.get("/api/search", params={"appendix": "IV"}).status_code == 422
    assert client.get("/api/search", params={"sort": "cheapest"}).status_code == 422
    assert client.get("/api/search", params={"nonsense": "1"}).status_code == 422


def test_search_page_shows_facets_and_narrows_by_them(client: TestClient) -> None:
    page = client.get("/search", params={"q": "象牙"}).text
    assert "<mark>" in page
    link = re.search(r'href="(/search\?[^"]*tier=high)"', page)
    assert link is not None
    narrowed = client.get(link.group(1).replace("&amp;", "&")).text
    assert "象牙" in narrowed
    assert "result" in narrowed


def test_unknown_listing_is_404(client: TestClient) -> None:
    assert client.get("/listings/nope:1").status_code == 404
    assert client.get("/api/listings/nope:1").status_code == 404


def test_hostile_listing_text_is_escaped(tmp_path: Path) -> None:
    database = Database.for_data_dir(tmp_path)
    database.create_schema()
    title = '<script>alert("x")</script> ivory <img src=x onerror=alert(1)>'
    with database.session() as session:
        ListingStore(session).save(
            Listing(
                platform="evil",
                platform_id="1",
                url="https://evil.example/1",
                title=title,
                classification=Classification(
                    wildlife_product=0.9,
                    risk=0.9,
                    flagged=True,
                    tier="high",
                    model="test",
                    reasons=[
                        Reason(
                            kind="product",
                            term="ivory",
                            start=title.index("ivory"),
                            end=title.index("ivory") + 5,
                        )
                    ],
                ),
            )
        )
    database.dispose()
    with TestClient(create_app(AppConfig.at(tmp_path))) as c:
        for path in ("/", "/listings/evil:1", "/search?q=ivory"):
            page = c.get(path).text
            assert "<script>alert" not in page and "<img src=x" not in page, path
            assert "&lt;script&gt;" in page, path


def test_queue_rows_list_each_term_once(client: TestClient) -> None:
    page = client.get("/").text
    for row in page.split("<tbody>")[1].split("</tr>")[:-1]:
        terms = re.findall(r'<span class="term" title="([^"]+) at [^"]*">([^<]+?) <span', row)
        keys = [(kind, term.casefold()) for kind, term in terms]
        assert keys, row
        assert len(keys) == len(set(keys))
