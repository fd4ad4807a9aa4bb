"""reviews after the sale, two-way and double-blind, and their reports

Revision ID: orders_0005
Revises: orders_0004
"""
from alembic import op
import sqlalchemy as sa

revision = "orders_0005"
down_revision = "orders_0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "reviews",
        sa.Column("id", sa.String(length=36), primary_key=True),
        sa.Column("fulfillment_id", sa.String(length=36), sa.ForeignKey("fulfillments.id"), nullable=False),
        sa.Column("order_id", sa.String(length=36), nullable=False),
        sa.Column("side", sa.String(length=8), nullable=False),
        sa.Column("author_id", sa.String(length=64), nullable=False),
        sa.Column("subject_id", sa.String(length=64), nullable=False),
        sa.Column("seller_id", sa.String(length=64), nullable=False),
        sa.Column("shop_name", sa.String(length=200), nullable=False),
        sa.Column("author_name", sa.String(length=200), nullable=False),
        sa.Column("listing_ids", sa.JSON(), nullable=False),
        sa.Column("rating", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("hidden_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("hidden_by", sa.String(length=64), nullable=True),
        sa.Column("hidden_reason", sa.Text(), nullable=True),
        sa.Column("report_count", sa.Integer(), nullable=False),
        sa.UniqueConstraint("fulfillment_id", "side", name="uq_review_per_side"),
    )
    op.create_index("ix_reviews_status", "reviews", ["status"])
    for column in ("fulfillment_id", "order_id", "author_id", "subject_id", "seller_id"):
        op.create_index(f"ix_reviews_{column}", "reviews", [column])
    op.create_table(
        "review_reports",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("review_id", sa.String(length=36), sa.ForeignKey("reviews.id"), nullable=False),
        sa.Column("reporter_id", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("review_id", "reporter_id", name="uq_review_report"),
    )
    op.create_index("ix_review_reports_review_id", "review_reports", ["review_id"])


def downgrade() -> None:
    op.drop_table("review_reports")
    op.drop_table("reviews")
