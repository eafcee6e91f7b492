"""Entity extraction from listing text: what an investigator would read off a listing."""

from __future__ import annotations

import time

import pytest
import spacy
from spacy.lang.en import English

from classifiers.entities import (
    LABELS,
    SPANS_KEY,
    ContactExtractor,
    Entity,
    EntityRecognizer,
    parse_number,
)

Found = list[tuple[str, str, str | None, object]]


@pytest.fixture(scope="module")
def recognizer() -> EntityRecognizer:
    return EntityRecognizer.default()


def extract(recognizer: EntityRecognizer, text: str, lang: str | None = None) -> list[Entity]:
    entities = recognizer.entities(text, lang)
    for entity in entities:
        assert entity.text == text[entity.start : entity.end], entity
        assert entity.label in LABELS
    assert [e.start for e in entities] == sorted(e.start for e in entities)
    return entities


def summary(entities: list[Entity], label: str) -> Found:
    return [(e.label, e.text, e.key, e.value) for e in entities if e.label == label]


# One listing per language, with what must be found in it (label, text, key, value).
EXAMPLES: dict[str, tuple[str, Found]] = {
    "en": (
        "Raw pangolin scales, 2.4 kg, 6 pcs. Price $1,200. WhatsApp: +84 912-345-678",
        [
            ("SPECIES", "pangolin", "pangolin", "Pangolin"),
            ("QUANTITY", "2.4 kg", "kg", 2.4),
            ("QUANTITY", "6 pcs", "piece", 6.0),
            ("PRICE", "$1,200", "USD", 1200.0),
            ("CONTACT", "WhatsApp: +84 912-345-678", "whatsapp", "84912345678"),
        ],
    ),
    "zh": (
        "出售象牙手镯 白料 3斤 两只 ¥2800 微信：abc12345",
        [
            ("PRODUCT", "象牙手镯", "ivory", "象牙手镯"),
            ("CODE_WORD", "白料", "ivory_code", "白料"),
            ("QUANTITY", "3斤", "jin", 3.0),
            ("QUANTITY", "两只", "head", 2.0),
            ("PRICE", "¥2800", "CNY", 2800.0),
            ("CONTACT", "微信：abc12345", "wechat", "abc12345"),
        ],
    ),
    "zh-Hant": (
        "出售穿山甲鱗片 現貨 3000元 請加LINE ID: tw_seller88",
        [
            ("SPECIES", "穿山甲", "pangolin", "Pangolin"),
            ("PRICE", "3000元", "CNY", 3000.0),
            ("CONTACT", "LINE ID: tw_seller88", "line", "tw_seller88"),
        ],
    ),
    "vi": (
        "Bán ngà voi thật giá 2tr8, 2 con, Zalo 0912.345.678",
        [
            ("SPECIES", "voi", "elephant", "Elephant"),
            ("PRICE", "2tr8", "VND", 2_800_000.0),
            ("QUANTITY", "2 con", "head", 2.0),
            ("CONTACT", "Zalo 0912.345.678", "zalo", "0912345678"),
        ],
    ),
    "th": (
        "ขายงาช้างแท้ ราคา 1500 บาท 2 ชิ้น ไลน์ @somchai99",
        [
            ("SPECIES", "ช้าง", "elephant", "Elephant"),
            ("PRICE", "1500 บาท", "THB", 1500.0),
            ("QUANTITY", "2 ชิ้น", "piece", 2.0),
            ("CONTACT", "ไลน์ @somchai99", "line", "somchai99"),
        ],
    ),
    "id": (
        "Jual cula badak asli Rp 1.250.000, 2 biji, WA 0812-3456-7890",
        [
            ("SPECIES", "badak", "rhino", "Rhinoceros"),
            ("PRICE", "Rp 1.250.000", "IDR", 1_250_000.0),
            ("QUANTITY", "2 biji", "piece", 2.0),
            ("CONTACT", "WA 0812-3456-7890", "whatsapp", "081234567890"),
        ],
    ),
    "fr": (
        "Vends défense d'éléphant en ivoire, 35,50€, 2 pièces, tél. 06 12 34 56 78",
        [
            ("SPECIES", "éléphant", "elephant", "Elephant"),
            ("PRICE", "35,50€", "EUR", 35.5),
            ("QUANTITY", "2 pièces", "piece", 2.0),
            ("CONTACT", "tél. 06 12 34 56 78", "phone", "0612345678"),
        ],
    ),
    "es": (
        "Se vende colmillo de marfil, 3 unidades, 120 USD, Telegram @marfil_mx",
        [
            ("QUANTITY", "3 unidades", "piece", 3.0),
            ("PRICE", "120 USD", "USD", 120.0),
            ("CONTACT", "Telegram @marfil_mx", "telegram", "marfil_mx"),
        ],
    ),
    "pt": (
        "Vendo presas de marfim R$ 350,00, 3 peças, WhatsApp +55 11 91234-5678",
        [
            ("PRICE", "R$ 350,00", "BRL", 350.0),
            ("QUANTITY", "3 peças", "piece", 3.0),
            ("CONTACT", "WhatsApp +55 11 91234-5678", "whatsapp", "5511912345678"),
        ],
    ),
    "de": (
        "Verkaufe Elfenbein, 2 Stück, 1.200 EUR, Mail: elfen.bein@example.de",
        [
            ("QUANTITY", "2 Stück", "piece", 2.0),
            ("PRICE", "1.200 EUR", "EUR", 1200.0),
            ("CONTACT", "elfen.bein@example.de", "email", "elfen.bein@example.de"),
        ],
    ),
    "ms": (
        "Tanduk badak dijual RM 120, 2 ekor, boleh pos laju",
        [("PRICE", "RM 120", "MYR", 120.0), ("QUANTITY", "2 ekor", "head", 2.0)],
    ),
}


@pytest.mark.parametrize("lang", sorted(EXAMPLES))
def test_listing_entities_in_each_language(recognizer: EntityRecognizer, lang: str) -> None:
    text, expected = EXAMPLES[lang]
    found = {(e.label, e.text, e.key, e.value) for e in extract(recognizer, text)}
    missing = [item for item in expected if item not in found]
    assert not missing, (missing, sorted(found, key=str))


@pytest.mark.parametrize("lang", sorted(EXAMPLES))
def test_hits_handed_over_give_the_entities_matching_would(lang: str) -> None:
    # The classifier matches each listing once and hands the hits over.
    from classifiers import BaselineClassifier

    rules = BaselineClassifier.default()
    recognizer = EntityRecognizer(rules.lexicon, matcher=rules.matcher)
    lexical = {"SPECIES", "PRODUCT", "CODE_WORD"}
    text = EXAMPLES[lang][0]
    for variant in (text, text + " \ud800 象牙"):  # a lone surrogate: spaCy's copy differs
        handed = recognizer.entities(variant, lang, hits=rules.matcher(variant))
        assert handed == recognizer.entities(variant, lang)
        assert {e.label for e in handed} & lexical
    # The hits are what is read (no second match), unless the text spaCy sees differs.
    assert not {e.label for e in recognizer.entities(text, lang, hits=[])} & lexical
    assert {e.label for e in recognizer.entities(text + " \ud800", lang, hits=[])} & lexical
    with pytest.raises(TypeError, match="together with the lexicon"):
        EntityRecognizer(matcher=rules.matcher)


def test_language_is_identified_when_not_given(recognizer: EntityRecognizer) -> None:
    # "1.200" is twelve hundred in German: the identified language sets the decimal mark.
    entities = extract(recognizer, "Verkaufe Elfenbein, Gewicht 1.200 kg, VB")
    assert summary(entities, "QUANTITY") == [("QUANTITY", "1.200 kg", "kg", 1200.0)]
    entities = extract(recognizer, "Selling ivory carving, weight 1.200 kg, ships fast")
    assert summary(entities, "QUANTITY") == [("QUANTITY", "1.200 kg", "kg", 1.2)]


def test_species_carries_cites_appendix(recognizer: EntityRecognizer) -> None:
    entities = extract(recognizer, "Pangolin scales and African grey parrot for sale")
    species = {e.key: e for e in entities if e.label == "SPECIES"}
    assert species["pangolin"].attrs["cites_appendix"] == "I"
    assert species["pangolin"].value == "Pangolin"
    assert all(e.attrs.get("cites_appendix") for e in species.values())
    product = next(e for e in entities if e.label == "PRODUCT")
    assert product.attrs["implies"] == "pangolin"


def test_code_words(recognizer: EntityRecognizer) -> None:
    entities = extract(recognizer, "White plastic bangle, collectors only", "en")
    codes = [(e.text, e.key, e.attrs.get("implies")) for e in entities if e.label == "CODE_WORD"]
    assert ("White plastic", "ivory_code", "elephant") in codes
    entities = extract(recognizer, "白料手镯 懂的私聊", "zh")
    assert ("CODE_WORD", "白料", "ivory_code", "白料") in summary(entities, "CODE_WORD")


# text, kind, normalised value, service (for payment)
CONTACTS = [
    ("call +84 912 345 678", "phone", "84912345678", None),
    ("call 0912345678", "phone", "0912345678", None),
    ("hotline 0912-345-678 now", "phone", "0912345678", None),
    ("wa.me/6281234567890", "whatsapp", "6281234567890", None),
    ("WA 0812 3456 7890", "whatsapp", "081234567890", None),
    ("WhatsApp: +62 812-3456-7890", "whatsapp", "6281234567890", None),
    ("微信号 Ivory_888", "wechat", "ivory_888", None),
    ("加VX: abc123456", "wechat", "abc123456", None),
    ("V信 zhang_san", "wechat", "zhang_san", None),
    ("wx：seller2024", "wechat", "seller2024", None),
    ("WeChat ID: tusk_trader", "wechat", "tusk_trader", None),
    ("威信 abc88888", "wechat", "abc88888", None),
    ("t.me/IvoryDeals", "telegram", "ivorydeals", None),
    ("Telegram @Ivory_Deals", "telegram", "ivory_deals", None),
    ("TG: horn_shop", "telegram", "horn_shop", None),
    ("LINE ID: somchai.99", "line", "somchai.99", None),
    ("ไลน์ @thai_horn", "line", "thai_horn", None),
    ("https://line.me/ti/p/~somchai99", "line", "somchai99", None),
    ("Zalo 0987 654 321", "zalo", "0987654321", None),
    ("Seller.Name@Example.COM", "email", "seller.name@example.com", None),
    ("paypal.me/JohnDoe", "payment", "johndoe", "paypal"),
    ("PayPal: buyer.pays@mail.com", "payment", "buyer.pays@mail.com", "paypal"),
    ("Venmo @jane-doe", "payment", "jane-doe", "venmo"),
    ("Cash App $Johnny99", "payment", "johnny99", "cashapp"),
    ("支付宝 13912345678", "payment", "13912345678", "alipay"),
    ("Alipay: foo@bar.cn", "payment", "foo@bar.cn", "alipay"),
    ("MoMo 0987654321", "payment", "0987654321", "momo"),
]


@pytest.mark.parametrize(("text", "kind", "value", "service"), CONTACTS)
def test_each_contact_kind_and_its_value(
    recognizer: EntityRecognizer, text: str, kind: str, value: str, service: str | None
) -> None:
    listing = f"Old ivory carving for sale. {text}. Thanks"
    contacts = [e for e in extract(recognizer, listing, "en") if e.label == "CONTACT"]
    assert [(e.key, e.value) for e in contacts] == [(kind, value)], contacts
    assert contacts[0].attrs.get("service") == service


def test_one_number_written_two_ways_compares_equal(recognizer: EntityRecognizer) -> None:
    first = extract(recognizer, "Liên hệ +84 912-345-678", "vi")
    second = extract(recognizer, "Liên hệ 0912 345 678", "vi")
    (a,) = [e for e in first if e.label == "CONTACT"]
    (b,) = [e for e in second if e.label == "CONTACT"]
    assert a.value == "84912345678" and a.attrs["country_code"] == "84"
    assert b.value == "0912345678"
    assert a.attrs["national"] == b.attrs["national"] == "912345678"


def test_bare_mention_and_words_that_are_not_ids(recognizer: EntityRecognizer) -> None:
    entities = extract(recognizer, "Serious buyers whatsapp me, or Telegram for price", "en")
    contacts = [(e.key, e.value) for e in entities if e.label == "CONTACT"]
    assert contacts == [("whatsapp", None), ("telegram", None)]
    # "line" and "tel" as ordinary words, prices and dates are not contacts.
    text = "Nice lines on this tele lens, price 2.800.000 VND, posted 09.03.2024"
    assert [e for e in extract(recognizer, text, "en") if e.label == "CONTACT"] == []


def test_contact_hides_the_number_inside_it(recognizer: EntityRecognizer) -> None:
    entities = extract(recognizer, "WhatsApp +62 812 3456 7890 or call the same", "en")
    contacts = [e for e in entities if e.label == "CONTACT"]
    assert [(e.key, e.text) for e in contacts] == [("whatsapp", "WhatsApp +62 812 3456 7890")]


# text, lang, amount, currency
PRICES = [
    ("¥2800", "zh", 2800.0, "CNY"),
    ("￥2800", "zh", 2800.0, "CNY"),
    ("2800元", "zh", 2800.0, "CNY"),
    ("2.8万元", "zh", 28_000.0, "CNY"),
    ("¥2,800", "ja", 2800.0, "JPY"),
    ("2800円", "ja", 2800.0, "JPY"),
    ("2.800.000đ", "vi", 2_800_000.0, "VND"),
    ("2.800.000 ₫", "vi", 2_800_000.0, "VND"),
    ("2tr8", "vi", 2_800_000.0, "VND"),
    ("500k", "vi", 500_000.0, "VND"),
    ("2 triệu", "vi", 2_000_000.0, "VND"),
    ("฿1,500", "th", 1500.0, "THB"),
    ("1500 บาท", "th", 1500.0, "THB"),
    ("Rp 1.250.000", "id", 1_250_000.0, "IDR"),
    ("Rp1.250.000,-", "id", 1_250_000.0, "IDR"),
    ("500rb", "id", 500_000.0, "IDR"),
    ("RM 120", "ms", 120.0, "MYR"),
    ("R$ 350,00", "pt", 350.0, "BRL"),
    ("35 €", "fr", 35.0, "EUR"),
    ("35,50€", "fr", 35.5, "EUR"),
    ("1 200 €", "fr", 1200.0, "EUR"),
    ("€35", "en", 35.0, "EUR"),
    ("1.200 EUR", "de", 1200.0, "EUR"),
    ("US$120", "en", 120.0, "USD"),
    ("$120", "en", 120.0, "USD"),
    ("$12.50", "en", 12.5, "USD"),
    ("USD 120", "en", 120.0, "USD"),
    ("1,250.50 USD", "en", 1250.5, "USD"),
    ("£290", "en", 290.0, "GBP"),
    ("NT$4,500", "zh-Hant", 4500.0, "TWD"),
    ("141.000 Kz", "pt", 141_000.0, "AOA"),
]


@pytest.mark.parametrize(("written", "lang", "amount", "currency"), PRICES)
def test_prices(
    recognizer: EntityRecognizer, written: str, lang: str, amount: float, currency: str
) -> None:
    text = f"Item 7 for sale, price {written} only"
    prices = [e for e in extract(recognizer, text, lang) if e.label == "PRICE"]
    assert [(e.text, e.key, e.value) for e in prices] == [(written, currency, amount)]
    assert prices[0].attrs["amount"] == amount and prices[0].attrs["currency"] == currency


def test_dollar_and_yen_are_marked_ambiguous(recognizer: EntityRecognizer) -> None:
    (dollar,) = [e for e in extract(recognizer, "price $120", "en") if e.label == "PRICE"]
    (euro,) = [e for e in extract(recognizer, "price 120 €", "en") if e.label == "PRICE"]
    assert dollar.attrs["ambiguous"] is True and "ambiguous" not in euro.attrs


# text, lang, number, unit, grams or items
QUANTITIES = [
    ("2.4 kg", "en", 2.4, "kg", 2400.0),
    ("500g", "en", 500.0, "g", 500.0),
    ("6 pcs", "en", 6.0, "piece", 6.0),
    ("2 pairs", "en", 2.0, "pair", 4.0),
    ("3斤", "zh", 3.0, "jin", 1500.0),
    ("二两", "zh", 2.0, "liang", 100.0),
    ("500克", "zh", 500.0, "g", 500.0),
    ("两只", "zh", 2.0, "head", 2.0),
    ("1,5 ký", "vi", 1.5, "kg", 1500.0),
    ("3 cái", "vi", 3.0, "piece", 3.0),
    ("500 กรัม", "th", 500.0, "g", 500.0),
    ("2 ตัว", "th", 2.0, "head", 2.0),
    ("3 ekor", "id", 3.0, "head", 3.0),
    ("2 buah", "id", 2.0, "piece", 2.0),
    ("4 unidades", "es", 4.0, "piece", 4.0),
    ("1,2 kg", "fr", 1.2, "kg", 1200.0),
    ("3 Stück", "de", 3.0, "piece", 3.0),
]


@pytest.mark.parametrize(("written", "lang", "number", "unit", "base"), QUANTITIES)
def test_quantities(
    recognizer: EntityRecognizer, written: str, lang: str, number: float, unit: str, base: float
) -> None:
    quantities = [e for e in extract(recognizer, f"Lot: {written}.", lang) if e.label == "QUANTITY"]
    assert [(e.text, e.key, e.value) for e in quantities] == [(written, unit, number)]
    assert quantities[0].attrs.get("grams", quantities[0].attrs.get("items")) == base


def test_language_only_units_stay_in_their_language(recognizer: EntityRecognizer) -> None:
    # "con" counts animals in Vietnamese and means "with" in Spanish.
    assert summary(extract(recognizer, "Vendo 2 con envío", "es"), "QUANTITY") == []
    assert summary(extract(recognizer, "Bán 2 con", "vi"), "QUANTITY") == [
        ("QUANTITY", "2 con", "head", 2.0)
    ]


def test_parse_number_follows_the_language() -> None:
    assert parse_number("1.500", "de") == 1500.0
    assert parse_number("1.500", "en") == 1.5
    assert parse_number("1,500", "en") == 1500.0
    assert parse_number("1.500", "en", price=True) == 1500.0
    assert parse_number("1.250.000,50", "pt") == 1_250_000.5
    assert parse_number("9" * 40, "en") is None


def test_components_are_registered_and_assemble_from_config() -> None:
    nlp = spacy.blank("en")
    nlp.add_pipe("wildwatch_contact_entities")
    nlp.add_pipe("wildwatch_price_entities")
    nlp.add_pipe("wildwatch_quantity_entities")
    nlp.add_pipe("wildwatch_lexicon_entities")
    text = "Ivory tusk 2 kg, $900, WhatsApp +1 202 555 0143"
    doc = nlp(text)
    labels = {span.label_ for span in doc.spans[SPANS_KEY]}
    assert labels == {"CONTACT", "PRICE", "QUANTITY", "PRODUCT"}
    assert {e.text for e in doc._.wildwatch_entities} >= {"2 kg", "$900", "Ivory tusk"}
    # The config round-trips: a pipeline rebuilt from it finds the same spans.
    rebuilt = English.from_config(nlp.config)
    assert rebuilt.pipe_names == nlp.pipe_names
    again = rebuilt(text)
    assert [(s.start_char, s.label_) for s in again.spans[SPANS_KEY]] == [
        (s.start_char, s.label_) for s in doc.spans[SPANS_KEY]
    ]


def test_chinese_spans_align_to_jieba_tokens(recognizer: EntityRecognizer) -> None:
    text = "出售象牙手镯老料微信abc12345"
    doc = recognizer.pipeline("zh")(text)
    for span in doc.spans[SPANS_KEY]:
        assert text[span.start_char : span.end_char] == span.text
    records = {(e.label, e.text) for e in doc._.wildwatch_entities}
    assert ("CONTACT", "微信abc12345") in records
    assert ("PRODUCT", "象牙手镯") in records


def test_pipelines_are_cached_per_language(recognizer: EntityRecognizer) -> None:
    assert recognizer.pipeline("en") is recognizer.pipeline("en")
    assert recognizer.pipeline("xx-unknown") is recognizer.pipeline("und")
    assert recognizer.pipeline("th").lang == "xx"


def test_contact_extractor_alone() -> None:
    found = ContactExtractor.default().find("Contact: t.me/horn_deals or +66 81 234 5678")
    assert {(e.key, e.value) for e in found} >= {
        ("telegram", "horn_deals"),
        ("phone", "66812345678"),
    }


HOSTILE = {
    "empty": "",
    "emoji only": "🐘🦷🔥💯" * 50,
    "control characters": "\x00\x01ivory\x02 WA\x00 0812 3456 7890\x1b[31m $120\x7f\u202e",
    "lone surrogates": "ivory \ud800 tusk $120 \udfff",
    "100 kB of text": "Raw ivory tusk 2.4 kg, $1,200, WhatsApp +84 912 345 678. " * 1_700,
    "100 kB without spaces": "a:" * 50_000,
    "100 kB of digits": "0" * 100_000,
    "100 kB of cues": "wa " * 33_000,
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_input(recognizer: EntityRecognizer, name: str) -> None:
    text = HOSTILE[name]
    started = time.perf_counter()
    extract(recognizer, text)
    assert time.perf_counter() - started < 5.0
