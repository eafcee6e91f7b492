"""Helpers the sandbox's API, feed and channel sites share (see `sandbox.apis`): the
hashtags a listing's posts carry, URL slugs, and JSON responses, whole or cut off."""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable
from typing import Any

from sandbox.corpus import NO_PRODUCT, SandboxListing
from sandbox.server import Response

__all__ = [
    "MARKET_TAGS",
    "PRODUCT_TAGS",
    "json_response",
    "listing_hashtags",
    "malformed_json",
    "slug",
]

#: The hashtag a post about each product family carries (lower case, as Mastodon keeps them).
PRODUCT_TAGS = {
    "ivory": "ivory",
    "rhino_horn": "rhinohorn",
    "pangolin_scales": "pangolin",
    "tiger_parts": "tiger",
    "live_reptile": "reptiles",
    "live_bird": "birds",
    "hornbill_casque": "hornbill",
    "turtle_shell": "turtleshell",
    "shark_fin": "sharkfin",
    "rosewood": "rosewood",
}
#: The "for sale" hashtag of each language's market.
MARKET_TAGS = {
    "en": "forsale",
    "fr": "àvendre",
    "es": "sevende",
    "pt": "vendese",
    "id": "dijual",
    "vi": "raovặt",
    "zh": "出售",
    "th": "ขาย",
}


def listing_hashtags(listing: SandboxListing) -> list[str]:
    """The hashtags a post of `listing` carries: its product family's, then its market's."""
    tags = []
    if listing.product != NO_PRODUCT:
        tags.append(PRODUCT_TAGS[listing.product])
    tags.append(MARKET_TAGS.get(listing.language, "forsale"))
    return tags


def slug(text: str, *, keep_unicode: bool = False) -> str:
    """Lower-case words joined by "-": ASCII-folded, or with letters of any script kept."""
    folded = unicodedata.normalize("NFKC" if keep_unicode else "NFKD", text).casefold()
    if not keep_unicode:
        folded = folded.encode("ascii", "ignore").decode("ascii")
    return "-".join(re.findall(r"\w+", folded)).replace("_", "-").strip("-")


def json_response(
    data: Any, status: int = 200, headers: Iterable[tuple[str, str]] = ()
) -> Response:
    """`data` as a UTF-8 JSON body."""
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return Response(status, body, "application/json; charset=utf-8", tuple(headers))


def malformed_json(
    data: Any, status: int = 200, headers: Iterable[tuple[str, str]] = ()
) -> Response:
    """`data` as JSON cut off in the middle, as a server that died mid-response sends it."""
    body = json.dumps(data, ensure_ascii=False).encode("utf-8")
    return Response(
        status, body[: max(1, len(body) // 2)], "application/json; charset=utf-8", tuple(headers)
    )
