"""Perceptual image hashes: copies of one photo stay close, different photos stay apart."""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFilter

from crawler.imagehash import ImageHashError, hamming, perceptual_hash

# A copy saved again stays within this many bits; unrelated photos differ in about 32.
NEAR = 6
FAR = 16


def photo(seed: int, size: tuple[int, int] = (640, 480)) -> Image.Image:
    """Something photo-like: a colour gradient, shapes at random places, sensor noise."""
    rng = np.random.default_rng(seed)
    width, height = size
    y, x = np.mgrid[0:height, 0:width]
    tint = rng.uniform(0.3, 1.0, 3)
    base = np.stack([x * 255 / width, y * 255 / height, (x + y) * 127 / (width + height)], -1)
    image = Image.fromarray((base * tint).astype("uint8"))
    draw = ImageDraw.Draw(image)
    for _ in range(12):
        x0, y0 = int(rng.integers(0, width - 50)), int(rng.integers(0, height - 50))
        extent = rng.integers(30, 200, 2)
        colour = tuple(int(c) for c in rng.integers(0, 256, 3))
        if rng.random() < 0.5:
            draw.ellipse([x0, y0, x0 + int(extent[0]), y0 + int(extent[1])], fill=colour)
        else:
            draw.rectangle([x0, y0, x0 + int(extent[0]), y0 + int(extent[1])], fill=colour)
    noisy = np.asarray(image, dtype=float) + rng.normal(0, 12, (height, width, 3))
    return Image.fromarray(np.clip(noisy, 0, 255).astype("uint8"))


def encode(image: Image.Image, fmt: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


ORIGINAL = photo(1)


@pytest.mark.parametrize(
    ("name", "copy"),
    [
        ("JPEG at quality 10", lambda img: encode(img, "JPEG", quality=10)),
        ("resized to a third", lambda img: encode(img.resize((213, 160)), "JPEG", quality=75)),
        ("enlarged", lambda img: encode(img.resize((1280, 960)), "PNG")),
        ("PNG to JPEG", lambda img: encode(img, "JPEG", quality=60)),
        ("WebP", lambda img: encode(img, "WEBP", quality=30)),
        ("grey", lambda img: encode(img.convert("L"), "PNG")),
        ("palette", lambda img: encode(img.convert("P", colors=64), "PNG")),
        ("slightly blurred", lambda img: encode(img.filter(ImageFilter.GaussianBlur(2)), "JPEG")),
        ("with an opaque alpha channel", lambda img: encode(img.convert("RGBA"), "PNG")),
    ],
)
def test_a_copy_saved_again_stays_close(name: str, copy) -> None:  # type: ignore[no-untyped-def]
    original = perceptual_hash(encode(ORIGINAL, "PNG"))
    assert hamming(original, perceptual_hash(copy(ORIGINAL))) <= NEAR, name


def test_different_photos_are_far_apart() -> None:
    hashes = [perceptual_hash(encode(photo(seed), "JPEG", quality=85)) for seed in range(2, 10)]
    distances = [hamming(a, b) for i, a in enumerate(hashes) for b in hashes[i + 1 :]]
    assert min(distances) > FAR
    assert 24 <= sum(distances) / len(distances) <= 40  # about half the bits


def test_hash_is_sixteen_hex_digits_and_repeatable() -> None:
    data = encode(ORIGINAL, "JPEG")
    value = perceptual_hash(data)
    assert len(value) == 16 and int(value, 16) >= 0 and value == value.lower()
    assert perceptual_hash(data) == value


def test_exif_orientation_is_applied() -> None:
    """A phone photo stored sideways with an orientation tag hashes like the upright one."""
    upright = perceptual_hash(encode(ORIGINAL, "JPEG", quality=90))
    sideways = ORIGINAL.transpose(Image.Transpose.ROTATE_90)  # stored rotated...
    exif = Image.Exif()
    exif[0x0112] = 6  # ...and tagged "rotate 90 clockwise to display"
    tagged = encode(sideways, "JPEG", quality=90, exif=exif.tobytes())
    assert hamming(upright, perceptual_hash(tagged)) <= NEAR
    untagged = encode(sideways, "JPEG", quality=90)
    assert hamming(upright, perceptual_hash(untagged)) > FAR


def test_transparency_is_flattened_onto_white() -> None:
    """A cut-out on a transparent canvas looks like the same cut-out on white."""
    rgba = ORIGINAL.convert("RGBA")
    alpha = Image.new("L", rgba.size, 0)
    ImageDraw.Draw(alpha).ellipse([100, 60, 540, 420], fill=255)
    rgba.putalpha(alpha)
    on_white = Image.new("RGB", rgba.size, "white")
    on_white.paste(rgba, mask=alpha)
    cut_out = perceptual_hash(encode(rgba, "PNG"))
    assert hamming(cut_out, perceptual_hash(encode(on_white, "JPEG", quality=90))) <= NEAR
    # Hidden colour under the transparent part does not count: black behind it is the same.
    black_under = rgba.copy()
    black_under.paste((0, 0, 0, 0), mask=Image.eval(alpha, lambda a: 255 - a))
    assert hamming(cut_out, perceptual_hash(encode(black_under, "PNG"))) <= 2


def test_animated_image_uses_its_first_frame() -> None:
    frames = [ORIGINAL.convert("P"), photo(7).convert("P"), photo(8).convert("P")]
    buffer = io.BytesIO()
    frames[0].save(buffer, "GIF", save_all=True, append_images=frames[1:], duration=100)
    first = perceptual_hash(encode(ORIGINAL, "PNG"))
    assert hamming(first, perceptual_hash(buffer.getvalue())) <= NEAR


def test_sixteen_bit_image_hashes_like_its_eight_bit_copy() -> None:
    grey = np.asarray(ORIGINAL.convert("L"), dtype=np.uint16) * 257
    deep = Image.fromarray(grey.astype(np.uint16))  # mode I;16
    assert (
        hamming(
            perceptual_hash(encode(deep, "PNG")),
            perceptual_hash(encode(ORIGINAL.convert("L"), "PNG")),
        )
        <= NEAR
    )


def _png_claiming(width: int, height: int) -> bytes:
    """A tiny valid PNG whose header is rewritten to claim a huge canvas (a pixel bomb)."""
    data = bytearray(encode(Image.new("1", (8, 8)), "PNG"))
    start = 8 + 8  # signature, then the IHDR chunk's length and type
    data[start : start + 8] = struct.pack(">II", width, height)
    crc = zlib.crc32(bytes(data[12 : start + 13]))
    data[start + 13 : start + 17] = struct.pack(">I", crc)
    return bytes(data)


@pytest.mark.parametrize("side", [10_000, 100_000])
def test_pixel_bomb_is_refused_before_decoding(side: int) -> None:
    pillow_limit = Image.MAX_IMAGE_PIXELS
    with pytest.raises(ImageHashError, match="pixels"):
        perceptual_hash(_png_claiming(side, side))
    assert pillow_limit == Image.MAX_IMAGE_PIXELS  # the global setting is left alone


def test_pixel_cap_is_per_call() -> None:
    data = encode(ORIGINAL, "PNG")
    with pytest.raises(ImageHashError, match="over the 1000-pixel cap"):
        perceptual_hash(data, max_pixels=1000)
    assert perceptual_hash(data)  # the default cap still lets a photo through


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"not an image at all",
        b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>",
        encode(ORIGINAL, "JPEG")[:300],  # truncated
        b"\x89PNG\r\n\x1a\n" + b"\x00" * 64,  # a PNG signature and garbage
    ],
    ids=["empty", "text", "svg", "truncated-jpeg", "garbage-png"],
)
def test_bytes_that_are_not_an_image_raise_a_clear_error(data: bytes) -> None:
    with pytest.raises(ImageHashError):
        perceptual_hash(data)


def test_hamming_counts_differing_bits_and_rejects_non_hashes() -> None:
    assert hamming("0000000000000000", "0000000000000000") == 0
    assert hamming("0000000000000000", "ffffffffffffffff") == 64
    assert hamming("8000000000000001", "0000000000000000") == 2
    for bad in ["abc", "zzzzzzzzzzzzzzzz", "0" * 17]:
        with pytest.raises(ImageHashError):
            hamming(bad, "0" * 16)
