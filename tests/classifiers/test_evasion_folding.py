"""Disguised offers fold to the same text as their plain form, with exact offsets.

The evasion set (``classifiers/corpus/evasion.jsonl``) pairs a genuine offer with the
same offer disguised by one technique. The classifier and the encoder read folded
text, so a disguise is undone when both forms fold alike. Code words are a matter of
the lexicon, not of folding, and are left out. Emoji stand for a concept, while the
plain form names it in the seller's own language ("marfil", "gading", "ivoire"), so
emoji pairs are held to the project's actual requirement instead: the same score
within 0.1.

Run as a script to print, per technique, how many pairs fold alike and how many
score alike: ``.venv/bin/python -m tests.classifiers.test_evasion_folding``.
"""

from __future__ import annotations

from collections import Counter

import pytest

from classifiers import BaselineClassifier, NormalizedText
from classifiers.corpus import EvasionPair, load_evasion

FIELDS = (("plain_title", "disguised_title"), ("plain_description", "disguised_description"))
# Techniques whose disguise folding must undo exactly.
FOLDED = (
    "spaced_letters",
    "dotted_letters",
    "homoglyphs",
    "fullwidth",
    "leetspeak",
    "zero_width",
    "traditional_chinese",
)

# (pair id, field): why no general rule folds it to the plain text.
FOLD_EXCEPTIONS = {
    ("ev-de-6aad4ab59f", "disguised_title"): (
        "'T i g e rkralle': single letters followed by a word glued to the last letter "
        "look exactly like 'i v o r y bangle' (spaced word, then the next word); only a "
        "dictionary could tell 'tige rkralle' from 'ivory bangle'"
    ),
    ("ev-de-6aad4ab59f", "disguised_description"): "same as the title",
    ("ev-vi-9e56565c9b", "disguised_description"): (
        "'Vòng ngà v01 châu Phi...': no letter only Vietnamese uses, and outside "
        "Vietnamese text one letter with digits is a model name (A01, S10), so v01 stays"
    ),
}

# Emoji pairs whose scores differ by more than 0.1, and why.
EMOJI_EXCEPTIONS = {
    "ev-en-74dffba8f6": (
        "'🐘 white bangle' folds to 'ivory white bangle', and 'ivory white' is a colour "
        "look-alike in the lexicon; the seller combined the emoji with a code word"
    ),
    "ev-th-c963213fde": (
        "🐦 is any bird (นก); reading it as hornbill (นกเงือก) would flag every bird "
        "listing (here the disguise scores higher than the plain form)"
    ),
    "ev-id-ec8c285837": (
        "Indonesian cannot be told from other Latin-script text by its letters, so 🐯 "
        "folds to English 'tiger', which scores lower than 'taring harimau'"
    ),
    "ev-es-39770db5a8": (
        "'Peine de 🐢' folds to 'peine de tortoiseshell'; the plain 'peine de carey' is a "
        "stronger phrase in the lexicon (0.12 apart)"
    ),
    "ev-ja-2db9e69800": "🐒 is any monkey (猴); the plain names the slow loris (スローロリス)",
    "ev-pt-17534d8ecb": (
        "the disguise scores higher: 🐢 folds to 'tortoiseshell' (hawksbill, Appendix I), "
        "the plain 'casco de tartaruga' names turtles in general"
    ),
}


@pytest.fixture(scope="module")
def clf() -> BaselineClassifier:
    return BaselineClassifier.default()


def _pairs(*techniques: str) -> list[EvasionPair]:
    return [p for p in load_evasion() if p.technique in techniques]


def _squash(text: str) -> str:
    return " ".join(text.split())


def _score_gap(clf: BaselineClassifier, pair: EvasionPair) -> float:
    plain = clf.classify(pair.plain_title, pair.plain_description)
    disguised = clf.classify(pair.disguised_title, pair.disguised_description)
    return max(
        abs(plain.risk - disguised.risk),
        abs(plain.wildlife_product - disguised.wildlife_product),
    )


@pytest.mark.parametrize("pair", _pairs(*FOLDED), ids=lambda p: f"{p.technique}-{p.id}")
def test_disguise_folds_to_the_plain_text(clf: BaselineClassifier, pair: EvasionPair) -> None:
    fold = clf.normalizer
    for plain_field, disguised_field in FIELDS:
        plain = _squash(fold(getattr(pair, plain_field)).text)
        disguised = _squash(fold(getattr(pair, disguised_field)).text)
        if (pair.id, disguised_field) in FOLD_EXCEPTIONS:
            assert disguised != plain, "fixed: remove it from FOLD_EXCEPTIONS"
            continue
        assert disguised == plain, getattr(pair, disguised_field)


@pytest.mark.parametrize("pair", _pairs("emoji"), ids=lambda p: p.id)
def test_emoji_disguise_scores_like_the_plain_form(
    clf: BaselineClassifier, pair: EvasionPair
) -> None:
    gap = _score_gap(clf, pair)
    if pair.id in EMOJI_EXCEPTIONS:
        assert gap > 0.1, "fixed: remove it from EMOJI_EXCEPTIONS"
    else:
        assert gap <= 0.1, pair.disguised_title


def test_exceptions_are_few() -> None:
    folded = len(_pairs(*FOLDED)) * len(FIELDS)
    assert len(FOLD_EXCEPTIONS) <= folded // 50
    assert len(EMOJI_EXCEPTIONS) <= len(_pairs("emoji")) // 4


def _check_offsets(nt: NormalizedText) -> None:
    assert len(nt.text) == len(nt.plain) == len(nt.starts) == len(nt.ends)
    previous = 0
    for start, end in zip(nt.starts, nt.ends, strict=True):
        assert 0 <= start < end <= len(nt.original)
        assert start >= previous
        previous = start


@pytest.mark.parametrize("pair", _pairs(*FOLDED, "emoji"), ids=lambda p: f"{p.technique}-{p.id}")
def test_hits_map_back_to_what_the_seller_wrote(clf: BaselineClassifier, pair: EvasionPair) -> None:
    for _, field in FIELDS:
        original = getattr(pair, field)
        nt = clf.normalizer(original)
        _check_offsets(nt)
        for hit in clf.matcher.match(nt):
            behind = nt.original_slice(hit.norm_start, hit.norm_end)
            assert behind == original[hit.start : hit.end] == hit.text
            # Exact spans: no padding or separator around the disguised characters,
            # and every letter inside is one the folded hit came from.
            assert behind == behind.strip(" .-_·") and behind
            covered = set()
            for i in range(hit.norm_start, hit.norm_end):
                covered.update(range(nt.starts[i], nt.ends[i]))
            assert all(k in covered for k in range(hit.start, hit.end) if original[k].isalnum()), (
                behind
            )


@pytest.mark.parametrize(
    ("original", "folded", "behind"),
    [
        ("Sừng t ê  g i á c nguyên chiếc", "tê giác", "t ê  g i á c"),
        ("Bán vòng n g à  v o i thật", "ngà voi", "n g à  v o i"),
        ("Filhote de a r a r a - a z u l, manso", "arara-azul", "a r a r a - a z u l"),
        ("กำไลง า ช้ า งเก่า", "งาช้าง", "ง า ช้ า ง"),
        ("เขี้ยวเ สื อเลี่ยมทอง", "เสือ", "เ สื อ"),
        ("เกล็ดตั-ว-นิ่-ม 1 กิโล", "ตัวนิ่ม", "ตั-ว-นิ่-ม"),
        ("Nanh h.ổ thật", "hổ", "h.ổ"),
        ("Sừng 7ê g1ác", "tê giác", "7ê g1ác"),
        ("魚翅 乾貨 一斤", "干货", "乾貨"),
        ("出幾隻懶猴", "几只", "幾隻"),
        ("正宗🐻膽粉", "熊胆粉", "🐻膽粉"),
        ("双髻鲨🦈翅", "鲨鱼翅", "鲨🦈翅"),
        ("古い🐘のバングル", "象牙", "🐘"),
        ("เขี้ยว🐯แท้", "เขี้ยวเสือ", "เขี้ยว🐯"),
        ("Đũa 🐘 xịn", "ngà voi", "🐘"),
        ("Carved 🦏 cup", "rhino horn", "🦏"),
    ],
)
def test_folded_words_map_back_exactly(
    clf: BaselineClassifier, original: str, folded: str, behind: str
) -> None:
    nt = clf.normalizer(original)
    _check_offsets(nt)
    at = nt.text.find(folded)
    assert at >= 0, nt.text
    assert nt.original_slice(at, at + len(folded)) == behind


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        # Prices, quantities, phone numbers and model names keep their digits.
        ("Giá 2tr5 bao ship", "giá 2tr5 bao ship"),
        ("Nặng 1kg2, giá 500k", "nặng 1kg2, giá 500k"),
        ("Giá 1.250.000đ", "giá 1.250.000d"),
        ("Only $12.50 today", "only $12.50 today"),
        ("Harga Rp 2jt nego", "harga rp 2jt nego"),
        ("iPhone 13 Pro Max", "iphone 13 pro max"),
        ("iphone13 case, rtx3070 card", "iphone13 case, rtx3070 card"),
        ("Firmware v2.0 update", "firmware v2.0 update"),
        ("Bán ốp lưng Samsung s10, giấy a4, chip i7", "bán ốp lưng samsung s10, giấy a4, chip i7"),
        ("Liên hệ zalo 0912 345 678", "liên hệ zalo 0912 345 678"),
        ("WeChat xy8866", "wechat xy8866"),
        # Ordinary Thai and Vietnamese spacing stays.
        ("ขายของ ราคาถูก ส่งฟรี", "ขายของ ราคาถูก ส่งฟรี"),
        ("ของดี ๆ ราคา ถูก", "ของดี ๆ ราคา ถูก"),
        ("ราคา ก็ ถูก มาก", "ราคา ก็ ถูก มาก"),
        ("ส่งฟรี จ.เชียงใหม่ พ.ศ. 2566", "ส่งฟรี จ.เชียงใหม่ พ.ศ. 2566"),
        ("Bán áo thun giá rẻ", "bán áo thun giá rẻ"),
        ("Đồ chơi ô tô cho bé", "dồ chơi ô tô cho bé"),
        # Abbreviations and short letter pairs stay.
        ("Made in U.S.A.", "made in u.s.a."),
        ("Gifts, e.g. mugs, i.e. cups", "gifts, e.g. mugs, i.e. cups"),
        ("A/B test, x-y axis", "a/b test, x-y axis"),
        ("Open 9 a.m. to 5 p.m.", "open 9 a.m. to 5 p.m."),
        # Ordinary Chinese stays simplified; traditional text meets it.
        ("包邮 价格私聊", "包邮价格私聊"),
        ("包郵 價格私聊", "包邮价格私聊"),
    ],
)
def test_ordinary_text_is_not_altered(clf: BaselineClassifier, text: str, folded: str) -> None:
    nt = clf.normalizer(text)
    assert nt.text == folded
    _check_offsets(nt)


def test_emoji_in_ordinary_listings_keeps_the_other_words(clf: BaselineClassifier) -> None:
    for text, words in [
        ("🐘 plush toy", ["plush", "toy"]),
        ("Cute 🐢 aquarium decor", ["cute", "aquarium", "decor"]),
        ("🐘 bangle", ["ivory", "bangle"]),  # an emoji next to a product means the product
        ("🦏 cup", ["rhino", "horn", "cup"]),
    ]:
        assert all(w in clf.normalizer(text).text.split() for w in words), text
    assert not clf.classify("🐘 plush toy for kids").flagged


def test_traditional_table_is_broad_and_one_to_one(clf: BaselineClassifier) -> None:
    table = clf.normalizer.tables.traditional_to_simplified
    assert len(table) > 3000
    assert all(len(k) == len(v) == 1 for k, v in table.items())
    assert not any(v in table for v in table.values())  # folding twice changes nothing


def main() -> None:
    """Print, per technique, pairs that fold alike and pairs that score alike."""
    clf = BaselineClassifier.default()
    fold = clf.normalizer
    equal: Counter[str] = Counter()
    close: Counter[str] = Counter()
    total: Counter[str] = Counter()
    for pair in load_evasion():
        total[pair.technique] += 1
        equal[pair.technique] += all(
            _squash(fold(getattr(pair, a)).text) == _squash(fold(getattr(pair, b)).text)
            for a, b in FIELDS
        )
        close[pair.technique] += _score_gap(clf, pair) <= 0.1
    print(f"{'technique':22} {'fold alike':>11} {'score alike':>12}")
    for technique, n in total.items():
        print(f"{technique:22} {equal[technique]:>6}/{n:<4} {close[technique]:>7}/{n:<4}")


if __name__ == "__main__":
    main()
