"""Listing photos for the sandbox marketplaces: deterministic, photo-like JPEGs.

A photo is drawn from a key (`photo_key`: the listing's photo key and the photo's
number), so the same key always gives the same picture: a two-colour gradient
background, a handful of overlapping shapes, one large "subject" shape and sensor-like
noise. Nothing depends on the clock or on other photos.

Each site encodes the picture its own way (`PhotoFormat`), as real platforms recompress
what sellers upload: Bazaar keeps 320x240 at JPEG quality 85, Mercado shrinks it to
300x225 at quality 55. So one photo posted on both sites arrives as two different files
that still show the same thing, which is what repost detection has to cope with.

Encoded photos are kept per site in a `PhotoCache` of bounded size: a crawl asks for
each photo once or twice, and drawing one takes a few milliseconds.
"""

from __future__ import annotations

import hashlib
import io
import math
import random
import threading
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw

__all__ = [
    "BAZAAR_FORMAT",
    "DRAWN_SIZE",
    "JPEG_TYPE",
    "MERCADO_FORMAT",
    "PhotoCache",
    "PhotoFormat",
    "draw_photo",
    "encode_photo",
    "photo_key",
]

JPEG_TYPE = "image/jpeg"
#: Every photo is drawn at this size (width, height), then scaled by the site's format.
DRAWN_SIZE = (320, 240)
_NOISE_SPREAD = 10  # per-pixel noise of up to ±10 grey levels, like a phone camera indoors
_DEFAULT_CAPACITY = 512  # encoded photos kept per site (about 10 KB each)


@dataclass(frozen=True)
class PhotoFormat:
    """How a site stores an uploaded photo: its size in pixels and its JPEG quality."""

    width: int
    height: int
    quality: int  # JPEG quality, 1..95

    def __post_init__(self) -> None:
        if not (16 <= self.width <= 4096 and 16 <= self.height <= 4096):
            raise ValueError(f"photo size {self.width}x{self.height} is out of range")
        if not 1 <= self.quality <= 95:
            raise ValueError(f"JPEG quality {self.quality} is outside 1..95")


BAZAAR_FORMAT = PhotoFormat(320, 240, 85)
MERCADO_FORMAT = PhotoFormat(300, 225, 55)


def photo_key(listing_photo_key: str, n: int) -> str:
    """The key photo `n` of a listing is drawn from."""
    return f"{listing_photo_key}/{n}"


def _colour(rng: random.Random, low: int = 20, high: int = 235) -> tuple[int, int, int]:
    return (rng.randint(low, high), rng.randint(low, high), rng.randint(low, high))


def _gradient(rng: random.Random, width: int, height: int) -> np.ndarray:
    """A two-colour linear gradient in a random direction, as an RGB array."""
    start = np.array(_colour(rng), dtype=np.float32)
    end = np.array(_colour(rng), dtype=np.float32)
    angle = rng.uniform(0.0, 2.0 * math.pi)
    xs = np.arange(width, dtype=np.float32) * math.cos(angle)
    ys = np.arange(height, dtype=np.float32) * math.sin(angle)
    along = ys[:, None] + xs[None, :]
    t = (along - along.min()) / max(float(along.max() - along.min()), 1.0)
    return start + (end - start) * t[..., None]


def _shape(
    draw: ImageDraw.ImageDraw, rng: random.Random, size: int, box: tuple[float, ...]
) -> None:
    """One filled ellipse, rectangle or polygon about `size` pixels from its centre to its
    edge, centred somewhere in `box` (left, top, right, bottom)."""
    cx, cy = rng.uniform(box[0], box[2]), rng.uniform(box[1], box[3])
    rx, ry = size * rng.uniform(0.5, 1.0), size * rng.uniform(0.5, 1.0)
    fill = _colour(rng)
    kind = rng.choice(("ellipse", "rectangle", "polygon"))
    if kind == "ellipse":
        draw.ellipse((cx - rx, cy - ry, cx + rx, cy + ry), fill=fill)
    elif kind == "rectangle":
        draw.rectangle((cx - rx, cy - ry, cx + rx, cy + ry), fill=fill)
    else:
        corners = rng.randint(3, 7)
        turn = rng.uniform(0.0, 2.0 * math.pi)
        points = [
            (
                cx + rx * rng.uniform(0.6, 1.0) * math.cos(turn + 2 * math.pi * i / corners),
                cy + ry * rng.uniform(0.6, 1.0) * math.sin(turn + 2 * math.pi * i / corners),
            )
            for i in range(corners)
        ]
        draw.polygon(points, fill=fill)


def draw_photo(key: str) -> Image.Image:
    """The picture for `key`, at `DRAWN_SIZE`, in RGB; the same key, the same pixels."""
    seed = int.from_bytes(hashlib.sha256(key.encode("utf-8")).digest()[:8], "big")
    rng = random.Random(seed)
    width, height = DRAWN_SIZE
    background = _gradient(rng, width, height)
    image = Image.fromarray(background.astype(np.uint8), "RGB")
    draw = ImageDraw.Draw(image)
    for _ in range(rng.randint(4, 8)):
        _shape(draw, rng, rng.randint(15, 70), (0, 0, width, height))
    # The subject: one large shape near the middle, as a seller centres what they sell.
    middle = (width * 0.3, height * 0.3, width * 0.7, height * 0.7)
    _shape(draw, rng, rng.randint(50, 90), middle)
    spread = _NOISE_SPREAD
    noise = np.random.default_rng(seed).integers(-spread, spread + 1, (height, width, 3), np.int16)
    pixels = np.asarray(image, dtype=np.int16) + noise
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8), "RGB")


def encode_photo(image: Image.Image, fmt: PhotoFormat) -> bytes:
    """`image` scaled to the format's size and saved as a baseline JPEG."""
    if image.size != (fmt.width, fmt.height):
        image = image.resize((fmt.width, fmt.height), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=fmt.quality)
    return out.getvalue()


class PhotoCache:
    """A site's encoded photos by key, the most recently used `capacity` of them kept.

    Safe to share between the server's request threads.
    """

    def __init__(self, fmt: PhotoFormat, *, capacity: int = _DEFAULT_CAPACITY) -> None:
        if capacity < 1:
            raise ValueError("a photo cache holds at least one photo")
        self.format = fmt
        self.capacity = capacity
        self._photos: OrderedDict[str, bytes] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        with self._lock:
            return len(self._photos)

    def jpeg(self, key: str) -> bytes:
        """The JPEG for `key`, drawn and encoded on first use."""
        with self._lock:
            found = self._photos.get(key)
            if found is not None:
                self._photos.move_to_end(key)
                return found
        # Drawn outside the lock: two threads may draw one photo twice, never block.
        body = encode_photo(draw_photo(key), self.format)
        with self._lock:
            self._photos[key] = body
            self._photos.move_to_end(key)
            while len(self._photos) > self.capacity:
                self._photos.popitem(last=False)
        return body
