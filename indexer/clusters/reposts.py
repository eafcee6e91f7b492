"""Repost clusters: one offer posted again, reworded, on other platforms, months later.

Two listings are the same offer when

- their texts are near-copies: estimated Jaccard similarity of the shingle sets at
  least 0.8 (`RepostRules.text_jaccard`), each text having at least 32 distinct
  shingles (about 35 characters once folded). Copies whose price, contact or a few
  words changed measure 0.85-0.95; a reworded repost 0.25-0.5; a seller's template
  reused for another item 0.5-0.8, depending on how much of the text the item takes
  (where it is a word or two, the two offers pass for one: a known limit). A short
  text alone ("Ivory bangle", "Claws for sale, call ...") proves nothing;
- or one photo is a near-identical copy of one of the other's photos (perceptual
  hashes at most 6 bits apart: a JPEG re-save, resize or brightness change moves
  0-6 bits, unrelated photos about 32) *and* the texts share at least some content
  (estimated Jaccard at least 0.2: a reworded repost measures 0.25-0.5, unrelated
  texts below 0.1). The text test keeps a platform's placeholder or a stock photo
  from joining unrelated offers; a photo that more than 50 listings carry is such a
  placeholder and is ignored (`photo_hub_listings`).

Clusters are the connected components of those pairs (so a chain of reposts is one
cluster), across platforms and over time, named ``r-`` plus a hash of the earliest
listing's id. A listing that is nobody's repost has no cluster.

Candidates come without comparing all pairs:

- text: LSH over the MinHash signature, 16 bands of 4 slots. Two texts with Jaccard
  0.8 share a band with probability 0.9998, at 0.5 with 0.64; candidates are then
  checked on the whole signature. Within a band's bucket each listing is checked
  against the bucket's earliest listing and its neighbour, not against all others,
  which keeps a bucket of 10,000 copies at 20,000 checks;
- photos: the 64-bit hash is split into four 16-bit chunks; two hashes at most 3
  bits apart agree on a whole chunk (pigeonhole), so listing pairs are looked for
  among hashes sharing a chunk. Pairs 4 bits apart are found 9 times in 10 and 6
  bits apart 6 times in 10 (a pair is missed when every chunk holds a differing
  bit); several photos per listing raise the odds.

Everything runs over numpy arrays: 64 uint32 slots (256 bytes) per listing, one band
at a time. ``bench/bench_clusters.py`` measures it at 1M listings.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np
from sqlalchemy import Text, cast, select
from sqlalchemy.orm import Session

from indexer.clusters.assign import assign_clusters
from indexer.clusters.components import cluster_names, connected_components
from indexer.clusters.fingerprints import refresh_fingerprints, valid_image_hashes
from indexer.clusters.minhash import EMPTY_SLOT, NUM_PERMUTATIONS, TextFingerprinter
from indexer.models import ListingFingerprintRow, ListingRow

__all__ = [
    "REPOST_PREFIX",
    "RepostClusterer",
    "RepostData",
    "RepostReport",
    "RepostRules",
    "find_repost_pairs",
]

logger = logging.getLogger(__name__)

REPOST_PREFIX = "r-"
_CHUNK_BITS = 16
_CHECK_BATCH = 250_000  # candidate pairs compared at once (bounds memory)
_LOAD_PAGE = 20_000


@dataclass(frozen=True)
class RepostRules:
    """When two listings are one offer; see the module docstring for the reasons."""

    text_jaccard: float = 0.8
    min_text_shingles: int = 32
    photo_bits: int = 6
    photo_text_jaccard: float = 0.2
    #: A photo hash carried by more listings than this is a placeholder, not a tie.
    photo_hub_listings: int = 50
    #: Photos compared per listing (the first ones: the lead photo is what reposts keep).
    max_photos: int = 8
    bands: int = 16

    def __post_init__(self) -> None:
        if not 0 < self.photo_text_jaccard <= self.text_jaccard <= 1:
            raise ValueError("need 0 < photo_text_jaccard <= text_jaccard <= 1")
        if NUM_PERMUTATIONS % self.bands:
            raise ValueError(f"bands must divide the {NUM_PERMUTATIONS} signature slots")
        if not 0 <= self.photo_bits < 64:
            raise ValueError("photo_bits must be between 0 and 63")


@dataclass(frozen=True)
class RepostData:
    """Fingerprints of n listings, in age order (index 0 is the earliest)."""

    ids: list[str]
    signatures: np.ndarray  # (n, NUM_PERMUTATIONS) uint32
    shingles: np.ndarray  # (n,) int
    photo_owner: np.ndarray  # (m,) index of the listing each photo belongs to
    photo_hashes: np.ndarray  # (m,) uint64

    @classmethod
    def build(
        cls,
        ids: Sequence[str],
        signatures: np.ndarray,
        shingles: Sequence[int] | np.ndarray,
        photos: Sequence[Sequence[str]],
        *,
        max_photos: int = RepostRules.max_photos,
    ) -> RepostData:
        """From per-listing values; `photos` holds each listing's hex photo hashes."""
        owner: list[int] = []
        values: list[int] = []
        for index, hashes in enumerate(photos):
            for value in hashes[:max_photos]:
                owner.append(index)
                values.append(int(value, 16))
        return cls(
            list(ids),
            np.asarray(signatures, dtype=np.uint32).reshape(len(ids), NUM_PERMUTATIONS),
            np.asarray(shingles, dtype=np.int64),
            np.asarray(owner, dtype=np.int64),
            np.asarray(values, dtype=np.uint64),
        )


@dataclass(frozen=True)
class RepostPairs:
    """Pairs of listing indices found to be one offer, and what was looked at."""

    a: np.ndarray
    b: np.ndarray
    text_pairs: int
    photo_pairs: int
    photo_hubs: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class RepostReport:
    """What one `RepostClusterer.update` did."""

    fingerprinted: int
    listings: int
    clusters: int
    clustered_listings: int
    changed_listings: int
    text_pairs: int
    photo_pairs: int
    #: Photo hashes so widely shared they were ignored (placeholders, stock photos).
    photo_hubs: list[str] = field(default_factory=list)


class RepostClusterer:
    """Keeps `listings.repost_cluster` up to date, inside the caller's session.

    ``update()`` fingerprints new and changed listings, recomputes the clusters over
    the whole store, writes the listings whose cluster changed and tells the search
    index about them. The caller commits.
    """

    def __init__(
        self,
        session: Session,
        *,
        rules: RepostRules | None = None,
        fingerprinter: TextFingerprinter | None = None,
    ) -> None:
        self.session = session
        self.rules = rules or RepostRules()
        self.fingerprinter = fingerprinter

    def update(self, listing_ids: Iterable[str] | None = None) -> RepostReport:
        """Refresh fingerprints of `listing_ids` (None: every listing), then recluster."""
        refresh = refresh_fingerprints(self.session, listing_ids, fingerprinter=self.fingerprinter)
        data = self._load()
        pairs = find_repost_pairs(data, self.rules)
        labels = connected_components(len(data.ids), pairs.a, pairs.b)
        names = cluster_names(labels, data.ids, REPOST_PREFIX)
        changed = assign_clusters(
            self.session, "repost_cluster", dict(zip(data.ids, names, strict=True))
        )
        named = [n for n in names if n is not None]
        report = RepostReport(
            fingerprinted=len(refresh.computed),
            listings=len(data.ids),
            clusters=len(set(named)),
            clustered_listings=len(named),
            changed_listings=len(changed),
            text_pairs=pairs.text_pairs,
            photo_pairs=pairs.photo_pairs,
            photo_hubs=pairs.photo_hubs,
        )
        logger.info("repost clusters: %s", report)
        return report

    def _load(self) -> RepostData:
        """Every fingerprint, earliest listing first (the order names clusters)."""
        fp = ListingFingerprintRow
        stmt = (
            select(fp.listing_id, cast(fp.minhash, Text), fp.shingle_count, fp.image_hashes)
            .join(ListingRow, ListingRow.id == fp.listing_id)
            .order_by(ListingRow.first_seen, ListingRow.id)
            .execution_options(yield_per=_LOAD_PAGE)
        )
        ids: list[str] = []
        blocks: list[np.ndarray] = []
        shingles: list[int] = []
        photos: list[list[str]] = []
        for batch in self.session.execute(stmt).partitions():
            ids.extend(row[0] for row in batch)
            blocks.append(_parse_signatures([row[1] for row in batch]))
            shingles.extend(row[2] or 0 for row in batch)
            photos.extend(valid_image_hashes(row[3]) for row in batch)
        signatures = (
            np.concatenate(blocks) if blocks else np.empty((0, NUM_PERMUTATIONS), np.uint32)
        )
        return RepostData.build(ids, signatures, shingles, photos, max_photos=self.rules.max_photos)


def _parse_signatures(texts: list[str]) -> np.ndarray:
    """Stored JSON lists of integers to a (rows, slots) uint32 array, parsed in C."""
    if not texts:
        return np.empty((0, NUM_PERMUTATIONS), np.uint32)
    joined = ",".join(text.strip()[1:-1] for text in texts)
    values = np.fromstring(joined, dtype=np.uint64, sep=",")
    if values.size != len(texts) * NUM_PERMUTATIONS:
        # A signature of another length (an older scheme): treat those texts as empty
        # until their fingerprints are recomputed.
        return np.stack([_parse_one(text) for text in texts])
    return values.astype(np.uint32).reshape(len(texts), NUM_PERMUTATIONS)


def _parse_one(text: str) -> np.ndarray:
    values = np.fromstring(text.strip()[1:-1], dtype=np.uint64, sep=",")
    if values.size != NUM_PERMUTATIONS:
        return np.full(NUM_PERMUTATIONS, EMPTY_SLOT, dtype=np.uint32)
    return values.astype(np.uint32)


# --------------------------------------------------------------------------- pairs


def find_repost_pairs(data: RepostData, rules: RepostRules | None = None) -> RepostPairs:
    """Listing pairs that are one offer, by text or by photo (see the module docstring)."""
    rules = rules or RepostRules()
    text_a, text_b = _text_pairs(data, rules)
    photo_a, photo_b, hubs = _photo_pairs(data, rules)
    return RepostPairs(
        np.concatenate([text_a, photo_a]),
        np.concatenate([text_b, photo_b]),
        text_pairs=len(text_a),
        photo_pairs=len(photo_a),
        photo_hubs=hubs,
    )


def _similar(signatures: np.ndarray, a: np.ndarray, b: np.ndarray, threshold: float) -> np.ndarray:
    """Mask of the pairs whose signatures agree on at least `threshold` of the slots."""
    keep = np.zeros(len(a), dtype=bool)
    need = int(np.ceil(threshold * signatures.shape[1] - 1e-9))
    for start in range(0, len(a), _CHECK_BATCH):
        sa = signatures[a[start : start + _CHECK_BATCH]]
        sb = signatures[b[start : start + _CHECK_BATCH]]
        agree = (sa == sb).sum(axis=1)
        # Empty texts agree on every slot, yet resemble nothing.
        empty = (sa == EMPTY_SLOT).all(axis=1) | (sb == EMPTY_SLOT).all(axis=1)
        keep[start : start + _CHECK_BATCH] = (agree >= need) & ~empty
    return keep


def _unique_pairs(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pairs as (smaller, larger), without repeats or self-pairs."""
    low, high = np.minimum(a, b), np.maximum(a, b)
    keys = np.unique((low.astype(np.uint64) << np.uint64(32)) | high.astype(np.uint64))
    low, high = (keys >> np.uint64(32)).astype(np.int64), (keys & np.uint64(0xFFFFFFFF))
    high = high.astype(np.int64)
    distinct = low != high
    return low[distinct], high[distinct]


def _band_keys(block: np.ndarray) -> np.ndarray:
    """One 64-bit key per row of a band (its slots mixed together)."""
    keys = np.zeros(len(block), dtype=np.uint64)
    with np.errstate(over="ignore"):
        for column in block.T:
            keys = (keys ^ column.astype(np.uint64)) * np.uint64(0x100000001B3)
            keys ^= keys >> np.uint64(29)
    return keys


def _text_pairs(data: RepostData, rules: RepostRules) -> tuple[np.ndarray, np.ndarray]:
    usable = np.flatnonzero(data.shingles >= rules.min_text_shingles)
    if len(usable) < 2:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    rows = NUM_PERMUTATIONS // rules.bands
    found_a, found_b = [], []
    for band in range(rules.bands):
        keys = _band_keys(data.signatures[usable, band * rows : (band + 1) * rows])
        order = np.argsort(keys, kind="stable")  # stable: a bucket lists oldest first
        ordered = keys[order]
        same = ordered[1:] == ordered[:-1]
        if not same.any():
            continue
        run = np.cumsum(np.concatenate([[0], ~same]))
        first = order[np.flatnonzero(np.concatenate([[True], ~same]))][run]
        # Each bucket member against its neighbour and against the bucket's oldest.
        a = np.concatenate([order[:-1][same], first[1:][same]])
        b = np.concatenate([order[1:][same], order[1:][same]])
        a, b = _unique_pairs(usable[a], usable[b])
        found_a.append(a)
        found_b.append(b)
    if not found_a:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    a, b = _unique_pairs(np.concatenate(found_a), np.concatenate(found_b))
    keep = _similar(data.signatures, a, b, rules.text_jaccard)
    return a[keep], b[keep]


def _photo_pairs(data: RepostData, rules: RepostRules) -> tuple[np.ndarray, np.ndarray, list[str]]:
    empty = np.empty(0, np.int64)
    if len(data.photo_hashes) < 2:
        return empty, empty, []
    n = np.int64(max(len(data.ids), 1))
    # Distinct (photo, listing) pairs: a listing showing one photo twice counts once.
    unique_hashes, inverse = np.unique(data.photo_hashes, return_inverse=True)
    pairs = np.unique(inverse.astype(np.int64) * n + data.photo_owner)
    photo_of, listing_of = pairs // n, pairs % n
    carriers = np.bincount(photo_of, minlength=len(unique_hashes))
    offsets = np.concatenate([[0], np.cumsum(carriers)])
    hub = carriers > rules.photo_hub_listings
    hubs = [f"{int(h):016x}" for h in unique_hashes[hub]]

    near_u, near_v = _near_hashes(unique_hashes, np.flatnonzero(~hub), rules.photo_bits)
    shared = np.flatnonzero(~hub & (carriers > 1))  # one photo on several listings
    u = np.concatenate([near_u, shared])
    v = np.concatenate([near_v, shared])
    a, b = _expand(u, v, carriers, offsets, listing_of)
    if not len(a):
        return empty, empty, hubs
    a, b = _unique_pairs(a, b)
    keep = _similar(data.signatures, a, b, rules.photo_text_jaccard)
    return a[keep], b[keep], hubs


def _near_hashes(
    hashes: np.ndarray, candidates: np.ndarray, max_bits: int
) -> tuple[np.ndarray, np.ndarray]:
    """Pairs of distinct hashes (indices into `hashes`) at most `max_bits` apart."""
    found_u, found_v = [], []
    for chunk in range(64 // _CHUNK_BITS):
        shift = np.uint64(chunk * _CHUNK_BITS)
        keys = (hashes[candidates] >> shift) & np.uint64((1 << _CHUNK_BITS) - 1)
        by_key = np.argsort(keys, kind="stable")
        order = candidates[by_key]
        for i, j in _pairs_in_runs(keys[by_key]):
            u, v = order[i], order[j]
            close = np.bitwise_count(hashes[u] ^ hashes[v]) <= max_bits
            found_u.append(u[close])
            found_v.append(v[close])
    if not found_u:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    return _unique_pairs(np.concatenate(found_u), np.concatenate(found_v))


def _pairs_in_runs(ordered: np.ndarray) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Every pair of positions inside each run of equal values of a sorted array, as
    batches (i, i + k) for k = 1, 2, ...; the work is the number of pairs."""
    size = len(ordered)
    if size < 2:
        return
    starts = np.flatnonzero(np.concatenate([[True], ordered[1:] != ordered[:-1]]))
    ends = np.repeat(np.concatenate([starts[1:], [size]]), np.diff(np.append(starts, size)))
    active = np.flatnonzero(ends - np.arange(size) > 1)
    step = 1
    while len(active):
        yield active, active + step
        step += 1
        active = active[ends[active] - active > step]


def _expand(
    u: np.ndarray,
    v: np.ndarray,
    carriers: np.ndarray,
    offsets: np.ndarray,
    listing_of: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Listing pairs from photo pairs: every listing with photo u against every one
    with photo v (at most `photo_hub_listings` squared per pair)."""
    if not len(u):
        return np.empty(0, np.int64), np.empty(0, np.int64)
    size_u, size_v = carriers[u], carriers[v]
    counts = size_u * size_v
    which = np.repeat(np.arange(len(u)), counts)
    within = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    a = listing_of[offsets[u][which] + within // size_v[which]]
    b = listing_of[offsets[v][which] + within % size_v[which]]
    return a, b
