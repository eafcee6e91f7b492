"""The generic extractor, money and date parsing: hand-written pages for every path
(JSON-LD, microdata, OpenGraph, meta tags, bare pages in eight languages), hostile
pages, and a rule-less crawl of the Mercado sandbox over real HTTP."""

from __future__ import annotations

import time
import urllib.error
import urllib.request
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from parsel import Selector

from crawler.dates import parse_date
from crawler.extract import extract_fields
from crawler.generic import MAX_HTML_CHARS, extract_generic, listing_json
from crawler.listing import MAX_IMAGES, MAX_TITLE_CHARS
from crawler.money import Money, currency_code, currency_hint, parse_money
from crawler.sources import ListingFieldRules
from sandbox.corpus import build_corpus
from sandbox.server import SandboxServer
from sandbox.shop import ROBOTS_TXT, STYLES, MercadoSite, age_at, page_style
from tests.crawler.conftest import crawl_sources, write_sources

PAGES = Path(__file__).resolve().parent / "pages"
NOW = datetime(2026, 10, 1, 12, 0, tzinfo=UTC)
URL = "https://shop.example/item/1"


def extract(name: str, url: str = URL) -> Any:
    return extract_generic((PAGES / name).read_text(encoding="utf-8"), url, fetched_at=NOW)


# --------------------------------------------------------------------------- structured data


def test_json_ld_product_inside_a_graph_despite_a_broken_block() -> None:
    fields = extract("jsonld_product.html")
    assert listing_json(fields) == {
        "title": "Carved pendant, old stock",  # not the og:title, not the header's h1
        "description": "Hand carved, real not resin.\nShips discreetly & fast.",  # HTML gone
        "price": 450.0,
        "currency": "USD",  # "usd" in priceSpecification
        "seller": {
            "id": "curiohub",
            "name": "Curio Hub Trading",
            "profile_url": "https://shop.example/store/curiohub",
        },
        "location": "Lagos, NG",
        "images": ["https://shop.example/img/p1.jpg", "https://cdn.curio.example/p2.jpg"],
        "posted_at": "2026-09-14T06:30:00Z",  # +02:00 turned into UTC
    }
    assert set(fields.sources.values()) == {"json-ld"}


def test_microdata_product_with_its_offer_seller_and_place() -> None:
    fields = extract("microdata_product.html")
    assert fields.title == "Bracelet en écaille de tortue"
    assert fields.description == "Bracelet ancien, véritable écaille. Remise en main propre."
    assert (fields.price, fields.currency) == (12.8, "EUR")  # content="12.80", not "12,80 €"
    assert (fields.seller_name, fields.seller_id) == ("Marie L.", "marie-75")
    assert fields.seller_url == "https://shop.example/profil/marie-75"
    assert fields.location == "Marseille"
    assert fields.posted_at == datetime(2026, 9, 20, tzinfo=UTC)
    assert fields.images == [
        "https://shop.example/photos/bracelet-1.jpg",
        "https://shop.example/photos/bracelet-2.jpg",
    ]
    assert fields.sources["price"] == "microdata"


def test_opengraph_only_social_post() -> None:
    fields = extract("opengraph_post.html", "https://instagrid.example/p/abc")
    record = listing_json(fields)
    assert record["title"] == "Hàng về 🐘🦷 vòng tay chuẩn, ib giá"
    assert (
        record["description"] == "Hàng về 🐘🦷 vòng tay chuẩn\nship toàn quốc, ib zalo 0912 345 678"
    )
    assert record["images"] == [
        "https://media.instagrid.example/p/abc/1.jpg",
        "https://media.instagrid.example/p/abc/2.jpg",
    ]
    assert record["posted_at"] == "2026-09-29T23:15:00Z"
    assert record["seller"] == {
        "id": "hang_xach_tay",
        "name": None,
        "profile_url": "https://instagrid.example/@hang_xach_tay",
    }
    # The app's script state and the noscript notice are not the post.
    assert record["price"] is None and record["currency"] is None
    assert fields.sources["title"] == "opengraph"


def test_meta_tags_only() -> None:
    fields = extract("meta_only.html")
    assert fields.title == "Vintage Tiger Balm tin (empty)"
    assert fields.description == "Vintage Tiger Balm tin, empty, 1970s. Collectors item."
    assert (fields.price, fields.currency) == (12.5, "GBP")  # twitter:label1 "Price"
    assert fields.location == "Manchester"
    assert fields.seller_name == "bric_a_brac_corner"
    assert fields.images == ["https://shop.example/media/tin-large.jpg"]
    assert {fields.sources[k] for k in ("title", "price", "location")} == {"meta"}


# --------------------------------------------------------------------------- bare pages

PLAIN = {
    "plain_vi.html": {
        "title": "Vòng tay ngà voi thật 100%",
        "description": "Vòng ngà voi thật, bảo hành trọn đời.\n"
        "Giao hàng kín đáo toàn quốc, liên hệ zalo để xem thêm hình.",
        "price": 2_500_000,  # "Giá: 2tr5", not the header's 99.000 ₫ or the aside's
        "currency": "VND",
        "location": "Hà Nội",
        "seller": ("Anh Ba", "anh-ba-123"),
        "posted_at": NOW - timedelta(days=3),
        "images": ["https://shop.example/anh/vong-1.jpg"],  # no icon, no tracking pixel
    },
    "plain_fr.html": {
        "title": "Défense sculptée ancienne",  # no h1: the <title> without the site
        "description": "Très belle défense sculptée, pièce de famille, environ 40 cm. "
        "Paiement en espèces uniquement, pas d'envoi.",
        "price": 1250.50,  # the struck-through 1 500 € is the old price
        "currency": "EUR",
        "location": "Lyon 3e",
        "seller": ("Jean-Pierre", "jean-pierre"),
        "posted_at": datetime(2026, 3, 12, tzinfo=UTC),  # 12/03 is day first in French
        "images": [],
    },
    "plain_ja.html": {
        "title": "象牙の印鑑 未使用",
        "description": "象牙の印鑑です。未使用品、ケース付き。ご質問はコメントからどうぞ。",
        "price": 12_800,
        "currency": "JPY",  # ¥ on a Japanese page
        "location": "大阪府",
        "seller": ("田中", "tanaka88"),  # label and value in separate table cells
        "posted_at": NOW - timedelta(days=3),
        "images": [],
    },
    "plain_de.html": {
        "title": "Schildpatt-Kamm, antik",
        "description": "Antiker Kamm aus echtem Schildpatt, um 1920.\nNur Abholung.",
        "price": 1234.56,
        "currency": "EUR",
        "location": "Berlin",
        "seller": ("Max M.", "max_m"),
        "posted_at": NOW - timedelta(days=3),
        "images": [],
    },
    "plain_pt.html": {
        "title": "Papagaio-verdadeiro filhote manso",
        "description": "Filhote de papagaio, já come sozinho, muito manso. Entrego em mãos.",
        "price": 1800,
        "currency": "BRL",
        "location": "Recife, PE",
        "seller": ("João", "joao"),
        "posted_at": NOW - timedelta(days=2),
        "images": ["https://shop.example/fotos/papagaio-1.jpg"],  # lazy data-src, not data:
    },
    "plain_zh.html": {
        "title": "老料犀角杯 收藏级",
        "description": "老料，包老，品相完美。非诚勿扰，微信联系。",
        "price": 28_000,  # 2.8万元
        "currency": "CNY",
        "location": "广州",
        "seller": ("老王", None),
        "posted_at": NOW - timedelta(days=1),  # 昨天
        "images": [],
    },
    "plain_th.html": {
        "title": "ขายงาช้างแกะสลัก ของเก่า",
        "description": "งาช้างแกะสลักของเก่าเก็บ สภาพดีมาก ส่งทั่วประเทศ สนใจทักไลน์",
        "price": 7400,
        "currency": "THB",
        "location": "หาดใหญ่",
        "seller": ("สมชาย", None),
        "posted_at": NOW - timedelta(days=2),
        "images": [],
    },
    "plain_es.html": {
        "title": "Aletas de tiburón secas 2 kg",
        "description": "Aletas secas de primera calidad, envío a todo México. "
        "Precio por kilo negociable.",
        "price": 7000,
        "currency": "MXN",  # a bare "$" on an es-MX page
        "location": "Monterrey",
        "seller": ("Pedro", "pedro-mty"),
        "posted_at": NOW - timedelta(days=3),
        "images": [
            "https://shop.example/fotos/aletas-1.jpg",
            "https://shop.example/fotos/aletas-2.jpg",
        ],
    },
}


@pytest.mark.parametrize("name", sorted(PLAIN))
def test_page_without_markup(name: str) -> None:
    expected = PLAIN[name]
    fields = extract(name)
    assert fields.title == expected["title"]
    assert fields.description == expected["description"]
    assert fields.price == pytest.approx(expected["price"], abs=0.005)
    assert fields.currency == expected["currency"]
    assert fields.location == expected["location"]
    assert (fields.seller_name, fields.seller_id) == expected["seller"]
    assert fields.posted_at == expected["posted_at"]
    assert fields.images == expected["images"]
    assert set(fields.sources.values()) == {"page"}


def test_listing_json_has_exactly_the_documented_keys() -> None:
    record = listing_json(extract("plain_vi.html"))
    assert list(record) == [
        "title",
        "description",
        "price",
        "currency",
        "seller",
        "location",
        "images",
        "posted_at",
    ]
    assert record["posted_at"] == "2026-09-28T12:00:00Z"
    assert record["seller"] == {
        "id": "anh-ba-123",
        "name": "Anh Ba",
        "profile_url": "https://shop.example/nguoi-ban/anh-ba-123",
    }
    empty = listing_json(extract_generic("<html><body></body></html>", URL))
    assert empty == dict.fromkeys(record, None) | {"images": []}


# --------------------------------------------------------------------------- hostile pages


def test_huge_page_is_capped_and_still_read_quickly() -> None:
    head = '<html lang="en"><body><h1>Huge page item</h1><div class="price">$1,250</div>'
    html = head + "<p>lorem ipsum <a href='/x'>dolor</a> sit amet</p>\n" * 150_000
    assert len(html) > MAX_HTML_CHARS
    started = time.monotonic()
    fields = extract_generic(html, URL)
    assert time.monotonic() - started < 10
    assert (fields.title, fields.price, fields.currency) == ("Huge page item", 1250, "USD")


def test_scripts_broken_json_ld_and_deep_nesting_do_not_leak_or_crash() -> None:
    html = (
        "<html><head>"
        '<script type="application/ld+json">' + "[" * 50_000 + "]" * 50_000 + "</script>"
        '<script type="application/ld+json">{"@type": "Product", "name": ["x", {"a": 1}],'
        ' "offers": {"price": {"no": "number"}, "priceCurrency": "dollars!!"}, '
        '"image": [true, 12, {"url": "javascript:alert(1)"}]}</script>'
        '<script type="application/ld+json">{"@type": "Product", </script>'
        "</head><body><script>document.title = 'Fake title €999';</script>"
        "<style>h1:after{content:'$5'}</style>"
        "<h1>Real\u202e title\x07</h1>"
        + "<div>" * 5_000
        + "deep"
        + "</div>" * 5_000
        + "</body></html>"
    )
    fields = extract_generic(html, URL)
    assert fields.title == "x"  # the first usable name; no crash on the odd types
    assert fields.price is None and fields.currency is None  # "dollars!!" is no code
    assert fields.images == []
    page_only = extract_generic(html.replace("Product", "Thing"), URL)
    assert page_only.title == "Real title"  # bidi override and bell stripped
    assert page_only.price is None  # the script's and stylesheet's "prices" are not shown


def test_field_sizes_are_capped() -> None:
    images = "".join(f'<img src="/p/{n}.jpg">' for n in range(500))
    html = (
        f"<html><body><article><h1>{'ivory ' * 2_000}</h1><p>$5</p>{images}"
        f"<p>{'word ' * 20_000}</p></article></body></html>"
    )
    fields = extract_generic(html, URL)
    assert fields.title is not None and len(fields.title) <= MAX_TITLE_CHARS
    assert len(fields.images) == MAX_IMAGES
    assert fields.description is not None and len(fields.description) <= 20_000


def test_non_strings_are_refused() -> None:
    with pytest.raises(TypeError, match="html must be a str"):
        extract_generic(b"<html></html>", URL)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- money

MONEY = [
    ("1.234,56 €", None, 1234.56, "EUR"),
    ("1,234.56 USD", None, 1234.56, "USD"),
    ("1 234,56 €", "fr", 1234.56, "EUR"),
    ("1\u202f234,56\u00a0€", "fr", 1234.56, "EUR"),
    ("12.800円", "ja", 12_800, "JPY"),
    ("¥12,800", "ja", 12_800, "JPY"),
    ("¥8,670", "zh-CN", 8_670, "CNY"),
    ("3800元", "zh", 3_800, "CNY"),
    ("3800元", "zh-TW", 3_800, "TWD"),
    ("RMB 3,800", None, 3_800, "CNY"),
    ("50块", None, 50, "CNY"),
    ("2.8万", "zh", 28_000, None),
    ("3万5千元", "zh", 35_000, "CNY"),
    ("₫1.250.000", "vi", 1_250_000, "VND"),
    ("1.250.000 VNĐ", None, 1_250_000, "VND"),
    ("250.000đ", None, 250_000, "VND"),
    ("2tr5", "vi", 2_500_000, "VND"),
    ("1,2 triệu", "vi", 1_200_000, "VND"),
    ("500k", "vi", 500_000, "VND"),
    ("฿7,400", "th", 7_400, "THB"),
    ("7,400 บาท", "th", 7_400, "THB"),
    ("1.5 ล้าน บาท", "th", 1_500_000, "THB"),
    ("Rp 1.250.000", "id", 1_250_000, "IDR"),
    ("Rp 3,5 juta", "id", 3_500_000, "IDR"),
    ("RM 150", "ms", 150, "MYR"),
    ("R$ 1.800,00", "pt-BR", 1_800, "BRL"),
    ("R$ 12,99", "pt", 12.99, "BRL"),
    ("20 reais", "pt", 20, "BRL"),
    ("141.000 Kz", "pt-AO", 141_000, "AOA"),
    ("$7.000", "es-MX", 7_000, "MXN"),
    ("$49.700", "es-CO", 49_700, "COP"),
    ("MX$1,500", None, 1_500, "MXN"),
    ("5 mil pesos", "es-MX", 5_000, "MXN"),
    ("300 $", "fr-CD", 300, "USD"),
    ("US$ 50", None, 50, "USD"),
    ("$500 MXN", None, 500, "MXN"),
    ("NT$4,500", "zh-TW", 4_500, "TWD"),
    ("HK$556", "zh-HK", 556, "HKD"),
    ("S$20", None, 20, "SGD"),
    ("A$20", None, 20, "AUD"),
    ("C$20", None, 20, "CAD"),
    ("£290", "en-GB", 290, "GBP"),
    ("₦221,000", "en-NG", 221_000, "NGN"),
    ("KSh 47,000", "en-KE", 47_000, "KES"),
    ("19 000 FCFA", "fr-CI", 19_000, "XOF"),
    ("19 000 FCFA", "fr-CM", 19_000, "XAF"),
    ("₱1,200", None, 1_200, "PHP"),
    ("₹1,50,000", "hi", 150_000, "INR"),
    ("₩50,000", "ko", 50_000, "KRW"),
    ("50 euros", "fr", 50, "EUR"),
    ("Preis: 1.234,56 €", "de", 1234.56, "EUR"),
    ("Prix : 12,80 € (était 15 €)", "fr", 12.80, "EUR"),
    ("100 - 200 €", None, 100, "EUR"),
    ("2 con – 1.250.000 ₫", "vi", 1_250_000, "VND"),
    ("CHF 1'250.50", None, 1250.50, "CHF"),
    ("12 500 kr", "sv", 12_500, "SEK"),
    ("１２,８００円", "ja", 12_800, "JPY"),
    ("KWD 1.250", None, 1.25, "KWD"),  # three decimals
    ("9.99", None, 9.99, None),
]


@pytest.mark.parametrize(("text", "lang", "amount", "currency"), MONEY)
def test_parse_money(text: str, lang: str | None, amount: float, currency: str | None) -> None:
    money = parse_money(text, lang=lang)
    assert money is not None
    assert money.amount == pytest.approx(amount)
    assert money.currency == currency


def test_money_hints_settle_only_what_the_text_leaves_open() -> None:
    assert parse_money("¥3,800") == Money(3800, "JPY")  # no hint: the yen
    assert parse_money("¥3,800", hint_currency="cny") == Money(3800, "CNY")
    assert parse_money("$12", hint_currency="AUD") == Money(12, "AUD")
    assert parse_money("€12", hint_currency="USD") == Money(12, "EUR")  # the text wins
    assert parse_money("1250", hint_currency="VND") == Money(1250, "VND")
    assert parse_money("Selling cup 500") == Money(500, None)  # "cup" is no Cuban peso
    assert parse_money("free to a good home") is None
    assert parse_money("") is None
    with pytest.raises(ValueError, match="ISO 4217"):
        parse_money("5", hint_currency="dollars")


def test_currency_codes_are_normalised_and_non_codes_refused() -> None:
    assert currency_code(" usd ") == "USD"
    assert currency_code("₫") == "VND"
    assert currency_code("Euros") == "EUR"
    assert currency_code("$", lang="es-MX") == "MXN"
    assert currency_code("R$") == "BRL"
    for bad in ("XYZ", "XXX", "US", "dollars!!", "", None):
        assert currency_code(bad) is None
    assert currency_hint("es-MX") == "MXN"
    assert currency_hint(None, "https://tienda.com.mx/p/1") == "MXN"
    assert currency_hint(None, "https://chotot.vn/a") == "VND"
    assert currency_hint("en", "https://startup.io/") is None  # .io says nothing


# --------------------------------------------------------------------------- dates

DATES = [
    ("2 hours ago", "en", NOW - timedelta(hours=2)),
    ("posted 15 minutes ago", "en", NOW - timedelta(minutes=15)),
    ("yesterday", "en", NOW - timedelta(days=1)),
    ("hier", "fr", NOW - timedelta(days=1)),
    ("publié il y a 3 jours", "fr", NOW - timedelta(days=3)),
    ("hace 3 días", "es", NOW - timedelta(days=3)),
    ("publicado hace 1 hora", "es-MX", NOW - timedelta(hours=1)),
    ("há 2 dias", "pt", NOW - timedelta(days=2)),
    ("vor 3 Tagen", "de", NOW - timedelta(days=3)),
    ("3 ngày trước", "vi", NOW - timedelta(days=3)),
    ("Đăng lúc 10:00 12/03/2026", "vi", datetime(2026, 3, 12, 10, tzinfo=UTC)),
    ("hôm qua", "vi", NOW - timedelta(days=1)),
    ("昨天", "zh", NOW - timedelta(days=1)),
    ("发布于 3天前", "zh-CN", NOW - timedelta(days=3)),
    ("3日前", "ja", NOW - timedelta(days=3)),
    ("2 วันที่แล้ว", "th", NOW - timedelta(days=2)),
    ("kemarin", "id", NOW - timedelta(days=1)),
    ("diposting 3 hari yang lalu", "id", NOW - timedelta(days=3)),
    ("2026-03-12T10:00:00Z", None, datetime(2026, 3, 12, 10, tzinfo=UTC)),
    ("2026-09-14T08:30:00+02:00", None, datetime(2026, 9, 14, 6, 30, tzinfo=UTC)),
    ("12/03/2026", "fr", datetime(2026, 3, 12, tzinfo=UTC)),
    ("03/12/2026", "en", datetime(2026, 3, 12, tzinfo=UTC)),
    ("12/03/2026", "en", datetime(2026, 3, 12, tzinfo=UTC)),  # December is in the future
    ("Publié le 12 mars 2026 à 14h30", "fr", datetime(2026, 3, 12, 14, 30, tzinfo=UTC)),
    ("vor 2 Stunden", None, NOW - timedelta(hours=2)),  # language unknown: detected
]


@pytest.mark.parametrize(("text", "lang", "expected"), DATES)
def test_parse_date(text: str, lang: str | None, expected: datetime) -> None:
    parsed = parse_date(text, now=NOW, lang=lang)
    assert parsed == expected
    assert parsed is not None and parsed.tzinfo is not None and parsed.utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    "text", ["2027-01-01", "in 3 days", "banana", "", "2026", "Hà Nội", "01/01/1970"]
)
def test_dates_that_are_not_postings_are_refused(text: str) -> None:
    assert parse_date(text, now=NOW, lang="en") is None


def test_naive_now_is_utc() -> None:
    naive = NOW.replace(tzinfo=None)
    assert parse_date("2 hours ago", now=naive, lang="en") == NOW - timedelta(hours=2)


# --------------------------------------------------------------------------- rules + generic


def test_rule_text_goes_through_money_and_dates_and_the_rest_is_generic() -> None:
    html = (
        (PAGES / "plain_vi.html")
        .read_text(encoding="utf-8")
        .replace("<b>2tr5</b>", '<b class="gia-ban">1.250.000 ₫</b>')
    )
    rules = ListingFieldRules(
        title="h1::text", price="b.gia-ban::text", posted_at="div.row:nth-of-type(2)"
    )
    fields = extract_fields(html, URL, rules, fetched_at=NOW)
    assert (fields.price, fields.currency) == (1_250_000, "VND")
    assert fields.posted_at == NOW - timedelta(days=3)  # "Khu vực: … · Đăng 3 ngày trước"
    assert fields.seller_name == "Anh Ba"
    assert {k: fields.sources[k] for k in ("title", "price", "currency", "seller_name")} == {
        "title": "css",
        "price": "css",
        "currency": "css",
        "seller_name": "page",
    }


# --------------------------------------------------------------------------- a crawl


def fetch(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read().decode("utf-8")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode("utf-8")


def test_mercado_writes_each_style_as_promised() -> None:
    corpus = build_corpus(size=30)
    by_style = {page_style(x): x for x in corpus.listings}
    with SandboxServer(corpus=corpus, site_factory=MercadoSite) as server:
        pages = {
            style: fetch(f"{server.url}/item/{x.listing_id}")[1] for style, x in by_style.items()
        }
        assert fetch(f"{server.url}/robots.txt") == (200, ROBOTS_TXT)
        assert fetch(f"{server.url}/buscar?page=99")[0] == 404
        assert fetch(f"{server.url}/buscar?page=dos")[0] == 400
        assert fetch(f"{server.url}/item/nope")[0] == 404
        first = fetch(f"{server.url}/buscar?page=1")[1]
    assert 'class="next" href="/buscar?page=2"' in first
    assert first.count('class="item-link"') == 20
    assert "application/ld+json" in pages["json-ld"] and "itemprop" not in pages["json-ld"]
    assert "itemscope" in pages["microdata"] and 'property="og:title"' in pages["microdata"]
    plain = Selector(text=pages["plain"])
    assert not plain.css('script[type="application/ld+json"], [itemprop], [itemscope]')
    assert not plain.css('meta[property], [class*="price"], [id*="price"], [datetime]')
    assert plain.css("html::attr(lang)").get().startswith(f"{by_style['plain'].language}-")


def test_rule_less_crawl_of_mercado_finds_every_listing_right(tmp_path: Path) -> None:
    corpus = build_corpus(size=120)
    assert {page_style(x) for x in corpus.listings} == set(STYLES)
    sources = write_sources(
        tmp_path / "sources.yaml",
        {
            "mercado": {
                "kind": "html_marketplace",
                "platform": "sandbox-mercado",
                "start_urls": ["/buscar?page=1"],
                "result_links": "a.item-link::attr(href)",
                "next_page": "a.next::attr(href)",
                "listing_id": "/item/(?P<id>[A-Za-z0-9_-]+)",
                "allow_private": True,
                "politeness": {"download_delay": 0, "concurrency": 8},
            }
        },
    )
    with SandboxServer(corpus=corpus, site_factory=MercadoSite) as server:
        out = crawl_sources(sources, ["mercado"], tmp_path / "work", base_url=server.url)
        assert not [r for r in server.requests if r.path.startswith("/private/")]
    assert out.returncode == 0, out.stderr[-3000:]

    crawled = [r["listing"] for r in out.listings]
    ids = Counter(x["platform_id"] for x in crawled)
    assert ids == Counter(x.listing_id for x in corpus.listings)  # each once, none extra
    wrong: list[str] = []
    styles: Counter[str] = Counter()
    for record in crawled:
        truth = corpus.by_id[record["platform_id"]]
        seller = corpus.sellers_by_id[truth.seller_id]
        styles[page_style(truth)] += 1
        fetched = datetime.fromisoformat(record["crawl"]["fetched_at"])
        posted = datetime.fromisoformat(record["posted_at"])
        checks = {
            "title": record["title"] == truth.title,
            "price": abs(record["price"] - float(truth.price)) <= 0.01,
            "currency": record["currency"] == truth.currency,
            "description": record["description"] == truth.description,
            "location": record["location"] == truth.location,
            "seller": record["seller"]["name"] == seller.name,
            # "3 days ago" is read to the day: within a day of the real posting time
            "posted_at": abs(posted - (fetched - age_at(truth))) <= timedelta(days=1, minutes=5),
        }
        where = f"{truth.listing_id} ({page_style(truth)})"
        wrong += [f"{where}: {name}" for name, ok in checks.items() if not ok]
    assert wrong == []
    assert all(styles[style] >= 20 for style in STYLES), styles
