"""Pulls listing fields out of a page: configured CSS/XPath rules first, then the generic
extractor (`crawler.generic`: structured data, meta tags, the page's layout) for the rest.

Prices and currencies read by rules go through `crawler.money` ("1.250.000 ₫" is
1250000 VND), dates through `crawler.dates` ("3 ngày trước" against the fetch time).
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin

from parsel import Selector

from crawler.dates import parse_date
from crawler.html_text import element_text
from crawler.money import Money, currency_code, currency_hint, parse_amount, parse_money
from crawler.sources import FieldRule, ListingFieldRules

__all__ = [
    "ExtractedFields",
    "apply_rule",
    "extract_fields",
    "json_ld_products",
    "parse_datetime",
    "parse_price",
    "visible_text",
]

logger = logging.getLogger(__name__)

_SPACES = re.compile(r"[ \t\r\f\v\u00a0]+")


@dataclass
class ExtractedFields:
    """Raw field values found on a page, before validation into a `Listing`."""

    title: str | None = None
    description: str | None = None
    price: float | None = None
    currency: str | None = None
    location: str | None = None
    posted_at: datetime | None = None
    seller_id: str | None = None
    seller_name: str | None = None
    seller_url: str | None = None
    images: list[str] = field(default_factory=list)
    removed: str | None = None  # the page's "listing removed" notice, if it shows one
    #: field -> where it came from: "css" (a source rule, CSS or XPath), or the generic
    #: extractor's "json-ld", "microdata", "opengraph", "meta" or "page".
    sources: dict[str, str] = field(default_factory=dict)


def visible_text(node: Selector) -> str:
    """An attribute or text node as it is; an element as its visible text, one line a block."""
    if not isinstance(node.root, str):
        return element_text(node.root)
    lines = (_SPACES.sub(" ", line).strip() for line in node.root.split("\n"))
    return "\n".join(line for line in lines if line)


def apply_rule(selector: Selector, rule: FieldRule) -> list[str]:
    """The values `rule` finds in `selector` (the first only, unless ``all``)."""
    nodes = selector.css(rule.css) if rule.css is not None else selector.xpath(rule.xpath or "")
    values = [visible_text(node) for node in nodes]
    values = [v for v in values if v]
    if rule.re:
        pattern = re.compile(rule.re)
        matched = []
        for value in values:
            m = pattern.search(value)
            if m:
                matched.append(m.group("id") if "id" in pattern.groupindex else m.group(0))
        values = matched
    return values if rule.all else values[:1]


def parse_price(value: Any, *, lang: str | None = None) -> float | None:
    """A price from a number, a machine-readable string ("1250.00") or written text
    ("1.250.000 ₫", "2tr5"); None if unreadable or negative."""
    if isinstance(value, str) and not re.fullmatch(r"\s*\d{1,18}(?:\.\d{1,6})?\s*", value):
        money = parse_money(value, lang=lang)
        return money.amount if money else None
    return parse_amount(value)


def parse_datetime(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def json_ld_products(selector: Selector) -> list[dict[str, Any]]:
    """Every schema.org Product object at the top of the page's JSON-LD blocks or in their
    ``@graph`` (bad blocks skipped). The generic extractor reads more; see `crawler.generic`."""
    found: list[dict[str, Any]] = []
    for block in selector.css('script[type="application/ld+json"]::text').getall():
        try:
            data = json.loads(block, strict=False)
        except (ValueError, RecursionError):
            logger.debug("skipping malformed JSON-LD block")
            continue
        pending = data if isinstance(data, list) else [data]
        for node in pending[:1000]:
            if not isinstance(node, dict):
                continue
            kind = node.get("@type")
            if "Product" in (kind if isinstance(kind, list) else [kind]):
                found.append(node)
            graph = node.get("@graph")
            if isinstance(graph, list):
                pending.extend(graph)
    return found


def _rule_values(selector: Selector, rules: ListingFieldRules) -> dict[str, list[str]]:
    found = {}
    for name in ListingFieldRules.model_fields:
        rule = getattr(rules, name)
        if rule is not None:
            values = apply_rule(selector, rule)
            if values:
                found[name] = values
    return found


def extract_fields(
    html: str,
    url: str,
    rules: ListingFieldRules,
    *,
    fetched_at: datetime | None = None,
    lang: str | None = None,
) -> ExtractedFields:
    """Fields of the listing on one page: the source's rules first, then the generic
    extractor for every field they leave empty. URLs are made absolute against `url`;
    relative dates count back from `fetched_at` (now when None)."""
    # Imported here: the generic extractor builds on this module's ExtractedFields.
    from crawler.generic import FIELDS, extract_selector, page_language

    selector = Selector(text=html)
    now = fetched_at or datetime.now(UTC)
    lang = lang or page_language(selector)
    hint = currency_hint(lang, url)
    out = ExtractedFields()
    for name, values in _rule_values(selector, rules).items():
        if name == "images":
            out.images = values
        elif name == "price":
            money = _rule_price(values[0], lang, hint)
            if money is None:
                continue
            out.price = money.amount
            if money.currency:  # "1.250.000 ₫": the price says its currency
                out.currency = money.currency
                out.sources["currency"] = "css"
        elif name == "currency":
            # A code or symbol ("vnd", "₫"), or the price text itself ("1.250.000 ₫").
            code = currency_code(values[0], lang=lang, hint=hint)
            money = None if code else _rule_price(values[0], lang, hint)
            code = code or (money.currency if money else None)
            if code is None:
                continue
            out.currency = code
        elif name == "posted_at":
            out.posted_at = parse_date(values[0], now=now, lang=lang)
            if out.posted_at is None:
                continue
        else:
            setattr(out, name, values[0])
        out.sources[name] = "css"
    out.images = [u for u in (_absolute(url, i) for i in out.images) if u]
    if out.seller_url:
        out.seller_url = _absolute(url, out.seller_url)
    missing = [name for name in FIELDS if getattr(out, name) in (None, "", [])]
    if missing:
        extract_selector(selector, url, fetched_at=now, lang=lang, want=missing, into=out)
    return out


def _rule_price(text: str, lang: str | None, hint: str | None) -> Money | None:
    """A rule's price: a plain number as it is, written text through `crawler.money`;
    its currency only when the text writes one (the page's hints settle "$" or "¥")."""
    if re.fullmatch(r"\s*\d{1,18}(?:\.\d{1,6})?\s*", text):
        amount = parse_amount(text)
        return Money(amount, None) if amount is not None else None
    written = parse_money(text, lang=lang)
    if written is None or written.currency is None:
        return written
    return parse_money(text, lang=lang, hint_currency=hint)


def _absolute(base: str, link: str) -> str | None:
    """`link` made absolute; None unless http(s) (a data: image would fail validation)."""
    absolute = urljoin(base, link.strip())
    return absolute if re.match(r"^https?://[^\s/]+", absolute, re.IGNORECASE) else None
