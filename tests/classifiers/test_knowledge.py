"""What the classifier knows: trade names, checklist common names, code words, families.

These tests read the shipped data through the public classifier, the way a reviewer
would notice a gap: a trade name in one language that names no species, a common word
that starts naming one, a code word that flags a listing on its own.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import unicodedata
from collections import Counter
from pathlib import Path

import pytest

from classifiers import DATA_DIR, BaselineClassifier, LexiconError
from classifiers.lexicon import FAMILIES, KINDS, Lexicon

LANGS = ("en", "zh", "zh-Hant", "vi", "th", "id", "ms", "fr", "es", "pt", "de", "ja")
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def clf() -> BaselineClassifier:
    return BaselineClassifier.default()


@pytest.fixture(scope="module")
def lexicon(clf: BaselineClassifier) -> Lexicon:
    return clf.lexicon


# (listing text, species name, appendix): offers written with trade names, one or more
# per project language, each of which must be flagged and name the right species.
TRADE_NAMES = [
    ("出售鹤顶红手串 微信", "Helmeted hornbill", "I"),
    ("鶴頂紅吊墜 保真 私訊", "Helmeted hornbill", "I"),
    ("Jual enggang gading", "Helmeted hornbill", "I"),
    ("玳瑁手镯 出售", "Hawksbill turtle", "I"),
    ("Schildpattkamm zu verkaufen", "Hawksbill turtle", "I"),
    ("Tortuga carey disecada, se vende", "Hawksbill turtle", "I"),
    ("Bán sừng tê giác, liên hệ zalo", "Rhinoceros", "I"),
    ("犀角杯 出售", "Rhinoceros", "I"),
    ("ขายงาช้างแท้ ทักไลน์", "Elephant", "I"),
    ("Jual sisik trenggiling, hubungi WA", "Pangolin", "I"),
    ("出售穿山甲片 现货", "Pangolin", "I"),
    ("虎骨酒 出售", "Tiger", "I"),
    ("熊胆粉 出售 微信", "Bears", "I/II"),
    ("沉香手串 出售", "Agarwood", "II"),
    ("Jual gaharu super, hubungi WA", "Agarwood", "II"),
    ("Bán vòng trầm hương tự nhiên", "Agarwood", "II"),
    ("红木原木 出售", "Rosewoods", "II"),
    ("Bán gỗ trắc xẻ", "Siamese rosewood", "II"),
    ("Palisanderholz zu verkaufen", "Rosewoods", "II"),
    ("Angulas vivas, se venden", "European eel", "II"),
    ("Civelles à vendre", "European eel", "II"),
    ("金钱鳘花胶 出售", "Totoaba", "I"),
    ("Jual kukang jinak", "Slow loris", "I"),
    ("雪豹皮 出售", "Snow leopard", "I"),
    ("ヨウム 販売", "African grey parrot", "I"),
    ("ขายมังกรโคโมโด", "Komodo dragon", "I"),
    ("Vendo jabuti-estrela filhote", "Star tortoise (Indian, Burmese)", "I"),
    ("Jual ikan arwana super red", "Asian arowana", "I"),
    ("红龙鱼 出售", "Asian arowana", "I"),
    ("Ikan kelisa untuk dijual", "Asian arowana", "I"),
    ("bán cá rồng huyết long", "Asian arowana", "I"),
    ("ขายปลาอะโรวาน่าแดง", "Asian arowana", "I"),
    ("Green tree python for sale", "Green tree python", "II"),
    ("Pig-nosed turtle hatchlings for sale", "Pig-nosed turtle", "II"),
    ("Shingleback lizard for sale, DM", "Shingleback lizard", "III"),
]


@pytest.mark.parametrize(("text", "species", "appendix"), TRADE_NAMES, ids=lambda v: str(v)[:20])
def test_trade_names_name_the_species_with_its_appendix(
    clf: BaselineClassifier, text: str, species: str, appendix: str
) -> None:
    result = clf.classify(text)
    assert result.flagged, result
    assert any(s.name == species and s.cites_appendix == appendix for s in result.species), [
        (s.name, s.cites_appendix) for s in result.species
    ]


@pytest.mark.parametrize("lang", LANGS)
def test_every_language_has_species_products_code_words_and_lookalikes(
    lexicon: Lexicon, lang: str
) -> None:
    counts = Counter(t.kind for t in lexicon.terms if t.lang == lang)
    assert counts["species"] >= 60, counts
    assert counts["product"] >= 80, counts
    assert counts["code_word"] >= 5, counts
    assert counts["lookalike"] >= 30, counts


# -- CITES checklist common names ---------------------------------------------------


def test_checklist_common_names_name_the_taxon(clf: BaselineClassifier) -> None:
    result = clf.classify("Black-bellied pangolin scales for sale")
    assert result.flagged
    assert ("Manis tetradactyla", "I") in {(s.name, s.cites_appendix) for s in result.species}
    axolotl = clf.classify("Axolotl for sale")
    assert [s.scientific_name for s in axolotl.species] == ["Ambystoma mexicanum"]


def test_common_names_are_weaker_than_curated_names_and_never_replace_them(
    lexicon: Lexicon,
) -> None:
    common = [t for t in lexicon.terms if t.kind == "species" and t.concept.startswith("cites:")]
    common = [t for t in common if t.lang != "la"]
    assert len(common) > 5000
    curated_only = {
        t.term.casefold()
        for t in lexicon.terms
        if t.kind == "species" and not t.concept.startswith("cites:")
    }
    # Base weights sit below curated names; a name is raised only to match the curated
    # name it contains ("Indian pangolin" is as strong as "pangolin"), never above it.
    base = [t for t in common if t.weight <= 0.55]
    assert len(base) / len(common) > 0.9

    def words_of(text: str) -> tuple[str, ...]:
        decomposed = unicodedata.normalize("NFKD", text.casefold())
        plain = "".join(c for c in decomposed if not unicodedata.combining(c))
        return tuple(re.findall(r"[^\W\d_]+", plain))

    named: dict[tuple[str, ...], float] = {}
    for t in lexicon.terms:
        if t.kind == "species" and not t.concept.startswith("cites:"):
            key = words_of(t.term)
            named[key] = max(named.get(key, 0.0), t.weight)
    for term in common:
        if term.weight > 0.55:
            words = words_of(term.term)
            inner = [
                named.get(words[i:j], 0.0)
                for i in range(len(words))
                for j in range(i + 1, len(words) + 1)
            ]
            assert max(inner) >= term.weight, term
    assert not {t.term.casefold() for t in common} & curated_only
    # A common name of a curated taxon names the curated entry ("Perroquet gris").
    grey = [t for t in lexicon.terms if t.term == "Perroquet gris"]
    assert grey and all(t.concept == "african_grey" for t in grey)


ORDINARY_WORDS = ["jaguar", "puma", "python", "cobra", "lynx", "bat", "mole", "crane", "wolf"]
ORDINARY_WORDS += ["mustang", "tiger", "lion", "eagle", "kestrel", "osprey", "orca", "beluga"]


def test_no_single_everyday_word_is_loaded_as_a_checklist_name(lexicon: Lexicon) -> None:
    common = {
        t.term.casefold()
        for t in lexicon.terms
        if t.kind == "species" and t.concept.startswith("cites:") and t.lang != "la"
    }
    assert not common & set(ORDINARY_WORDS)


@pytest.mark.parametrize(
    "title",
    [
        "Jaguar car for sale, XF 2015, low mileage",
        "Python book for beginners",
        "Puma shoes size 42",
        "Cobra golf club driver",
        "Baseball bat, aluminium",
        "Mole removal cream",
        "Crane hire, 50 tonne mobile crane",
        "Lynx deodorant pack of 6",
        "Mustang GT 2018 for sale",
        "Bobcat skid steer loader",
        "Beluga vodka 1L",
        "Osprey backpack 40L",
        "Rhino tools 18v drill",
        "Onitsuka Tiger Mexico 66 sneakers",
        "Mountain Lion OS X install disc",
        "Golden Eagle beer crate",
    ],
)
def test_everyday_names_do_not_name_species(clf: BaselineClassifier, title: str) -> None:
    result = clf.classify(title, price=50)
    assert not result.flagged
    assert result.species == [], result.species
    assert all(r.kind != "species" for r in result.reasons)


# -- code words ------------------------------------------------------------------------

CODED_OFFERS = [
    ("White plastic bangle, DM", "Elephant"),
    ("白塑膠手鐲 懂的私訊", "Elephant"),
    ("Plastik putih gelang, yang ngerti aja, WA", "Elephant"),
    ("plastique blanc bracelet, envoi discret", "Elephant"),
    ("犀料 出售", "Rhinoceros"),
    ("Big cat bones for sale", "Tiger"),
]


@pytest.mark.parametrize(("text", "species"), CODED_OFFERS)
def test_documented_code_words_flag_and_imply_the_species(
    clf: BaselineClassifier, text: str, species: str
) -> None:
    result = clf.classify(text)
    assert result.flagged, result
    assert any(r.kind == "code_word" for r in result.reasons)
    assert species in [s.name for s in result.species]


@pytest.mark.parametrize(
    "text",
    ["black", "jelly bangle", "antique", "pre-ban", "red material", "黑料", "大猫", "sừng đen"],
)
def test_an_ambiguous_code_word_alone_does_not_flag(clf: BaselineClassifier, text: str) -> None:
    alone = clf.classify(text)
    assert not alone.flagged and alone.risk < 0.2, alone
    with_price = clf.classify(text, price=100)
    assert not with_price.flagged


def test_code_words_cover_ivory_horn_casque_tiger_and_pangolin(lexicon: Lexicon) -> None:
    concepts = Counter(t.concept for t in lexicon.terms if t.kind == "code_word")
    for concept in ("ivory_code", "horn_code", "casque_code", "tiger_code", "pangolin_code"):
        assert concepts[concept] >= 2, concepts
    assert sum(concepts.values()) >= 200


# -- look-alikes -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "全新玳瑁色板材墨镜 包邮",
        "玳瑁紋膠框墨鏡 便宜賣",
        "Vends lunettes de soleil écaille (acétate)",
        "Sàn gỗ công nghiệp vân gỗ trắc mới 100%",
        "ขายพื้นลามิเนตสีไม้พะยูง ราคาถูก",
        "Rosewood laminate flooring, 20 m2",
        "Gafas de carey, montura acetato",
        "Lacoste crocodile polo shirt",
        "Faux fur coat, leopard print",
        "Tiger Balm red ointment 19g",
    ],
)
def test_colours_patterns_and_brands_are_lookalikes(clf: BaselineClassifier, text: str) -> None:
    result = clf.classify(text, price=30)
    assert not result.flagged, result
    assert result.risk < 0.2, result
    assert any(h.term.kind == "lookalike" for h in clf.hits(text))


# -- product families ------------------------------------------------------------------


def test_every_product_term_has_a_family(lexicon: Lexicon) -> None:
    products = [t for t in lexicon.terms if t.kind == "product"]
    assert products
    assert all(t.family in FAMILIES for t in products), [
        t.term for t in products if t.family not in FAMILIES
    ][:10]
    assert all(t.family is None for t in lexicon.terms if t.kind != "product")


CORE_FAMILIES = ("ivory", "horn", "scales", "bone", "skin", "fin", "shell", "casque", "bile")
CORE_FAMILIES += ("musk", "teeth_claws", "live", "eggs", "taxidermy", "timber", "meat")


@pytest.mark.parametrize("lang", LANGS)
def test_every_language_covers_the_core_product_families(lexicon: Lexicon, lang: str) -> None:
    families = Counter(t.family for t in lexicon.terms if t.kind == "product" and t.lang == lang)
    missing = [f for f in CORE_FAMILIES if families[f] == 0]
    assert not missing, missing


def test_product_family_is_reported_on_hits(clf: BaselineClassifier) -> None:
    hits = clf.hits("Pangolin scales and tiger claws for sale")
    families = {h.term.family for h in hits if h.term.kind == "product"}
    assert {"scales", "teeth_claws"} <= families


# -- the data files --------------------------------------------------------------------


def test_terms_file_is_valid_and_unique() -> None:
    rows = [
        json.loads(line)
        for line in (DATA_DIR / "terms.jsonl").read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    keys = Counter((r["term"], r["lang"], r["kind"]) for r in rows)
    assert [k for k, n in keys.items() if n > 1] == []
    assert {r["lang"] for r in rows} == set(LANGS)
    assert {r["kind"] for r in rows} <= set(KINDS)
    # Languages written without diacritics match exactly (English "ban" is not "bán").
    loose = [
        r["term"] for r in rows if r["lang"] in ("en", "id", "ms") and r.get("accents") != "exact"
    ]
    assert loose == []


def test_listing_updates_win_over_the_2017_checklist(lexicon: Lexicon) -> None:
    species = lexicon.species
    assert species["cites:Malacochersus tornieri"].cites_appendix == "I"  # CoP18
    assert species["cites:Aonyx cinerea"].cites_appendix == "I"  # CoP18
    assert species["cites:Hoplodactylus duvaucelii"].cites_appendix == "II"  # CoP19
    assert species["cites:Carcharhinidae"].cites_appendix == "II"  # CoP19, not in 2017
    assert species["cites:Centrolenidae"].cites_appendix == "II"  # CoP19 glass frogs
    assert species["star_tortoise"].cites_appendix == "I"
    assert species["pangolin"].cites_appendix == "I"


def test_checklist_names_file_has_its_columns() -> None:
    lines = (DATA_DIR / "cites_names.tsv").read_text(encoding="utf-8").splitlines()
    body = [line for line in lines if line and not line.startswith("#")]
    assert len(body) > 14000
    assert all(line.count("\t") == 7 for line in body)
    assert any(line.startswith("Eretmochelys imbricata\tI\tAnimalia\tReptilia\t") for line in body)
    assert (DATA_DIR / "cites_names.tsv").stat().st_size < 3_000_000


def test_emoji_sellers_use_are_folded() -> None:
    emoji = json.loads((DATA_DIR / "fold.json").read_text(encoding="utf-8"))["emoji"]
    for char in "🐘🦏🐯🐅🦈🐢🦜🦎🐍🦧🦅🐊🦷🪶":
        assert char in emoji, char


def test_sources_names_every_data_file() -> None:
    sources = (DATA_DIR / "SOURCES.md").read_text(encoding="utf-8")
    for name in (
        "terms.jsonl",
        "species.json",
        "fold.json",
        "cites_checklist.txt",
        "cites_names.tsv",
        "cites_updates.tsv",
        "common_names.json",
        "build_species.py",
    ):
        assert (DATA_DIR / name).is_file(), name
        assert f"`{name}`" in sources, name


def test_a_broken_common_names_rule_file_is_named(tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(DATA_DIR, data)
    (data / "common_names.json").write_text('{"langs": ["en"]}', encoding="utf-8")
    with pytest.raises(LexiconError, match=r"common_names\.json"):
        Lexicon.load(data)


EXPORT = ROOT.parent / "shared" / "data" / "cites" / "index_of_cites_species_2017-04-21.csv.gz"


@pytest.mark.skipif(not EXPORT.exists(), reason="the shared CITES export is not checked out")
def test_build_species_audit_only_runs() -> None:
    proc = subprocess.run(
        [sys.executable, str(DATA_DIR / "build_species.py"), "--audit-only"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    assert "update CoP19" in proc.stdout
    assert "Psittacus erithacus" in proc.stdout
