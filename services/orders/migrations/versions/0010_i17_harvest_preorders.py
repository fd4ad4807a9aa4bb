"""harvest pre-orders (issue 17): an order's pre-order terms and delivery window; listing terms versioned (as_of)

Revision ID: orders_0010_i17_harvest
Revises: orders_0009_i18verify
"""
from alembic import op
import sqlalchemy as sa

revision = "orders_0010_i17_harvest"
down_revision = "orders_0009_i18verify"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.add_column(sa.Column("preorder", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("delivery_window", sa.JSON(), nullable=True))
    with op.batch_alter_table("listing_terms", schema=None) as batch_op:
        batch_op.add_column(sa.Column("as_of", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("delivery_window", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("listing_terms", schema=None) as batch_op:
        batch_op.drop_column("delivery_window")
        batch_op.drop_column("as_of")
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_column("delivery_window")
        batch_op.drop_column("preorder")
