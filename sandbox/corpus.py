"""Reproducible multilingual corpus of marketplace listings, with ground truth, for the sandbox.

Texts are built from the phrase templates and vocabularies in
``sandbox/data/market_vocabulary.json`` (its ``about`` entry explains the template
syntax) with one seeded `random.Random`: the same seed always gives the same corpus,
and nothing depends on the clock (posted dates count back from the fixed `EPOCH`).

Every listing carries its ground truth: ``category`` is one of

- ``illegal``: a plain offer of a protected wildlife product;
- ``coded``: an offer of the real thing in code words, emoji or disguised spelling;
- ``lookalike``: a legal product that looks like one (resin figurines, "ivory" paint,
  Tiger Balm, mammoth ivory with papers, toys); ``product`` names the family it resembles;
- ``ordinary``: everyday second-hand goods (``product`` is ``"none"``).

Corpora of `REPOST_MIN_SIZE` listings or more also carry planted reposts
(`plant_reposts`, from ``sandbox/data/reposts.json``): one offer posted on Bazaar by
one account and on Mercado by another, reworded, with the same photos and one contact
handle written two ways. `Corpus.reposts` names them (`RepostPair`).
"""

from __future__ import annotations

import json
import math
import random
import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal, get_args

__all__ = [
    "CATEGORIES",
    "DEFAULT_SEED",
    "DEFAULT_SELLERS",
    "DEFAULT_SIZE",
    "EPOCH",
    "NO_PRODUCT",
    "PRODUCTS",
    "REPOSTS_FILE",
    "REPOST_MIN_SIZE",
    "VOCABULARY_FILE",
    "Category",
    "Corpus",
    "RepostPair",
    "SandboxListing",
    "Seller",
    "build_corpus",
    "check_vocabulary",
    "format_price",
    "generate_corpus",
    "load_vocabulary",
    "plant_reposts",
    "search_key",
]

Category = Literal["illegal", "coded", "lookalike", "ordinary"]
CATEGORIES: tuple[Category, ...] = get_args(Category)
PRODUCTS: tuple[str, ...] = (
    "ivory",
    "rhino_horn",
    "pangolin_scales",
    "tiger_parts",
    "live_reptile",
    "live_bird",
    "hornbill_casque",
    "turtle_shell",
    "shark_fin",
    "rosewood",
)
NO_PRODUCT = "none"

DEFAULT_SEED = 20261121
DEFAULT_SIZE = 600
DEFAULT_SELLERS = 60
EPOCH = datetime(2026, 10, 1, tzinfo=UTC)
"""The corpus's "now": every listing is posted in the 120 days before it."""

VOCABULARY_FILE = Path(__file__).resolve().parent / "data" / "market_vocabulary.json"
REPOSTS_FILE = Path(__file__).resolve().parent / "data" / "reposts.json"
#: Corpora this large get the planted reposts; smaller ones (tests of one mechanism)
#: stay purely generated.
REPOST_MIN_SIZE = 100

_MAX_AGE_MINUTES = 120 * 24 * 60
_JOINED_FIRST = date(2015, 1, 1)
_JOINED_LAST = date(2026, 5, 31)
_TITLE_MIN = 20
_TITLE_MAX = 120
_MAX_IMAGES = 5
_TRAFFICKER_SHARE = 0.4
_SLOT = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
# Slots computed per listing rather than drawn from a phrase pool.
_COMPUTED_SLOTS = frozenset({"n", "kg", "cm", "age", "city", "price", "emoji", "ob", "call"})


# --------------------------------------------------------------------------- records


@dataclass(frozen=True)
class Seller:
    """A marketplace account; ``contacts`` are off-platform handles it advertises."""

    seller_id: str
    name: str
    country: str  # ISO 3166-1 alpha-2
    city: str
    language: str  # ISO 639-1
    joined: date
    contacts: tuple[str, ...] = ()


@dataclass(frozen=True)
class SandboxListing:
    """One listing of the sandbox corpus, with its ground truth (`category`, `product`)."""

    listing_id: str
    title: str
    description: str
    price: Decimal
    currency: str  # ISO 4217
    language: str  # ISO 639-1 (traditional and simplified Chinese are both "zh")
    seller_id: str
    category: Category
    product: str  # one of PRODUCTS, or NO_PRODUCT
    location: str
    posted_at: datetime  # UTC
    image_count: int
    has_jsonld: bool
    #: What its photos are drawn from; empty: its own id. Reposts share one.
    photo_key: str = ""

    @property
    def text(self) -> str:
        """Title and description as one text, the way classifiers read a listing."""
        return f"{self.title}\n{self.description}"

    @property
    def photo_seed(self) -> str:
        """The key its photos are drawn from: `photo_key`, else the listing's id."""
        return self.photo_key or self.listing_id


@dataclass(frozen=True)
class RepostPair:
    """Ground truth: one offer posted on Bazaar by one account and on Mercado by another.

    The two listings word the offer differently, show the same photos (each site
    re-encodes them its own way) and give one contact handle written two ways. Both
    sites serve the whole corpus, so each listing is also on the other site; the
    Bazaar post is the one to read on Bazaar, the Mercado post the one on Mercado.
    """

    name: str
    bazaar_listing_id: str
    mercado_listing_id: str
    bazaar_seller_id: str
    mercado_seller_id: str
    #: The contact both accounts give, as ``kind:handle`` ("wechat:tusk_trader88").
    contact: str
    #: How each post writes it ("WeChat: tusk_trader88", "微信 tusk_trader88").
    bazaar_contact: str
    mercado_contact: str

    @property
    def listing_ids(self) -> tuple[str, str]:
        """The Bazaar post's id and the Mercado post's."""
        return (self.bazaar_listing_id, self.mercado_listing_id)


@dataclass(frozen=True)
class Corpus:
    """Listings and their sellers; built by `build_corpus`, or by hand for tests."""

    listings: tuple[SandboxListing, ...]
    sellers: tuple[Seller, ...]
    seed: int | None = None
    #: Planted reposts (ground truth for repost and seller clusters).
    reposts: tuple[RepostPair, ...] = ()
    by_id: Mapping[str, SandboxListing] = field(init=False, repr=False, compare=False)
    sellers_by_id: Mapping[str, Seller] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        listings = tuple(self.listings)
        sellers = tuple(self.sellers)
        by_id = {item.listing_id: item for item in listings}
        sellers_by_id = {seller.seller_id: seller for seller in sellers}
        if len(by_id) != len(listings):
            raise ValueError("listing ids must be unique")
        if len(sellers_by_id) != len(sellers):
            raise ValueError("seller ids must be unique")
        unknown = sorted({item.seller_id for item in listings} - sellers_by_id.keys())
        if unknown:
            raise ValueError(f"listings name unknown sellers: {', '.join(unknown[:5])}")
        reposts = tuple(self.reposts)
        for pair in reposts:
            if not set(pair.listing_ids) <= by_id.keys():
                raise ValueError(f"repost {pair.name!r} names listings not in the corpus")
        object.__setattr__(self, "reposts", reposts)
        object.__setattr__(self, "listings", listings)
        object.__setattr__(self, "sellers", sellers)
        object.__setattr__(self, "by_id", MappingProxyType(by_id))
        object.__setattr__(self, "sellers_by_id", MappingProxyType(sellers_by_id))

    def listings_of(self, seller_id: str) -> tuple[SandboxListing, ...]:
        """The listings of one seller, in corpus order."""
        return tuple(item for item in self.listings if item.seller_id == seller_id)


# --------------------------------------------------------------------------- text helpers


def search_key(text: str) -> str:
    """Text folded for matching: NFKC (full-width letters become ASCII) and case-folded."""
    return unicodedata.normalize("NFKC", text).casefold()


def _tidy(text: str) -> str:
    """One line, single spaces, NFC: the form a crawler reads back from the page."""
    return unicodedata.normalize("NFC", " ".join(text.split()))


def _capitalize(text: str) -> str:
    """First letter upper-cased, unless the word is already mixed-case ("iPhone")."""
    if not text or not text[0].islower() or (len(text) > 1 and text[1].isupper()):
        return text
    return text[0].upper() + text[1:]


def _graphemes(word: str) -> list[str]:
    """The word cut into characters, each keeping its combining marks (Thai, Vietnamese)."""
    out: list[str] = []
    for char in word:
        if out and unicodedata.category(char) in {"Mn", "Mc", "Me"}:
            out[-1] += char
        else:
            out.append(char)
    return out


_LEET = MappingProxyType(str.maketrans({"a": "4", "e": "3", "i": "1", "o": "0", "s": "5"}))


def _disguises(word: str) -> list[str]:
    """Ways sellers hide a word from filters: spaced, dotted, leetspeak, full-width."""
    chars = _graphemes(word)
    forms = [" ".join(chars), ".".join(chars), "_".join(chars)]
    forms.append(word.translate(_LEET))
    forms.append("".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in word))
    unique: list[str] = []
    for form in forms:
        if form != word and form not in unique:
            unique.append(form)
    return unique


# --------------------------------------------------------------------------- prices

# language -> (thousands separator, decimal separator)
_SEPARATORS: Mapping[str, tuple[str, str]] = MappingProxyType(
    {
        "en": (",", "."),
        "zh": (",", "."),
        "th": (",", "."),
        "vi": (".", ","),
        "id": (".", ","),
        "es": (".", ","),
        "pt": (".", ","),
        "fr": ("\u202f", ","),
    }
)
_SYMBOLS: Mapping[str, str] = MappingProxyType(
    {
        "USD": "$",
        "GBP": "£",
        "EUR": "€",
        "CNY": "¥",
        "TWD": "NT$",
        "HKD": "HK$",
        "VND": "₫",
        "THB": "฿",
        "IDR": "Rp",
        "NGN": "₦",
        "KES": "KSh",
        "XOF": "FCFA",
        "XAF": "FCFA",
        "MXN": "$",
        "COP": "$",
        "BRL": "R$",
        "AOA": "Kz",
        "MZN": "MT",
    }
)
_SUFFIX_CURRENCIES = frozenset({"VND", "XOF", "XAF", "AOA", "MZN"})
_SUFFIX_LANGUAGES = frozenset({"fr", "es", "pt", "vi"})  # for EUR and USD
_SPACED_PREFIXES = frozenset({"IDR", "KES", "BRL"})
_CENT_CURRENCIES = frozenset({"USD", "GBP", "EUR", "BRL"})


def format_price(amount: Decimal, currency: str, language: str = "en") -> str:
    """A price as a local classifieds site shows it: "1.250.000 ₫", "¥3,800", "$12.50".

    Cents are shown only when the amount has them. Separators follow `language`; a
    non-breaking space sits between number and symbol where one is used.
    """
    group, point = _SEPARATORS.get(language, (",", "."))
    amount = Decimal(amount)
    whole = amount == amount.to_integral_value()
    number = f"{amount:,.0f}" if whole else f"{amount:,.2f}"
    number = number.replace(",", "\0").replace(".", point).replace("\0", group)
    symbol = _SYMBOLS.get(currency, currency)
    if currency in _SUFFIX_CURRENCIES or (
        currency in {"EUR", "USD"} and language in _SUFFIX_LANGUAGES
    ):
        return f"{number}\u00a0{symbol}"
    if currency in _SPACED_PREFIXES or symbol == currency:
        return f"{symbol}\u00a0{number}"
    return f"{symbol}{number}"


def _nice_price(rng: random.Random, usd: Sequence[float], rate: float, currency: str) -> Decimal:
    """A price drawn log-uniformly from a USD range, converted and rounded as sellers do."""
    low, high = usd
    value = math.exp(rng.uniform(math.log(low), math.log(high))) * rate
    figures = 2 if rng.random() < 0.7 else 3
    step = 10 ** max(0, math.floor(math.log10(value)) + 1 - figures)
    amount = max(step, round(value / step) * step)
    if currency in _CENT_CURRENCIES and amount < 200 and rng.random() < 0.3:
        return Decimal(amount) - Decimal("0.01")
    return Decimal(amount)


# --------------------------------------------------------------------------- vocabulary


def load_vocabulary(path: Path = VOCABULARY_FILE) -> dict[str, Any]:
    """The phrase templates and vocabularies the corpus is built from."""
    with path.open(encoding="utf-8") as handle:
        data: dict[str, Any] = json.load(handle)
    return data


Pools = Mapping[str, Sequence[str]]


def _scopes(
    variant: Mapping[str, Any], category: str, entry: Mapping[str, Any] | None
) -> list[Pools]:
    """Phrase pools visible to one listing, nearest first."""
    scopes: list[Pools] = []
    if entry is not None:
        scopes.append(entry.get("pools", {}))
        if "item" in entry:
            scopes.append({"item": [entry["item"]]})
    scopes.append(variant[category].get("pools", {}))
    scopes.append(variant.get("pools", {}))
    return scopes


def _entries(variant: Mapping[str, Any], category: str) -> list[tuple[str, Mapping[str, Any]]]:
    """(product family, product or item entry) pairs a category can draw from."""
    section = variant[category]
    if category in ("illegal", "coded"):
        return list(section.get("products", {}).items())
    return [(item.get("product", NO_PRODUCT), item) for item in section.get("items", [])]


def check_vocabulary(vocab: Mapping[str, Any]) -> list[str]:
    """Problems in a vocabulary (unknown slots, missing pools, bad ranges); empty when sound."""
    problems: list[str] = []
    countries: Mapping[str, Any] = vocab.get("countries", {})
    fx: Mapping[str, float] = vocab.get("fx_per_usd", {})
    products: Mapping[str, Any] = vocab.get("products", {})
    if sorted(vocab.get("category_shares", {})) != sorted(CATEGORIES):
        problems.append("category_shares must name every category")
    for family in PRODUCTS:
        info = products.get(family)
        if not info or not info.get("emoji") or len(info.get("usd", ())) != 2:
            problems.append(f"products.{family}: needs usd [low, high] and emoji")
    for code, country in countries.items():
        if country.get("currency") not in fx:
            problems.append(f"countries.{code}: currency has no exchange rate")

    def check_templates(
        where: str, templates: Sequence[str], scopes: list[Pools], family: str
    ) -> None:
        for template in templates:
            for name in _SLOT.findall(template):
                base = name[:1].lower() + name[1:]
                if base == "ob":
                    ok = any("word" in scope for scope in scopes)
                elif base == "emoji":
                    ok = family != NO_PRODUCT
                elif base == "call":
                    ok = all(any(p in scope for scope in scopes) for p in ("call", "call_dm"))
                elif base == "contact":
                    ok = True
                else:
                    ok = base in _COMPUTED_SLOTS or any(base in scope for scope in scopes)
                if not ok:
                    problems.append(f"{where}: unknown slot {{{name}}} in {template!r}")

    for key, variant in vocab.get("variants", {}).items():
        if variant.get("weight", 0) <= 0 or variant.get("decimal") not in {".", ","}:
            problems.append(f"{key}: needs a positive weight and a decimal separator")
        for code, cities in variant.get("cities", {}).items():
            if code not in countries or not cities:
                problems.append(f"{key}: country {code} unknown or without cities")
                continue
            for messenger in countries[code]["messengers"]:
                template = variant.get("messengers", {}).get(messenger, "")
                if not template or set(_SLOT.findall(template)) - {"phone", "handle"}:
                    problems.append(f"{key}: messenger {messenger!r} missing or malformed")
        names = variant.get("names", {})
        name_scopes: list[Pools] = [names, {"city": ["x"]}]
        check_templates(f"{key}.names", names.get("frames", []), name_scopes, NO_PRODUCT)
        for category in CATEGORIES:
            section = variant.get(category)
            if section is None:
                problems.append(f"{key}: no {category} section")
                continue
            entries = _entries(variant, category)
            if not entries:
                problems.append(f"{key}.{category}: nothing to offer")
            for family, entry in entries:
                where = f"{key}.{category}.{family}"
                if family != NO_PRODUCT and family not in PRODUCTS:
                    problems.append(f"{where}: unknown product family")
                if category == "ordinary" and family != NO_PRODUCT:
                    problems.append(f"{where}: ordinary goods have no product family")
                if category != "ordinary" and family == NO_PRODUCT:
                    problems.append(f"{where}: needs a product family")
                if category in ("lookalike", "ordinary"):
                    low, high = entry.get("usd", (0, 0))
                    if not 0 < low <= high:
                        problems.append(f"{where}: bad usd range for {entry.get('item')!r}")
                scopes = _scopes(variant, category, entry)
                lead = "term" if category == "coded" else "item"
                for needed in ("title", "open", lead, *section.get("more", [])):
                    if needed != "call" and not any(needed in scope for scope in scopes):
                        problems.append(f"{where}: no phrase pool {needed!r}")
                for scope in scopes:
                    for pool_name, pool in scope.items():
                        check_templates(f"{where}.{pool_name}", pool, scopes, family)
    return problems


# --------------------------------------------------------------------------- generation


class _Filler:
    """Expands ``{slot}`` references for one listing, choosing each slot once."""

    def __init__(self, rng: random.Random, scopes: Sequence[Pools]) -> None:
        self._rng = rng
        self._scopes = scopes
        self._memo: dict[str, str] = {}
        self._depth = 0
        self.computed: dict[str, Callable[[], str]] = {}

    def choose(self, pool_name: str) -> str:
        """A random phrase from the nearest pool called `pool_name`, not yet expanded."""
        for scope in self._scopes:
            if pool_name in scope:
                return self._rng.choice(list(scope[pool_name]))
        raise KeyError(f"no phrase pool named {pool_name!r}")

    def pool(self, pool_name: str) -> list[str]:
        """Every phrase of the nearest pool called `pool_name` (empty when there is none)."""
        for scope in self._scopes:
            if pool_name in scope:
                return list(scope[pool_name])
        return []

    def slot(self, name: str) -> str:
        """The listing's value for one slot, chosen on first use and then kept."""
        if name not in self._memo:
            if name[:1].isupper():
                value = _capitalize(self.slot(name[:1].lower() + name[1:]))
            elif name in self.computed:
                value = self.computed[name]()
            else:
                value = self.expand(self.choose(name))
            self._memo[name] = value
        return self._memo[name]

    def expand(self, template: str) -> str:
        """`template` with every slot filled in."""
        self._depth += 1
        try:
            if self._depth > 8:
                raise ValueError(f"phrase templates nest too deeply at {template!r}")
            return _SLOT.sub(lambda match: self.slot(match.group(1)), template)
        finally:
            self._depth -= 1


@dataclass
class _SellerDraft:
    """A seller while the corpus is built: its variant, role and listing count so far."""

    seller: Seller
    variant: str
    trafficker: bool
    listings: int = 0


def _apportion(total: int, weights: Sequence[float], minimum: int = 0) -> list[int]:
    """`total` split into whole shares proportional to `weights` (largest remainder)."""
    if total < minimum * len(weights):
        minimum = 0
    rest = total - minimum * len(weights)
    weight_sum = float(sum(weights))
    raw = [rest * w / weight_sum for w in weights]
    counts = [math.floor(r) for r in raw]
    order = sorted(range(len(weights)), key=lambda i: (counts[i] - raw[i], i))
    for i in order[: rest - sum(counts)]:
        counts[i] += 1
    return [c + minimum for c in counts]


def _fill_pattern(rng: random.Random, pattern: str) -> str:
    """A phone-number pattern with every ``#`` replaced by a random digit."""
    return "".join(str(rng.randrange(10)) if c == "#" else c for c in pattern)


def _make_sellers(rng: random.Random, vocab: Mapping[str, Any], count: int) -> list[_SellerDraft]:
    """`count` sellers split across the language variants, about 40% of each traffickers."""
    variants: Mapping[str, Any] = vocab["variants"]
    keys = list(variants)
    if count < 2 * len(keys):
        raise ValueError(f"need at least {2 * len(keys)} sellers, two per language variant")
    per_variant = _apportion(count, [variants[k]["weight"] for k in keys], minimum=2)
    drafts: list[_SellerDraft] = []
    taken: set[str] = set()
    for key, n in zip(keys, per_variant, strict=True):
        variant = variants[key]
        traffickers = min(n - 1, max(1, round(n * _TRAFFICKER_SHARE)))
        for i in range(n):
            trafficker = i < traffickers
            country = rng.choice(sorted(variant["cities"]))
            city = rng.choice(variant["cities"][country])
            names = variant["names"]
            name = ""
            for _ in range(8):
                filler = _Filler(rng, [names])
                filler.computed["city"] = lambda city=city: city
                name = _tidy(filler.expand(rng.choice(names["frames"])))
                if name not in taken:
                    break
            taken.add(name)
            joined = _JOINED_FIRST + timedelta(
                days=rng.randrange((_JOINED_LAST - _JOINED_FIRST).days + 1)
            )
            contacts: list[str] = []
            if rng.random() < (0.8 if trafficker else 0.35):
                info = vocab["countries"][country]
                channels = rng.sample(info["messengers"], k=rng.choice((1, 1, 2)))
                for channel in channels:
                    handle = f"{rng.choice(vocab['handles'])}{rng.randrange(10, 10000)}"
                    phone = _fill_pattern(rng, info["phone"])
                    template = variant["messengers"][channel]
                    contacts.append(template.replace("{phone}", phone).replace("{handle}", handle))
            seller = Seller(
                seller_id="",
                name=name,
                country=country,
                city=city,
                language=variant["lang"],
                joined=joined,
                contacts=tuple(contacts),
            )
            drafts.append(_SellerDraft(seller, key, trafficker))
    rng.shuffle(drafts)
    for number, draft in enumerate(drafts, start=1):
        draft.seller = replace(draft.seller, seller_id=f"s{number:03d}")
    return drafts


def _pick_seller(
    rng: random.Random, drafts: Sequence[_SellerDraft], variant: str, category: str
) -> _SellerDraft:
    """Offers come from traffickers, look-alikes from shops; anyone sells ordinary goods."""
    eligible = [
        d
        for d in drafts
        if d.variant == variant
        and (
            category == "ordinary"
            or (d.trafficker if category in ("illegal", "coded") else not d.trafficker)
        )
    ]
    if rng.random() < 0.8:
        fewest = min(d.listings for d in eligible)
        eligible = [d for d in eligible if d.listings == fewest]
    chosen = rng.choice(eligible)
    chosen.listings += 1
    return chosen


def _make_listing(
    rng: random.Random,
    vocab: Mapping[str, Any],
    variant: Mapping[str, Any],
    category: Category,
    listing_id: str,
    draft: _SellerDraft,
) -> SandboxListing:
    """One listing of `category` in one language variant, offered by `draft`'s seller."""
    seller = draft.seller
    entries = _entries(variant, category)
    weights = [entry.get("weight", 1) for _, entry in entries]
    family, entry = rng.choices(entries, weights=weights)[0]
    product_info: Mapping[str, Any] = vocab["products"].get(family, {})
    usd = entry["usd"] if "usd" in entry else product_info["usd"]
    ranges = {**vocab["ranges"], **product_info.get("ranges", {}), **entry.get("ranges", {})}

    country_cities = variant["cities"][seller.country]
    location = seller.city if rng.random() < 0.85 else rng.choice(country_cities)
    currency = vocab["countries"][seller.country]["currency"]
    price = _nice_price(rng, usd, vocab["fx_per_usd"][currency], currency)
    language = variant["lang"]

    filler = _Filler(rng, _scopes(variant, category, entry))

    def number(key: str) -> Callable[[], str]:
        return lambda: str(rng.randint(*ranges[key]))

    def kilograms() -> str:
        value = f"{rng.uniform(*ranges['kg']):.1f}"
        return value.replace(".", variant["decimal"])

    def call() -> str:
        return filler.expand(filler.choose("call" if seller.contacts else "call_dm"))

    filler.computed.update(
        n=number("n"),
        cm=number("cm"),
        age=number("age"),
        kg=kilograms,
        city=lambda: location,
        price=lambda: _tidy(format_price(price, currency, language)),
        emoji=lambda: rng.choice(product_info["emoji"]),
        ob=lambda: rng.choice(_disguises(filler.slot("word"))),
        call=call,
        contact=lambda: rng.choice(seller.contacts),
    )

    title = _tidy(filler.expand(filler.choose("title")))
    tails = filler.pool("tail")
    rng.shuffle(tails)
    for extra in tails:
        if len(title) >= _TITLE_MIN:
            break
        phrase = _tidy(filler.expand(extra))
        if phrase and phrase not in title:
            title = f"{title} {phrase}"
    if len(title) > _TITLE_MAX:
        title = title[: _TITLE_MAX - 1].rsplit(" ", 1)[0] + "…"

    more: list[str] = list(variant[category]["more"])
    picked = sorted(rng.sample(range(len(more)), k=rng.randint(0, min(4, len(more)))))
    sentences = [filler.expand(filler.choose("open"))]
    sentences += [filler.slot(more[i]) for i in picked]
    description = _tidy(variant.get("joiner", " ").join(sentences))

    posted_at = EPOCH - timedelta(minutes=rng.randint(1, _MAX_AGE_MINUTES))
    image_count = rng.choices(range(_MAX_IMAGES + 1), weights=(1, 5, 6, 5, 3, 2))[0]
    return SandboxListing(
        listing_id=listing_id,
        title=title,
        description=description,
        price=price,
        currency=currency,
        language=language,
        seller_id=seller.seller_id,
        category=category,
        product=family,
        location=location,
        posted_at=posted_at,
        image_count=image_count,
        has_jsonld=rng.random() < 0.5,
    )


def build_corpus(
    seed: int = DEFAULT_SEED,
    size: int = DEFAULT_SIZE,
    *,
    sellers: int = DEFAULT_SELLERS,
    vocabulary: Mapping[str, Any] | None = None,
) -> Corpus:
    """A corpus of `size` listings from `sellers` sellers; the same arguments, the same corpus.

    Categories are split 25/15/25/35 (illegal/coded/lookalike/ordinary) and each
    category across the language variants by their weights, every variant getting
    at least one listing of each category when `size` allows. From `REPOST_MIN_SIZE`
    listings on, the reposts of ``reposts.json`` are planted (`plant_reposts`).
    """
    if size < 1:
        raise ValueError("size must be at least 1")
    vocab = vocabulary if vocabulary is not None else load_vocabulary()
    rng = random.Random(seed)
    variants: Mapping[str, Any] = vocab["variants"]
    keys = list(variants)
    weights = [variants[k]["weight"] for k in keys]
    drafts = _make_sellers(rng, vocab, sellers)

    shares = vocab["category_shares"]
    slots: list[tuple[str, Category]] = []
    per_category = _apportion(size, [shares[c] for c in CATEGORIES])
    for category, count in zip(CATEGORIES, per_category, strict=True):
        for key, n in zip(keys, _apportion(count, weights, minimum=1), strict=True):
            slots += [(key, category)] * n
    rng.shuffle(slots)

    listings = []
    for number, (key, category) in enumerate(slots, start=1):
        draft = _pick_seller(rng, drafts, key, category)
        listings.append(_make_listing(rng, vocab, variants[key], category, f"m{number:06d}", draft))
    ordered = sorted(drafts, key=lambda d: d.seller.seller_id)
    corpus = Corpus(listings=tuple(listings), sellers=tuple(d.seller for d in ordered), seed=seed)
    return plant_reposts(corpus) if size >= REPOST_MIN_SIZE else corpus


def generate_corpus(seed: int = DEFAULT_SEED, size: int = DEFAULT_SIZE) -> list[SandboxListing]:
    """The listings of `build_corpus(seed, size)`."""
    return list(build_corpus(seed, size).listings)


# --------------------------------------------------------------------------- reposts


@dataclass(frozen=True)
class _Post:
    """One side of a planted repost: what that account wrote."""

    title: str
    description: str
    contact: str


@dataclass(frozen=True)
class _RepostSpec:
    """One entry of ``reposts.json``."""

    name: str
    language: str
    category: Category
    product: str
    price: Decimal
    currency: str
    photos: int
    contact: str
    bazaar: _Post
    mercado: _Post


def _post(name: str, side: str, raw: Mapping[str, Any]) -> _Post:
    post = _Post(str(raw["title"]), str(raw["description"]), str(raw["contact"]))
    for text in (post.title, post.description):
        if text != _tidy(text):
            raise ValueError(f"repost {name!r} ({side}): text must be one tidy NFC line")
    if not _TITLE_MIN <= len(post.title) <= _TITLE_MAX:
        raise ValueError(f"repost {name!r} ({side}): title must be 20 to 120 characters")
    if post.contact not in post.description:
        raise ValueError(f"repost {name!r} ({side}): the description must give the contact")
    return post


def _repost_specs(path: Path) -> list[_RepostSpec]:
    """The reposts of a ``reposts.json`` file, checked."""
    with path.open(encoding="utf-8") as handle:
        data: dict[str, Any] = json.load(handle)
    specs = []
    for raw in data["pairs"]:
        name = str(raw["name"])
        spec = _RepostSpec(
            name=name,
            language=str(raw["language"]),
            category=raw["category"],
            product=str(raw["product"]),
            price=Decimal(str(raw["price"])),
            currency=str(raw["currency"]),
            photos=int(raw["photos"]),
            contact=str(raw["contact"]),
            bazaar=_post(name, "bazaar", raw["bazaar"]),
            mercado=_post(name, "mercado", raw["mercado"]),
        )
        if spec.category not in CATEGORIES or spec.product not in (*PRODUCTS, NO_PRODUCT):
            raise ValueError(f"repost {name!r}: unknown category or product")
        if not 1 <= spec.photos <= _MAX_IMAGES:
            raise ValueError(f"repost {name!r}: photos must be 1 to {_MAX_IMAGES}")
        specs.append(spec)
    return specs


def plant_reposts(corpus: Corpus, path: Path = REPOSTS_FILE) -> Corpus:
    """`corpus` with the reposts of `path` planted, each named in `Corpus.reposts`.

    A repost takes two sellers of its language (the first two by id that offer
    something of its category and are not in another repost) and rewrites one such
    listing of each: the Bazaar post from the first, the Mercado post from the second.
    Both get the same photos, and each seller adds the contact as its post writes it.
    Counts of listings, sellers and (language, category) pairs do not change. A
    repost with too few such sellers, or already planted, is left out.
    """
    listings = list(corpus.listings)
    sellers = dict(corpus.sellers_by_id)
    planted = list(corpus.reposts)
    done = {pair.name for pair in planted}
    taken = {s for pair in planted for s in (pair.bazaar_seller_id, pair.mercado_seller_id)}
    for spec in _repost_specs(path):
        if spec.name in done:
            continue
        slots: dict[str, int] = {}  # seller id -> index of the listing to rewrite
        for index, item in enumerate(listings):
            if (
                item.language == spec.language
                and item.category == spec.category
                and item.seller_id not in taken
            ):
                slots.setdefault(item.seller_id, index)
        chosen = sorted(slots)[:2]
        if len(chosen) < 2:
            continue
        for seller_id, post in zip(chosen, (spec.bazaar, spec.mercado), strict=True):
            seller = sellers[seller_id]
            index = slots[seller_id]
            listings[index] = replace(
                listings[index],
                title=post.title,
                description=post.description,
                price=spec.price,
                currency=spec.currency,
                product=spec.product,
                location=seller.city,
                image_count=spec.photos,
                photo_key=f"repost-{spec.name}",
            )
            if post.contact not in seller.contacts:
                sellers[seller_id] = replace(seller, contacts=(*seller.contacts, post.contact))
        taken.update(chosen)
        planted.append(
            RepostPair(
                name=spec.name,
                bazaar_listing_id=listings[slots[chosen[0]]].listing_id,
                mercado_listing_id=listings[slots[chosen[1]]].listing_id,
                bazaar_seller_id=chosen[0],
                mercado_seller_id=chosen[1],
                contact=spec.contact,
                bazaar_contact=spec.bazaar.contact,
                mercado_contact=spec.mercado.contact,
            )
        )
    return Corpus(
        listings=tuple(listings),
        sellers=tuple(sellers.values()),
        seed=corpus.seed,
        reposts=tuple(planted),
    )
