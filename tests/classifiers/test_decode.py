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


@pytest.mark.parametrize(
    ("title", "description"),
    [
        ("Statuette os de bœuf sculpté", "Statuette en os de bœuf sculpté, pas de certificat"),
        ("Pulsera de hueso de vaca auténtica", "Pulsera antigua, 65 mm. 350 €"),
    ],
)
def test_a_cover_name_with_trade_cues_is_read_as_what_it_hides(
    classifier: WildlifeClassifier, title: str, description: str
) -> None:
    item = ListingText(title, description)
    text = _model_text(classifier.extractor, title, description)
    assert "ivoire" in text or "marfil" in text
    result = classifier.classify_many([item])[0]
    assert result.flagged
    # The reason still points at what the seller wrote.
    assert any(item.text[r.start : r.end] in title for r in result.reasons)


@pytest.mark.parametrize(
    ("title", "description", "read_as"),
    [
        ("紅料 手牌", "紅料雕刻手牌，顏色正，實拍", "红料手牌\n红料雕刻手牌,正,实拍"),
        ("白塑料手镯", "颜色正，包老", "象牙手镯\n正,包老"),
        (
            "Paruh rangkong",
            "Paruh rangkong ukir, warna merah bagus",
            "paruh rangkong\nparuh rangkong ukir, merah bagus",
        ),
        (
            "Rideau en lin",
            "Rideau en lin, couleur : ivoire",
            "rideau en lin\nrideau en lin, couleur : ivoire",
        ),
        ("象牙顏色 窗簾", None, "象牙颜色窗帘"),
    ],
)
def test_colour_words_that_name_no_goods_are_left_out(
    extractor: FeatureExtractor, title: str, description: str | None, read_as: str
) -> None:
    # Praising the colour of real casque is not "ivory colour" paint; the encoder
    # would read a bare "colour" as the look-alike it learnt from.
    assert _model_text(extractor, title, description) == read_as


@pytest.mark.parametrize(
    ("title", "description"),
    [
        ("Pulsera de hueso de vaca", "Hecha a mano en Oaxaca. Envío a todo el país"),
        # the right cues, at the honest product's price
        ("Pulsera de hueso de vaca auténtico", "Hecha a mano, 12 €"),
        ("Peigne en os de bœuf", "Fait main, 8 €, envoi discret"),
    ],
)
def test_a_cover_name_sold_as_itself_stays_a_look_alike(
    classifier: WildlifeClassifier, title: str, description: str
) -> None:
    text = _model_text(classifier.extractor, title, description)
    assert "marfil" not in text and "ivoire" not in text
    assert not classifier.classify_many([ListingText(title, description)])[0].flagged


def test_cover_for_must_name_a_code_word_concept(tmp_path: Path) -> None:
    import shutil

    from classifiers.lexicon import Lexicon
    from classifiers.normalize import DATA_DIR

    data = tmp_path / "data"
    shutil.copytree(DATA_DIR, data)
    with (data / "terms.jsonl").open("a", encoding="utf-8") as out:
        out.write(
            '{"term": "resin bead", "lang": "en", "kind": "lookalike", "concept": "material",'
            ' "weight": 0.7, "cover_for": "unicorn_code"}\n'
        )
    with pytest.raises(LexiconError, match=r"'resin bead'.*cover_for"):
        Lexicon.load(data)


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
