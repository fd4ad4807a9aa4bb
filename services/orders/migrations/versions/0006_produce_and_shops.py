"""issue 17: one parcel per shop (fulfillments.shop_id), exact decimal cart quantities, listings' buying terms

Revision ID: orders_0006
Revises: orders_0005
"""
from alembic import op
import sqlalchemy as sa

revision = "orders_0006"
down_revision = "orders_0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("fulfillments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("shop_id", sa.String(length=64), nullable=True))
    with op.batch_alter_table("cart_lines", schema=None) as batch_op:
        batch_op.alter_column("qty", existing_type=sa.Integer(), type_=sa.Numeric(14, 3))
    op.create_table(
        "listing_terms",
        sa.Column("listing_id", sa.String(length=64), primary_key=True),
        sa.Column("unit", sa.String(length=20), nullable=False),
        sa.Column("min_qty", sa.Numeric(14, 3), nullable=False),
        sa.Column("qty_step", sa.Numeric(14, 3), nullable=False),
        sa.Column("sellable_until", sa.String(length=10), nullable=True),
        sa.Column("deliver_within", sa.String(length=12), nullable=False),
        sa.Column("shop_district", sa.String(length=120), nullable=False),
        sa.Column("shop_regency", sa.String(length=120), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("listing_terms")
    with op.batch_alter_table("cart_lines", schema=None) as batch_op:
        batch_op.alter_column("qty", existing_type=sa.Numeric(14, 3), type_=sa.Integer())
    with op.batch_alter_table("fulfillments", schema=None) as batch_op:
        batch_op.drop_column("shop_id")
