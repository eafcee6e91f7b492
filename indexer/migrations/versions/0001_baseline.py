"""Baseline: the schema wildwatch shipped before migrations.

Revision ID: 0001
Revises:

Listings, classifications, reviews, listing history and takedowns, exactly as
`indexer.migrations.baseline` freezes them.
"""

from __future__ import annotations

from alembic import op

from indexer.migrations import baseline

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    baseline.metadata.create_all(op.get_bind())


def downgrade() -> None:
    baseline.metadata.drop_all(op.get_bind())
