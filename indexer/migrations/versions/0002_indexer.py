"""The indexer's tables: users, saved searches, alerts, audit log, outbox, clusters.

Revision ID: 0002
Revises: 0001

Listings gain their photo hashes and the repost and seller clusters they belong
to. The audit log is made append-only by the database itself: triggers refuse
every UPDATE and DELETE (and, on PostgreSQL, TRUNCATE), whoever connects.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_APPEND_ONLY = "audit_log is append-only"


def _when(name: str, *, nullable: bool = False) -> sa.Column[sa.DateTime]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _listing_fk() -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(["listing_id"], ["listings.id"], ondelete="CASCADE")


def upgrade() -> None:
    # SQLite adds columns and indexes in place; no table needs copying (batch mode).
    op.add_column("listings", sa.Column("image_hashes", sa.JSON(), nullable=True))
    op.add_column("listings", sa.Column("repost_cluster", sa.String(64), nullable=True))
    op.add_column("listings", sa.Column("seller_cluster", sa.String(64), nullable=True))
    op.create_index("ix_listings_repost_cluster", "listings", ["repost_cluster"])
    op.create_index("ix_listings_seller_cluster", "listings", ["seller_cluster"])

    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("username", sa.String(200), nullable=False),
        sa.Column("display_name", sa.String(300), nullable=True),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("platform", sa.String(100), nullable=True),
        sa.Column("token_sha256", sa.String(64), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        _when("created_at"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("username"),
        sa.UniqueConstraint("token_sha256"),
    )
    op.create_table(
        "saved_searches",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("query", sa.JSON(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        _when("created_at"),
        _when("updated_at"),
        sa.ForeignKeyConstraint(["owner_id"], ["users.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("owner_id", "name", name="uq_saved_searches_owner_name"),
    )
    op.create_table(
        "alerts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("saved_search_id", sa.Integer(), nullable=False),
        sa.Column("listing_id", sa.String(400), nullable=False),
        _when("created_at"),
        sa.Column("status", sa.String(20), nullable=False),
        _when("delivered_at", nullable=True),
        _listing_fk(),
        sa.ForeignKeyConstraint(["saved_search_id"], ["saved_searches.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("saved_search_id", "listing_id", name="uq_alerts_search_listing"),
    )
    op.create_index("ix_alerts_created", "alerts", ["created_at"])

    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        _when("at"),
        sa.Column("actor", sa.String(200), nullable=True),
        sa.Column("action", sa.String(100), nullable=False),
        sa.Column("target_type", sa.String(50), nullable=True),
        sa.Column("target_id", sa.String(400), nullable=True),
        sa.Column("details", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_audit_log_at", "audit_log", ["at"])
    op.create_index("ix_audit_log_target", "audit_log", ["target_type", "target_id"])
    _make_audit_log_append_only()

    op.create_table(
        "search_outbox",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("listing_id", sa.String(400), nullable=False),
        sa.Column("op", sa.String(10), nullable=False),
        _when("created_at"),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_search_outbox_listing_id", "search_outbox", ["listing_id"])

    op.create_table(
        "listing_fingerprints",
        sa.Column("listing_id", sa.String(400), nullable=False),
        sa.Column("minhash", sa.JSON(), nullable=False),
        sa.Column("simhash", sa.BigInteger(), nullable=True),
        sa.Column("image_hashes", sa.JSON(), nullable=False),
        _when("computed_at"),
        _listing_fk(),
        sa.PrimaryKeyConstraint("listing_id"),
    )
    op.create_table(
        "listing_contacts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("listing_id", sa.String(400), nullable=False),
        sa.Column("kind", sa.String(30), nullable=False),
        sa.Column("value", sa.String(300), nullable=False),
        _listing_fk(),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("listing_id", "kind", "value", name="uq_listing_contacts"),
    )
    op.create_index("ix_listing_contacts_value", "listing_contacts", ["kind", "value"])

    op.create_table(
        "seller_accounts",
        sa.Column("key", sa.String(500), nullable=False),
        sa.Column("platform", sa.String(100), nullable=False),
        sa.Column("seller_id", sa.String(300), nullable=True),
        sa.Column("seller_name", sa.String(300), nullable=True),
        sa.Column("cluster", sa.String(64), nullable=True),
        _when("updated_at"),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_index("ix_seller_accounts_cluster", "seller_accounts", ["cluster"])


def _make_audit_log_append_only() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger "
            "LANGUAGE plpgsql AS $$ BEGIN "
            f"RAISE EXCEPTION '{_APPEND_ONLY}: % refused', TG_OP "
            "USING ERRCODE = 'insufficient_privilege'; "
            "END $$"
        )
        op.execute(
            "CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log "
            "FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()"
        )
        # Row triggers do not see TRUNCATE.
        op.execute(
            "CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log "
            "FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()"
        )
    else:
        for event in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER audit_log_no_{event.lower()} BEFORE {event} ON audit_log "
                f"BEGIN SELECT RAISE(ABORT, '{_APPEND_ONLY}: {event} refused'); END"
            )


def downgrade() -> None:
    for table in (
        "seller_accounts",
        "listing_contacts",
        "listing_fingerprints",
        "search_outbox",
        "audit_log",  # its triggers go with it
        "alerts",
        "saved_searches",
        "users",
    ):
        op.drop_table(table)
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS audit_log_append_only()")
    op.drop_index("ix_listings_seller_cluster", "listings")
    op.drop_index("ix_listings_repost_cluster", "listings")
    # Dropped in place (SQLite 3.35+): batch mode would copy and drop the listings
    # table, and with foreign keys on that deletes every row that points at it.
    for column in ("seller_cluster", "repost_cluster", "image_hashes"):
        op.drop_column("listings", column)
