"""payout hold and parcel refunds: a share released on receipt, or cancelled (and refunded) on its own

Revision ID: payments_0005
Revises: payments_0004
"""
from alembic import op
import sqlalchemy as sa

revision = "payments_0005"
down_revision = "payments_0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("payment_shares", schema=None) as batch_op:
        batch_op.add_column(sa.Column("released_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("refunded", sa.BigInteger(), server_default="0", nullable=False))
    # shares settled before the hold existed were paid out on delivery: they count as released then
    op.execute("UPDATE payment_shares SET released_at = delivered_at WHERE delivered_at IS NOT NULL")


def downgrade() -> None:
    with op.batch_alter_table("payment_shares", schema=None) as batch_op:
        batch_op.drop_column("refunded")
        batch_op.drop_column("cancelled_at")
        batch_op.drop_column("released_at")
