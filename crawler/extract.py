"""Pulls listing fields out of a page: configured CSS rules first, schema.org JSON-LD second."""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin

from parsel import Selector

from crawler.sources import FieldRule, ListingFieldRules

__all__ = ["ExtractedFields", "extract_fields", "json_ld_products"]

logger = logging.getLogger(__name__)

_SPACES = re.compile(r"[ \t\r\f\v\u00a0]+")
_NUMBER = re.compile(r"\d[\d.,\s]*")


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
    sources: dict[str, str] = field(default_factory=dict)  # field -> "css" | "json-ld"


_BLOCK_TAGS = frozenset(
    [
        "address",
        "article",
        "aside",
        "blockquote",
        "br",
        "dd",
        "div",
        "dl",
        "dt",
        "figcaption",
        "footer",
        "form",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hr",
        "li",
        "main",
        "nav",
        "ol",
        "p",
        "pre",
        "section",
        "table",
        "td",
        "th",
        "tr",
        "ul",
    ]
)
_HIDDEN_TAGS = frozenset({"script", "style", "template", "noscript"})


def _element_text(element: Any, out: list[str]) -> None:
    tag = element.tag if isinstance(element.tag, str) else ""
    if tag in _HIDDEN_TAGS:
        return
    block = tag in _BLOCK_TAGS
    if block:
        out.append("\n")
    out.append(element.text or "")
    for child in element:
        _element_text(child, out)
        out.append(child.tail or "")
    if block:
        out.append("\n")


def _visible_text(node: Selector) -> str:
    """An attribute or text node as it is; an element as its visible text, one line a block."""
    if isinstance(node.root, str):
        text = node.root
    else:
        parts: list[str] = []
        _element_text(node.root, parts)
        text = "".join(parts)
    lines = (_SPACES.sub(" ", line).strip() for line in text.split("\n"))
    return "\n".join(line for line in lines if line)


def _apply(selector: Selector, rule: FieldRule) -> list[str]:
    nodes = selector.css(rule.css)
    values = [_visible_text(node) for node in nodes]
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


def parse_price(value: Any) -> float | None:
    """A price from a number or a machine-readable string ("1250.00"); None if unreadable."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value) if value >= 0 else None
    if not isinstance(value, str):
        return None
    match = _NUMBER.search(value)
    if not match:
        return None
    digits = re.sub(r"\s", "", match.group()).rstrip(".,")
    try:
        return float(digits.replace(",", ""))
    except ValueError:
        return None


def parse_datetime(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def json_ld_products(selector: Selector) -> list[dict[str, Any]]:
    """Every schema.org Product object in the page's JSON-LD blocks (bad blocks skipped)."""
    found: list[dict[str, Any]] = []

    def walk(node: Any) -> None:
        if isinstance(node, list):
            for item in node:
                walk(item)
        elif isinstance(node, dict):
            kind = node.get("@type")
            kinds = kind if isinstance(kind, list) else [kind]
            if "Product" in kinds:
                found.append(node)
            walk(node.get("@graph"))

    for block in selector.css('script[type="application/ld+json"]::text').getall():
        try:
            walk(json.loads(block))
        except json.JSONDecodeError:
            logger.debug("skipping malformed JSON-LD block")
    return found


def _first(value: Any) -> Any:
    return value[0] if isinstance(value, list) and value else value


def _from_json_ld(product: dict[str, Any]) -> dict[str, Any]:
    offers = _first(product.get("offers")) or {}
    seller = offers.get("seller") if isinstance(offers, dict) else None
    seller = seller if isinstance(seller, dict) else {}
    images = product.get("image") or []
    images = [images] if isinstance(images, str | dict) else images
    return {
        "title": product.get("name"),
        "description": product.get("description"),
        "price": parse_price(offers.get("price")) if isinstance(offers, dict) else None,
        "currency": offers.get("priceCurrency") if isinstance(offers, dict) else None,
        "seller_name": seller.get("name"),
        "seller_url": seller.get("url"),
        "images": [i.get("url") if isinstance(i, dict) else i for i in images if i],
    }


def extract_fields(html: str, url: str, rules: ListingFieldRules) -> ExtractedFields:
    """Fields of the listing on one page; URLs are made absolute against `url`."""
    selector = Selector(text=html)
    out = ExtractedFields()
    for name in ListingFieldRules.model_fields:
        rule = getattr(rules, name)
        if rule is None:
            continue
        values = _apply(selector, rule)
        if not values:
            continue
        out.sources[name] = "css"
        if name == "images":
            out.images = values
        elif name == "price":
            out.price = parse_price(values[0])
        elif name == "posted_at":
            out.posted_at = parse_datetime(values[0])
        else:
            setattr(out, name, values[0])
    products = json_ld_products(selector)
    if products:
        for name, value in _from_json_ld(products[0]).items():
            if value and not getattr(out, name):
                setattr(out, name, value)
                out.sources[name] = "json-ld"
    if out.currency:
        out.currency = out.currency.strip().upper()[:3]
    out.images = [urljoin(url, str(i)) for i in out.images if isinstance(i, str)]
    if out.seller_url:
        out.seller_url = urljoin(url, out.seller_url)
    return out
