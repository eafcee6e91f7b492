"""Helpers for the cluster tests: listings saved through the real store, photos made
with Pillow and hashed with the crawler's own perceptual hash."""

from __future__ import annotations

import io
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from PIL import Image, ImageDraw
from sqlalchemy import select

from crawler.imagehash import perceptual_hash
from crawler.listing import Listing, Seller
from indexer import Database, ListingStore
from indexer.clusters.reposts import RepostClusterer
from indexer.clusters.sellers import SellerClusterer
from indexer.models import ListingRow

START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def photo(seed: int, size: tuple[int, int] = (480, 360)) -> Image.Image:
    """A photo-like picture: a tinted gradient, random shapes, sensor noise."""
    rng = np.random.default_rng(seed)
    width, height = size
    y, x = np.mgrid[0:height, 0:width]
    base = np.stack([x * 255 / width, y * 255 / height, (x + y) * 127 / (width + height)], -1)
    image = Image.fromarray((base * rng.uniform(0.3, 1.0, 3)).astype("uint8"))
    draw = ImageDraw.Draw(image)
    for _ in range(10):
        x0, y0 = int(rng.integers(0, width - 40)), int(rng.integers(0, height - 40))
        x1, y1 = x0 + int(rng.integers(30, 180)), y0 + int(rng.integers(30, 180))
        draw.ellipse([x0, y0, x1, y1], fill=tuple(int(c) for c in rng.integers(0, 256, 3)))
    noisy = np.asarray(image, dtype=float) + rng.normal(0, 10, (height, width, 3))
    return Image.fromarray(np.clip(noisy, 0, 255).astype("uint8"))


def photo_hash(image: Image.Image, fmt: str = "PNG", **options: object) -> str:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return perceptual_hash(buffer.getvalue())


def listing(
    platform: str,
    platform_id: str,
    title: str,
    description: str | None = None,
    *,
    seller_id: str | None = None,
    seller_name: str | None = None,
    photos: Iterable[str] = (),
) -> Listing:
    return Listing(
        platform=platform,
        platform_id=platform_id,
        url=f"https://{platform}.example/item/{platform_id}",
        title=title,
        description=description,
        seller=Seller.from_parts(seller_id, seller_name, None),
        image_hashes=list(photos),
    )


class Store:
    """The store under test, and what tests do with it."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self.saved = 0

    def save(self, *listings: Listing) -> None:
        """Save listings one day apart, in the order given (the first is the oldest)."""
        with self.database.session() as session:
            store = ListingStore(session)
            for item in listings:
                store.save(item, seen_at=START + timedelta(days=self.saved))
                self.saved += 1

    def recluster(self, *, hub_accounts: int = 25) -> None:
        with self.database.session() as session:
            RepostClusterer(session).update()
            SellerClusterer(session, hub_accounts=hub_accounts).update()

    def column(self, name: str) -> dict[str, str | None]:
        """listing id -> value of `listings.<name>`."""
        with self.database.session() as session:
            rows = session.execute(select(ListingRow.id, getattr(ListingRow, name)))
            return {listing_id: value for listing_id, value in rows}

    def reposts(self) -> dict[str, str | None]:
        return self.column("repost_cluster")

    def sellers(self) -> dict[str, str | None]:
        return self.column("seller_cluster")


@pytest.fixture
def store(database: Database) -> Store:
    return Store(database)
