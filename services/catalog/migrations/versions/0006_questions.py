"""questions and conversations, cs staff and their shops, order shoppers (issue 19)

Revision ID: catalog_0006
Revises: catalog_0005
"""
import sqlalchemy as sa
from alembic import op

revision = "catalog_0006"
down_revision = "catalog_0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "cs_staff",
        sa.Column("user_id", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False, server_default=""),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False))
    op.create_table(
        "cs_assignments",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("shop_id", sa.String(36), sa.ForeignKey("shops.id"), nullable=False, index=True),
        sa.Column("user_id", sa.String(64), nullable=False, index=True),
        sa.Column("assigned_by", sa.String(64), nullable=False, server_default=""),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("shop_id", "user_id", name="uq_cs_assignments_shop_user"))
    op.create_table(
        "order_shoppers",
        sa.Column("order_id", sa.String(64), primary_key=True),
        sa.Column("shopper_id", sa.String(64), nullable=False, index=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False))
    op.create_table(
        "question_threads",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("shop_id", sa.String(36), sa.ForeignKey("shops.id"), nullable=False),
        sa.Column("shopper_id", sa.String(64), nullable=False, index=True),
        sa.Column("shopper_name", sa.String(200), nullable=False, server_default=""),
        sa.Column("listing_id", sa.String(36), nullable=True),
        sa.Column("order_id", sa.String(64), nullable=True, index=True),
        sa.Column("subject", sa.String(200), nullable=False, server_default=""),
        sa.Column("status", sa.String(20), nullable=False, server_default="open"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_message_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("first_answer_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("first_answer_by", sa.String(64), nullable=True),
        sa.Column("first_answer_role", sa.String(20), nullable=True),
        sa.Column("handed_over_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_by", sa.String(64), nullable=True))
    op.create_index("ix_question_threads_shop_status", "question_threads", ["shop_id", "status"])
    op.create_table(
        "question_messages",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("thread_id", sa.String(36), sa.ForeignKey("question_threads.id"), nullable=False, index=True),
        sa.Column("author_id", sa.String(64), nullable=False),
        sa.Column("author_role", sa.String(20), nullable=False),
        sa.Column("author_name", sa.String(200), nullable=False, server_default=""),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False))
    op.create_index("ix_question_messages_author_time", "question_messages", ["author_id", "created_at"])


def downgrade() -> None:
    op.drop_table("question_messages")
    op.drop_table("question_threads")
    op.drop_table("order_shoppers")
    op.drop_table("cs_assignments")
    op.drop_table("cs_staff")
