"""harvest pre-orders (issue 17): harvest batches, and a reservation's batch; a listing's delivery window

Revision ID: catalog_0010_i17_harvest
Revises: catalog_0009_i18verify
"""
from alembic import op
import sqlalchemy as sa

revision = "catalog_0010_i17_harvest"
down_revision = "catalog_0009_i18verify"
branch_labels = None
depends_on = None

QTY = sa.Numeric(14, 3)


def upgrade() -> None:
    op.create_table(
        "harvest_batches",
        sa.Column("id", sa.String(length=36), primary_key=True),
        sa.Column("listing_id", sa.String(length=36), sa.ForeignKey("listings.id"), nullable=False),
        sa.Column("shop_id", sa.String(length=36), nullable=False),
        sa.Column("seller_id", sa.String(length=64), nullable=False),
        sa.Column("expected_on", sa.Date(), nullable=False),
        sa.Column("cap", QTY, nullable=False),
        sa.Column("price", sa.Integer(), nullable=False),
        sa.Column("pay_at", sa.String(length=12), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("harvested_qty", QTY, nullable=True),
        sa.Column("filled_qty", QTY, nullable=True),
        sa.Column("opened_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("harvested_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("late_told_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_harvest_batches_listing_id", "harvest_batches", ["listing_id"])
    with op.batch_alter_table("reservations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("batch_id", sa.String(length=36), nullable=True))
        batch_op.create_index("ix_reservations_batch_id", ["batch_id"])
    with op.batch_alter_table("listings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("delivery_window", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("listings", schema=None) as batch_op:
        batch_op.drop_column("delivery_window")
    with op.batch_alter_table("reservations", schema=None) as batch_op:
        batch_op.drop_index("ix_reservations_batch_id")
        batch_op.drop_column("batch_id")
    op.drop_index("ix_harvest_batches_listing_id", table_name="harvest_batches")
    op.drop_table("harvest_batches")
