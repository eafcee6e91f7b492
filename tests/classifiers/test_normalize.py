"""Normalisation folds disguises and keeps an exact map back to the original text."""

from __future__ import annotations

import unicodedata

import pytest

from classifiers import NormalizedText, normalize
from classifiers.normalize import default_normalizer

# (original, folded view that must appear, the original text behind it)
DISGUISES = [
    ("Raw ｉｖｏｒｙ tusk", "ivory", "ｉｖｏｒｙ"),  # full-width
    ("Raw iv\u200bo\u200dry tusk", "ivory", "iv\u200bo\u200dry"),  # zero-width
    ("Raw i v o r y bangle", "ivory", "i v o r y"),  # spaced letters
    ("raw i.v.o.r.y bangle", "ivory", "i.v.o.r.y"),
    ("raw i-v-o-r-y bangle", "ivory", "i-v-o-r-y"),
    ("raw i_v_o_r_y bangle", "ivory", "i_v_o_r_y"),
    ("raw i . v . o . r . y bangle", "ivory", "i . v . o . r . y"),
    ("Raw 1v0ry bangle", "ivory", "1v0ry"),  # leetspeak
    ("rh1n0 h0rn", "rhino horn", "rh1n0 h0rn"),
    ("p@ngolin scales", "pangolin", "p@ngolin"),
    ("Raw \u0456v\u043ery tusk", "ivory", "\u0456v\u043ery"),  # Cyrillic і, о
    ("\u0420\u0410NGOLIN scales", "pangolin", "\u0420\u0410NGOLIN"),  # Cyrillic Р А
    ("Raw \u0399V\u039fRY tusk", "ivory", "\u0399V\u039fRY"),  # Greek Ι Ο
    ("𝐢𝐯𝐨𝐫𝐲 bangle", "ivory", "𝐢𝐯𝐨𝐫𝐲"),  # mathematical bold
    ("🐘 tusk for sale", "ivory", "🐘"),  # emoji: sellers mean the product
    ("🐘\ufe0f\U0001f3fd tusk", "ivory", "🐘"),  # emoji + variation selector + skin tone
    ("老🐘牙手鐲", "象牙手镯", "🐘牙手鐲"),  # emoji inside Chinese
    ("กำไล🐘แท้", "งาช้าง", "🐘"),  # emoji inside Thai
    ("Nanh 🐯 bọc vàng", "hổ", "🐯"),  # emoji in Vietnamese text
    ("犀牛角杯 收藏級", "收藏级", "收藏級"),  # broad traditional table
    ("Sừng t ê  g i á c", "tê giác", "t ê  g i á c"),  # spaced Vietnamese words
    ("ขายกำไลง า ช้ า งแท้", "งาช้าง", "ง า ช้ า ง"),  # spaced Thai letters
    ("หัวน.ก.เ.งื.อ.กแกะสลัก", "นกเงือก", "น.ก.เ.งื.อ.ก"),  # dotted Thai letters
    ("Nanh h.ổ bọc vàng", "hổ", "h.ổ"),  # a split Vietnamese syllable
    ("Vảy 7ê 7ê khô", "tê tê", "7ê 7ê"),  # leetspeak in Vietnamese text
    ("出售穿山甲鱗片", "穿山甲鳞片", "穿山甲鱗片"),  # traditional Chinese
    ("鶴頂紅吊墜", "鹤顶红", "鶴頂紅"),
    ("出售 象 牙 手镯", "象牙", "象 牙"),  # spaced Han characters
    ("Stoßzahn aus Elfenbein", "stosszahn", "Stoßzahn"),  # ß expands to ss
    ("bois d’ébène et œuvre", "oeuvre", "œuvre"),  # œ expands to oe
]


def find_span(nt: NormalizedText, folded: str) -> tuple[int, int]:
    for view in (nt.text, nt.plain):
        at = view.find(folded)
        if at >= 0:
            return nt.span(at, at + len(folded))
    raise AssertionError(f"{folded!r} not in {nt.text!r} / {nt.plain!r}")


@pytest.mark.parametrize(("original", "folded", "behind"), DISGUISES)
def test_disguise_is_folded_and_maps_back_exactly(original: str, folded: str, behind: str) -> None:
    nt = normalize(original)
    start, end = find_span(nt, folded)
    assert original[start:end] == behind


@pytest.mark.parametrize(
    "original",
    [d[0] for d in DISGUISES]
    + [
        "Bán ngà voi thật 100%, liên hệ zalo",
        "Nga\u0300 voi\u0300 NFD tie\u0302\u0301ng Vie\u0323\u0302t",  # decomposed accents
        "ขายงาช้างแท้ ราคาถูก ทักไลน์",
        "象牙 印鑑 売ります　登録票なし",
        "ⓘⓥⓞⓡⓨ ﬁne ㎏ ½",
        "",
        "\u200b\u200b",
        "🐘🦏🐯 ivory",
    ],
)
def test_offset_map_is_consistent(original: str) -> None:
    nt = normalize(original)
    assert len(nt.text) == len(nt.plain) == len(nt.starts) == len(nt.ends)
    previous = 0
    for start, end in zip(nt.starts, nt.ends, strict=True):
        assert 0 <= start < end <= len(original)
        assert start >= previous  # never runs backwards
        previous = start
    # Every folded character comes from characters that are really there.
    for i in range(len(nt.text)):
        assert original[nt.starts[i] : nt.ends[i]]
    if nt.text:
        assert nt.span(0, len(nt.text))[1] <= len(original)


def test_plain_view_drops_latin_accents_only() -> None:
    nt = normalize("Éléphant ngà voi sừng tê giác Bär นอแรด")
    assert nt.text == "éléphant ngà voi sừng tê giác bär นอแรด"
    assert nt.plain == "elephant nga voi sung te giac bar นอแรด"


def test_decomposed_accents_compose_and_map_to_the_whole_cluster() -> None:
    original = "nga\u0300 voi"
    nt = normalize(original)
    assert nt.text == "ngà voi"
    assert nt.span(0, 3) == (0, 4)  # "ngà" covers the base letter and its mark


@pytest.mark.parametrize(
    "text",
    ["I am a cat", "a b", "size 5kg 10cm 3pcs", "Model 2024, 24k gold", "1 2 3 go", "A/B test"],
)
def test_ordinary_text_is_not_mangled(text: str) -> None:
    nt = normalize(text)
    assert nt.text == text.casefold()


def test_leet_needs_a_word_mixing_letters_and_digits() -> None:
    assert normalize("1v0ry").text == "ivory"
    assert normalize("t1g3r b0n3").text == "tiger bone"
    assert normalize("call 0912 345 678").text == "call 0912 345 678"
    assert normalize("4sale").text == "asale"  # terms are folded the same way


def test_emoji_becomes_a_separate_concept_word() -> None:
    nt = normalize("🐘ivory🦏horn")
    assert nt.text.split() == ["ivory", "ivory", "rhino", "horn", "horn"]


@pytest.mark.parametrize(
    ("original", "folded"),
    [
        ("🐦紅雕刻手牌", "鹤顶红雕刻手牌"),  # the crane of 鹤顶红 (hornbill casque)
        ("🐦頂紅手串", "鹤顶红手串"),
        ("🐦 ivory carving", "helmeted hornbill  ivory carving"),
        ("Gelang 🐦 gading", "helmeted hornbill  gading"),
        ("gading 🐦 ukir", "gading  helmeted hornbill"),
    ],
)
def test_a_bird_inside_a_casque_name_is_the_hornbill(original: str, folded: str) -> None:
    nt = normalize(original)
    assert folded in nt.text
    start, end = find_span(nt, folded)
    assert "🐦" in original[start:end]


@pytest.mark.parametrize(
    "original", ["🐦红色T恤", "🐦 feeder, red", "Kandang 🐦 murah", "🐦 ivorytone dress"]
)
def test_a_bird_elsewhere_stays_a_bird(original: str) -> None:
    text = normalize(original).text
    assert "hornbill" not in text and "鹤顶" not in text
    assert "bird" in text or "鸟" in text


def test_the_listing_language_names_the_hornbill() -> None:
    fold = default_normalizer()
    assert fold("🐦 gading ukir", "id").text.split()[:2] == ["rangkong", "gading"]
    assert fold("🐦紅雕刻", "zh-Hant").text == "鹤顶红雕刻"


def test_commas_between_han_characters_stay() -> None:
    assert normalize("大象,牙签").text == "大象,牙签"
    assert normalize("大象，牙签").text == "大象,牙签"  # full-width comma folds to ","


def test_span_rejects_out_of_range() -> None:
    nt = normalize("ivory")
    with pytest.raises(IndexError):
        nt.span(2, 9)


def test_folding_is_stable() -> None:
    # Folding folded text changes nothing more: terms and text meet in one form.
    for original, _, _ in DISGUISES:
        once = normalize(original).text
        assert normalize(once).text == once, original
    assert unicodedata.is_normalized("NFC", normalize("Ngà voi").text)
