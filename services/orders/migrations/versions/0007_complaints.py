"""complaints and returns: one complaint per delivered parcel, with every step taken on it

Revision ID: orders_0007
Revises: orders_0006
"""
from alembic import op
import sqlalchemy as sa

revision = "orders_0007"
down_revision = "orders_0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "complaints",
        sa.Column("id", sa.String(length=36), primary_key=True),
        sa.Column("order_id", sa.String(length=36), sa.ForeignKey("orders.id"), nullable=False),
        sa.Column("fulfillment_id", sa.String(length=36), sa.ForeignKey("fulfillments.id"), nullable=False),
        sa.Column("shopper_id", sa.String(length=64), nullable=False),
        sa.Column("seller_id", sa.String(length=64), nullable=False),
        sa.Column("agent_id", sa.String(length=64), nullable=True),
        sa.Column("shop_name", sa.String(length=200), nullable=False),
        sa.Column("payment_method", sa.String(length=8), nullable=False),
        sa.Column("parcel_total", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("text", sa.String(length=2000), nullable=False),
        sa.Column("photos", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("respond_by", sa.DateTime(timezone=True), nullable=True),
        sa.Column("answer", sa.String(length=16), nullable=True),
        sa.Column("answer_reason", sa.String(length=500), nullable=True),
        sa.Column("refund_amount", sa.Integer(), nullable=True),
        sa.Column("resolution", sa.String(length=16), nullable=True),
        sa.Column("resolved_by", sa.String(length=16), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("escalated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("actions", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("fulfillment_id", name="uq_complaints_fulfillment_id"),
    )
    op.create_index("ix_complaints_order_id", "complaints", ["order_id"])
    op.create_index("ix_complaints_shopper_id", "complaints", ["shopper_id"])
    op.create_index("ix_complaints_seller_id", "complaints", ["seller_id"])
    op.create_index("ix_complaints_agent_id", "complaints", ["agent_id"])
    op.create_index("ix_complaints_due", "complaints", ["status", "respond_by"])


def downgrade() -> None:
    op.drop_index("ix_complaints_due", table_name="complaints")
    op.drop_index("ix_complaints_agent_id", table_name="complaints")
    op.drop_index("ix_complaints_seller_id", table_name="complaints")
    op.drop_index("ix_complaints_shopper_id", table_name="complaints")
    op.drop_index("ix_complaints_order_id", table_name="complaints")
    op.drop_table("complaints")
