"""What clustering compares, computed once per version of a listing.

For each listing the store keeps a fingerprint (`listing_fingerprints`: MinHash and
SimHash of the text, the photo hashes) and the contacts its text gives
(`listing_contacts`). Both are derived from the title, the description and the photo
hashes; the SHA-256 of those (and of the fingerprint scheme's version) is stored
beside them, and only listings whose digest changed are computed again. Repost and
seller clustering both call :func:`refresh_fingerprints` first; the second call
finds nothing to do.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from classifiers.entities import ContactExtractor, Entity
from crawler.listing import MAX_IMAGES, listing_text
from indexer.clusters.minhash import TextFingerprinter, default_fingerprinter, input_digest
from indexer.models import ListingContactRow, ListingFingerprintRow, ListingRow

__all__ = [
    "PHONE_KINDS",
    "ContactKey",
    "FingerprintRefresh",
    "contacts_of",
    "refresh_fingerprints",
    "valid_image_hashes",
]

logger = logging.getLogger(__name__)

#: Contact kinds whose value is a phone number: one number is one person, whichever
#: app it is given for, so they share the tie key ``phone``.
PHONE_KINDS = frozenset({"phone", "whatsapp", "zalo"})
_HASH_RE = re.compile(r"[0-9a-f]{16}")
_MAX_VALUE_CHARS = 300  # listing_contacts.value
_PAGE = 500  # listings per round trip (also below every database's bound-parameter cap)


@dataclass(frozen=True, slots=True, order=True)
class ContactKey:
    """A contact as stored: kind (``phone``, ``wechat``, ``payment``...) and normalised value.

    Phone numbers are stored as their national number (without country code or trunk
    prefix), so ``+84 912 345 678`` and ``0912 345 678`` are one contact; payment
    handles as ``service:handle`` (``paypal:someone``).
    """

    kind: str
    value: str

    @property
    def tie(self) -> str:
        """What two accounts must share to be tied: one number across phone apps."""
        kind = "phone" if self.kind in PHONE_KINDS else self.kind
        return f"{kind}:{self.value}"


@dataclass(frozen=True, slots=True)
class FingerprintRefresh:
    """What :func:`refresh_fingerprints` did."""

    checked: int
    computed: list[str]


def contacts_of(text: str, extractor: ContactExtractor | None = None) -> list[ContactKey]:
    """The contacts `text` gives, normalised and without repeats, in order found."""
    extractor = extractor or ContactExtractor.default()
    seen: dict[ContactKey, None] = {}
    for entity in extractor.find(text):
        key = _contact_key(entity)
        if key is not None:
            seen.setdefault(key)
    return list(seen)


def _contact_key(entity: Entity) -> ContactKey | None:
    if entity.key is None or not isinstance(entity.value, str) or not entity.value:
        return None  # a mention ("contact me on WeChat") without an id
    value = str(entity.attrs.get("national") or entity.value)
    if entity.key == "payment":
        value = f"{entity.attrs.get('service', 'other')}:{value}"
    return ContactKey(entity.key[:30], value[:_MAX_VALUE_CHARS])


def valid_image_hashes(raw: Any) -> list[str]:
    """The 16-hex-digit photo hashes of a stored list, lowercased, without repeats.

    The column is written by the crawler, but a store is not trusted to hold only
    what the crawler wrote.
    """
    if not isinstance(raw, list):
        return []
    hashes = (h.strip().lower() for h in raw if isinstance(h, str))
    return list(dict.fromkeys(h for h in hashes if _HASH_RE.fullmatch(h)))[:MAX_IMAGES]


def refresh_fingerprints(
    session: Session,
    listing_ids: Iterable[str] | None = None,
    *,
    fingerprinter: TextFingerprinter | None = None,
    extractor: ContactExtractor | None = None,
) -> FingerprintRefresh:
    """Compute the fingerprint and contacts of every new or changed listing.

    `listing_ids` limits which listings are looked at (None: all of them). Works in
    the caller's session and does not commit.
    """
    fingerprinter = fingerprinter or default_fingerprinter()
    extractor = extractor or ContactExtractor.default()
    now = datetime.now(UTC)
    checked, computed = 0, []
    for page in _pages(session, listing_ids):
        checked += len(page)
        stale = []
        for listing_id, title, description, raw_hashes, stored_digest, exists in page:
            text = listing_text(title or "", description)
            hashes = valid_image_hashes(raw_hashes)
            digest = input_digest(text, hashes)
            if digest != stored_digest:
                stale.append((listing_id, text, hashes, digest, exists))
        if stale:
            _store(session, stale, fingerprinter, extractor, now)
            computed.extend(item[0] for item in stale)
    logger.info("fingerprints: %d listings checked, %d computed", checked, len(computed))
    return FingerprintRefresh(checked, computed)


def _pages(session: Session, listing_ids: Iterable[str] | None) -> Iterator[list[Any]]:
    """Listings with their stored digest, a page at a time (keyset paging by id)."""
    fp = ListingFingerprintRow
    query = select(
        ListingRow.id,
        ListingRow.title,
        ListingRow.description,
        ListingRow.image_hashes,
        fp.input_sha256,
        fp.listing_id.is_not(None),
    ).outerjoin(fp, fp.listing_id == ListingRow.id)
    if listing_ids is not None:
        wanted = sorted(set(listing_ids))
        for start in range(0, len(wanted), _PAGE):
            chunk = wanted[start : start + _PAGE]
            yield list(session.execute(query.where(ListingRow.id.in_(chunk))).all())
        return
    last = ""
    while True:
        stmt = query.where(ListingRow.id > last).order_by(ListingRow.id).limit(_PAGE)
        rows = list(session.execute(stmt).all())
        if not rows:
            return
        yield rows
        last = rows[-1][0]


def _store(
    session: Session,
    stale: list[tuple[str, str, list[str], str, bool]],
    fingerprinter: TextFingerprinter,
    extractor: ContactExtractor,
    now: datetime,
) -> None:
    inserts, updates, contacts = [], [], []
    for listing_id, text, hashes, digest, exists in stale:
        fingerprint = fingerprinter.fingerprint(text)
        row = {
            "listing_id": listing_id,
            "minhash": fingerprint.signature.tolist(),
            "simhash": fingerprint.simhash,
            "image_hashes": hashes,
            "computed_at": now,
            "input_sha256": digest,
            "shingle_count": fingerprint.shingles,
        }
        (updates if exists else inserts).append(row)
        contacts.extend(
            {"listing_id": listing_id, "kind": c.kind, "value": c.value}
            for c in contacts_of(text, extractor)
        )
    ids = [item[0] for item in stale]
    session.execute(delete(ListingContactRow).where(ListingContactRow.listing_id.in_(ids)))
    if inserts:
        session.execute(insert(ListingFingerprintRow), inserts)
    if updates:
        session.execute(update(ListingFingerprintRow), updates)
    if contacts:
        session.execute(insert(ListingContactRow), contacts)
