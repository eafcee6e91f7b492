"""The sandbox corpus: reproducible, multilingual, every category everywhere, clean text."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import replace
from datetime import UTC, date, timedelta
from decimal import Decimal

import pytest

from sandbox import (
    CATEGORIES,
    DEFAULT_SEED,
    EPOCH,
    NO_PRODUCT,
    PRODUCTS,
    Corpus,
    SandboxListing,
    Seller,
    build_corpus,
    format_price,
    generate_corpus,
)
from sandbox.corpus import check_vocabulary, load_vocabulary

LANGUAGES = {"en", "zh", "vi", "th", "id", "fr", "es", "pt"}
SHARES = {"illegal": 0.25, "coded": 0.15, "lookalike": 0.25, "ordinary": 0.35}
# Words that would make an ordinary listing look like a wildlife offer.
WILDLIFE_WORDS = [
    "ivory", "rhino", "pangolin", "tiger", "tortoise", "parrot", "macaw", "hornbill", "shark",
    "rosewood", "horn", "scale", "bone", "象牙", "犀", "穿山甲", "虎", "鱼翅", "魚翅", "玳瑁",
    "红木", "黄花梨", "ngà", "tê giác", "hổ", "gỗ trắc", "งาช้าง", "เสือ", "นอแรด", "gading",
    "cula", "harimau", "trenggiling", "ivoire", "marfil", "marfim", "carey", "tubarão",
]  # fmt: skip


@pytest.fixture(scope="module")
def corpus() -> Corpus:
    return build_corpus()


def by(corpus: Corpus, **fields: str) -> list[SandboxListing]:
    return [x for x in corpus.listings if all(getattr(x, k) == v for k, v in fields.items())]


def test_the_vocabulary_file_is_sound() -> None:
    assert check_vocabulary(load_vocabulary()) == []


def test_same_seed_gives_the_same_corpus(corpus: Corpus) -> None:
    again = build_corpus(DEFAULT_SEED)
    assert again == corpus
    assert generate_corpus(DEFAULT_SEED) == list(corpus.listings)
    assert corpus.seed == DEFAULT_SEED


def test_another_seed_gives_another_corpus(corpus: Corpus) -> None:
    other = build_corpus(DEFAULT_SEED + 1)
    assert len(other.listings) == len(corpus.listings)
    assert [x.title for x in other.listings] != [x.title for x in corpus.listings]
    assert len({x.title for x in other.listings} & {x.title for x in corpus.listings}) < 200


def test_size_ids_and_sellers(corpus: Corpus) -> None:
    assert len(corpus.listings) == 600
    ids = [x.listing_id for x in corpus.listings]
    assert len(set(ids)) == len(ids)
    assert all(re.fullmatch(r"m\d{6}", i) for i in ids)
    assert 55 <= len(corpus.sellers) <= 65
    per_seller = Counter(x.seller_id for x in corpus.listings)
    assert set(per_seller) == set(corpus.sellers_by_id)
    assert min(per_seller.values()) >= 3
    for item in corpus.listings:
        assert corpus.by_id[item.listing_id] is item
        assert corpus.sellers_by_id[item.seller_id].language == item.language
    assert sum(bool(s.contacts) for s in corpus.sellers) >= 15
    assert all(date(2015, 1, 1) <= s.joined < EPOCH.date() for s in corpus.sellers)


def test_every_language_has_every_category(corpus: Corpus) -> None:
    pairs = Counter((x.language, x.category) for x in corpus.listings)
    assert {language for language, _ in pairs} == LANGUAGES
    for language in LANGUAGES:
        for category in CATEGORIES:
            assert pairs[language, category] >= 3, (language, category)


def test_category_shares(corpus: Corpus) -> None:
    counts = Counter(x.category for x in corpus.listings)
    for category, share in SHARES.items():
        assert counts[category] / len(corpus.listings) == pytest.approx(share, abs=0.02)


def test_product_families(corpus: Corpus) -> None:
    assert {x.product for x in by(corpus, category="illegal")} == set(PRODUCTS)
    assert {x.product for x in by(corpus, category="coded")} <= set(PRODUCTS)
    assert len({x.product for x in by(corpus, category="coded")}) >= 8
    assert {x.product for x in by(corpus, category="lookalike")} <= set(PRODUCTS)
    assert {x.product for x in by(corpus, category="ordinary")} == {NO_PRODUCT}


def test_chinese_ivory_offers_say_xiangya(corpus: Corpus) -> None:
    offers = by(corpus, language="zh", category="illegal", product="ivory")
    assert len(offers) >= 3
    assert all("象牙" in x.text for x in offers)


def test_traditional_chinese_listings_are_there(corpus: Corpus) -> None:
    traditional = [x for x in by(corpus, language="zh") if x.currency in {"TWD", "HKD"}]
    assert {x.category for x in traditional} == set(CATEGORIES)
    assert any(re.search("[鐲魚鱗貨價轉議]", x.text) for x in traditional)


def test_coded_offers_use_code_words_and_disguises(corpus: Corpus) -> None:
    texts = [x.text for x in by(corpus, category="coded")]
    assert any(any(ord(c) >= 0x1F300 for c in t) for t in texts), "emoji"
    assert any(re.search("[\uff21-\uff5a]{3}", t) for t in texts), "full-width letters"
    assert any(re.search(r"\b(?:\w[ ._]){3,}\w\b", t) for t in texts), "spaced or dotted letters"
    assert any(re.search(r"[a-z][0-9][a-z]", t) for t in texts), "leetspeak"
    code_words = ["white plastic", "白塑料", "plastique blanc", "黄料", "no papers", "懂的"]
    assert sum(any(w in t for w in code_words) for t in texts) >= 10


def test_lookalikes_include_the_classic_traps(corpus: Corpus) -> None:
    texts = " ".join(x.text for x in by(corpus, category="lookalike")).casefold()
    for needle in ["resin", "树脂", "tiger balm", "certific", "stamp", "sunglasses", "plush"]:
        assert needle in texts, needle


def test_ordinary_goods_never_mention_wildlife(corpus: Corpus) -> None:
    for item in by(corpus, category="ordinary"):
        folded = item.text.casefold()
        assert not [w for w in WILDLIFE_WORDS if w in folded], item


def test_texts_are_clean_and_in_bounds(corpus: Corpus) -> None:
    for item in corpus.listings:
        assert 20 <= len(item.title) <= 120, item.title
        assert 0 < len(item.description) <= 1000
        for text in (item.title, item.description, item.location):
            assert "{" not in text and "}" not in text, text
            assert text == " ".join(text.split()), repr(text)
            assert unicodedata.is_normalized("NFC", text)
        assert isinstance(item.price, Decimal) and item.price > 0
        assert re.fullmatch(r"[A-Z]{3}", item.currency)
        assert item.posted_at.tzinfo == UTC
        assert EPOCH - timedelta(days=120) <= item.posted_at < EPOCH
        assert 0 <= item.image_count <= 5
    share = sum(x.has_jsonld for x in corpus.listings) / len(corpus.listings)
    assert 0.4 <= share <= 0.6


def test_texts_vary(corpus: Corpus) -> None:
    n = len(corpus.listings)
    assert len({x.title for x in corpus.listings}) >= 0.85 * n
    assert len({x.description for x in corpus.listings}) >= 0.95 * n
    assert len({x.price for x in corpus.listings}) >= 150
    assert len({x.currency for x in corpus.listings}) >= 12


@pytest.mark.parametrize("seed", [1, 7, 12345])
def test_other_seeds_keep_the_guarantees(seed: int) -> None:
    other = build_corpus(seed, 300)
    assert len(other.listings) == 300
    pairs = {(x.language, x.category) for x in other.listings}
    assert pairs == {(language, c) for language in LANGUAGES for c in CATEGORIES}
    assert all(20 <= len(x.title) <= 120 for x in other.listings)


def test_small_and_invalid_sizes() -> None:
    assert len(build_corpus(size=20).listings) == 20
    with pytest.raises(ValueError, match="size"):
        build_corpus(size=0)
    with pytest.raises(ValueError, match="sellers"):
        build_corpus(sellers=5)


def test_a_hand_built_corpus_is_checked(corpus: Corpus) -> None:
    item = corpus.listings[0]
    seller = corpus.sellers_by_id[item.seller_id]
    with pytest.raises(ValueError, match="unique"):
        Corpus((item, item), (seller,))
    with pytest.raises(ValueError, match="unknown sellers"):
        Corpus((replace(item, seller_id="nobody"),), (seller,))
    lone = Seller("s1", "Ann", "GB", "Leeds", "en", date(2020, 1, 1))
    small = Corpus((replace(item, seller_id="s1"),), (lone,))
    assert small.listings_of("s1") == small.listings


@pytest.mark.parametrize(
    ("amount", "currency", "language", "shown"),
    [
        (Decimal(1250000), "VND", "vi", "1.250.000\u00a0₫"),
        (Decimal(3800), "CNY", "zh", "¥3,800"),
        (Decimal("12.50"), "USD", "en", "$12.50"),
        (Decimal(1250), "EUR", "fr", "1\u202f250\u00a0€"),
        (Decimal(1250000), "IDR", "id", "Rp\u00a01.250.000"),
        (Decimal(12500), "THB", "th", "฿12,500"),
        (Decimal("1250.99"), "BRL", "pt", "R$\u00a01.250,99"),
        (Decimal(3800), "TWD", "zh", "NT$3,800"),
        (Decimal(125000), "XOF", "fr", "125\u202f000\u00a0FCFA"),
    ],
)
def test_format_price(amount: Decimal, currency: str, language: str, shown: str) -> None:
    assert format_price(amount, currency, language) == shown
