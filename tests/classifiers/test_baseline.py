"""The baseline classifier: real listings-like text in twelve languages, no mocks."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

import classifiers
from classifiers import (
    DATA_DIR,
    FLAG_THRESHOLD,
    MODEL_NAME,
    TIER_BANDS,
    BaselineClassifier,
    LexiconError,
)
from crawler.listing import Classification, listing_text

Text = tuple[str, str | None]


@dataclass(frozen=True)
class Case:
    """One language's examples: a clear offer and what it should name, and contrasts."""

    offer: Text
    species: str
    appendix: str
    lookalike: Text
    ordinary: Text
    news: Text
    code: Text | None = None


CASES: dict[str, Case] = {
    "en": Case(
        offer=("Raw elephant ivory tusk for sale", "2.4 kg, DM for price"),
        species="Elephant",
        appendix="I",
        code=("White plastic bangle, real old material", "WeChat only, serious buyers"),
        lookalike=("Resin elephant figurine, hand painted", None),
        ordinary=("Used mountain bike, good condition", "Pick up only, cash"),
        news=("Customs seized 2 tonnes of ivory at the port", "Three smugglers were arrested"),
    ),
    "zh": Case(
        offer=("出售象牙手镯", "老料 微信联系"),
        species="Elephant",
        appendix="I",
        code=("白色塑料手镯 非洲料", "懂的私聊 保真"),
        lookalike=("树脂大象摆件 工艺品", None),
        ordinary=("九成新自行车 转让", "同城自提"),
        news=("海关查获象牙制品", "走私案件已移交公安"),
    ),
    "zh-Hant": Case(
        offer=("出售穿山甲鱗片", "現貨 加微信"),
        species="Pangolin",
        appendix="I",
        code=("白色塑料手鐲 老料", "懂的私聊"),
        lookalike=("仿象牙 樹脂手鐲 工藝品", None),
        ordinary=("二手腳踏車 九成新", "面交"),
        news=("海關查獲犀牛角 走私案件", None),
    ),
    "vi": Case(
        offer=("Bán sừng tê giác châu phi", "giá tốt, liên hệ zalo"),
        species="Rhinoceros",
        appendix="I",
        code=("Vòng nhựa trắng hàng rừng", "bao test, giao hàng kín, ib zalo"),
        lookalike=("Vòng tay ngà voi giả, nhựa resin", None),
        ordinary=("Xe đạp thể thao cũ, còn mới 90%", None),
        news=("Hải quan thu giữ 2 tấn ngà voi", "Công an đã bắt giữ đối tượng buôn lậu"),
    ),
    "th": Case(
        offer=("ขายนอแรดแท้ พร้อมส่ง", "ทักไลน์"),
        species="Rhinoceros",
        appendix="I",
        code=("งาแท้ ของป่า ส่งแบบมิดชิด", "สนใจทักแชท"),
        lookalike=("ตุ๊กตาช้าง ของเล่นเด็ก", None),
        ordinary=("บะหมี่กึ่งสำเร็จรูป ราคาถูก", "ส่งฟรี"),
        news=("ตำรวจจับกุมผู้ลักลอบค้างาช้าง", "ยึดของกลางได้จำนวนมาก"),
    ),
    "id": Case(
        offer=("Jual sisik trenggiling 1 kg", "hubungi WA, pengiriman aman"),
        species="Pangolin",
        appendix="I",
        lookalike=("Patung gajah resin hiasan rumah", None),
        ordinary=("Sepeda gunung bekas mulus", "harga nego, bisa COD"),
        news=("Polisi menyita gading gajah selundupan", "Tersangka ditangkap di pelabuhan"),
    ),
    "ms": Case(
        offer=("Jual sisik tenggiling", "harga runding, hubungi whatsapp"),
        species="Pangolin",
        appendix="I",
        lookalike=("Mainan harimau untuk anak patung", None),
        ordinary=("Basikal terpakai untuk dijual", None),
        news=("Perhilitan rampas sisik tenggiling", "dua lelaki ditahan"),
    ),
    "fr": Case(
        offer=("Corne de rhinocéros à vendre", "envoi discret"),
        species="Rhinoceros",
        appendix="I",
        lookalike=("Statuette éléphant en résine", None),
        ordinary=("Vélo de route d'occasion", "très bon état, prix à débattre"),
        news=(
            "Saisie record d'ivoire au port du Havre",
            "les douaniers ont interpellé deux trafiquants",
        ),
    ),
    "es": Case(
        offer=("Se vende colmillo de marfil auténtico", "envío discreto"),
        species="Elephant",
        appendix="I",
        lookalike=("Figura de elefante de resina", None),
        ordinary=("Bicicleta de montaña usada", "precio negociable"),
        news=("Incautación de marfil en el puerto", "la policía detuvo a dos traficantes"),
    ),
    "pt": Case(
        offer=("Vendo marfim legítimo", "chama no zap"),
        species="Elephant",
        appendix="I",
        lookalike=("Estatueta de elefante em resina", None),
        ordinary=("Bicicleta usada aro 29", "aceito pix"),
        news=("Polícia Federal apreende marfim no porto", "dois traficantes presos"),
    ),
    "de": Case(
        offer=("Verkaufe Elfenbein Schnitzerei", "VB, Versand möglich"),
        species="Elephant",
        appendix="I",
        lookalike=("Kleid elfenbeinfarben Gr. 38", None),
        ordinary=("Fahrrad gebraucht, 28 Zoll", "nur Abholung"),
        news=("Zoll beschlagnahmt Elfenbein am Flughafen", "Schmuggler festgenommen"),
    ),
    "ja": Case(
        offer=("象牙 印鑑 売ります", "登録票なし 送料無料"),
        species="Elephant",
        appendix="I",
        code=("本象牙 バングル", "書類なし 匿名配送"),
        lookalike=("象牙調 樹脂 置物", None),
        ordinary=("サイズ M 半袖シャツ", "送料無料"),
        news=("象牙密輸で逮捕", "税関が押収"),
    ),
}
LANGS = sorted(CASES)
CODE_LANGS = sorted(lang for lang, case in CASES.items() if case.code)


@pytest.fixture(scope="module")
def clf() -> BaselineClassifier:
    return BaselineClassifier.default()


def run(clf: BaselineClassifier, text: Text, **kwargs: object) -> Classification:
    return clf.classify(text[0], text[1], **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize("lang", LANGS)
def test_clear_offer_is_flagged_with_species_and_appendix(
    clf: BaselineClassifier, lang: str
) -> None:
    case = CASES[lang]
    result = run(clf, case.offer, lang=lang)
    assert result.flagged, result
    assert result.wildlife_product >= 0.6
    assert any(
        case.species in s.name and s.cites_appendix == case.appendix for s in result.species
    ), result.species


@pytest.mark.parametrize("lang", CODE_LANGS)
def test_code_word_offer_is_flagged(clf: BaselineClassifier, lang: str) -> None:
    result = run(clf, CASES[lang].code, lang=lang)  # type: ignore[arg-type]
    assert result.flagged, result
    assert any(r.kind in ("code_word", "trade_context") for r in result.reasons)


@pytest.mark.parametrize("lang", LANGS)
def test_lookalike_scores_well_below_the_real_offer(clf: BaselineClassifier, lang: str) -> None:
    case = CASES[lang]
    real = run(clf, case.offer, lang=lang)
    fake = run(clf, case.lookalike, lang=lang)
    assert not fake.flagged, fake
    assert fake.risk < real.risk - 0.3
    assert fake.wildlife_product < real.wildlife_product - 0.3


@pytest.mark.parametrize("lang", LANGS)
def test_ordinary_goods_are_not_flagged(clf: BaselineClassifier, lang: str) -> None:
    result = run(clf, CASES[lang].ordinary, lang=lang)
    assert not result.flagged
    assert result.tier == "none"
    assert result.species == []


@pytest.mark.parametrize("lang", LANGS)
def test_news_is_not_an_offer(clf: BaselineClassifier, lang: str) -> None:
    result = run(clf, CASES[lang].news, lang=lang)
    assert result.wildlife_product < 0.3, result
    assert not result.flagged
    assert any(r.kind == "news" for r in result.reasons)


ALL_TEXTS = [
    text
    for case in CASES.values()
    for text in (case.offer, case.code, case.lookalike, case.ordinary, case.news)
    if text is not None
]


@pytest.mark.parametrize("text", ALL_TEXTS, ids=lambda t: t[0][:24])
def test_every_reason_points_at_its_term(clf: BaselineClassifier, text: Text) -> None:
    result = run(clf, text)
    full = listing_text(*text)
    for reason in result.reasons:
        assert full[reason.start : reason.end] == reason.term
    assert [(r.start, r.end) for r in result.reasons] == sorted(
        (r.start, r.end) for r in result.reasons
    )


DISGUISED = [
    ("Raw ivory bangle for sale", "Raw i v o r y bangle for sale"),
    ("Raw ivory bangle for sale", "Raw i.v.o.r.y bangle for sale"),
    ("Raw ivory bangle for sale", "Raw \u0456v\u043ery bangle for sale"),  # Cyrillic
    ("Raw ivory bangle for sale", "Raw 1v0ry bangle for sale"),
    ("Raw ivory bangle for sale", "Ｒａｗ ｉｖｏｒｙ ｂａｎｇｌｅ ｆｏｒ ｓａｌｅ"),
    ("Raw ivory bangle for sale", "Raw iv\u200bory bangle for sale"),
    ("Elephant ivory bangle for sale", "🐘 ivory bangle for sale"),
    ("Rhino horn for sale, discreet shipping", "🦏 horn for sale, 🤫 shipping"),
    ("Pangolin scales for sale", "p-a-n-g-o-l-i-n scales for sale"),
    ("Tiger bone wine for sale", "t1g3r b0ne wine for sale"),
    ("出售穿山甲鳞片 现货", "出售穿山甲鱗片 現貨"),
    ("鹤顶红吊坠 保真", "鶴頂紅吊墜 保真"),
    ("出售象牙手镯", "出售 象 牙 手镯"),
    ("Sừng tê giác châu phi, giao hàng kín", "Sung te giac chau phi, giao hang kin"),
    ("Verkaufe Elfenbein", "Verkaufe ＥＬＦＥＮＢＥＩＮ"),
]


@pytest.mark.parametrize(("plain", "disguised"), DISGUISED)
def test_disguised_forms_score_like_the_plain_form(
    clf: BaselineClassifier, plain: str, disguised: str
) -> None:
    a, b = clf.classify(plain), clf.classify(disguised)
    assert a.flagged
    assert abs(a.risk - b.risk) <= 0.1, (a, b)
    assert abs(a.wildlife_product - b.wildlife_product) <= 0.1
    assert {s.name for s in a.species} == {s.name for s in b.species}


HONEST_LOOKALIKES = [
    "Resin elephant figurine, hand painted",
    "Ivory coloured wedding dress, size 10",
    "Tiger Balm red ointment 19g",
    "Rhino postage stamp, 1987, mint condition",
    "Toy pangolin plush for kids",
    "Faux fur coat, leopard print",
]


def test_code_word_offer_outranks_honest_lookalikes(clf: BaselineClassifier) -> None:
    offer = clf.classify("White plastic bangle, real old material", "WeChat")
    assert offer.flagged
    for title in HONEST_LOOKALIKES:
        result = clf.classify(title)
        assert not result.flagged, title
        assert result.risk < offer.risk - 0.3, title


@pytest.mark.parametrize(
    ("offer", "colour_name"),
    [
        ("鶴頂紅雕刻手牌，顏色正，實拍", "象牙顏色 窗簾"),
        ("Paruh rangkong gading ukir, warna merah bagus. DM harga", "cat tembok warna ivory 5 kg"),
        ("Pulsera de marfil tallada, color natural, 300 €", "suelo laminado color palisandro"),
        ("Bracelet en ivoire sculpté, belle couleur, 300 €", "Rideau en lin, couleur : ivoire"),
    ],
)
def test_a_colour_word_is_a_lookalike_only_next_to_the_wildlife_word(
    clf: BaselineClassifier, offer: str, colour_name: str
) -> None:
    # "The colour is right" is said of real casque and ivory too; only "colour
    # ivory" says the goods merely look like it.
    assert not any(h.kind == "lookalike" for h in clf.matcher(offer))
    assert any(h.term.concept == "colour" for h in clf.matcher(colour_name))
    # The colour word left out is reported, so the encoder can skip it too.
    assert [h.term.concept for h in clf.matcher.matches(offer).unattached] == ["colour"]
    assert clf.matcher.matches(colour_name).unattached == []
    real, honest = clf.classify(offer), clf.classify(colour_name)
    assert real.flagged, real
    assert not honest.flagged
    assert honest.risk < real.risk - 0.3


@pytest.mark.parametrize(
    ("text", "denied"),
    [
        ("Compro garras de jaguar, nada de imitaciones, pago bien", "nada de imitaciones"),
        ("象牙手镯 不是树脂 私聊", "不是树脂"),
        ("Gelang gading asli bukan resin, DM harga", "bukan resin"),
        ("Kamm aus Schildpatt, kein Imitat, 90 €", "kein Imitat"),
        # Japanese denies after the noun.
        ("象牙 根付 樹脂ではありません 45,000円", "樹脂ではありません"),
        ("べっ甲 かんざし、偽物ではない。12,000円", "偽物ではない"),
    ],
)
def test_a_denied_lookalike_is_a_claim_that_the_goods_are_real(
    clf: BaselineClassifier, text: str, denied: str
) -> None:
    result = clf.classify(text)
    assert result.flagged, result
    at = text.index(denied)
    assert any(
        r.kind == "claim" and (r.start, r.end) == (at, at + len(denied)) for r in result.reasons
    ), result.reasons
    assert not any(r.kind == "lookalike" for r in result.reasons)


@pytest.mark.parametrize(
    "text",
    [
        "Elefant Figur aus Harz, kein Elfenbein",
        "Resin tiger statue, no ivory, no bone",
        "Figurine éléphant, pas d'ivoire, résine peinte",
        "Pulsera estilo marfil, sin marfil real, hecha de hueso sintético",
        "象の置物 樹脂製、象牙ではありません 1,200円",
    ],
)
def test_a_denied_product_is_a_lookalike(clf: BaselineClassifier, text: str) -> None:
    result = clf.classify(text)
    assert not result.flagged, result
    assert not any(h.kind == "negation" for h in clf.matcher(text))


def test_a_negation_denying_nothing_changes_nothing(clf: BaselineClassifier) -> None:
    offer = "Real ivory bangle, discreet shipping"
    assert clf.classify(f"No returns. {offer}").risk == pytest.approx(
        clf.classify(offer).risk, abs=0.01
    )
    # A Japanese negation denies the word before it, not the one after.
    lookalike = "象牙風 置物 1,200円"
    assert not clf.classify(f"返品ではなく交換のみ。{lookalike}").flagged


def test_a_species_name_across_a_product_word_is_not_read(clf: BaselineClassifier) -> None:
    # 犀牛角 | 雕杯 (carved rhino-horn cup), not 犀牛 | 角雕 (harpy eagle) | 杯.
    result = clf.classify("犀牛角雕杯，老件")
    assert [s.name for s in result.species] == ["Rhinoceros"]
    assert [s.name for s in clf.classify("角雕标本 出售").species] == [
        "Harpy eagle and Philippine eagle"
    ]


def test_faux_next_to_explicit_illegal_cues_does_not_hide_the_offer(
    clf: BaselineClassifier,
) -> None:
    result = clf.classify(
        "Faux ivory bangle", "real elephant ivory, not resin, discreet shipping, WhatsApp"
    )
    assert result.flagged
    assert result.wildlife_product >= 0.6


def test_mammoth_ivory_with_papers_is_a_product_with_moderate_risk(
    clf: BaselineClassifier,
) -> None:
    result = clf.classify("Genuine mammoth ivory carving with certificate", price=450)
    assert result.wildlife_product >= 0.5
    assert 0.15 <= result.risk < FLAG_THRESHOLD
    assert [s.scientific_name for s in result.species] == ["Mammuthus primigenius"]


def test_species_are_deduplicated_and_appendices_current(clf: BaselineClassifier) -> None:
    result = clf.classify(
        "Elephant ivory, elephant tusk, ELEPHANT", "pangolin scales, helmeted hornbill casque"
    )
    names = [s.name for s in result.species]
    assert len(names) == len(set(names))
    appendix = {s.name: s.cites_appendix for s in result.species}
    assert appendix["Pangolin"] == "I"  # all pangolins since CoP17
    assert appendix["Helmeted hornbill"] == "I"
    assert appendix["Elephant"] == "I"


def test_checklist_names_scientific_binomials(clf: BaselineClassifier) -> None:
    result = clf.classify("Captive bred Uromastyx ornata for sale")
    assert any(s.name == "Uromastyx ornata" and s.cites_appendix == "II" for s in result.species)


@pytest.mark.parametrize(
    "title",
    [
        "Python programming book for sale",
        "サイズ M トラック",
        "บะหมี่กึ่งสำเร็จรูป",
        "Kelapa Gading apartment for rent",
        "Ivory ban announced by government",
        "Cần bán xe, đã báo giá, liên hệ",
    ],
)
def test_homonyms_and_headlines_do_not_match(clf: BaselineClassifier, title: str) -> None:
    result = clf.classify(title)
    assert result.species == [] and not result.flagged
    assert result.wildlife_product < 0.1


def test_flag_and_tier_follow_the_documented_bands(clf: BaselineClassifier) -> None:
    assert clf.config.flag_threshold == FLAG_THRESHOLD
    assert clf.config.tier_bands == TIER_BANDS
    for text in ALL_TEXTS:
        result = run(clf, text)
        expected = next((name for name, low in TIER_BANDS if result.risk >= low), "none")
        assert result.tier == expected
        assert result.flagged == (result.risk >= FLAG_THRESHOLD)
        assert result.flagged == (result.tier in ("high", "medium"))
        assert result.risk <= result.wildlife_product
        assert result.model == MODEL_NAME


def test_a_price_makes_an_offer_more_likely(clf: BaselineClassifier) -> None:
    without = clf.classify("Old ivory bangle")
    with_price = clf.classify("Old ivory bangle", price=300, currency="USD")
    assert with_price.wildlife_product > without.wildlife_product
    assert with_price.reasons == without.reasons  # a price has no span, so no reason


def test_empty_title_is_fine(clf: BaselineClassifier) -> None:
    result = clf.classify("")
    assert result.risk == 0 and result.tier == "none" and result.reasons == []


@pytest.mark.parametrize(
    "lang", ["en", "zh", "zh-Hant", "vi", "th", "id", "ms", "fr", "es", "pt", "de", "ja"]
)
def test_every_language_has_a_real_lexicon(clf: BaselineClassifier, lang: str) -> None:
    assert clf.lexicon.counts_by_lang()[lang] >= 100


def copy_data(tmp_path: Path) -> Path:
    target = tmp_path / "data"
    shutil.copytree(DATA_DIR, target)
    return target


def test_a_broken_terms_line_is_named(tmp_path: Path) -> None:
    data = copy_data(tmp_path)
    lines = (data / "terms.jsonl").read_text(encoding="utf-8").splitlines()
    lines[2] = '{"term": "ivory", "lang": "en"'
    (data / "terms.jsonl").write_text("\n".join(lines), encoding="utf-8")
    with pytest.raises(LexiconError, match=r"terms\.jsonl:3: not valid JSON"):
        BaselineClassifier(data)


def test_an_unknown_implied_species_is_named(tmp_path: Path) -> None:
    data = copy_data(tmp_path)
    bad = {
        "term": "unicorn horn",
        "lang": "en",
        "kind": "product",
        "concept": "horn",
        "weight": 0.9,
        "implies": "unicorn",
    }
    with (data / "terms.jsonl").open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(bad) + "\n")
    with pytest.raises(LexiconError, match="unknown species 'unicorn'"):
        BaselineClassifier(data)


@pytest.mark.parametrize(
    ("option", "value"), [("needs_goods", True), ("follows", True), ("follows", "yes")]
)
def test_term_options_are_only_for_their_kind(tmp_path: Path, option: str, value: object) -> None:
    # needs_goods on look-alikes, follows on negations only; the file and line are named.
    data = copy_data(tmp_path)
    bad = {"term": "hue", "lang": "en", "kind": "product", "concept": "x", "weight": 0.5}
    with (data / "terms.jsonl").open("a", encoding="utf-8") as fh:
        fh.write(json.dumps({**bad, option: value}) + "\n")
    with pytest.raises(LexiconError, match=f"terms.jsonl:\\d+: '{option}'"):
        BaselineClassifier(data)


def test_an_emoji_name_without_an_english_word_is_named(tmp_path: Path) -> None:
    data = copy_data(tmp_path)
    fold = json.loads((data / "fold.json").read_text(encoding="utf-8"))
    del fold["emoji_in_names"]["🐦"]["words"]["latin"]
    (data / "fold.json").write_text(json.dumps(fold, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(LexiconError, match=r"fold\.json: emoji_in_names\.🐦\.words .*'latin'"):
        BaselineClassifier(data)


def test_a_missing_data_dir_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(LexiconError, match="not found"):
        BaselineClassifier(tmp_path / "nope")


def test_other_data_can_be_loaded(tmp_path: Path) -> None:
    data = copy_data(tmp_path)
    (data / "cites_checklist.txt").unlink()  # optional: curated data alone still works
    extra = {
        "term": "dragon scale",
        "lang": "en",
        "kind": "product",
        "concept": "scale",
        "weight": 0.9,
        "implies": "pangolin",
    }
    with (data / "terms.jsonl").open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(extra) + "\n")
    result = BaselineClassifier(data).classify("Dragon scale for sale")
    assert result.flagged and result.species[0].name == "Pangolin"


def test_public_api_is_explicit() -> None:
    assert classifiers.__all__ == sorted(classifiers.__all__, key=lambda n: (not n.isupper(), n))
    for name in classifiers.__all__:
        assert hasattr(classifiers, name), name


def test_classifiers_import_no_crawler_runtime_or_app() -> None:
    code = (
        "import sys, classifiers\n"
        "classifiers.BaselineClassifier.default().classify('ivory')\n"
        "top = {m.split('.')[0] for m in sys.modules}\n"
        "bad = top & {'scrapy', 'indexer', 'sandbox', 'wildwatch'}\n"
        "assert not bad, bad\n"
    )
    root = Path(__file__).resolve().parents[2]
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=root, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr


@pytest.mark.parametrize(
    ("text", "flagged"),
    [
        # Vietnamese is often typed without diacritics: a phrase with one meaning
        # reads the same either way ...
        ("nanh ho boc bac xua, 22tr, ib zalo", True),
        ("can ban cao ho cot 100g, hang that", True),
        ("tay gau say kho, ib gia", True),
        # ... while a short word whose plain form is another word does not:
        # răng hô (buck teeth), xương hỗ trợ (bone support), thuốc ho (cough syrup).
        ("nieng rang ho cho be, bac si gioi", False),
        ("thuoc ho cho be, canxi xuong ho tro", False),
        ("vong nanh ho gia bang nhua, 100k", False),
    ],
)
def test_unaccented_vietnamese(clf: BaselineClassifier, text: str, flagged: bool) -> None:
    assert clf.classify(text).flagged is flagged, clf.classify(text)
