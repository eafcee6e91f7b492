"""The labelled corpus and the evasion set: schema, counts, split hygiene, regeneration."""

from __future__ import annotations

import json
import re
import unicodedata
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from classifiers.corpus import (
    CORPUS_DIR,
    CorpusListing,
    EvasionPair,
    build,
    load_corpus,
    load_evasion,
)
from crawler.listing import MAX_DESCRIPTION_CHARS, MAX_TITLE_CHARS, Listing

LANGS = {"en", "zh", "zh-Hant", "vi", "th", "id", "fr", "es", "pt", "de", "ja"}
CATEGORIES = {"offer": 1, "coded": 1, "wanted": 1, "lookalike": 0, "news": 0, "ordinary": 0}
FAMILIES = set(build.FAMILIES) | {"none"}
# ISO 4217 codes the corpus may use.
CURRENCIES = {"USD", "GBP", "AUD", "CNY", "TWD", "HKD", "VND", "THB", "IDR", "EUR", "XAF", "MXN"}
CURRENCIES |= {"COP", "BRL", "MZN", "CHF", "JPY"}
TECHNIQUES = set(build.TECHNIQUES)
SPECIES_FILE = CORPUS_DIR.parent / "data" / "species.json"
# Characters that exist only in traditional Chinese (their simplified forms differ).
TRADITIONAL_ONLY = set(
    "鐲證開門貨價級來郵鱗藥順豐發墜銀鶴頂紅顏實攝紋膽魚雙鯊禮電話純燒圖觀掛帶書數現從優龜鮮對懶親"
)


@pytest.fixture(scope="module")
def corpus() -> list[CorpusListing]:
    return load_corpus()


@pytest.fixture(scope="module")
def evasion() -> list[EvasionPair]:
    return load_evasion()


def test_every_row_has_valid_fields(corpus: list[CorpusListing]) -> None:
    species = {s["key"] for s in json.loads(SPECIES_FILE.read_text(encoding="utf-8"))["species"]}
    raw = [json.loads(line) for line in (CORPUS_DIR / "listings.jsonl").open(encoding="utf-8")]
    fields = set(CorpusListing.__dataclass_fields__)
    for row in raw:
        assert set(row) == fields, row["id"]
    for item in corpus:
        assert re.fullmatch(rf"wc-{re.escape(item.lang)}-[0-9a-f]{{10}}", item.id), item.id
        assert item.lang in LANGS
        assert item.title.strip() and item.title == item.title.strip()
        assert len(item.title) <= MAX_TITLE_CHARS and len(item.description) <= 600
        assert item.category in CATEGORIES and item.label == CATEGORIES[item.category]
        assert item.family in FAMILIES
        if item.label:
            assert item.family != "none", item.id
        if item.category == "ordinary":
            assert item.family == "none" and item.species is None
        assert item.species is None or item.species in species, item.species
        assert (item.price is None) == (item.currency is None)
        assert item.price is None or item.price >= 0
        assert item.currency is None or item.currency in CURRENCIES
        assert item.split in ("train", "dev", "test")
        assert item.template.startswith(f"{item.lang}-{item.category}-")


def test_every_row_builds_a_listing(corpus: list[CorpusListing]) -> None:
    for item in corpus:
        listing = Listing(
            platform="corpus",
            url=f"https://corpus.invalid/{item.id}",
            title=item.title,
            description=item.description or None,
            price=item.price,
            currency=item.currency,
            language=item.lang,
        )
        # Validation must not have cut or cleaned anything: the text is already within caps.
        assert listing.title == unicodedata.normalize("NFC", item.title)
        assert len(item.description) <= MAX_DESCRIPTION_CHARS
        assert (listing.description or "") == unicodedata.normalize("NFC", item.description)


def test_counts_and_balance(corpus: list[CorpusListing]) -> None:
    assert len(corpus) >= 3600
    by_lang: dict[str, list[CorpusListing]] = defaultdict(list)
    for item in corpus:
        by_lang[item.lang].append(item)
    assert set(by_lang) == LANGS and len(by_lang) >= 10
    for lang, items in by_lang.items():
        assert len(items) >= 280, lang
        share = sum(i.label for i in items) / len(items)
        assert 0.30 <= share <= 0.55, (lang, share)
        test = [i for i in items if i.split == "test"]
        assert len(test) >= 55, (lang, len(test))
        assert {i.label for i in test} == {0, 1}, lang
    negatives = [i for i in corpus if i.label == 0]
    hard = [i for i in negatives if i.category in ("lookalike", "news")]
    assert len(hard) / len(negatives) >= 0.35


def test_description_lengths_vary(corpus: list[CorpusListing]) -> None:
    lengths = [len(i.description) for i in corpus]
    assert min(lengths) == 0 and max(lengths) >= 200
    assert sum(1 for n in lengths if n == 0) < len(lengths) * 0.2


def test_splits_are_disjoint(corpus: list[CorpusListing]) -> None:
    template_split: dict[str, set[str]] = defaultdict(set)
    for item in corpus:
        template_split[item.template].add(item.split)
    assert all(len(s) == 1 for s in template_split.values())
    pairs = Counter((i.title, i.description) for i in corpus)
    assert max(pairs.values()) == 1
    assert len({i.id for i in corpus}) == len(corpus)
    train_titles = {i.title for i in corpus if i.split == "train"}
    assert not [i.title for i in corpus if i.split == "test" and i.title in train_titles]


def test_template_split_is_stratified(corpus: list[CorpusListing]) -> None:
    groups: dict[tuple[str, str], dict[str, str]] = defaultdict(dict)
    for item in corpus:
        groups[(item.lang, item.category)][item.template] = item.split
    for key, templates in groups.items():
        counts = Counter(templates.values())
        assert counts["test"] >= 1 and counts["dev"] >= 1, key
        assert counts["train"] >= len(templates) * 0.6, key


def test_loader_filters_and_rejects_unknown_split(corpus: list[CorpusListing]) -> None:
    parts = [load_corpus(s) for s in ("train", "dev", "test")]
    assert sum(len(p) for p in parts) == len(corpus)
    assert all(i.split == "dev" for i in parts[1])
    with pytest.raises(ValueError, match="unknown split"):
        load_corpus("validation")


def test_regeneration_is_byte_identical(tmp_path: Path) -> None:
    assert build.main(["--out", str(tmp_path)]) == 0
    for name in (build.LISTINGS_NAME, build.EVASION_NAME):
        assert (tmp_path / name).read_bytes() == (CORPUS_DIR / name).read_bytes(), name


def test_readme_counts_are_current(corpus: list[CorpusListing]) -> None:
    rows = [json.loads(line) for line in (CORPUS_DIR / "listings.jsonl").open(encoding="utf-8")]
    readme = (CORPUS_DIR / "README.md").read_text(encoding="utf-8")
    assert build.counts_table(rows) in readme


def test_evasion_pairs(evasion: list[EvasionPair]) -> None:
    assert len(evasion) >= 200
    assert len({p.id for p in evasion}) == len(evasion)
    counts = Counter(p.technique for p in evasion)
    assert set(counts) == TECHNIQUES
    assert all(n >= 15 for t, n in counts.items() if t != "unlisted_code_word"), counts
    assert counts["unlisted_code_word"] >= 5
    for technique in TECHNIQUES - {"traditional_chinese"}:
        langs = {p.lang for p in evasion if p.technique == technique}
        assert len(langs) >= 5, technique
    for pair in evasion:
        assert pair.lang in LANGS
        plain = (pair.plain_title, pair.plain_description)
        disguised = (pair.disguised_title, pair.disguised_description)
        assert all(plain) and all(disguised)
        assert disguised != plain, pair.id
        if pair.technique == "traditional_chinese":
            assert pair.lang == "zh"
            assert TRADITIONAL_ONLY & set("".join(disguised)), pair.id
        if pair.technique == "zero_width":
            assert "\u200b" in "".join(disguised)
        if pair.technique == "fullwidth":
            assert re.search(r"[\uff21-\uff5a]", "".join(disguised))
