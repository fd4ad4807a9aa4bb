"""Official district codes (issue 18): fulfillments.district_code (the pickup's, from a shop with a village code)
and couriers.district_code (a courier who chose the district from the official list). Dispatch and the open board
compare codes when both sides have one, names otherwise. Nullable: rows from before codes keep their names.

Revision ID: orders_0009_i18verify
Revises: orders_0008_i16_returns
"""
import sqlalchemy as sa
from alembic import op

revision = "orders_0009_i18verify"
down_revision = "orders_0008_i16_returns"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("fulfillments", sa.Column("district_code", sa.String(8), nullable=True))
    op.create_index("ix_fulfillments_district_code", "fulfillments", ["district_code"])
    op.add_column("couriers", sa.Column("district_code", sa.String(8), nullable=True))


def downgrade() -> None:
    op.drop_index("ix_fulfillments_district_code", table_name="fulfillments")
    with op.batch_alter_table("couriers") as batch:  # SQLite drops columns by copying the table
        batch.drop_column("district_code")
    with op.batch_alter_table("fulfillments") as batch:
        batch.drop_column("district_code")
