"""Code words read as their meaning, and emoji as words of the listing's language."""

from __future__ import annotations

from pathlib import Path

import pytest

from classifiers import ListingText, WildlifeClassifier
from classifiers.corpus import load_probe
from classifiers.decode import MEANINGS_FILE, CodeWordDecoder
from classifiers.errors import LexiconError
from classifiers.normalize import default_normalizer
from classifiers.wildlife import FeatureExtractor


@pytest.fixture(scope="module")
def classifier() -> WildlifeClassifier:
    return WildlifeClassifier.default()


@pytest.fixture(scope="module")
def extractor(classifier: WildlifeClassifier) -> FeatureExtractor:
    return classifier.extractor


def _model_text(extractor: FeatureExtractor, title: str, description: str | None = None) -> str:
    item = ListingText(title, description)
    return extractor.model_text(item, extractor.parse(item))[0]


def test_a_specific_code_word_is_read_as_its_meaning(extractor: FeatureExtractor) -> None:
    text = _model_text(extractor, "Nanh ông ba mươi bọc vàng", "Nanh ông ba mươi thật, ib giá")
    assert text == "nanh hổ bọc vàng\nnanh hổ thật, ib giá"
    assert "黄金胆" not in _model_text(extractor, "黄金胆粉 5克")


def test_an_ambiguous_code_word_alone_is_left_as_written(extractor: FeatureExtractor) -> None:
    # "corne noire" is buffalo horn in a comb shop.
    assert "corne noire" in _model_text(extractor, "Peigne en corne noire", "12 euros")
    assert "gato grande" in _model_text(extractor, "Gato grande y cariñoso", "busca hogar")


@pytest.mark.parametrize(
    ("title", "description", "meaning"),
    [
        # sold by weight
        ("corne noire", "corne noire entière, 1,1 kg, prix en mp", "corne de rhinocéros"),
        # next to an animal part
        ("Colmillos de gato grande", "reales, par, 200 dólares", "colmillos de tigre"),
    ],
)
def test_an_ambiguous_code_word_with_support_is_read_as_its_meaning(
    extractor: FeatureExtractor, title: str, description: str, meaning: str
) -> None:
    assert meaning in _model_text(extractor, title, description)


def test_decoding_keeps_reasons_on_the_text_as_written(classifier: WildlifeClassifier) -> None:
    item = ListingText("corne noire", "corne noire entière, 1,1 kg, prix en mp")
    result = classifier.classify_many([item])[0]
    assert result.flagged
    assert [s.name for s in result.species] == ["Rhinoceros"]
    codes = [r for r in result.reasons if r.kind == "code_word"]
    assert codes and all(item.text[r.start : r.end] == "corne noire" for r in codes)


def test_emoji_become_words_of_the_listing_language() -> None:
    fold = default_normalizer()
    assert "léopard" in fold("Peau de 🐆 complète", "fr").text
    assert "leopard" in fold("Peau de 🐆 complète").text  # the matcher's English
    assert "gading gajah" in fold("Jual gelang 🐘", "id").text
    assert fold("🐯の牙", "ja").text.startswith("虎の牙")


def test_meanings_file_errors_name_the_file(tmp_path: Path) -> None:
    (tmp_path / MEANINGS_FILE).write_text('{"ivory_code": {"fr": "ivoire"}}', encoding="utf-8")
    with pytest.raises(LexiconError, match=f"{MEANINGS_FILE}.*'en'"):
        CodeWordDecoder.load(tmp_path)
    (tmp_path / MEANINGS_FILE).write_text("{", encoding="utf-8")
    with pytest.raises(LexiconError, match="not valid JSON"):
        CodeWordDecoder.load(tmp_path)


def test_meanings_fall_back_to_simplified_chinese_then_english() -> None:
    decoder = CodeWordDecoder({"x_code": {"en": "ivory", "zh": "象牙"}})
    assert decoder.meaning("x_code", "zh-Hant") == "象牙"
    assert decoder.meaning("x_code", "sw") == "ivory"
    assert decoder.meaning("unknown", "en") is None


def test_every_code_word_concept_with_a_species_has_a_meaning() -> None:
    from classifiers.lexicon import Lexicon

    decoder = CodeWordDecoder.load()
    concepts = {t.concept for t in Lexicon.load().terms if t.kind == "code_word" and t.implies}
    assert concepts <= set(decoder.meanings), concepts - set(decoder.meanings)


def test_hand_written_probe_listings_are_all_classified_right(
    classifier: WildlifeClassifier,
) -> None:
    probe = load_probe()
    assert len(probe) >= 40 and {p.label for p in probe} == {0, 1}
    results = classifier.classify_many(ListingText(p.title, p.description) for p in probe)
    wrong = [(p.title, r.risk) for p, r in zip(probe, results, strict=True) if r.flagged != p.label]
    assert not wrong
