"""Field extraction: configured CSS rules first, schema.org JSON-LD for the rest."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from crawler.errors import SourceConfigError
from crawler.extract import extract_fields, parse_price
from crawler.sources import ListingFieldRules, load_sources

SOURCES = Path(__file__).resolve().parents[2] / "config" / "sources.yaml"

PAGE = """<html lang="vi"><body>
<h1 class="listing-title">Vòng &lt;ngà&gt; voi</h1>
<div class="listing-description">
<p>Hàng  thật,</p><p>giao <b>kín</b> đáo</p><script>steal()</script></div>
<span class="listing-price" data-amount="1250000" data-currency="vnd">1.250.000 ₫</span>
<a class="seller-link" href="/seller/s07">Anh Ba</a>
<img class="listing-photo" src="/img/a/1.svg"><img class="listing-photo" src="/img/a/2.svg">
<time class="listing-posted" datetime="2026-10-01T10:00:00Z">1/10</time>
</body></html>"""

JSON_LD_ONLY = """<html><head><script type="application/ld+json">
{"@context": "https://schema.org", "@graph": [{"@type": "WebPage"}, {"@type": "Product",
 "name": "Rhino horn cup", "description": "old", "image": ["https://cdn.example/1.jpg"],
 "offers": {"@type": "Offer", "price": "3800.00", "priceCurrency": "CNY",
            "seller": {"name": "Lao Wang", "url": "/u/9"}}}]}
</script><script type="application/ld+json">{not json</script></head><body></body></html>"""


@pytest.fixture(scope="module")
def rules() -> ListingFieldRules:
    return load_sources(SOURCES)["sandbox-bazaar"].fields


def test_css_rules_read_every_field(rules: ListingFieldRules) -> None:
    fields = extract_fields(PAGE, "http://127.0.0.1:9/listing/a", rules)
    assert fields.title == "Vòng <ngà> voi"
    assert fields.description == "Hàng thật,\ngiao kín đáo"  # script text never leaks in
    assert fields.price == 1_250_000
    assert fields.currency == "VND"
    assert fields.seller_id == "s07"
    assert fields.seller_name == "Anh Ba"
    assert fields.seller_url == "http://127.0.0.1:9/seller/s07"
    assert fields.images == ["http://127.0.0.1:9/img/a/1.svg", "http://127.0.0.1:9/img/a/2.svg"]
    assert fields.posted_at == datetime(2026, 10, 1, 10, tzinfo=UTC)


def test_json_ld_fills_what_rules_do_not_find(rules: ListingFieldRules) -> None:
    fields = extract_fields(JSON_LD_ONLY, "https://shop.example/p/1", rules)
    assert fields.title == "Rhino horn cup"
    assert fields.price == 3800.0
    assert fields.currency == "CNY"
    assert fields.seller_name == "Lao Wang"
    assert fields.seller_url == "https://shop.example/u/9"
    assert fields.images == ["https://cdn.example/1.jpg"]
    assert fields.sources["title"] == "json-ld"


def test_page_without_fields_gives_nothing(rules: ListingFieldRules) -> None:
    fields = extract_fields("<html><body><p>captcha</p></body></html>", "https://x.example/", rules)
    assert fields.title is None and fields.price is None


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("3800.00", 3800.0), ("1,250", 1250.0), (12, 12.0), ("free", None), (-5, None), (True, None)],
)
def test_parse_price(raw: object, expected: float | None) -> None:
    assert parse_price(raw) == expected


def test_sources_file_errors_name_the_source_and_field(tmp_path: Path) -> None:
    bad = tmp_path / "sources.yaml"
    bad.write_text(
        "sources:\n  shop:\n    kind: html_marketplace\n    platform: shop\n"
        "    start_urls: ['/s']\n    result_links: 'a'\n    listing_id: '/p/(\\d+)'\n"
    )
    expected = r"source 'shop' \(html_marketplace\): listing_id: .*named group"
    with pytest.raises(SourceConfigError, match=expected):
        load_sources(bad)
    bad.write_text("sources: [")
    with pytest.raises(SourceConfigError, match="not valid YAML"):
        load_sources(bad)
    with pytest.raises(SourceConfigError, match="cannot read"):
        load_sources(tmp_path / "missing.yaml")


def test_relative_start_urls_need_a_base() -> None:
    source = load_sources(SOURCES)["sandbox-bazaar"]
    assert source.resolved_start_urls("http://127.0.0.1:8100") == [
        "http://127.0.0.1:8100/search?q="
    ]
    with pytest.raises(SourceConfigError, match="no base_url"):
        source.resolved_start_urls(None)
