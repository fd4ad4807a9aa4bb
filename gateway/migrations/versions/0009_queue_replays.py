"""parked events replayed by the operator (issue 16): who, when, why, which queue and which events

Revision ID: gateway_0009
Revises: gateway_0008
"""
import sqlalchemy as sa
from alembic import op

revision = "gateway_0009"
down_revision = "gateway_0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "queue_replays",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("queue", sa.String(length=120), nullable=False),
        sa.Column("asked_event_id", sa.String(length=64), nullable=True),
        sa.Column("event_ids", sa.Text(), nullable=False),
        sa.Column("moved", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("actor_id", sa.String(length=36), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_queue_replays_queue", "queue_replays", ["queue"])


def downgrade() -> None:
    op.drop_table("queue_replays")
