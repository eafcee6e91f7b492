"""The generic extractor: listing fields from a page no source rule describes.

Fields are taken from the first of these that has them, each field on its own:

1. ``json-ld``: a schema.org Product (or Offer, or social/forum posting) in JSON-LD;
2. ``microdata``: the same vocabulary in microdata (``itemscope``/``itemprop``);
3. ``opengraph``: ``og:*`` and ``product:price:*`` meta properties;
4. ``meta``: ``twitter:*``, ``meta name=description``, ``itemprop`` outside any item;
5. ``page``: the page itself, when its markup says nothing: the main ``h1`` (else the
   ``<title>`` without the site's name), the largest text block near it, a price next
   to it (an element named like a price, a labelled price, or an amount written with a
   currency), labelled location, seller and posting date, and the content's images.

Navigation, headers, footers and sidebars (related items, with their own prices) are
never read by the page layer. Pages are hostile input: their size, depth and the size
of each field are capped, and malformed structured data is skipped, never fatal.
"""

from __future__ import annotations

import html as html_lib
import json
import logging
import re
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

import extruct
from lxml.html import HtmlElement
from parsel import Selector

from crawler.dates import parse_date
from crawler.extract import ExtractedFields, visible_text
from crawler.listing import MAX_DESCRIPTION_CHARS, MAX_IMAGES, MAX_SHORT_CHARS, MAX_TITLE_CHARS
from crawler.money import currency_code, currency_hint, parse_amount, parse_money

__all__ = [
    "FIELDS",
    "MAX_HTML_CHARS",
    "extract_generic",
    "extract_selector",
    "listing_json",
    "page_language",
]

logger = logging.getLogger(__name__)

#: Pages are read up to this many characters; the rest is dropped.
MAX_HTML_CHARS = 3_000_000
#: Fields the generic extractor fills (everything but the "listing removed" notice).
FIELDS = (
    "title",
    "description",
    "price",
    "currency",
    "location",
    "posted_at",
    "seller_id",
    "seller_name",
    "seller_url",
    "images",
)
_MAX_URL_CHARS = 2_048
_MAX_JSON_LD_CHARS = 1_000_000
_MAX_NODES = 5_000  # structured-data objects looked at per page
_MAX_DEPTH = 150  # element nesting the page layer walks into
_MAX_BLOCKS = 3_000  # text blocks the page layer collects, from the top of the body
_MAX_METAS = 500
# Text blocks before and after the title that the page layer reads for its details.
_WINDOW_BEFORE = 60
_WINDOW_AFTER = 400
_MIN_DESCRIPTION = 8  # "Vendo violão." is a whole description; "Ver más" is a button
_NEAR_BLOCKS = 25  # text blocks after the title where its price and details are looked for

_PRODUCT_TYPES = frozenset(
    {"Product", "IndividualProduct", "ProductModel", "SomeProducts", "ProductGroup", "Vehicle"}
    | {"Car", "Motorcycle", "Book", "VisualArtwork", "Sculpture"}
)
# Posts that offer something (social media, forums, blogs). Not ImageObject or Comment:
# a site logo or a reader's comment is never the listing.
_POST_TYPES = frozenset(
    {"SocialMediaPosting", "DiscussionForumPosting", "BlogPosting", "Article", "NewsArticle"}
)

_SPACES = re.compile(r"[^\S\n]+")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_TITLE_SEPARATORS = (" | ", " – ", " — ", " - ", " · ", " :: ", " » ", " // ")
_SEGMENT_BREAK = re.compile(r"\s+[·|•]\s+|\t|\s{3,}")
_TOKEN_SPLIT = re.compile(r"[^a-z0-9]+")

_PAGE_CHROME = frozenset({"nav", "aside"})
_PAGE_CHROME_OUTSIDE_CONTENT = frozenset({"header", "footer"})  # an article's own are kept
_CONTENT_TAGS = frozenset({"article", "main"})
_CHROME_ROLES = frozenset({"navigation", "banner", "contentinfo", "complementary", "search"})
_CHROME_TOKENS = frozenset(
    {"nav", "navbar", "navigation", "menu", "footer", "sidebar", "breadcrumb", "breadcrumbs"}
    | {"related", "recommended", "recommendations", "similar", "cookie", "cookies", "advert"}
    | {"advertisement", "ads", "banner", "share", "sharing", "comments"}
)
_HIDDEN_TAGS = frozenset({"script", "style", "template", "noscript", "svg", "iframe", "head"})
_BLOCK_TAGS = frozenset(
    {"address", "article", "aside", "blockquote", "body", "dd", "details", "div", "dl", "dt"}
    | {"figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header"}
    | {"hr", "li", "main", "nav", "ol", "p", "pre", "section", "summary", "table", "tbody"}
    | {"td", "th", "thead", "tr", "ul"}
)
_FORM_CONTROLS = frozenset({"input", "select", "option", "button", "form", "label", "textarea"})
_PRICE_NAME = re.compile(
    r"price|prix|precio|preço|preco|giá|(?:^|[-_ ])gia(?:ban)?(?:$|[-_ ])|価格|价格|價格|ราคา"
    r"|harga|preis|prezzo|cena|fiyat",
    re.IGNORECASE,
)
_STRUCK_TOKENS = frozenset(
    {"old", "was", "original", "before", "compare", "strike", "strikethrough", "crossed"}
    | {"previous", "regular", "rrp", "msrp"}
)
_DESCRIPTION_TOKENS = frozenset(
    {"description", "desc", "detail", "details", "content", "body", "text", "about", "info"}
    | {"mota", "beschreibung", "descripcion", "descricao", "caption", "message", "post"}
)


def _label_pattern(labels: Iterable[str], colon: bool) -> re.Pattern[str]:
    """A "Label: value" pattern (the colon optional unless `colon`); a bare "Label:" matches with
    no value (its value is in the next cell: ``<th>Seller</th><td>Anh Ba</td>``)."""
    alternatives = "|".join(re.escape(label) for label in sorted(labels, key=len, reverse=True))
    separator = r"\s*[:：]\s*" if colon else r"(?:\s*[:：])?\s*"
    return re.compile(
        rf"^(?:{alternatives})(?![^\W\d_])(?:\s*[:：]?\s*$|{separator}(?P<value>\S.*)$)",
        re.IGNORECASE,
    )


_LOCATION_LABEL = _label_pattern(
    [
        "location", "item location", "located in", "city", "area", "lieu", "localisation",
        "ville", "emplacement", "ubicación", "ubicacion", "localidad", "ciudad", "zona",
        "localização", "localizacao", "cidade", "local", "standort", "ort", "địa điểm",
        "khu vực", "vị trí", "nơi bán", "địa chỉ", "tỉnh thành", "所在地", "地点", "地點",
        "位置", "地区", "地區", "ที่ตั้ง", "สถานที่", "จังหวัด", "พื้นที่", "lokasi", "kota",
        "daerah",
    ],
    colon=True,
)  # fmt: skip
_SELLER_LABEL = _label_pattern(
    [
        "seller", "vendor", "vendeur", "vendeuse", "vendedor", "vendedora", "anunciante",
        "verkäufer", "anbieter", "người bán", "người đăng", "卖家", "賣家", "卖主", "出品者",
        "販売者", "ผู้ขาย", "penjual", "pelapak", "user", "member",
    ],
    colon=True,
)  # fmt: skip
_SELLER_PHRASE = _label_pattern(
    ["sold by", "posted by", "listed by", "vendu par", "vendido por", "dijual oleh"],
    colon=False,
)
_DATE_LABEL = _label_pattern(
    [
        "posted", "listed", "published", "added", "date posted", "date", "publié", "publiée",
        "mis en ligne", "publicado", "publicada", "veröffentlicht", "eingestellt", "inserito",
        "ngày đăng", "đăng", "cập nhật", "发布于", "发布时间", "发布", "發佈於", "發布於",
        "發佈", "發布", "刊登", "掲載日", "投稿日", "出品日", "โพสต์เมื่อ", "ลงประกาศเมื่อ",
        "ประกาศเมื่อ", "diposting", "dipasang", "diterbitkan",
    ],
    colon=False,
)  # fmt: skip
_PRICE_LABEL = _label_pattern(
    [
        "price", "asking price", "prix", "precio", "preço", "preco", "giá", "giá bán",
        "harga", "ราคา", "价格", "價格", "售价", "售價", "価格", "preis", "prezzo",
    ],
    colon=False,
)  # fmt: skip
_RELATIVE_DATE = re.compile(
    r"\b(?:ago|il y a|hace|há|atrás|vor|trước|lalu|yesterday|hier|ayer|ontem|gestern"
    r"|hôm qua|today|aujourd'hui|hoy|hoje|heute|hôm nay|kemarin|hari ini)\b"
    r"|前|昨天|昨日|今天|今日|ที่แล้ว|เมื่อวาน|วันนี้",
    re.IGNORECASE,
)
_PROFILE_PATH = re.compile(
    r"/(?:seller|sellers|user|users|u|profile|profiles|member|members|shop|store|vendedor"
    r"|vendeur|perfil|profil|people|account|nguoi-ban|penjual)/(?P<id>[^/?#]{1,100})"
    r"|/@(?P<handle>[^/?#]{1,100})",
    re.IGNORECASE,
)
_DENSE_SCRIPT = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")
# Words that mark an image as page furniture, matched as whole words of its URL (so
# "silicone-mold.jpg" or "pixel-7-pro.jpg" stay).
_TRACKING_IMAGE = re.compile(
    r"(?<![a-z])(?:spacer|1x1|tracking|tracker|beacon|analytics|logos?|icons?|favicon"
    r"|avatars?|sprites?|emoji|badges?|flags?)(?![a-z])"
    r"|pixel\.(?:gif|png)|/pixel(?:[/?]|$)|blank\.gif|\.ico(?:$|\?)",
    re.IGNORECASE,
)


# --------------------------------------------------------------------------- helpers


def _clean(value: Any, limit: int, *, lines: bool = False) -> str | None:
    """Text from a page value, entity-decoded, tag-free, control-free, spaces folded."""
    if isinstance(value, dict):
        value = value.get("@value") or value.get("name")
    if isinstance(value, list):
        value = next((v for v in value if isinstance(v, str | int | float) and v != ""), None)
    if isinstance(value, bool) or value is None:
        return None
    text = str(value)[: limit * 4]
    if "<" in text or "&" in text:
        text = _strip_tags(text)
    text = _CONTROL.sub("", text.replace("\r", "\n").replace("\t", " "))
    parts = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    text = "\n".join(p for p in parts if p) if lines else " ".join(p for p in parts if p)
    return text[:limit].strip() or None


def _strip_tags(text: str) -> str:
    """Markup written into a text field (JSON-LD descriptions often hold HTML)."""
    text = re.sub(r"(?is)<(script|style)\b.*?</\1\s*>", " ", text)
    text = re.sub(r"(?i)<br\s*/?>|</p\s*>|</div\s*>|</li\s*>", "\n", text)
    text = re.sub(r"<[^>]{0,2000}>", " ", text)
    return html_lib.unescape(text)


def _first(value: Any) -> Any:
    if isinstance(value, list):
        return next((v for v in value if v not in (None, "", [], {})), None)
    return value


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _types(node: dict[str, Any]) -> set[str]:
    """schema.org types of a node, without their vocabulary ("schema:Product" -> Product)."""
    found = set()
    for kind in _as_list(node.get("@type")):
        if isinstance(kind, str):
            found.add(re.split(r"[/:#]", kind.strip())[-1])
    return found


def _absolute(base: str, link: Any) -> str | None:
    """`link` made absolute against `base`; only http(s) URLs, capped, without spaces."""
    if isinstance(link, dict):
        link = link.get("url") or link.get("contentUrl") or link.get("@id")
    if not isinstance(link, str):
        return None
    link = link.strip()
    if not link or len(link) > _MAX_URL_CHARS or link.startswith(("data:", "javascript:")):
        return None
    try:
        url = urljoin(base, link)
    except ValueError:
        return None
    if not re.match(r"^https?://[^\s/]+", url, re.IGNORECASE) or re.search(r"\s", url):
        return None
    return url if len(url) <= _MAX_URL_CHARS else None


def _class_tokens(element: HtmlElement) -> set[str]:
    names = f"{element.get('class') or ''} {element.get('id') or ''}".lower()
    return set(_TOKEN_SPLIT.split(names)) - {""}


def page_language(selector: Selector) -> str | None:
    """The page's declared language tag: ``<html lang>``, Content-Language, og:locale."""
    for query in (
        "html::attr(lang)",
        'meta[http-equiv="content-language" i]::attr(content)',
        'meta[property="og:locale"]::attr(content)',
    ):
        value = selector.css(query).get()
        if value and re.fullmatch(r"[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{2,8}){0,3}", value.strip()):
            return value.strip().replace("_", "-")
    return None


# --------------------------------------------------------------------------- the page


@dataclass
class _Page:
    """One parsed page and what every layer needs to read it."""

    selector: Selector
    url: str
    lang: str | None
    hint: str | None
    now: datetime
    site_name: str | None = None
    _metas: dict[str, str] | None = None

    @property
    def metas(self) -> dict[str, str]:
        """``<meta>`` contents by lower-case name, property or itemprop (first one wins)."""
        if self._metas is None:
            self._metas = {}
            for number, element in enumerate(self.selector.root.iter("meta")):
                if number >= _MAX_METAS:
                    break
                content = (element.get("content") or "").strip()
                for attribute in ("name", "property", "itemprop"):
                    key = (element.get(attribute) or "").strip().lower()
                    if key and content:
                        self._metas.setdefault(key, content)
        return self._metas

    def money(self, text: str | None) -> tuple[float | None, str | None]:
        if not text:
            return None, None
        money = parse_money(text, lang=self.lang, hint_currency=self.hint)
        return (money.amount, money.currency) if money else (None, None)

    def written_money(self, text: str) -> tuple[float, str] | None:
        """A price whose currency the text itself writes ("1.250.000 ₫", not "1250000")."""
        bare = parse_money(text, lang=self.lang)
        if bare is None or bare.currency is None:
            return None
        amount, currency = self.money(text)  # hints settle what "$" or "¥" means
        return (amount, currency) if amount is not None and currency else None

    def date(self, text: Any) -> datetime | None:
        value = _clean(text, 200)
        return parse_date(value, now=self.now, lang=self.lang) if value else None

    def currency(self, text: Any) -> str | None:
        value = _clean(text, 40)
        return currency_code(value, lang=self.lang, hint=self.hint) if value else None


Found = dict[str, Any]


# --------------------------------------------------------------------------- schema.org


def _structured(page: _Page) -> dict[str, list[Any]]:
    """JSON-LD, microdata and OpenGraph through extruct; a bad syntax is dropped alone."""
    try:
        data = extruct.extract(
            page.selector.root,
            base_url=page.url,
            syntaxes=["json-ld", "microdata", "opengraph"],
            uniform=True,
            errors="ignore",
            with_og_array=True,
        )
    except Exception:  # extruct on hostile markup: whatever it raises, read on without it
        logger.debug("extruct failed on %s", page.url, exc_info=True)
        data = {}
    if "json-ld" not in data:
        # One malformed block makes extruct drop them all: read the others one by one.
        data["json-ld"] = list(_json_ld_blocks(page.selector))
    return data


def _json_ld_blocks(selector: Selector) -> Iterator[Any]:
    for block in selector.css('script[type="application/ld+json" i]::text').getall():
        if len(block) > _MAX_JSON_LD_CHARS:
            continue
        try:
            yield json.loads(block, strict=False)
        except (ValueError, RecursionError):
            logger.debug("skipping malformed JSON-LD block")


def _entities(items: list[Any]) -> list[dict[str, Any]]:
    """Every typed object in the items, breadth first (the page's main one comes first)."""
    found: list[dict[str, Any]] = []
    queue: deque[Any] = deque(items if isinstance(items, list) else [items])
    seen = 0
    while queue and seen < _MAX_NODES:
        node = queue.popleft()
        seen += 1
        if isinstance(node, list):
            queue.extend(node[:200])
        elif isinstance(node, dict):
            if _types(node):
                found.append(node)
            queue.extend(v for v in list(node.values())[:200] if isinstance(v, dict | list))
    return found


def _main_entity(items: list[Any]) -> dict[str, Any] | None:
    """The listing's entity: a Product, else an Offer of one, else a posting."""
    entities = _entities(items)
    for wanted in (
        lambda e: bool(_types(e) & _PRODUCT_TYPES) and e.get("offers") is not None,
        lambda e: bool(_types(e) & _PRODUCT_TYPES),
        lambda e: "Offer" in _types(e) and isinstance(e.get("itemOffered"), dict),
        lambda e: bool(_types(e) & _POST_TYPES),
    ):
        for entity in entities:
            if wanted(entity):
                return entity
    return None


def _place(value: Any) -> str | None:
    """A place as text: its name, else its address's locality, region and country."""
    value = _first(value)
    if isinstance(value, str):
        return _clean(value, MAX_SHORT_CHARS)
    if not isinstance(value, dict):
        return None
    if value.get("name"):
        return _clean(value.get("name"), MAX_SHORT_CHARS)
    address = _first(value.get("address"))
    if isinstance(address, str):
        return _clean(address, MAX_SHORT_CHARS)
    if isinstance(address, dict):
        parts = [
            _clean(_first(address.get(key)), 100)
            for key in ("addressLocality", "addressRegion", "addressCountry")
        ]
        joined = ", ".join(p for p in parts if p)
        return joined or None
    return None


def _person(page: _Page, value: Any) -> Found:
    """Seller fields from a schema.org Person/Organization, a name or a profile URL."""
    value = _first(value)
    if isinstance(value, str):
        url = _absolute(page.url, value) if re.match(r"^(https?:)?/", value) else None
        return {"seller_url": url} if url else {"seller_name": _clean(value, MAX_SHORT_CHARS)}
    if not isinstance(value, dict):
        return {}
    url = None
    for key in ("url", "sameAs", "@id"):
        candidate = _first(value.get(key))
        if isinstance(candidate, str) and re.match(r"^(https?:)?/", candidate):
            url = _absolute(page.url, candidate)
            break
    return {
        "seller_name": _clean(value.get("name") or value.get("alternateName"), MAX_SHORT_CHARS),
        "seller_id": _clean(_first(value.get("identifier")), MAX_SHORT_CHARS),
        "seller_url": url,
    }


def _offer_price(page: _Page, offers: list[Any]) -> Found:
    for offer in offers:
        if not isinstance(offer, dict):
            continue
        spec = _first(offer.get("priceSpecification"))
        spec = spec if isinstance(spec, dict) else {}
        raw = _first(offer.get("price"))
        if raw in (None, ""):
            raw = _first(offer.get("lowPrice"))
        if raw in (None, ""):
            raw = _first(spec.get("price"))
        currency = page.currency(_first(offer.get("priceCurrency") or spec.get("priceCurrency")))
        amount = parse_amount(raw) if isinstance(raw, int | float) else None
        if isinstance(raw, str) and raw.strip():
            machine = re.fullmatch(r"\s*\d{1,18}(?:\.\d{1,6})?\s*", raw)
            if machine:
                amount = parse_amount(raw)
            else:  # a price written for people ("1.250.000 ₫") where a number belongs
                amount, written = page.money(raw)
                currency = currency or written
        if amount is not None:
            return {"price": amount, "currency": currency}
        if currency:
            return {"currency": currency}
    return {}


def _from_schema(page: _Page, items: list[Any]) -> Found:
    """Fields of the page's main schema.org entity (JSON-LD or microdata, made uniform)."""
    entity = _main_entity(items)
    if entity is None:
        return {}
    offers = _as_list(entity.get("offers"))
    if "Offer" in _types(entity) and isinstance(entity.get("itemOffered"), dict):
        offers, entity = [entity], entity["itemOffered"]
    offers = [o for o in offers if isinstance(o, dict)]
    for offer in list(offers):  # AggregateOffer lists its offers inside
        offers += [o for o in _as_list(offer.get("offers")) if isinstance(o, dict)]
    posting = bool(_types(entity) & _POST_TYPES) and not _types(entity) & _PRODUCT_TYPES
    title_keys = ("headline", "name") if posting else ("name", "headline")
    found: Found = {
        "title": next(
            (_clean(entity.get(k), MAX_TITLE_CHARS) for k in title_keys if entity.get(k)), None
        ),
        "description": next(
            (
                _clean(entity.get(k), MAX_DESCRIPTION_CHARS, lines=True)
                for k in ("description", "articleBody", "text", "caption", "abstract")
                if entity.get(k)
            ),
            None,
        ),
        "images": [
            url
            for image in _as_list(entity.get("image") or entity.get("thumbnailUrl"))[:MAX_IMAGES]
            if (url := _absolute(page.url, image))
        ],
        **_offer_price(page, offers),
    }
    if posting and not found["images"] and "ImageObject" in _types(entity):
        found["images"] = [u for u in [_absolute(page.url, entity.get("contentUrl"))] if u]
    seller = next((o.get("seller") for o in offers if o.get("seller")), None)
    seller = seller or entity.get("seller") or entity.get("author") or entity.get("creator")
    found.update({k: v for k, v in _person(page, seller).items() if v})
    for source in (*offers, entity):
        for key in ("availableAtOrFrom", "areaServed", "itemLocation", "contentLocation"):
            if not found.get("location") and source.get(key):
                found["location"] = _place(source.get(key))
    for source, key in (
        (entity, "datePosted"),
        (entity, "datePublished"),
        (entity, "dateCreated"),
        (entity, "uploadDate"),
        *((offer, "validFrom") for offer in offers),
        *((offer, "availabilityStarts") for offer in offers),
    ):
        if not found.get("posted_at") and source.get(key):
            found["posted_at"] = page.date(_first(source.get(key)))
    return found


# --------------------------------------------------------------------------- OpenGraph, meta


def _from_opengraph(page: _Page, objects: list[Any]) -> Found:
    og: dict[str, Any] = {}
    for obj in objects:
        if isinstance(obj, dict):
            for key, value in obj.items():
                og.setdefault(key, value)

    def value(*keys: str) -> Any:
        return next((_first(og[k]) for k in keys if _first(og.get(k))), None)

    images = [
        url
        for key in ("og:image", "og:image:url", "og:image:secure_url")
        for image in _as_list(og.get(key))[:MAX_IMAGES]
        if (url := _absolute(page.url, image))
    ]
    amount = value("product:price:amount", "og:price:amount", "product:sale_price:amount")
    author = value("article:author", "og:author", "book:author")
    found: Found = {
        "title": _clean(value("og:title"), MAX_TITLE_CHARS),
        "description": _clean(value("og:description"), MAX_DESCRIPTION_CHARS, lines=True),
        "images": list(dict.fromkeys(images)),
        "price": parse_amount(amount) if isinstance(amount, str) else None,
        "currency": page.currency(value("product:price:currency", "og:price:currency")),
        "posted_at": page.date(value("article:published_time", "og:published_time")),
        "location": _clean(value("og:locality", "place:location:name"), MAX_SHORT_CHARS),
        **({k: v for k, v in _person(page, author).items() if v} if author else {}),
    }
    return found


def _meta(page: _Page, *names: str) -> str | None:
    """The first of the named ``<meta>`` tags (by name, property or itemprop) with content."""
    for name in names:
        value = page.metas.get(name)
        if value:
            return value
    return None


def _loose_itemprops(page: _Page) -> dict[str, str]:
    """``itemprop`` values outside any item (extruct's microdata reads only items)."""
    found: dict[str, str] = {}
    for node in page.selector.xpath("//*[@itemprop][not(ancestor-or-self::*[@itemscope])]")[:200]:
        name = (node.attrib.get("itemprop") or "").strip()
        if not name or name in found:
            continue
        element = node.root
        raw = (
            element.get("content")
            or element.get("datetime")
            or (element.get("src") if element.tag in ("img", "source") else None)
            or (element.get("href") if element.tag in ("a", "link") else None)
            or visible_text(node)
        )
        if raw and raw.strip():
            found[name] = raw.strip()
    return found


def _from_meta(page: _Page) -> Found:
    loose = _loose_itemprops(page)
    price_text = loose.get("price")
    amount, written = (None, None)
    if price_text:
        amount = parse_amount(price_text)
        if not re.fullmatch(r"\s*\d{1,18}(?:\.\d{1,6})?\s*", price_text):
            amount, written = page.money(price_text)
    else:
        for n in ("1", "2"):  # Twitter cards: label1/data1 "Price" / "1.250.000 ₫"
            label = _meta(page, f"twitter:label{n}") or ""
            if _PRICE_LABEL.match(f"{label.strip()} 0"):
                amount, written = page.money(_meta(page, f"twitter:data{n}"))
                break
    images = [
        url
        for raw in (
            _meta(page, "twitter:image", "twitter:image:src", "image"),
            page.selector.css('link[rel="image_src"]::attr(href)').get(),
            loose.get("image"),
        )
        if (url := _absolute(page.url, raw))
    ]
    creator = _meta(page, "author", "twitter:creator")
    return {
        "title": _clean(
            _meta(page, "twitter:title", "title") or loose.get("name") or loose.get("headline"),
            MAX_TITLE_CHARS,
        ),
        "description": _clean(
            _meta(page, "description", "twitter:description") or loose.get("description"),
            MAX_DESCRIPTION_CHARS,
            lines=True,
        ),
        "price": amount,
        "currency": page.currency(loose.get("priceCurrency")) or written,
        "images": list(dict.fromkeys(images)),
        "posted_at": page.date(
            loose.get("datePosted")
            or loose.get("datePublished")
            or _meta(page, "date", "pubdate", "publish-date", "article:published_time")
        ),
        "location": _clean(
            _meta(page, "geo.placename") or loose.get("addressLocality"), MAX_SHORT_CHARS
        ),
        "seller_name": _clean(creator, MAX_SHORT_CHARS),
    }


# --------------------------------------------------------------------------- the page itself


@dataclass
class _Block:
    """A block element and the text it shows itself (its child blocks have their own)."""

    element: HtmlElement
    order: int
    chrome: bool  # inside navigation, a page header/footer or a sidebar
    priced: bool  # inside an element whose class or id names a price
    parts: list[str] = field(default_factory=list)
    text: str = ""

    @property
    def lines(self) -> list[str]:
        return self.text.split("\n") if self.text else []


@dataclass
class _Layout:
    """The page's blocks in document order, its images and its price-named elements."""

    blocks: list[_Block] = field(default_factory=list)
    images: list[tuple[HtmlElement, bool]] = field(default_factory=list)  # (img, in chrome)
    priced: list[tuple[HtmlElement, bool]] = field(default_factory=list)
    by_element: dict[int, _Block] = field(default_factory=dict)


def _is_chrome(element: HtmlElement, tag: str, in_content: bool) -> bool:
    if tag in _PAGE_CHROME or (tag in _PAGE_CHROME_OUTSIDE_CONTENT and not in_content):
        return True
    if (element.get("role") or "").strip().lower() in _CHROME_ROLES:
        return True
    return bool(_class_tokens(element) & _CHROME_TOKENS)


def _names_price(element: HtmlElement) -> bool:
    names = f"{element.get('class') or ''} {element.get('id') or ''}"
    return bool(names.strip()) and _PRICE_NAME.search(names) is not None


def _layout(body: HtmlElement) -> _Layout:
    layout = _Layout()

    def visit(
        element: HtmlElement,
        parts: list[str],
        chrome: bool,
        priced: bool,
        in_content: bool,
        depth: int,
    ) -> None:
        tag = element.tag if isinstance(element.tag, str) else ""
        if not tag or tag in _HIDDEN_TAGS or depth > _MAX_DEPTH:
            return
        if len(layout.blocks) >= _MAX_BLOCKS:
            return
        chrome = chrome or _is_chrome(element, tag, in_content)
        in_content = in_content or tag in _CONTENT_TAGS
        if _names_price(element):
            layout.priced.append((element, chrome))
            priced = True
        if tag == "img":
            layout.images.append((element, chrome))
            return
        if tag == "br":
            parts.append("\n")
            return
        if tag in _BLOCK_TAGS:
            block = _Block(element, len(layout.blocks), chrome, priced)
            layout.blocks.append(block)
            layout.by_element[id(element)] = block
            own = block.parts
            parts.append("\n")
        else:
            own = parts
        own.append(_flow(element.text))
        for child in element:
            visit(child, own, chrome, priced, in_content, depth + 1)
            own.append(_flow(child.tail))
        if tag in _BLOCK_TAGS:
            own.append("\n")
            parts.append("\n")

    visit(body, [], False, False, False, 0)
    for block in layout.blocks:
        text = _CONTROL.sub("", "".join(block.parts))
        lines = (_SPACES.sub(" ", line).strip() for line in text.split("\n"))
        block.text = "\n".join(line for line in lines if line)
        block.parts = []
    return layout


def _title_from_head(page: _Page) -> str | None:
    """The ``<title>`` without the site's name ("Vòng ngà voi – Bazaar" -> "Vòng ngà voi")."""
    title = _clean(page.selector.css("title").xpath("string()").get(), MAX_TITLE_CHARS * 2)
    if not title:
        return None
    host = (urlsplit(page.url).hostname or "").lower()
    host_words = {w for w in host.split(".") if len(w) > 3 and w not in {"www", "shop"}}
    for separator in _TITLE_SEPARATORS:
        if separator not in title:
            continue
        head, _, tail = title.rpartition(separator)
        first, _, rest = title.partition(separator)
        site = (page.site_name or "").strip().lower()
        if site and tail.strip().lower() == site:
            return head.strip()[:MAX_TITLE_CHARS] or None
        if site and first.strip().lower() == site:
            return rest.strip()[:MAX_TITLE_CHARS] or None
        if any(word in tail.lower() for word in host_words):
            return head.strip()[:MAX_TITLE_CHARS] or None
        # An unknown site name: a short last part after the separator is most likely it.
        if len(tail) <= 30 and len(tail.split()) <= 3 and len(head) > len(tail):
            return head.strip()[:MAX_TITLE_CHARS] or None
        break
    return title[:MAX_TITLE_CHARS]


def _main_heading(layout: _Layout, page: _Page) -> _Block | None:
    """The listing's own ``h1``: outside the page chrome, the one the ``<title>`` names."""
    headings = [b for b in layout.blocks if b.element.tag == "h1" and not b.chrome and b.text]
    if len(headings) <= 1:
        return headings[0] if headings else None
    title = (page.selector.css("title").xpath("string()").get() or "").lower()
    named = [h for h in headings if h.text.lower() in title]
    return named[0] if named else headings[0]


def _region(heading: _Block | None, body: HtmlElement) -> HtmlElement:
    """The part of the page the listing's details live in: the heading's article/main."""
    if heading is None:
        found = body.xpath(".//main | .//article | .//*[@role='main']")
        return found[0] if found else body
    for ancestor in heading.element.iterancestors():
        if (
            ancestor.tag in _CONTENT_TAGS
            or (ancestor.get("role") or "").lower() == "main"
            or ancestor.get("itemscope") is not None
        ):
            return ancestor
    return body


def _segments(line: str) -> list[str]:
    """Parts of a line that hold one labelled value each ("Location: X · Posted Y")."""
    return [s.strip() for s in _SEGMENT_BREAK.split(line) if s and s.strip()]


_LABELS = (_LOCATION_LABEL, _SELLER_LABEL, _SELLER_PHRASE, _PRICE_LABEL, _DATE_LABEL)


def _labelled_segments(blocks: Iterable[_Block]) -> list[tuple[_Block, str]]:
    """Each block's segments in document order; a bare label is joined to the segment
    after it, which is kept with that segment's block (where its link is)."""
    segments = [(b, segment) for b in blocks for line in b.lines for segment in _segments(line)]
    joined: list[tuple[_Block, str]] = []
    skip = False
    for index, (block, segment) in enumerate(segments):
        if skip:
            skip = False
            continue
        bare = any((m := p.match(segment)) and m.group("value") is None for p in _LABELS)
        if bare and index + 1 < len(segments):
            label = segment.rstrip(" :：")
            joined.append((segments[index + 1][0], f"{label}: {segments[index + 1][1]}"))
            skip = True
        else:
            joined.append((block, segment))
    return joined


def _is_label_line(line: str) -> bool:
    """A short "Label: value" line (a description's long first line never counts)."""
    return len(line) < 80 and any(pattern.match(line) for pattern in _LABELS)


class _PageReader:
    """Reads the fields off the page's own text and layout."""

    def __init__(self, page: _Page) -> None:
        self.page = page
        roots = page.selector.root.xpath("//body")
        self.body: HtmlElement = roots[0] if roots else page.selector.root
        self.layout = _layout(self.body)
        self.heading = _main_heading(self.layout, page)
        self.region = _region(self.heading, self.body)
        region_ids = {id(e) for e in self.region.iter()}
        self.title_text = self.heading.text if self.heading else None
        start = self.heading.order if self.heading else 0
        window = [
            b
            for b in self.layout.blocks[max(0, start - _WINDOW_BEFORE) : start + _WINDOW_AFTER]
            if not b.chrome
        ]
        self.in_region = [b for b in window if id(b.element) in region_ids]
        self.outside = [b for b in window if id(b.element) not in region_ids]
        self.near = sorted(
            (b for b in self.in_region if b is not self.heading),
            key=lambda b: (b.order < start, abs(b.order - start)),
        )

    def fields(self, wanted: Iterable[str]) -> Found:
        """The `wanted` fields (and whatever comes with them) the page shows."""
        wanted = set(wanted)
        found: Found = {}
        if "title" in wanted:
            found["title"] = (
                self.heading.text.replace("\n", " ")[:MAX_TITLE_CHARS]
                if self.heading
                else _title_from_head(self.page)
            )
        if "description" in wanted:
            found["description"] = self.description()
        if "images" in wanted:
            found["images"] = self.images()
        if wanted & {"price", "currency"}:
            found.update(self.price())
        if wanted & {"location", "seller_name", "seller_url", "seller_id", "posted_at"}:
            found.update(self.labelled())
            if not found.get("posted_at"):
                found["posted_at"] = self.time_element()
            if not found.get("seller_name") and not found.get("seller_url"):
                found.update(self.profile_link())
        return found

    # -- description

    def _describes(self, block: _Block) -> bool:
        if block.priced or block is self.heading or block.element.tag.startswith("h"):
            return False
        if any(_is_label_line(line) for line in block.lines[:3]):
            return False
        links = "".join(a.text_content() for a in block.element.iter("a"))
        return len(links) <= 0.5 * max(1, len(block.text))

    def description(self) -> str | None:
        best: tuple[float, _Block] | None = None
        for distance, block in enumerate(self.near):
            if not block.text or not self._describes(block):
                continue
            named = bool(_class_tokens(block.element) & _DESCRIPTION_TOKENS)
            size = _text_size(block.text)
            if (size < _MIN_DESCRIPTION and not named) or block.text == self.title_text:
                continue
            score = size * (3 if named else 1) * (1 if distance < _NEAR_BLOCKS else 0.5)
            if best is None or score > best[0]:
                best = (score, block)
        if best is None:
            return None
        element = self._widen(best[1].element)
        return _clean(visible_text(Selector(root=element)), MAX_DESCRIPTION_CHARS, lines=True)

    def _widen(self, element: HtmlElement) -> HtmlElement:
        """Climb from one paragraph to the container of all the description's paragraphs."""
        for _ in range(3):
            parent = element.getparent()
            if parent is None or parent is self.region or parent is self.body:
                break
            inner = [
                self.layout.by_element[id(e)]
                for e in parent.iter()
                if id(e) in self.layout.by_element and e is not parent
            ]
            if any(b.chrome or not (b.text == "" or self._describes(b)) for b in inner):
                break
            block = self.layout.by_element.get(id(parent))
            if block is not None and block.text and not self._describes(block):
                break
            element = parent
        return element

    # -- price

    def price(self) -> Found:
        region_ids = {id(e) for e in self.region.iter()}
        named = sorted(
            (e for e, chrome in self.layout.priced if not chrome and not self._struck(e)),
            key=lambda e: id(e) not in region_ids,
        )
        loose: Found = {}
        for element in named:
            found = self._price_element(element)
            if found.get("price") is not None and found.get("currency"):
                return found
            if found.get("price") is not None and not loose:
                loose = found
        rank = {id(b): n for n, b in enumerate(self.near)}
        labelled = sorted(
            (pair for pair in _labelled_segments(self.in_region) if id(pair[0]) in rank),
            key=lambda pair: rank[id(pair[0])],
        )
        for _, segment in labelled:
            match = _PRICE_LABEL.match(segment)
            if match and match.group("value"):
                amount, currency = self.page.money(match.group("value"))
                if amount is not None:
                    return {"price": amount, "currency": currency}
        for block in self.near[:_NEAR_BLOCKS]:
            for line in block.lines:
                written = self.page.written_money(line) if len(line) <= 300 else None
                if written:
                    return {"price": written[0], "currency": written[1]}
        return loose

    def _struck(self, element: HtmlElement) -> bool:
        for node in (element, *element.iterancestors()):
            if node.tag in ("del", "s", "strike") or _class_tokens(node) & _STRUCK_TOKENS:
                return True
            if node is self.body:
                break
        return False

    def _price_element(self, element: HtmlElement) -> Found:
        if element.tag in _FORM_CONTROLS:  # a price filter's box, not this item's price
            return {}
        for attribute in ("data-amount", "data-price", "data-value", "content", "value"):
            raw = element.get(attribute)
            amount = parse_amount(raw) if raw and re.search(r"\d", raw) else None
            if amount is not None:
                currency = self.page.currency(
                    element.get("data-currency") or element.get("data-price-currency")
                )
                text = visible_text(Selector(root=element))
                written = self.page.written_money(text) if text else None
                return {"price": amount, "currency": currency or (written and written[1])}
        text = visible_text(Selector(root=element))
        if not text or len(text) > 300:
            return {}
        written = self.page.written_money(text)
        if written:
            return {"price": written[0], "currency": written[1]}
        amount, currency = self.page.money(text)
        return {"price": amount, "currency": currency} if amount is not None else {}

    # -- labelled details

    def labelled(self) -> Found:
        found: Found = {}
        for blocks in (self.in_region, self.outside):
            for block, segment in _labelled_segments(blocks):
                self._read_segment(block, segment, found)
                if all(found.get(k) for k in ("location", "seller_name", "posted_at")):
                    return found
        return found

    def _read_segment(self, block: _Block, segment: str, found: Found) -> None:
        if not found.get("location"):
            match = _LOCATION_LABEL.match(segment)
            if match and match.group("value"):
                found["location"] = _clean(match.group("value"), MAX_SHORT_CHARS)
                return
        if not found.get("seller_name"):
            match = _SELLER_LABEL.match(segment) or _SELLER_PHRASE.match(segment)
            if match and match.group("value"):
                name = _clean(match.group("value"), MAX_SHORT_CHARS)
                found["seller_name"] = name
                found["seller_url"] = self._link_named(block.element, name)
                return
        # A labelled date, or a short unlabelled "3 days ago" (a long sentence that says
        # "vor" or "hier" is no date).
        labelled = _DATE_LABEL.match(segment) and len(segment) <= 120
        relative = len(segment) <= 40 and _RELATIVE_DATE.search(segment)
        if not found.get("posted_at") and (labelled or relative):
            found["posted_at"] = self.page.date(segment)

    def _link_named(self, element: HtmlElement, name: str | None) -> str | None:
        links = list(element.iter("a"))
        for link in links:
            if name and link.text_content().strip() == name:
                return _absolute(self.page.url, link.get("href"))
        return _absolute(self.page.url, links[0].get("href")) if len(links) == 1 else None

    def time_element(self) -> datetime | None:
        for node in self.region.iter("time"):
            posted = self.page.date(node.get("datetime") or node.text_content())
            if posted:
                return posted
        return None

    def profile_link(self) -> Found:
        for link in self.region.iter("a"):
            href = link.get("href") or ""
            author = "author" in (link.get("rel") or "").lower().split()
            if author or _PROFILE_PATH.search(urlsplit(href).path or ""):
                name = _clean(link.text_content(), MAX_SHORT_CHARS)
                return {"seller_name": name, "seller_url": _absolute(self.page.url, href)}
        return {}

    # -- images

    def images(self) -> list[str]:
        region_ids = {id(e) for e in self.region.iter()}
        found: list[str] = []
        for element, chrome in self.layout.images:
            if chrome or id(element) not in region_ids:
                continue
            if any(_tiny(element.get(side)) for side in ("width", "height")):
                continue
            src = next(
                (
                    element.get(a)
                    for a in ("src", "data-src", "data-original", "data-lazy-src")
                    if element.get(a) and not element.get(a, "").startswith("data:")
                ),
                None,
            )
            url = _absolute(self.page.url, src)
            if url and not _TRACKING_IMAGE.search(url) and url not in found:
                found.append(url)
            if len(found) >= MAX_IMAGES:
                break
        return found


def _text_size(text: str) -> int:
    """Length in Latin-letter terms: a Chinese or Japanese character says about three."""
    return len(text) + 2 * len(_DENSE_SCRIPT.findall(text))


def _flow(text: str | None) -> str:
    """Source text as shown: a line break in the HTML source is only a space."""
    return text.replace("\r", " ").replace("\n", " ") if text else ""


def _tiny(size: str | None) -> bool:
    """An image declared a few pixels wide or high: a tracking pixel or an icon."""
    if not size:
        return False
    match = re.match(r"\s*(\d+)", size)
    return bool(match) and int(match.group(1)) <= 48


# --------------------------------------------------------------------------- assembly


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == []


def _finish(out: ExtractedFields, page: _Page) -> None:
    """Caps, absolute http(s) URLs, a seller id from the profile URL, no bad prices."""
    images = list(dict.fromkeys(out.images))
    if out.sources.get("images") != "css":  # a source's own rule chose its images
        images = [url for url in images if not _TRACKING_IMAGE.search(url)]
    out.images = images[:MAX_IMAGES]
    if out.price is not None and not 0 <= out.price < 1e15:
        out.price = None
        out.sources.pop("price", None)
    if out.seller_url and not out.seller_id:
        match = _PROFILE_PATH.search(urlsplit(out.seller_url).path or "")
        if match:
            out.seller_id = (match.group("id") or match.group("handle"))[:MAX_SHORT_CHARS]
            out.sources["seller_id"] = out.sources.get("seller_url", "page")


def extract_selector(
    selector: Selector,
    url: str,
    *,
    fetched_at: datetime | None = None,
    lang: str | None = None,
    want: Iterable[str] = FIELDS,
    into: ExtractedFields | None = None,
) -> ExtractedFields:
    """`extract_generic` on an already parsed page, filling only the `want` fields that
    `into` (a fresh `ExtractedFields` when None) does not have yet."""
    out = into if into is not None else ExtractedFields()
    wanted = [name for name in want if name in FIELDS]
    now = fetched_at or datetime.now(UTC)
    lang = lang or page_language(selector)
    site_name = selector.css('meta[property="og:site_name"]::attr(content)').get()
    page = _Page(selector, url, lang, currency_hint(lang, url), now, site_name)
    structured: dict[str, list[Any]] | None = None

    def markup(syntax: str) -> list[Any]:
        nonlocal structured
        if structured is None:
            structured = _structured(page)
        return structured.get(syntax) or []

    # Each layer is asked only while fields are missing, and told which.
    layers: list[tuple[str, Callable[[list[str]], Found]]] = [
        ("json-ld", lambda _: _from_schema(page, markup("json-ld"))),
        ("microdata", lambda _: _from_schema(page, markup("microdata"))),
        ("opengraph", lambda _: _from_opengraph(page, markup("opengraph"))),
        ("meta", lambda _: _from_meta(page)),
        ("page", lambda missing: _PageReader(page).fields(missing)),
    ]
    for name, layer in layers:
        missing = [f for f in wanted if _empty(getattr(out, f))]
        if not missing:
            break
        try:
            found = layer(missing)
        except Exception:
            # A layer tripped on hostile markup: the others still answer, the crawl goes on.
            logger.warning("generic extractor: %s layer failed on %s", name, url, exc_info=True)
            continue
        for field_name in missing:
            value = found.get(field_name)
            if not _empty(value):
                setattr(out, field_name, value)
                out.sources[field_name] = name
    _finish(out, page)
    return out


def extract_generic(
    html: str,
    url: str,
    *,
    fetched_at: datetime | None = None,
    lang: str | None = None,
) -> ExtractedFields:
    """Listing fields from any page: structured data first, then the page's own layout.

    `url` is the page's address (links are made absolute against it); `fetched_at` the
    time relative dates count back from (now when None); `lang` the page's language tag
    when known better than the page declares it. `.sources` says which layer gave each
    field: "json-ld", "microdata", "opengraph", "meta" or "page".
    """
    if not isinstance(html, str):
        raise TypeError(f"html must be a str, got {type(html).__name__}")
    text = html[:MAX_HTML_CHARS]
    if not text.strip():
        return ExtractedFields()
    return extract_selector(Selector(text=text), url, fetched_at=fetched_at, lang=lang)


def listing_json(fields: ExtractedFields) -> dict[str, Any]:
    """The listing as plain JSON: title, description, price, currency, seller, location,
    images and posted_at (ISO 8601 UTC)."""
    seller = None
    if fields.seller_id or fields.seller_name or fields.seller_url:
        seller = {
            "id": fields.seller_id,
            "name": fields.seller_name,
            "profile_url": fields.seller_url,
        }
    posted = fields.posted_at.astimezone(UTC) if fields.posted_at else None
    return {
        "title": fields.title,
        "description": fields.description,
        "price": fields.price,
        "currency": fields.currency,
        "seller": seller,
        "location": fields.location,
        "images": list(fields.images),
        "posted_at": posted.strftime("%Y-%m-%dT%H:%M:%SZ") if posted else None,
    }
