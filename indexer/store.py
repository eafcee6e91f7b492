"""Reads and writes listings in the store of record, keeping the full-text index in step.

A `ListingStore` works inside a session it is given; whoever owns the unit of work
(the crawl pipeline, a CLI command, a web request) commits it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crawler.listing import Classification, CrawlInfo, Evidence, Listing, Seller
from indexer.models import ClassificationRow, ListingHistoryRow, ListingRow, TakedownRow
from indexer.search import sync

__all__ = ["HistoryEntry", "ListingStore", "SaveOutcome", "StoreCounts"]

_TRACKED = ("title", "description", "price", "currency")


@dataclass(frozen=True)
class SaveOutcome:
    listing_id: str
    created: bool
    changed: bool


@dataclass(frozen=True)
class HistoryEntry:
    """A listing's earlier version, and when the edit that replaced it was seen."""

    changed_at: datetime
    fields: list[str]
    title: str
    description: str | None
    price: float | None
    currency: str | None


@dataclass(frozen=True)
class StoreCounts:
    listings: int
    flagged: int
    by_tier: dict[str, int] = field(default_factory=dict)


def _aware(value: datetime | None) -> datetime | None:
    # SQLite hands back naive datetimes; everything in the store is UTC.
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


class ListingStore:
    """Listings and their classifications, inside one session."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def save(self, listing: Listing, *, seen_at: datetime | None = None) -> SaveOutcome:
        """Insert or update a listing (and its classification); first_seen never moves."""
        seen_at = seen_at or datetime.now(UTC)
        row = self.session.get(ListingRow, listing.id)
        created = row is None
        if row is None:
            row = ListingRow(id=listing.id, first_seen=listing.first_seen or seen_at)
            self.session.add(row)
        before = {name: getattr(row, name) for name in _TRACKED}
        before_sha = (row.crawl or {}).get("body_sha256") if not created else None
        row.platform = listing.platform
        row.platform_id = listing.platform_id
        row.url = listing.url
        row.title = listing.title
        row.description = listing.description
        row.price = listing.price
        row.currency = listing.currency
        row.seller_id = listing.seller.id if listing.seller else None
        row.seller_name = listing.seller.name if listing.seller else None
        row.seller_url = listing.seller.profile_url if listing.seller else None
        row.location = listing.location
        row.posted_at = listing.posted_at
        row.language = listing.language
        row.image_urls = list(listing.image_urls)
        row.image_hashes = list(listing.image_hashes)
        row.hashtags = list(listing.hashtags)
        row.comments = list(listing.comments)
        row.last_seen = listing.last_seen or seen_at
        row.crawl = listing.crawl.model_dump(mode="json") if listing.crawl else None
        if listing.evidence:
            row.evidence = [e.model_dump(mode="json") for e in listing.evidence]
        if listing.classification is not None:
            self._save_classification(row, listing.classification)
        edited = [] if created else [n for n in _TRACKED if getattr(row, n) != before[n]]
        changed = bool(edited)
        if changed:
            # The earlier version is kept: an edit must not erase what was offered.
            self.session.add(
                ListingHistoryRow(
                    listing_id=row.id,
                    changed_at=seen_at,
                    fields=edited,
                    body_sha256=before_sha,
                    **before,
                )
            )
        # Everything else the document holds (risk, seller, price, dates) may move too.
        sync.listing_changed(self.session, [row.id])
        return SaveOutcome(listing.id, created=created, changed=changed)

    def _save_classification(self, row: ListingRow, result: Classification) -> None:
        values = result.model_dump(mode="json")
        if row.classification is None:
            row.classification = ClassificationRow(listing_id=row.id)
        target = row.classification
        target.wildlife_product = result.wildlife_product
        target.risk = result.risk
        target.flagged = result.flagged
        target.tier = result.tier
        target.species = values["species"]
        target.reasons = values["reasons"]
        target.model = result.model
        target.classified_at = result.classified_at

    def get(self, listing_id: str) -> Listing | None:
        row = self.session.get(ListingRow, listing_id)
        return None if row is None else self._to_listing(row)

    def history(self, listing_id: str) -> list[HistoryEntry]:
        """Earlier versions of a listing, oldest first."""
        rows = self.session.scalars(
            select(ListingHistoryRow)
            .where(ListingHistoryRow.listing_id == listing_id)
            .order_by(ListingHistoryRow.changed_at, ListingHistoryRow.id)
        )
        return [
            HistoryEntry(
                changed_at=_aware(r.changed_at) or r.changed_at,
                fields=list(r.fields or []),
                title=r.title,
                description=r.description,
                price=r.price,
                currency=r.currency,
            )
            for r in rows
        ]

    def mark_checked(
        self,
        listing_id: str,
        *,
        at: datetime | None = None,
        removed: bool = False,
        status: int | None = None,
        reason: str | None = None,
    ) -> bool:
        """Record a takedown check; the first time it is found gone sets `removed_at`
        (kept afterwards). False if the listing is not in the store."""
        if self.session.get(ListingRow, listing_id) is None:
            return False
        at = at or datetime.now(UTC)
        row = self.session.get(TakedownRow, listing_id)
        if row is None:
            row = TakedownRow(listing_id=listing_id)
            self.session.add(row)
        row.last_checked = at
        if removed and row.removed_at is None:
            row.removed_at = at
            row.status = status
            row.reason = reason
            sync.listing_changed(self.session, [listing_id])
        return True

    def due_for_recheck(
        self, *, older_than: datetime, platform: str | None = None, limit: int = 1000
    ) -> list[tuple[str, str, str | None]]:
        """Flagged listings still up whose last takedown check is older than
        `older_than` (or never made): ``(id, url, crawl source)``, highest risk first."""
        stmt = (
            select(ListingRow.id, ListingRow.url, ListingRow.crawl)
            .join(ListingRow.classification)
            .outerjoin(TakedownRow, TakedownRow.listing_id == ListingRow.id)
            .where(ClassificationRow.flagged.is_(True), TakedownRow.removed_at.is_(None))
            .where((TakedownRow.last_checked.is_(None)) | (TakedownRow.last_checked < older_than))
            .order_by(ClassificationRow.risk.desc(), ListingRow.id)
            .limit(limit)
        )
        if platform:
            stmt = stmt.where(ListingRow.platform == platform)
        return [
            (i, url, (crawl or {}).get("source")) for i, url, crawl in self.session.execute(stmt)
        ]

    def flagged(
        self, *, limit: int = 50, offset: int = 0, platform: str | None = None
    ) -> list[Listing]:
        """Flagged listings, highest risk first: the review queue."""
        stmt = (
            select(ListingRow)
            .join(ListingRow.classification)
            .where(ClassificationRow.flagged.is_(True))
            .order_by(ClassificationRow.risk.desc(), ListingRow.last_seen.desc(), ListingRow.id)
            .limit(limit)
            .offset(offset)
        )
        if platform:
            stmt = stmt.where(ListingRow.platform == platform)
        return [self._to_listing(row) for row in self.session.scalars(stmt).unique()]

    def counts(self, *, platform: str | None = None) -> StoreCounts:
        listings = select(func.count()).select_from(ListingRow)
        tiers = (
            select(ClassificationRow.tier, func.count())
            .join(ClassificationRow.listing)
            .group_by(ClassificationRow.tier)
        )
        flagged = (
            select(func.count())
            .select_from(ClassificationRow)
            .join(ClassificationRow.listing)
            .where(ClassificationRow.flagged.is_(True))
        )
        if platform:
            listings = listings.where(ListingRow.platform == platform)
            tiers = tiers.where(ListingRow.platform == platform)
            flagged = flagged.where(ListingRow.platform == platform)
        return StoreCounts(
            listings=self.session.scalar(listings) or 0,
            flagged=self.session.scalar(flagged) or 0,
            by_tier={tier: n for tier, n in self.session.execute(tiers)},
        )

    def _to_listing(self, row: ListingRow) -> Listing:
        seller = Seller.from_parts(row.seller_id, row.seller_name, row.seller_url)
        classification = None
        if row.classification is not None:
            c = row.classification
            classification = Classification(
                wildlife_product=c.wildlife_product,
                risk=c.risk,
                flagged=c.flagged,
                tier=c.tier,  # type: ignore[arg-type]
                species=c.species,
                reasons=c.reasons,
                model=c.model,
                classified_at=_aware(c.classified_at),
            )
        return Listing(
            id=row.id,
            platform=row.platform,
            platform_id=row.platform_id,
            url=row.url,
            title=row.title,
            description=row.description,
            price=row.price,
            currency=row.currency,
            seller=seller,
            location=row.location,
            posted_at=_aware(row.posted_at),
            language=row.language,
            image_urls=row.image_urls or [],
            image_hashes=row.image_hashes or [],
            hashtags=row.hashtags or [],
            comments=row.comments or [],
            first_seen=_aware(row.first_seen),
            last_seen=_aware(row.last_seen),
            crawl=CrawlInfo.model_validate(row.crawl) if row.crawl else None,
            classification=classification,
            evidence=[Evidence.model_validate(e) for e in row.evidence or []],
            removed_at=self._removed_at(row.id),
        )

    def _removed_at(self, listing_id: str) -> datetime | None:
        takedown = self.session.get(TakedownRow, listing_id)
        return _aware(takedown.removed_at) if takedown is not None else None
