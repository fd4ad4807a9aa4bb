"""a return's courier pickup: the trip from the shopper back to the shop, dispatched like a delivery

Revision ID: orders_0008_i16_returns
Revises: orders_0007
"""
from alembic import op
import sqlalchemy as sa

revision = "orders_0008_i16_returns"
down_revision = "orders_0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "return_pickups",
        sa.Column("id", sa.String(length=36), primary_key=True),
        sa.Column("complaint_id", sa.String(length=36), sa.ForeignKey("complaints.id"), nullable=False),
        sa.Column("order_id", sa.String(length=36), sa.ForeignKey("orders.id"), nullable=False),
        sa.Column("fulfillment_id", sa.String(length=36), sa.ForeignKey("fulfillments.id"), nullable=False),
        sa.Column("shopper_id", sa.String(length=64), nullable=False),
        sa.Column("seller_id", sa.String(length=64), nullable=False),
        sa.Column("agent_id", sa.String(length=64), nullable=True),
        sa.Column("shop_id", sa.String(length=64), nullable=True),
        sa.Column("shop_name", sa.String(length=200), nullable=False),
        sa.Column("pickup", sa.JSON(), nullable=False),
        sa.Column("dropoff", sa.JSON(), nullable=False),
        sa.Column("district", sa.String(length=120), nullable=True),
        sa.Column("items", sa.JSON(), nullable=False),
        sa.Column("goods_amount", sa.Integer(), nullable=False),
        sa.Column("delivery_fee", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("courier_id", sa.String(length=64), nullable=True),
        sa.Column("accepted", sa.Boolean(), nullable=False),
        sa.Column("declined_by", sa.JSON(), nullable=False),
        sa.Column("ready_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("picked_up_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancel_reason", sa.String(length=32), nullable=True),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_return_pickups_complaint_id", "return_pickups", ["complaint_id"])
    op.create_index("ix_return_pickups_order_id", "return_pickups", ["order_id"])
    op.create_index("ix_return_pickups_courier_id", "return_pickups", ["courier_id"])
    op.create_index("ix_return_pickups_board", "return_pickups", ["district", "status"])


def downgrade() -> None:
    op.drop_index("ix_return_pickups_board", table_name="return_pickups")
    op.drop_index("ix_return_pickups_courier_id", table_name="return_pickups")
    op.drop_index("ix_return_pickups_order_id", table_name="return_pickups")
    op.drop_index("ix_return_pickups_complaint_id", table_name="return_pickups")
    op.drop_table("return_pickups")
