"""produce by weight and perishables (issue 17): exact decimal stock, minimum and step, harvest date and shelf
life, nearby-only delivery

Revision ID: catalog_0008
Revises: catalog_0007
"""
from alembic import op
import sqlalchemy as sa

revision = "catalog_0008"
down_revision = "catalog_0007"
branch_labels = None
depends_on = None

QTY = sa.Numeric(14, 3)
# (table, column): integers that become exact decimals (a whole number stays the same number)
DECIMALS = (("listings", "stock"), ("listings", "sold_count"), ("reservations", "qty"),
            ("stock_movements", "change"), ("stock_movements", "qty"), ("stock_movements", "stock_after"))


def upgrade() -> None:
    for table, column in DECIMALS:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column(column, existing_type=sa.Integer(), type_=QTY)
    with op.batch_alter_table("listings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("min_qty", QTY, nullable=False, server_default="1"))
        batch_op.add_column(sa.Column("qty_step", QTY, nullable=False, server_default="1"))
        batch_op.add_column(sa.Column("harvested_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("shelf_life_days", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("deliver_within", sa.String(length=12), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("listings", schema=None) as batch_op:
        for column in ("deliver_within", "shelf_life_days", "harvested_on", "qty_step", "min_qty"):
            batch_op.drop_column(column)
    for table, column in DECIMALS:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column(column, existing_type=QTY, type_=sa.Integer())
