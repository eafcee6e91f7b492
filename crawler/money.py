"""Written prices to ``(amount, ISO 4217 currency)``: "1.250.000 ₫", "¥12,800", "2tr5".

`price_parser` gives the first cut; this module adds what it lacks: currency symbols and
words mapped to ISO codes (with ambiguous ones such as ``$``, ``¥`` or ``kr`` settled by
the page's language, region or domain), grouping and decimal separators read the way
each locale writes them, and spoken multipliers ("2tr5", "1,2 triệu", "2.8万", "3 juta").

Everything here reads hostile page text: inputs are capped and nothing is evaluated.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from urllib.parse import urlsplit

from price_parser import Price

__all__ = [
    "ISO_4217",
    "Money",
    "currency_code",
    "currency_hint",
    "parse_amount",
    "parse_money",
]

MAX_TEXT_CHARS = 500
#: Amounts above this are not prices (a phone number read as one, or garbage).
MAX_AMOUNT = Decimal("1e15")

#: Active ISO 4217 codes a price can be in (funds, metals and test codes left out).
ISO_4217 = frozenset(
    """
    AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD
    BTN BWP BYN BZD CAD CDF CHF CLP CNY COP CRC CUC CUP CVE CZK DJF DKK DOP DZD EGP ERN
    ETB EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HRK HTG HUF IDR ILS INR IQD
    IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD
    MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB
    PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SLL SOS
    SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD UYU UZS VED
    VES VND VUV WST XAF XCD XCG XOF XPF YER ZAR ZMW ZWG ZWL
    """.split()  # noqa: SIM905 (a table of codes reads better as a block)
)
#: Currencies with three decimal places: "1.250" in these is one and a quarter.
_THREE_DECIMALS = frozenset({"BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"})

_DOLLARS = ("USD", "MXN", "COP", "ARS", "CLP", "CAD", "AUD", "NZD", "SGD", "HKD", "TWD")
_DOLLARS += ("UYU", "DOP", "BSD", "JMD", "TTD", "BBD", "FJD", "NAD", "LRD", "BND", "XCD")
_PESOS = ("MXN", "COP", "ARS", "CLP", "UYU", "DOP", "CUP", "PHP")

# Symbol or word -> the currencies it can mean, the usual one first. Keys are matched
# case-insensitively, except those in _EXACT (short letter tokens that are also words).
_TOKENS: dict[str, tuple[str, ...]] = {
    "$": _DOLLARS,
    "dollar": _DOLLARS,
    "dollars": _DOLLARS,
    "dólar": _DOLLARS,
    "dólares": _DOLLARS,
    "đô": ("USD",),
    "us$": ("USD",),
    "u$s": ("USD",),
    "usd$": ("USD",),
    "mx$": ("MXN",),
    "mex$": ("MXN",),
    "col$": ("COP",),
    "cop$": ("COP",),
    "ar$": ("ARS",),
    "clp$": ("CLP",),
    "c$": ("CAD",),
    "ca$": ("CAD",),
    "cad$": ("CAD",),
    "a$": ("AUD",),
    "au$": ("AUD",),
    "nz$": ("NZD",),
    "s$": ("SGD",),
    "sg$": ("SGD",),
    "hk$": ("HKD",),
    "nt$": ("TWD",),
    "rd$": ("DOP",),
    "r$": ("BRL",),
    "reais": ("BRL",),
    "€": ("EUR",),
    "euro": ("EUR",),
    "euros": ("EUR",),
    "eur": ("EUR",),
    "£": ("GBP", "EGP", "LBP", "SYP"),
    "pound": ("GBP",),
    "pounds": ("GBP",),
    "quid": ("GBP",),
    "e£": ("EGP",),
    "¥": ("JPY", "CNY"),
    "円": ("JPY",),
    "yen": ("JPY",),
    "元": ("CNY", "TWD", "HKD"),
    "块": ("CNY",),
    "塊": ("CNY", "TWD"),
    "rmb": ("CNY",),
    "人民币": ("CNY",),
    "人民幣": ("CNY",),
    "yuan": ("CNY",),
    "港币": ("HKD",),
    "港幣": ("HKD",),
    "港元": ("HKD",),
    "新台币": ("TWD",),
    "新台幣": ("TWD",),
    "台币": ("TWD",),
    "台幣": ("TWD",),
    "₫": ("VND",),
    "đ": ("VND",),
    "đồng": ("VND",),
    "vnđ": ("VND",),
    "vnd": ("VND",),
    "฿": ("THB",),
    "บาท": ("THB",),
    "baht": ("THB",),
    "rp": ("IDR",),
    "rupiah": ("IDR",),
    "rm": ("MYR",),
    "ringgit": ("MYR",),
    "₦": ("NGN",),
    "naira": ("NGN",),
    "ksh": ("KES",),
    "kshs": ("KES",),
    "ush": ("UGX",),
    "tsh": ("TZS",),
    "fcfa": ("XOF", "XAF"),
    "f cfa": ("XOF", "XAF"),
    "cfa": ("XOF", "XAF"),
    "₱": ("PHP",),
    "pesos": _PESOS,
    "peso": _PESOS,
    "₹": ("INR",),
    "rs": ("INR", "PKR", "LKR", "NPR"),
    "rs.": ("INR", "PKR", "LKR", "NPR"),
    "rupees": ("INR", "PKR", "LKR", "NPR"),
    "₩": ("KRW",),
    "원": ("KRW",),
    "₭": ("LAK",),
    "៛": ("KHR",),
    "৳": ("BDT",),
    "₺": ("TRY",),
    "₽": ("RUB",),
    "руб": ("RUB",),
    "руб.": ("RUB",),
    "₴": ("UAH",),
    "грн": ("UAH",),
    "₪": ("ILS",),
    "₵": ("GHS",),
    "gh₵": ("GHS",),
    "zł": ("PLN",),
    "kč": ("CZK",),
    "kr": ("SEK", "NOK", "DKK", "ISK"),
    "kr.": ("DKK", "SEK", "NOK", "ISK"),
    "chf": ("CHF",),
    "fr.": ("CHF",),
    "lei": ("RON",),
    "ft": ("HUF",),
    "s/": ("PEN",),
    "s/.": ("PEN",),
    "q": ("GTQ",),
    "kz": ("AOA",),
    "mt": ("MZN",),
    "mzn": ("MZN",),
    "tl": ("TRY",),
    "د.إ": ("AED",),
    "ر.س": ("SAR",),
}
# Lower-case codes people type ("500 usd"); other three-letter words only count in capitals,
# since "cup", "all" or "top" next to a number are rarely Cuban pesos or Albanian lek.
_TYPED_CODES = (
    "USD EUR GBP VND CNY JPY THB IDR MYR SGD HKD TWD AUD CAD MXN BRL COP NGN KES INR PHP KRW "
    "CHF XOF XAF ZAR"
)
_TOKENS.update((code.lower(), (code,)) for code in _TYPED_CODES.split())
#: Tokens with no usual meaning: without a hint they give no currency.
_NO_DEFAULT = frozenset({"pesos", "peso", "rupees"})
#: Short letter tokens matched only as written, so "q" or "mt" in text is not a currency.
_EXACT = frozenset({"Q", "MT", "Kz", "TL", "Ft", "Rs", "Rs."})

# Multipliers written after a number ("2tr5", "1,2 triệu", "2.8万", "3 juta", "5 lakh").
_UNITS: dict[str, Decimal] = {
    "k": Decimal(1_000),
    "nghìn": Decimal(1_000),
    "nghin": Decimal(1_000),
    "ngàn": Decimal(1_000),
    "ngan": Decimal(1_000),
    "tr": Decimal(1_000_000),
    "triệu": Decimal(1_000_000),
    "trieu": Decimal(1_000_000),
    "củ": Decimal(1_000_000),
    "tỷ": Decimal(1_000_000_000),
    "tỉ": Decimal(1_000_000_000),
    "千": Decimal(1_000),
    "万": Decimal(10_000),
    "萬": Decimal(10_000),
    "亿": Decimal(100_000_000),
    "億": Decimal(100_000_000),
    "ribu": Decimal(1_000),
    "rb": Decimal(1_000),
    "juta": Decimal(1_000_000),
    "jt": Decimal(1_000_000),
    "พัน": Decimal(1_000),
    "หมื่น": Decimal(10_000),
    "แสน": Decimal(100_000),
    "ล้าน": Decimal(1_000_000),
    "lakh": Decimal(100_000),
    "lakhs": Decimal(100_000),
    "crore": Decimal(10_000_000),
    "crores": Decimal(10_000_000),
    "million": Decimal(1_000_000),
    "millions": Decimal(1_000_000),
    "millón": Decimal(1_000_000),
    "millones": Decimal(1_000_000),
    "milhão": Decimal(1_000_000),
    "milhões": Decimal(1_000_000),
    "mil": Decimal(1_000),
}
#: Multipliers only Vietnamese uses, for đồng: they imply VND when nothing else is written.
_VND_UNITS = frozenset({"nghìn", "nghin", "ngàn", "ngan", "tr", "triệu", "trieu", "củ", "tỷ", "tỉ"})
#: "mil" is a thousand in Spanish and Portuguese but slang for a million in English.
_MIL_LANGUAGES = frozenset({"es", "pt"})

# Country (ISO 3166-1) -> its currency, for hints from a page's region or domain.
_EURO = "AT BE CY DE EE ES FI FR GR HR IE IT LT LU LV MT NL PT SI SK AD MC SM VA ME XK"
_CFA_WEST = "BJ BF CI GW ML NE SN TG"
_CFA_CENTRAL = "CM CF CG GA GQ TD"
_COUNTRY_CURRENCY: dict[str, str] = {
    **dict.fromkeys(_EURO.split(), "EUR"),
    **dict.fromkeys(_CFA_WEST.split(), "XOF"),
    **dict.fromkeys(_CFA_CENTRAL.split(), "XAF"),
    **dict.fromkeys(("US", "EC", "SV", "PA", "TL", "PR", "GU", "ZW"), "USD"),
    "GB": "GBP",
    "UK": "GBP",
    "CH": "CHF",
    "LI": "CHF",
    "SE": "SEK",
    "NO": "NOK",
    "DK": "DKK",
    "IS": "ISK",
    "PL": "PLN",
    "CZ": "CZK",
    "HU": "HUF",
    "RO": "RON",
    "BG": "BGN",
    "RS": "RSD",
    "RU": "RUB",
    "UA": "UAH",
    "TR": "TRY",
    "IL": "ILS",
    "AE": "AED",
    "SA": "SAR",
    "QA": "QAR",
    "KW": "KWD",
    "BH": "BHD",
    "OM": "OMR",
    "JO": "JOD",
    "EG": "EGP",
    "MA": "MAD",
    "DZ": "DZD",
    "TN": "TND",
    "NG": "NGN",
    "GH": "GHS",
    "KE": "KES",
    "UG": "UGX",
    "TZ": "TZS",
    "RW": "RWF",
    "ET": "ETB",
    "ZA": "ZAR",
    "CD": "CDF",
    "AO": "AOA",
    "MZ": "MZN",
    "ZM": "ZMW",
    "MG": "MGA",
    "CN": "CNY",
    "HK": "HKD",
    "MO": "MOP",
    "TW": "TWD",
    "JP": "JPY",
    "KR": "KRW",
    "VN": "VND",
    "TH": "THB",
    "LA": "LAK",
    "KH": "KHR",
    "MM": "MMK",
    "MY": "MYR",
    "SG": "SGD",
    "ID": "IDR",
    "PH": "PHP",
    "IN": "INR",
    "PK": "PKR",
    "BD": "BDT",
    "LK": "LKR",
    "NP": "NPR",
    "AU": "AUD",
    "NZ": "NZD",
    "CA": "CAD",
    "MX": "MXN",
    "CO": "COP",
    "AR": "ARS",
    "CL": "CLP",
    "PE": "PEN",
    "BR": "BRL",
    "VE": "VES",
    "UY": "UYU",
    "PY": "PYG",
    "BO": "BOB",
    "GT": "GTQ",
    "CR": "CRC",
    "DO": "DOP",
    "CU": "CUP",
    "HN": "HNL",
    "NI": "NIO",
}
#: Two-letter top-level domains sold as generic names: they say nothing about a country.
_GENERIC_TLDS = frozenset({"co", "io", "me", "tv", "ai", "ly", "fm", "am", "gg", "to", "ws"})
_GENERIC_TLDS |= frozenset({"cc", "sh", "la", "so", "ac", "bz", "nu", "is", "it"})
# Currencies a language alone points to, used only to choose between a symbol's meanings
# (¥ on a Japanese page is yen, on a Chinese page yuan; kr on a Danish page is DKK).
_LANGUAGE_CURRENCY = {
    "ja": "JPY",
    "zh": "CNY",
    "ko": "KRW",
    "vi": "VND",
    "th": "THB",
    "id": "IDR",
    "ms": "MYR",
    "sv": "SEK",
    "no": "NOK",
    "nb": "NOK",
    "nn": "NOK",
    "da": "DKK",
    "is": "ISK",
    "fil": "PHP",
    "tl": "PHP",
}

_SPACES = re.compile(r"[\s\u00a0\u2000-\u200b\u202f\u205f\u3000]+")
# A number: digits grouped by one repeated separator (with an optional decimal part
# after a different one), or plain digits with an optional decimal part.
_NUMBER = re.compile(
    r"(?<![\d.,])(?:"
    r"(?P<indian>\d{1,2}(?:,\d{2})+,\d{3}(?:\.\d{1,2})?)(?![\d])"
    r"|(?P<grouped>\d{1,3}(?P<sep>[.,' ’])\d{3}(?:(?P=sep)\d{3})*(?:[.,]\d{1,2})?)(?![\d])"
    r"|(?P<plain>\d+(?:[.,]\d+)?)"
    r")"
)


def _token_pattern(tokens: list[str]) -> str:
    """Alternation of `tokens`, longest first; Latin-letter ends get word boundaries."""
    parts = []
    for token in sorted(tokens, key=len, reverse=True):
        escaped = re.escape(token).replace(r"\ ", r"\s?")
        if _is_latin_letter(token[0]):
            escaped = r"(?<![^\W\d_])" + escaped
        if _is_latin_letter(token[-1]):
            escaped += r"(?![^\W\d_])"
        parts.append(escaped)
    return "|".join(parts)


def _is_latin_letter(char: str) -> bool:
    return char.isalpha() and unicodedata.name(char, "").startswith("LATIN")


_LOOSE_TOKENS = [t for t in _TOKENS if t not in {e.lower() for e in _EXACT}]
_CURRENCY_ALT = (
    f"(?i:{_token_pattern(_LOOSE_TOKENS)})|{_token_pattern(sorted(_EXACT))}"
    r"|(?<![A-Za-z])[A-Z]{3}(?![A-Za-z])"
)
_PREFIX = re.compile(rf"(?P<cur>{_CURRENCY_ALT})\s*$")
_SUFFIX = re.compile(rf"^\s*(?P<cur>{_CURRENCY_ALT})")
# A digit tail counts in tenths, hundredths... of the unit ("2tr5", "3万5千"); a smaller
# unit written after the tail only repeats that.
_UNIT = re.compile(
    rf"\s?(?P<unit>(?i:{_token_pattern(list(_UNITS))}))"
    r"(?:(?P<tail>\d{1,3})(?![\d.,])(?:\s?(?i:千|百|nghìn|ngàn|nghin|ngan|ribu|rb|พัน|k\b))?)?"
)
_RANGE_GAP = re.compile(r"^\s*(?:-|–|—|~|to|à|a|đến|至|ถึง|sampai)\s*$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Money:
    """An amount and, when the text or a hint tells it, its ISO 4217 currency."""

    amount: float
    currency: str | None


@dataclass(frozen=True, slots=True)
class _Amount:
    start: int
    end: int
    value: Decimal
    #: The reading of a lone "1.250" as a decimal, for currencies with three decimals.
    decimal_value: Decimal | None
    unit: str | None


def _normalise(text: str) -> str:
    # NFKC folds full-width digits and signs (１２３, ￥) into their plain forms.
    return _SPACES.sub(" ", unicodedata.normalize("NFKC", text[:MAX_TEXT_CHARS])).strip()


def _primary_language(lang: str | None) -> str | None:
    if not lang:
        return None
    return re.split(r"[-_]", lang.strip().lower(), maxsplit=1)[0] or None


def _region(lang: str | None) -> str | None:
    """The region subtag of a language tag ("es-MX" -> "MX", "zh-Hant-TW" -> "TW")."""
    if not lang:
        return None
    for part in re.split(r"[-_]", lang.strip())[1:]:
        if len(part) == 2 and part.isalpha():
            return part.upper()
    return None


def currency_hint(lang: str | None = None, url: str | None = None) -> str | None:
    """The currency a page's region ("es-MX") or country domain (".com.mx") points to."""
    region = _region(lang)
    if region and region in _COUNTRY_CURRENCY:
        return _COUNTRY_CURRENCY[region]
    if url:
        try:
            host = (urlsplit(url).hostname or "").rstrip(".").lower()
        except ValueError:
            return None
        tld = host.rsplit(".", 1)[-1] if "." in host else ""
        if len(tld) == 2 and tld.isalpha() and tld not in _GENERIC_TLDS:
            return _COUNTRY_CURRENCY.get(tld.upper())
        if host.endswith((".com.co", ".net.co", ".org.co")):
            return "COP"
    return None


def _resolve(
    candidates: tuple[str, ...], token: str, lang: str | None, hint: str | None
) -> str | None:
    """One currency out of what a symbol can mean, using the hints in order."""
    if len(candidates) == 1:
        return candidates[0]
    for preferred in (hint, currency_hint(lang), _LANGUAGE_CURRENCY.get(_primary_language(lang))):
        if preferred in candidates:
            return preferred
    return None if token.lower() in _NO_DEFAULT else candidates[0]


def _candidates(token: str) -> tuple[str, ...]:
    """What a matched currency token can mean (a 3-letter token must be an ISO code)."""
    folded = _SPACES.sub(" ", token).lower()
    if folded in _TOKENS:
        return _TOKENS[folded]
    code = token.upper()
    return (code,) if len(code) == 3 and code in ISO_4217 else ()


def currency_code(
    value: str | None, *, lang: str | None = None, hint: str | None = None
) -> str | None:
    """An ISO 4217 code from a code ("usd"), symbol ("₫") or word ("euros"); None if none.

    Ambiguous symbols are settled by `hint` (a currency code), then `lang`.
    """
    if not value:
        return None
    text = _normalise(value)[:40].strip()
    if not text:
        return None
    if len(text) == 3 and text.isascii() and text.isalpha() and text.upper() in ISO_4217:
        return text.upper()
    candidates = _candidates(text)
    return _resolve(candidates, text, lang, hint) if candidates else None


def _checked_hint(hint_currency: str | None) -> str | None:
    if hint_currency is None:
        return None
    code = hint_currency.strip().upper()
    if code not in ISO_4217:
        raise ValueError(f"hint_currency must be an ISO 4217 code, got {hint_currency!r}")
    return code


def _to_decimal(raw: str, grouped: bool) -> tuple[Decimal, Decimal | None] | None:
    """A written number; for a lone "1.250" also its reading as 1.25."""
    digits = raw.replace(" ", "").replace("'", "").replace("’", "")
    seps = [c for c in digits if c in ".,"]
    alternative: Decimal | None = None
    if not seps:
        plain = digits
    elif len(set(seps)) == 2:
        # Both kinds: the last one is the decimal point ("1.234,56", "1,234.56").
        point = seps[-1]
        group = "," if point == "." else "."
        plain = digits.replace(group, "").replace(point, ".")
    elif len(seps) > 1:
        plain = digits.replace(seps[0], "")  # "1.250.000": grouping only
    else:
        whole, _, fraction = digits.partition(seps[0])
        if grouped and len(fraction) == 3 and whole != "0":
            plain = whole + fraction  # "12.800", "1,250": grouping
            alternative = Decimal(f"{whole}.{fraction}")
        else:
            plain = f"{whole}.{fraction}"
    if len(plain.replace(".", "")) > 18:
        return None
    try:
        return Decimal(plain), alternative
    except InvalidOperation:
        return None


def _amounts(text: str, lang: str | None) -> list[_Amount]:
    """Every number in `text` with its multiplier ("2tr5", "2.8万"), in order."""
    found: list[_Amount] = []
    language = _primary_language(lang)
    for match in _NUMBER.finditer(text):
        if match.group("indian"):  # "1,50,000": lakh grouping, commas only group
            raw = match.group("indian").replace(",", "")
        else:
            raw = match.group("grouped") or match.group("plain")
        parsed = _to_decimal(raw, grouped=match.group("grouped") is not None)
        if parsed is None:
            continue
        value, alternative = parsed
        end, unit = match.end(), None
        unit_match = _UNIT.match(text, match.end())
        if unit_match:
            name = unit_match.group("unit").lower()
            if name != "mil" or language in _MIL_LANGUAGES:
                unit, factor = name, _UNITS[name]
                value *= factor
                tail = unit_match.group("tail")
                if tail:  # "2tr5" is 2.5 million, "2tr500" too, "3万5" is 35 thousand
                    value += Decimal(tail) * factor / Decimal(10) ** len(tail)
                end, alternative = unit_match.end(), None
        if value <= MAX_AMOUNT:
            found.append(_Amount(match.start(), end, value, alternative, unit))
    return found


def _adjacent_currency(text: str, amount: _Amount) -> tuple[str, tuple[str, ...]] | None:
    """The currency token written right before or after an amount, and its meanings."""
    sides = []
    before = _PREFIX.search(text, 0, amount.start)
    if before:
        sides.append(before.group("cur"))
    after = _SUFFIX.match(text[amount.end :])
    if after:
        sides.append(after.group("cur"))
    options = [(token, _candidates(token)) for token in sides]
    options = [(token, c) for token, c in options if c]
    if not options:
        return None
    # "$500 MXN": the more specific of the two wins, a written ISO code first.
    return min(options, key=lambda option: (len(option[1]), option[0].upper() not in ISO_4217))


def _price_parser_pick(text: str, amounts: list[_Amount]) -> tuple[_Amount | None, str | None]:
    """price_parser's choice of number and its raw currency, as a fallback."""
    try:
        first_cut = Price.fromstring(text)
    except (ValueError, ArithmeticError):
        return None, None
    chosen = None
    if first_cut.amount_text:
        wanted = re.sub(r"[\s'’]", "", first_cut.amount_text)
        for amount in amounts:
            if re.sub(r"[\s'’]", "", text[amount.start : amount.end]).startswith(wanted):
                chosen = amount
                break
    return chosen, first_cut.currency


def parse_amount(value: object) -> float | None:
    """A machine-readable amount (schema.org ``price``, ``data-amount``): a number or a
    string with a point for decimals ("1250.00"); anything else is read as written text."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value) if 0 <= value <= MAX_AMOUNT else None
    if not isinstance(value, str):
        return None
    text = value.strip()[:MAX_TEXT_CHARS]
    if re.fullmatch(r"\d{1,18}(?:\.\d{1,6})?", text):
        return float(Decimal(text))
    money = parse_money(text)
    return money.amount if money else None


def parse_money(
    text: str, *, lang: str | None = None, hint_currency: str | None = None
) -> Money | None:
    """The price written in `text`, or None when it holds no number.

    `lang` is the page's language tag ("vi", "es-MX"); `hint_currency` an ISO 4217 code
    the page or its domain points to. Both only settle what the text leaves open: a
    written "€" wins over a hint of USD. A ValueError says `hint_currency` is no code.
    """
    hint = _checked_hint(hint_currency)
    if not text:
        return None
    normal = _normalise(text)
    amounts = _amounts(normal, lang)
    if not amounts:
        return None

    chosen: _Amount | None = None
    currency: str | None = None
    for index, amount in enumerate(amounts):
        adjacent = _adjacent_currency(normal, amount)
        if adjacent is None:
            continue
        token, options = adjacent
        chosen, currency = amount, _resolve(options, token, lang, hint)
        previous = amounts[index - 1] if index else None
        if (
            previous is not None
            and _RANGE_GAP.match(normal[previous.end : amount.start])
            and _adjacent_currency(normal, previous) is None
        ):
            chosen = previous  # "100 - 200 €": the range starts at 100 €
        break
    if chosen is None:
        with_unit = [a for a in amounts if a.unit]
        if with_unit:
            chosen = with_unit[0]
        else:
            chosen, raw_currency = _price_parser_pick(normal, amounts)
            chosen = chosen or amounts[0]
            if raw_currency:
                currency = currency_code(raw_currency, lang=lang, hint=hint)
    if currency is None:
        if chosen.unit in _VND_UNITS or (chosen.unit == "k" and _primary_language(lang) == "vi"):
            currency = "VND"
        else:
            currency = hint
    value = chosen.value
    if currency in _THREE_DECIMALS and chosen.decimal_value is not None:
        value = chosen.decimal_value
    return Money(float(value), currency)
