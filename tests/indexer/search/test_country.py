"""The country of a listing, from its location in any language, else from its currency."""

from __future__ import annotations

import json

import pytest

from indexer.search.country import COUNTRIES_FILE, DATA_DIR, PLACES_FILE, country_of


@pytest.mark.parametrize(
    ("location", "expected"),
    [
        ("Hà Nội", "VN"),
        ("Ha Noi", "VN"),
        ("TP.HCM", "VN"),
        ("Lagos, Nigeria", "NG"),
        ("香港", "HK"),
        ("中国香港", "HK"),
        ("北京市朝阳区", "CN"),
        ("臺北市", "TW"),
        ("東京都渋谷区", "JP"),
        ("กรุงเทพ", "TH"),
        ("กรุงเทพฯ", "TH"),
        ("Jakarta Selatan", "ID"),
        ("São Paulo - SP", "BR"),
        ("Sao Paulo", "BR"),
        ("Berlin, Deutschland", "DE"),
        ("Bruxelles", "BE"),
        ("Ciudad de México", "MX"),
        ("Nairobi Kenya", "KE"),
        ("ジャカルタ", "ID"),
        ("Thaïlande", "TH"),
        ("Tailandia", "TH"),
        ("Tailândia", "TH"),
        ("泰国", "TH"),
        ("ประเทศไทย", "TH"),
        ("Viêt Nam", "VN"),
        # The longest name wins: a Vietnamese town, not "Mỹ" (the United States)...
        ("Mỹ Tho, Tiền Giang", "VN"),
        ("Lào Cai", "VN"),
        ("North Korea", "KP"),
        # ...and a short name counts only standing alone: Thủ Đức is in Vietnam.
        ("Thủ Đức", "VN"),
        ("Đức", "DE"),
        ("Lào", "LA"),
        # A country named beats a city; the last one written wins.
        ("Paris, Texas, USA", "US"),
        ("somewhere over the rainbow", None),
        ("", None),
    ],
)
def test_country_from_location(location: str, expected: str | None) -> None:
    assert country_of(location) == expected


@pytest.mark.parametrize(
    ("currency", "expected"),
    [("VND", "VN"), ("THB", "TH"), ("IDR", "ID"), ("NGN", "NG"), ("mzn", "MZ"), ("CNY", "CN")],
)
def test_a_one_country_currency_names_the_country(currency: str, expected: str) -> None:
    assert country_of(None, currency) == expected


@pytest.mark.parametrize("currency", ["EUR", "USD", "XOF", "XAF", "CHF", "ZZZ"])
def test_shared_or_unknown_currencies_name_no_country(currency: str) -> None:
    assert country_of(None, currency) is None


def test_the_location_wins_over_the_currency() -> None:
    assert country_of("Bangkok", "VND") == "TH"
    assert country_of("nowhere known", "VND") == "VN"


def test_data_files_name_real_countries_and_their_sources() -> None:
    countries = json.loads((DATA_DIR / COUNTRIES_FILE).read_text(encoding="utf-8"))
    places = json.loads((DATA_DIR / PLACES_FILE).read_text(encoding="utf-8"))
    codes = set(countries["countries"])
    assert len(codes) >= 249
    for table in ("names", "cities"):
        assert set(places[table]) <= codes, table
    assert set(places["currencies"].values()) <= codes
    assert set(countries["currencies"].values()) <= codes
    sources = (DATA_DIR / "SOURCES.md").read_text(encoding="utf-8")
    assert COUNTRIES_FILE in sources and PLACES_FILE in sources
