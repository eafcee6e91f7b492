"""The `Listing` record: stable ids, and hostile content capped and cleaned."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from crawler.listing import MAX_IMAGES, MAX_TITLE_CHARS, Listing, listing_id, listing_text


def make(**overrides: object) -> Listing:
    fields: dict[str, object] = {
        "platform": "bazaar",
        "platform_id": "42",
        "url": "https://bazaar.example/listing/42",
        "title": "Carved bangle",
    }
    fields.update(overrides)
    return Listing.model_validate(fields)


def test_id_is_platform_and_platform_id() -> None:
    assert make().id == "bazaar:42"


def test_id_falls_back_to_the_url_and_is_stable() -> None:
    a = make(platform_id=None)
    b = make(platform_id=None, title="changed title")
    assert a.id == b.id
    assert a.id.startswith("bazaar:url-")
    assert make(platform_id=None, url="https://bazaar.example/other").id != a.id


def test_id_needs_platform_id_or_url() -> None:
    with pytest.raises(ValueError, match="stable id"):
        listing_id("bazaar")


@pytest.mark.parametrize("url", ["javascript:alert(1)", "file:///etc/passwd", "ftp://x/y", ""])
def test_only_http_urls_are_accepted(url: str) -> None:
    with pytest.raises(ValidationError, match="http"):
        make(url=url)


def test_free_text_is_capped_and_control_characters_removed() -> None:
    listing = make(title="ivory\x00\u202e bangle " + "x" * 10_000, description="a\x07b")
    assert len(listing.title) == MAX_TITLE_CHARS
    assert listing.title.startswith("ivory bangle")
    assert listing.description == "ab"


def test_extra_images_are_dropped_not_refused() -> None:
    urls = [f"https://img.example/{i}.jpg" for i in range(MAX_IMAGES + 20)]
    assert len(make(image_urls=urls).image_urls) == MAX_IMAGES


def test_currency_must_be_an_iso_code() -> None:
    with pytest.raises(ValidationError, match="currency"):
        make(currency="dollars")


def test_text_is_title_then_description() -> None:
    assert make(description="old stock").text == "Carved bangle\nold stock"
    assert listing_text("t", None) == "t"
