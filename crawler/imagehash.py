"""Perceptual hashes of listing photos, so a re-encoded or resized copy is found again.

A repost of an offer usually carries the same photo, saved again by another app: a
different JPEG quality, another size, PNG turned into JPEG. Byte hashes differ; the
perceptual hash (pHash) barely moves. The recipe:

1. decode the first frame, apply the EXIF orientation, flatten transparency onto
   white, take the luminance;
2. shrink to 32x32 (detail and noise go, the composition stays);
3. take the 2-D DCT (a matrix of cosines, applied to rows and columns);
4. keep the 8x8 block of lowest frequencies next to the DC term (rows and columns 1
   to 8, as libpHash does: the DC term and the first row and column say more about
   overall brightness than about the picture);
5. one bit per coefficient: above the block's median or not. 64 bits, 16 hex digits.

Two hashes are compared by :func:`hamming` distance: copies of one photo stay within
a few bits, unrelated photos sit near 32.

Image bytes are hostile: the pixel count is checked from the header before anything
is decoded (a small file can claim a huge canvas), and every decoding failure is one
:class:`ImageHashError`.
"""

from __future__ import annotations

import io
import warnings
from functools import lru_cache

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from crawler.errors import CrawlerError

__all__ = [
    "HASH_BITS",
    "MAX_IMAGE_BYTES",
    "MAX_IMAGE_PIXELS",
    "ImageHashError",
    "hamming",
    "perceptual_hash",
]

HASH_BITS = 64
#: Larger than any listing photo (a 48-megapixel phone camera is 8000x6000), below
#: Pillow's own bomb warning, so the check here is the one that speaks.
MAX_IMAGE_PIXELS = 64_000_000
#: A listing photo above this is not a photo we want to decode.
MAX_IMAGE_BYTES = 50 * 1024 * 1024

_SIDE = 32  # the shrunken image
_LOW = 8  # the block of low frequencies kept
_HIGH_DEPTH_MODES = frozenset({"I", "I;16", "I;16B", "I;16L", "I;16N", "F"})


class ImageHashError(CrawlerError, ValueError):
    """Raised by :func:`perceptual_hash` for bytes that are not a decodable image, or an
    image over the size caps; by :func:`hamming` for a string that is not a hash.

    The caller skips that photo (the listing keeps its other hashes); nothing else
    depends on it.
    """


def perceptual_hash(data: bytes, *, max_pixels: int = MAX_IMAGE_PIXELS) -> str:
    """The 64-bit DCT perceptual hash of an image, as 16 lowercase hex digits.

    Raises :class:`ImageHashError` when `data` is not an image Pillow can read, or
    when its canvas exceeds `max_pixels` (checked before decoding).
    """
    if not data:
        raise ImageHashError("empty image data")
    if len(data) > MAX_IMAGE_BYTES:
        raise ImageHashError(f"image of {len(data)} bytes is over the {MAX_IMAGE_BYTES} cap")
    try:
        with warnings.catch_warnings():
            # Our own cap is lower than Pillow's; its warning would only repeat ours.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                width, height = image.size
                if width * height > max_pixels:
                    raise ImageHashError(
                        f"image of {width}x{height} pixels is over the {max_pixels}-pixel cap"
                    )
                pixels = _luminance(image)
    except ImageHashError:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError) as exc:
        raise ImageHashError(f"not a readable image: {exc}") from exc
    except Exception as exc:
        # Crafted or truncated files make Pillow's decoders and EXIF reader fail in
        # many ways (OSError, SyntaxError, struct.error, KeyError...); all mean the same.
        raise ImageHashError(f"cannot decode image: {type(exc).__name__}: {exc}") from exc
    return _hash_of(pixels)


def hamming(a: str, b: str) -> int:
    """How many of the 64 bits differ between two hashes (0: same picture)."""
    return (_as_int(a) ^ _as_int(b)).bit_count()


def _as_int(value: str) -> int:
    if len(value) != HASH_BITS // 4:
        raise ImageHashError(f"not a 16-hex-digit image hash: {value[:40]!r}")
    try:
        return int(value, 16)
    except ValueError as exc:
        raise ImageHashError(f"not a 16-hex-digit image hash: {value[:40]!r}") from exc


def _luminance(image: Image.Image) -> np.ndarray:
    """The first frame, upright, transparency on white, as a 32x32 float array."""
    image.seek(0)  # animated images: the first frame is what a listing page shows
    if image.format == "JPEG":
        # Let the JPEG decoder scale down by 1/2..1/8 while decoding: far less memory
        # and time for big photos, and the hash only needs 32x32.
        image.draft("L", (_SIDE * 4, _SIDE * 4))
    upright = ImageOps.exif_transpose(image)
    if upright.mode in ("RGBA", "LA", "PA", "La", "RGBa") or (
        upright.mode == "P" and "transparency" in upright.info
    ):
        rgba = upright.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        upright = Image.alpha_composite(background, rgba)
    # 16-bit and float images: the median threshold ignores scale, so no rescaling.
    gray = upright.convert("F" if upright.mode in _HIGH_DEPTH_MODES else "L")
    small = gray.resize((_SIDE, _SIDE), Image.Resampling.LANCZOS, reducing_gap=3.0)
    return np.asarray(small, dtype=np.float64)


@lru_cache(maxsize=1)
def _cosines() -> np.ndarray:
    """The DCT-II basis: row k holds cos(pi * (2n + 1) * k / 2N) for n = 0..N-1."""
    k = np.arange(_SIDE)[:, None]
    n = np.arange(_SIDE)[None, :]
    basis = np.cos(np.pi * (2 * n + 1) * k / (2 * _SIDE))
    basis.setflags(write=False)
    return basis


def _hash_of(pixels: np.ndarray) -> str:
    basis = _cosines()
    spectrum = basis @ pixels @ basis.T
    low = spectrum[1 : _LOW + 1, 1 : _LOW + 1].ravel()
    bits = low > np.median(low)
    value = 0
    for bit in bits:
        value = (value << 1) | int(bit)
    return f"{value:016x}"
