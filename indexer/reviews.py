"""Reviewer verdicts on listings: appended, never edited, the latest one counts.

Verdicts are what the review app and ``wildwatch review`` record, and what
``wildwatch train --from-reviews`` learns from: ``confirm`` (a real offer) and
``dismiss`` (not one).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal, get_args

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from indexer.audit import AuditLog
from indexer.errors import StoreError
from indexer.models import ListingRow, ReviewRow
from indexer.search import sync

__all__ = ["VERDICTS", "Review", "ReviewStore", "UnknownListingError", "Verdict"]

Verdict = Literal["confirm", "dismiss"]
VERDICTS: tuple[str, ...] = get_args(Verdict)
_NOTE_LIMIT = 2_000


class UnknownListingError(StoreError):
    """A verdict names a listing the store does not hold."""


@dataclass(frozen=True, slots=True)
class Review:
    listing_id: str
    verdict: Verdict
    note: str | None
    reviewer: str | None
    risk_at_review: float | None
    model_at_review: str | None
    created_at: datetime

    @classmethod
    def from_row(cls, row: ReviewRow) -> Review:
        created = row.created_at
        if created.tzinfo is None:  # SQLite hands back naive datetimes; all are UTC
            created = created.replace(tzinfo=UTC)
        return cls(
            listing_id=row.listing_id,
            verdict=row.verdict,  # type: ignore[arg-type]
            note=row.note,
            reviewer=row.reviewer,
            risk_at_review=row.risk_at_review,
            model_at_review=row.model_at_review,
            created_at=created,
        )


class ReviewStore:
    """Verdicts inside one session; the caller commits. Each verdict is also audited."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def record(
        self,
        listing_id: str,
        verdict: str,
        *,
        note: str | None = None,
        reviewer: str | None = None,
        at: datetime | None = None,
    ) -> Review:
        if verdict not in VERDICTS:
            raise StoreError(f"verdict must be one of {', '.join(VERDICTS)}, not {verdict!r}")
        listing = self.session.get(ListingRow, listing_id)
        if listing is None:
            raise UnknownListingError(f"no listing {listing_id!r} in the store")
        note = (note or "").strip()[:_NOTE_LIMIT] or None
        c = listing.classification
        row = ReviewRow(
            listing_id=listing_id,
            verdict=verdict,
            note=note,
            reviewer=(reviewer or None) and reviewer[:200],
            risk_at_review=c.risk if c else None,
            model_at_review=c.model if c else None,
            created_at=at or datetime.now(UTC),
        )
        self.session.add(row)
        self.session.flush()
        AuditLog(self.session).record(
            f"review.{verdict}",
            actor=row.reviewer,
            target_type="listing",
            target_id=listing_id,
            details={
                "review_id": row.id,
                "note": note,
                "risk_at_review": row.risk_at_review,
                "model_at_review": row.model_at_review,
            },
        )
        # The listing's review status is a search filter.
        sync.listing_changed(self.session, [listing_id])
        return Review.from_row(row)

    def for_listing(self, listing_id: str) -> list[Review]:
        """Every verdict on one listing, oldest first."""
        stmt = (
            select(ReviewRow)
            .where(ReviewRow.listing_id == listing_id)
            .order_by(ReviewRow.created_at, ReviewRow.id)
        )
        return [Review.from_row(r) for r in self.session.scalars(stmt)]

    def latest(self) -> dict[str, Review]:
        """The verdict that counts for each reviewed listing (the newest)."""
        newest = (
            select(ReviewRow.listing_id, func.max(ReviewRow.id).label("id"))
            .group_by(ReviewRow.listing_id)
            .subquery()
        )
        stmt = select(ReviewRow).join(newest, ReviewRow.id == newest.c.id)
        return {r.listing_id: Review.from_row(r) for r in self.session.scalars(stmt)}
