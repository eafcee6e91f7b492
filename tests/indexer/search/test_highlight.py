"""Highlighted snippets: the original text, escaped, with the query's words in <mark>."""

from __future__ import annotations

import html
import re

import pytest

from indexer.search.highlight import Highlighter


def _plain(fragment: str) -> str:
    return html.unescape(re.sub(r"</?mark>", "", fragment))


@pytest.mark.parametrize(
    ("query", "text", "expected"),
    [
        ("ivory", "Genuine IVORY bangle", "Genuine <mark>IVORY</mark> bangle"),
        # Whole words only, as the index matches them.
        ("ivory", "ivoryware and ivory", "ivoryware and <mark>ivory</mark>"),
        ("nga voi", "Vòng ngà voi", "Vòng <mark>ngà</mark> <mark>voi</mark>"),
        ("ngà voi", "Vong nga voi", "Vong <mark>nga</mark> <mark>voi</mark>"),
        ("dan", "Bán đàn cổ", "Bán <mark>đàn</mark> cổ"),
        ("象牙", "出售象牙手镯，象牙", "出售<mark>象牙</mark>手镯，<mark>象牙</mark>"),
        ("象牙手镯 象牙", "出售象牙手镯", "出售<mark>象牙手镯</mark>"),
        ("虎", "老虎牙齿", "老<mark>虎</mark>牙齿"),
        ("งาช้าง", "ขายกำไลงาช้างแท้", "ขายกำไล<mark>งาช้าง</mark>แท้"),
        ("défense", "DEFENSE d'éléphant", "<mark>DEFENSE</mark> d&#x27;éléphant"),
    ],
)
def test_words_are_marked_in_the_original_text(query: str, text: str, expected: str) -> None:
    assert Highlighter(query).fragments(text, fragment_chars=None) == [expected]


def test_markup_in_listing_text_is_escaped() -> None:
    text = "<script>alert('ivory')</script> ivory & <b>bone</b>"
    [fragment] = Highlighter("ivory").fragments(text, fragment_chars=None)
    assert re.sub(r"</?mark>", "", fragment).count("<") == 0
    assert fragment.count("<mark>") == 2
    assert _plain(fragment) == text


def test_query_syntax_marks_only_words() -> None:
    [fragment] = Highlighter('"ivory* OR').fragments("ivory or horn", fragment_chars=None)
    assert fragment == "<mark>ivory</mark> <mark>or</mark> horn"


def test_nothing_matched_gives_no_fragment() -> None:
    assert Highlighter("rhino").fragments("ivory bangle") == []
    assert Highlighter("!!!").fragments("ivory bangle") == []
    assert not Highlighter("  ")


def test_long_text_gives_short_fragments_around_matches() -> None:
    filler = "lorem ipsum dolor sit amet " * 20
    text = f"{filler}first ivory here {filler}second ivory there {filler}"
    fragments = Highlighter("ivory").fragments(text, fragment_chars=80, max_fragments=3)
    assert len(fragments) == 2
    assert all(len(_plain(f)) <= 80 + 20 for f in fragments)
    assert "first <mark>ivory</mark> here" in fragments[0]
    assert "second <mark>ivory</mark> there" in fragments[1]
    assert all(_plain(f) in text for f in fragments)


def test_fragment_count_is_capped() -> None:
    text = " ".join((["ivory"] + ["x" * 10] * 30) * 5)
    assert len(Highlighter("ivory").fragments(text, fragment_chars=40, max_fragments=2)) == 2
