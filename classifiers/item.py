"""What every classifier in this package reads of one listing."""

from __future__ import annotations

from dataclasses import dataclass

from crawler.listing import listing_text

__all__ = ["ListingText"]


@dataclass(frozen=True, slots=True)
class ListingText:
    """The parts of a listing a classifier reads; reason spans point into :attr:`text`."""

    title: str
    description: str | None = None
    lang: str | None = None
    price: float | None = None
    currency: str | None = None

    @property
    def text(self) -> str:
        return listing_text(self.title, self.description)
