"""issue 16: listing and shop stars from reviews (review_ratings), and the operator's moderation of listings
and shops (hidden_*, moderation_actions)

Revision ID: catalog_0007
Revises: catalog_0006
"""
import sqlalchemy as sa
from alembic import op

revision = "catalog_0007"
down_revision = "catalog_0006"
branch_labels = None
depends_on = None

COLUMNS = (("hidden_at", sa.DateTime(timezone=True)), ("hidden_by", sa.String(length=64)),
           ("hidden_reason", sa.Text()))


def upgrade() -> None:
    for table in ("listings", "shops"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("rating_total", sa.Integer(), nullable=False, server_default="0"))
            batch.add_column(sa.Column("rating_count", sa.Integer(), nullable=False, server_default="0"))
            for name, kind in COLUMNS:
                batch.add_column(sa.Column(name, kind, nullable=True))
    op.create_table(
        "review_ratings",
        sa.Column("review_id", sa.String(length=64), primary_key=True),
        sa.Column("rating", sa.Integer(), nullable=False),
        sa.Column("listing_ids", sa.JSON(), nullable=False),
        sa.Column("shop_ids", sa.JSON(), nullable=False),
        sa.Column("counted", sa.Boolean(), nullable=False),
        sa.Column("hidden", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "moderation_actions",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("target", sa.String(length=16), nullable=False),
        sa.Column("target_id", sa.String(length=36), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("actor_id", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_moderation_target", "moderation_actions", ["target", "target_id"])


def downgrade() -> None:
    op.drop_table("moderation_actions")
    op.drop_table("review_ratings")
    for table in ("shops", "listings"):
        with op.batch_alter_table(table) as batch:
            for name, _ in reversed(COLUMNS):
                batch.drop_column(name)
            batch.drop_column("rating_count")
            batch.drop_column("rating_total")
