"""ORM tables of the store of record (SQLAlchemy 2.0 declarative)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

__all__ = [
    "AlertRow",
    "AuditRow",
    "Base",
    "ClassificationRow",
    "ListingContactRow",
    "ListingFingerprintRow",
    "ListingHistoryRow",
    "ListingRow",
    "OutboxRow",
    "ReviewRow",
    "SavedSearchRow",
    "SellerAccountRow",
    "TakedownRow",
    "UserRow",
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
    #: Perceptual hashes (hex) of the listing's photos, computed at capture time.
    image_hashes: Mapped[list[Any] | None] = mapped_column(default=list)
    #: Near-duplicate group this listing belongs to (see indexer.clusters).
    repost_cluster: Mapped[str | None] = mapped_column(String(64), index=True)
    #: Group of seller accounts tied by shared contacts or reposts.
    seller_cluster: Mapped[str | None] = mapped_column(String(64), index=True)

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


class UserRow(Base):
    """Someone who uses the review app or the API."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(200), unique=True)
    display_name: Mapped[str | None] = mapped_column(String(300))
    #: reviewer, investigator, platform or admin.
    role: Mapped[str] = mapped_column(String(20))
    #: A platform trust team sees its own platform only.
    platform: Mapped[str | None] = mapped_column(String(100))
    #: SHA-256 of the API token; the token itself is never stored.
    token_sha256: Mapped[str | None] = mapped_column(String(64), unique=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class SavedSearchRow(Base):
    """An investigator's search, run against every new or changed listing."""

    __tablename__ = "saved_searches"
    __table_args__ = (UniqueConstraint("owner_id", "name", name="uq_saved_searches_owner_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(200))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    #: The search as `indexer.search.SearchQuery` JSON (text and filters).
    query: Mapped[dict[str, Any]]
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class AlertRow(Base):
    """A listing that matched a saved search; one per (search, listing)."""

    __tablename__ = "alerts"
    __table_args__ = (
        UniqueConstraint("saved_search_id", "listing_id", name="uq_alerts_search_listing"),
        Index("ix_alerts_created", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    saved_search_id: Mapped[int] = mapped_column(
        ForeignKey("saved_searches.id", ondelete="CASCADE")
    )
    listing_id: Mapped[str] = mapped_column(ForeignKey("listings.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    #: new, sent, acknowledged
    status: Mapped[str] = mapped_column(String(20), default="new")
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class AuditRow(Base):
    """Append-only record of who did what: verdicts, searches saved, exports, reindexes."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_target", "target_type", "target_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    actor: Mapped[str | None] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(100))
    target_type: Mapped[str | None] = mapped_column(String(50))
    target_id: Mapped[str | None] = mapped_column(String(400))
    details: Mapped[dict[str, Any] | None]


class OutboxRow(Base):
    """A change the search index has not taken yet; replayed in id order, then deleted."""

    __tablename__ = "search_outbox"

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    listing_id: Mapped[str] = mapped_column(String(400), index=True)
    #: upsert or delete
    op: Mapped[str] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)


class ListingFingerprintRow(Base):
    """What repost clustering compares: a MinHash of the normalised text, photo hashes."""

    __tablename__ = "listing_fingerprints"

    listing_id: Mapped[str] = mapped_column(
        ForeignKey("listings.id", ondelete="CASCADE"), primary_key=True
    )
    #: MinHash signature of the normalised text's shingles.
    minhash: Mapped[list[Any]] = mapped_column(default=list)
    #: SimHash of the same text, for a quick look-up.
    simhash: Mapped[int | None] = mapped_column(BigInteger)
    image_hashes: Mapped[list[Any]] = mapped_column(default=list)
    computed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    #: SHA-256 of what the fingerprint was computed from (text, photo hashes, scheme
    #: version): when it no longer matches, the fingerprint is recomputed.
    input_sha256: Mapped[str | None] = mapped_column(String(64))
    #: Distinct shingles of the text: a short text cannot show a repost on its own.
    shingle_count: Mapped[int | None] = mapped_column(Integer)


class ListingContactRow(Base):
    """A contact a listing gives (phone, WeChat, WhatsApp, Telegram, email, payment)."""

    __tablename__ = "listing_contacts"
    __table_args__ = (
        UniqueConstraint("listing_id", "kind", "value", name="uq_listing_contacts"),
        Index("ix_listing_contacts_value", "kind", "value"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    listing_id: Mapped[str] = mapped_column(ForeignKey("listings.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(30))
    #: Normalised, so the same id written two ways compares equal.
    value: Mapped[str] = mapped_column(String(300))


class SellerAccountRow(Base):
    """A seller account on one platform and the seller cluster it belongs to."""

    __tablename__ = "seller_accounts"

    #: ``platform:seller id`` (or ``platform:name:seller name`` when there is no id).
    key: Mapped[str] = mapped_column(String(500), primary_key=True)
    platform: Mapped[str] = mapped_column(String(100))
    seller_id: Mapped[str | None] = mapped_column(String(300))
    seller_name: Mapped[str | None] = mapped_column(String(300))
    cluster: Mapped[str | None] = mapped_column(String(64), index=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
