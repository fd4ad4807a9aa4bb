"""after the sale: receipt and the two timers' deadlines, a parcel cancelled on its own

Revision ID: orders_0004
Revises: orders_0003
"""
from alembic import op
import sqlalchemy as sa

revision = "orders_0004"
down_revision = "orders_0003"
branch_labels = None
depends_on = None

COLUMNS = (("ship_by", sa.DateTime(timezone=True)), ("receipt_due_at", sa.DateTime(timezone=True)),
           ("received_at", sa.DateTime(timezone=True)), ("received_by", sa.String(length=16)),
           ("cancel_reason", sa.String(length=32)), ("cancelled_at", sa.DateTime(timezone=True)))


def upgrade() -> None:
    with op.batch_alter_table("fulfillments", schema=None) as batch_op:
        for name, kind in COLUMNS:
            batch_op.add_column(sa.Column(name, kind, nullable=True))
        batch_op.create_index("ix_fulfillments_receipt_due", ["status", "receipt_due_at"], unique=False)
        batch_op.create_index("ix_fulfillments_ship_by", ["status", "ship_by"], unique=False)
    # rows from before stay without deadlines: no timer reaches back to cancel or confirm them (their sellers
    # were paid on delivery under the old rule already)


def downgrade() -> None:
    with op.batch_alter_table("fulfillments", schema=None) as batch_op:
        batch_op.drop_index("ix_fulfillments_ship_by")
        batch_op.drop_index("ix_fulfillments_receipt_due")
        for name, _ in reversed(COLUMNS):
            batch_op.drop_column(name)
