"""complaint photos uploaded by the shopper (issue 16): the stored files' keys on the complaint

Revision ID: orders_0011_i16_photos
Revises: orders_0010_i17_harvest
"""
from alembic import op
import sqlalchemy as sa

revision = "orders_0011_i16_photos"
down_revision = "orders_0010_i17_harvest"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("complaints", schema=None) as batch_op:
        batch_op.add_column(sa.Column("uploads", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("complaints", schema=None) as batch_op:
        batch_op.drop_column("uploads")
