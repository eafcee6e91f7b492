"""Text fingerprints for finding reposts: canonical text, shingles, MinHash and SimHash.

A repost says the same thing in slightly different words, on another platform, weeks
later, often with a new price or a new phone number. The text is first brought to one
canonical form:

- links and e-mail addresses are dropped (they change between platforms);
- the classifiers' folding undoes disguises (homoglyphs, full-width letters,
  ``i.v.o.r.y``, leetspeak), lowercases and strips Latin accents;
- every number becomes ``0`` (prices and phone numbers change, the wording does not);
- punctuation and symbols become spaces, runs of spaces one space, and spaces between
  two Chinese, Japanese, Korean or Thai characters go (those scripts put none).

The shingles are the overlapping character 4-grams of that text. Characters rather
than words, because Chinese, Japanese and Thai are written without spaces and would
otherwise need a segmenter per language; four characters is about one short word in
Latin script and two words in Chinese, and a one-word edit touches only the shingles
around it.

The MinHash signature holds, for each of 64 seeded hash functions, the smallest hash
of any shingle: the share of positions where two signatures agree estimates the
Jaccard similarity of the two shingle sets (standard error 0.06 at 0.7). Signatures
are uint32, 256 bytes a listing. The SimHash (64 bits, the majority vote of the
shingles' hash bits) is kept beside it for a quick look-up of near-identical texts.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from functools import cached_property, lru_cache

import numpy as np

from classifiers.normalize import Normalizer, default_normalizer

__all__ = [
    "EMPTY_SLOT",
    "FINGERPRINT_VERSION",
    "MAX_FINGERPRINT_CHARS",
    "NUM_PERMUTATIONS",
    "SHINGLE_CHARS",
    "TextFingerprint",
    "TextFingerprinter",
    "default_fingerprinter",
    "estimated_jaccard",
    "input_digest",
    "simhash_distance",
]

#: Bumped whenever the canonical text, the shingles or the hash functions change, so
#: stored fingerprints are recomputed.
FINGERPRINT_VERSION = 1
NUM_PERMUTATIONS = 64
SHINGLE_CHARS = 4
#: The offer is stated at the start; a 20,000-character description adds cost, not signal.
MAX_FINGERPRINT_CHARS = 5_000
#: The value of every signature slot of a text with no shingles.
EMPTY_SLOT = np.uint32(0xFFFFFFFF)
_SEED = 20_261_121

_URL_RE = re.compile(r"(?i)(?:\b[a-z][a-z0-9+.-]*://|\bwww\.)\S+")
_EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_NUMBER_RE = re.compile(r"\d+(?:[.,]\d+)*")
_SPACES_RE = re.compile(r"\s+")
# Scripts written without spaces between words.
_UNSPACED = "\u0e00-\u0e7f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af"
_UNSPACED_GAP_RE = re.compile(f"(?<=[{_UNSPACED}]) (?=[{_UNSPACED}])")

# Constants of the 64-bit mixer (the finaliser of SplitMix64) and the polynomial
# that folds a shingle's code points into one number.
_MIX_1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX_2 = np.uint64(0x94D049BB133111EB)
_POLY = np.uint64(0x9E3779B97F4A7C15)
_SHIFTS = np.arange(64, dtype=np.uint64)


@dataclass(frozen=True, slots=True)
class TextFingerprint:
    """What repost clustering keeps of one listing's text."""

    #: MinHash signature, ``NUM_PERMUTATIONS`` uint32 values.
    signature: np.ndarray
    #: 64-bit SimHash as a signed integer (fits a SQL BIGINT).
    simhash: int
    #: Distinct shingles the text had; short texts cannot prove a repost on their own.
    shingles: int


class _PunctuationToSpace(dict[int, str | None]):
    """A `str.translate` table, filled on demand: punctuation, symbols and separators
    become a space, everything else stays (Thai and combining marks included)."""

    def __missing__(self, codepoint: int) -> str | None:
        category = unicodedata.category(chr(codepoint))
        value = " " if category[0] in "PSZC" else chr(codepoint)
        self[codepoint] = value
        return value


class TextFingerprinter:
    """Turns listing text into a :class:`TextFingerprint`; one instance can be shared.

    `num_permutations` and `seed` fix the hash functions: fingerprints compare only
    when both were made with the same values (the stored ones use the defaults).
    """

    def __init__(
        self,
        *,
        num_permutations: int = NUM_PERMUTATIONS,
        shingle_chars: int = SHINGLE_CHARS,
        seed: int = _SEED,
        normalizer: Normalizer | None = None,
    ) -> None:
        if num_permutations < 1 or shingle_chars < 1:
            raise ValueError("num_permutations and shingle_chars must be positive")
        self.num_permutations = num_permutations
        self.shingle_chars = shingle_chars
        self._normalizer = normalizer
        rng = np.random.default_rng(seed)
        # Multiply-shift hashing: h(x) = (a*x + b) mod 2^64, top 32 bits; `a` odd.
        odd = rng.integers(0, 2**63, num_permutations, dtype=np.uint64)
        self._a = odd * np.uint64(2) + np.uint64(1)
        self._b = rng.integers(0, 2**63, num_permutations, dtype=np.uint64)
        self._table = _PunctuationToSpace()

    @cached_property
    def normalizer(self) -> Normalizer:
        return self._normalizer or default_normalizer()

    def canonical(self, text: str) -> str:
        """The form two reposts of one offer share (see the module docstring)."""
        text = _EMAIL_RE.sub(" ", _URL_RE.sub(" ", text[:MAX_FINGERPRINT_CHARS]))
        folded = self.normalizer(text).plain
        folded = _NUMBER_RE.sub("0", folded).translate(self._table)
        folded = _SPACES_RE.sub(" ", folded).strip()
        return _UNSPACED_GAP_RE.sub("", folded)

    def shingle_hashes(self, canonical: str) -> np.ndarray:
        """Distinct 64-bit hashes of the text's character n-grams (the whole text when
        shorter than one n-gram)."""
        if not canonical:
            return np.empty(0, dtype=np.uint64)
        raw = canonical.encode("utf-32-le", "surrogatepass")  # a lone surrogate is a character too
        points = np.frombuffer(raw, dtype=np.uint32).astype(np.uint64)
        width = min(self.shingle_chars, len(points))
        count = len(points) - width + 1
        with np.errstate(over="ignore"):  # wrapping arithmetic is the point
            acc = np.full(count, np.uint64(width))
            for offset in range(width):
                acc = acc * _POLY + points[offset : offset + count]
            return np.unique(_mix64(acc))

    def fingerprint(self, text: str) -> TextFingerprint:
        """Fingerprint of `text` (title and description as one string)."""
        hashes = self.shingle_hashes(self.canonical(text))
        return TextFingerprint(self._minhash(hashes), _simhash(hashes), len(hashes))

    def _minhash(self, hashes: np.ndarray) -> np.ndarray:
        if not len(hashes):
            return np.full(self.num_permutations, EMPTY_SLOT, dtype=np.uint32)
        with np.errstate(over="ignore"):
            permuted = (self._a[:, None] * hashes[None, :] + self._b[:, None]) >> np.uint64(32)
        return permuted.min(axis=1).astype(np.uint32)


def _mix64(values: np.ndarray) -> np.ndarray:
    """SplitMix64's finaliser: every input bit reaches every output bit."""
    with np.errstate(over="ignore"):
        values = (values ^ (values >> np.uint64(30))) * _MIX_1
        values = (values ^ (values >> np.uint64(27))) * _MIX_2
        return values ^ (values >> np.uint64(31))


def _simhash(hashes: np.ndarray) -> int:
    """Each bit set when most shingle hashes have it set; as a signed 64-bit integer."""
    if not len(hashes):
        return 0
    ones = ((hashes[:, None] >> _SHIFTS[None, :]) & np.uint64(1)).sum(axis=0)
    bits = (ones * 2 > len(hashes)).astype(np.uint64)
    value = int((bits << _SHIFTS).sum())
    return value - (1 << 64) if value >= 1 << 63 else value


def estimated_jaccard(a: np.ndarray, b: np.ndarray) -> float:
    """Share of signature slots two texts agree on: their estimated Jaccard similarity.

    Empty texts resemble nothing, not even each other.
    """
    if (a == EMPTY_SLOT).all() or (b == EMPTY_SLOT).all():
        return 0.0
    return float(np.mean(a == b))


def simhash_distance(a: int, b: int) -> int:
    """Bits that differ between two SimHashes (signed or unsigned form)."""
    return ((a ^ b) & 0xFFFFFFFFFFFFFFFF).bit_count()


@lru_cache(maxsize=1)
def default_fingerprinter() -> TextFingerprinter:
    """The fingerprinter whose output is stored, built once."""
    return TextFingerprinter()


def input_digest(text: str, image_hashes: list[str]) -> str:
    """SHA-256 of what a fingerprint is computed from; when it changes, recompute."""
    payload = f"v{FINGERPRINT_VERSION}\x00{text}\x00{','.join(image_hashes)}"
    return hashlib.sha256(payload.encode("utf-8", "surrogatepass")).hexdigest()
