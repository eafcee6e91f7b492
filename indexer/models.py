"""ORM tables of the store of record (SQLAlchemy 2.0 declarative)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import JSON, DateTime, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

__all__ = [
    "Base",
    "ClassificationRow",
    "ListingHistoryRow",
    "ListingRow",
    "ReviewRow",
    "TakedownRow",
]


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {dict[str, Any]: JSON, list[Any]: JSON}


class ListingRow(Base):
    """A listing as last seen, keyed by its stable id."""

    __tablename__ = "listings"

    id: Mapped[str] = mapped_column(String(400), primary_key=True)
    platform: Mapped[str] = mapped_column(String(100), index=True)
    platform_id: Mapped[str | None] = mapped_column(String(300))
    url: Mapped[str] = mapped_column(Text)
    title: Mapped[str] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    price: Mapped[float | None] = mapped_column(Float)
    currency: Mapped[str | None] = mapped_column(String(3))
    seller_id: Mapped[str | None] = mapped_column(String(300), index=True)
    seller_name: Mapped[str | None] = mapped_column(String(300))
    seller_url: Mapped[str | None] = mapped_column(Text)
    location: Mapped[str | None] = mapped_column(String(300))
    posted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    language: Mapped[str | None] = mapped_column(String(16))
    image_urls: Mapped[list[Any]] = mapped_column(default=list)
    hashtags: Mapped[list[Any] | None] = mapped_column(default=list)
    comments: Mapped[list[Any] | None] = mapped_column(default=list)
    first_seen: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_seen: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    crawl: Mapped[dict[str, Any] | None]
    evidence: Mapped[list[Any]] = mapped_column(default=list)

    classification: Mapped[ClassificationRow | None] = relationship(
        back_populates="listing", cascade="all, delete-orphan", lazy="joined"
    )


class ClassificationRow(Base):
    """The latest classifier verdict on a listing."""

    __tablename__ = "classifications"
    __table_args__ = (Index("ix_classifications_flagged_risk", "flagged", "risk"),)

    listing_id: Mapped[str] = mapped_column(
        ForeignKey("listings.id", ondelete="CASCADE"), primary_key=True
    )
    wildlife_product: Mapped[float]
    risk: Mapped[float]
    flagged: Mapped[bool]
    tier: Mapped[str] = mapped_column(String(10))
    species: Mapped[list[Any]] = mapped_column(default=list)
    reasons: Mapped[list[Any]] = mapped_column(default=list)
    model: Mapped[str] = mapped_column(String(300))
    classified_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    listing: Mapped[ListingRow] = relationship(back_populates="classification")


class ReviewRow(Base):
    """One reviewer verdict on a listing; verdicts are appended, never edited."""

    __tablename__ = "reviews"
    __table_args__ = (Index("ix_reviews_listing_created", "listing_id", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    listing_id: Mapped[str] = mapped_column(ForeignKey("listings.id", ondelete="CASCADE"))
    verdict: Mapped[str] = mapped_column(String(10))
    note: Mapped[str | None] = mapped_column(Text)
    reviewer: Mapped[str | None] = mapped_column(String(200))
    #: What the classifier said when the verdict was given, for later audits.
    risk_at_review: Mapped[float | None] = mapped_column(Float)
    model_at_review: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ListingHistoryRow(Base):
    """What a listing said before an edit: one row per change seen, never edited."""

    __tablename__ = "listing_history"
    __table_args__ = (Index("ix_listing_history_listing", "listing_id", "changed_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    listing_id: Mapped[str] = mapped_column(ForeignKey("listings.id", ondelete="CASCADE"))
    #: When the new version was seen (the old one was last seen before this).
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    fields: Mapped[list[Any]] = mapped_column(default=list)  # names of the fields that changed
    title: Mapped[str] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    price: Mapped[float | None] = mapped_column(Float)
    currency: Mapped[str | None] = mapped_column(String(3))
    body_sha256: Mapped[str | None] = mapped_column(String(64))


class TakedownRow(Base):
    """Takedown verification of a listing: when it was last checked, and when it was
    found gone (404, 410, or a "listing removed" page)."""

    __tablename__ = "takedowns"

    listing_id: Mapped[str] = mapped_column(
        ForeignKey("listings.id", ondelete="CASCADE"), primary_key=True
    )
    last_checked: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    removed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)
    status: Mapped[int | None] = mapped_column(Integer)
    reason: Mapped[str | None] = mapped_column(Text)
