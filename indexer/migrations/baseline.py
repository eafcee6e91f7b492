"""The store's schema as wildwatch shipped it before migrations: revision 0001, frozen.

These are the five tables ``indexer.models`` declared at commit 67cd32e, written out
as plain tables so that later model changes cannot alter what the baseline means.
Revision 0001 creates them; a store made by an older wildwatch (no
``alembic_version`` table) is completed to exactly this and stamped 0001. Never
edit this module: change the schema in a new revision instead.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Double,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

__all__ = ["metadata"]

metadata = MetaData()


def _when(name: str, *, nullable: bool = False, index: bool = False) -> Column[Any]:
    return Column(name, DateTime(timezone=True), nullable=nullable, index=index)


def _listing_fk(*, primary_key: bool = False) -> Column[Any]:
    return Column(
        "listing_id",
        String(400),
        ForeignKey("listings.id", ondelete="CASCADE"),
        primary_key=primary_key,
        nullable=False,
    )


Table(
    "listings",
    metadata,
    Column("id", String(400), primary_key=True),
    Column("platform", String(100), nullable=False, index=True),
    Column("platform_id", String(300)),
    Column("url", Text, nullable=False),
    Column("title", Text, nullable=False),
    Column("description", Text),
    Column("price", Float),
    Column("currency", String(3)),
    Column("seller_id", String(300), index=True),
    Column("seller_name", String(300)),
    Column("seller_url", Text),
    Column("location", String(300)),
    _when("posted_at", nullable=True),
    Column("language", String(16)),
    Column("image_urls", JSON, nullable=False),
    Column("hashtags", JSON),
    Column("comments", JSON),
    _when("first_seen"),
    _when("last_seen"),
    Column("crawl", JSON),
    Column("evidence", JSON, nullable=False),
)

Table(
    "classifications",
    metadata,
    _listing_fk(primary_key=True),
    Column("wildlife_product", Double, nullable=False),
    Column("risk", Double, nullable=False),
    Column("flagged", Boolean, nullable=False),
    Column("tier", String(10), nullable=False),
    Column("species", JSON, nullable=False),
    Column("reasons", JSON, nullable=False),
    Column("model", String(300), nullable=False),
    _when("classified_at"),
    Index("ix_classifications_flagged_risk", "flagged", "risk"),
)

Table(
    "reviews",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    _listing_fk(),
    Column("verdict", String(10), nullable=False),
    Column("note", Text),
    Column("reviewer", String(200)),
    Column("risk_at_review", Float),
    Column("model_at_review", String(300)),
    _when("created_at"),
    Index("ix_reviews_listing_created", "listing_id", "created_at"),
)

Table(
    "listing_history",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    _listing_fk(),
    _when("changed_at"),
    Column("fields", JSON, nullable=False),
    Column("title", Text, nullable=False),
    Column("description", Text),
    Column("price", Float),
    Column("currency", String(3)),
    Column("body_sha256", String(64)),
    Index("ix_listing_history_listing", "listing_id", "changed_at"),
)

Table(
    "takedowns",
    metadata,
    _listing_fk(primary_key=True),
    _when("last_checked", nullable=True),
    _when("removed_at", nullable=True, index=True),
    Column("status", Integer),
    Column("reason", Text),
)
