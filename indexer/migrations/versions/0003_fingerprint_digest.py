"""Listing fingerprints remember what they were computed from, and how many shingles.

Revision ID: 0003
Revises: 0002

Repost clustering recomputes a fingerprint only when the SHA-256 of its input (the
listing's text and photo hashes, and the fingerprint scheme's version) changed; a
text with few shingles cannot show a repost on its own.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("listing_fingerprints", sa.Column("input_sha256", sa.String(64), nullable=True))
    op.add_column("listing_fingerprints", sa.Column("shingle_count", sa.Integer(), nullable=True))


def downgrade() -> None:
    op.drop_column("listing_fingerprints", "shingle_count")
    op.drop_column("listing_fingerprints", "input_sha256")
