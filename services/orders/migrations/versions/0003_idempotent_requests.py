"""idempotent_requests: answers kept per caller and Idempotency-Key (pasar.idempotency)

Revision ID: orders_0003
Revises: orders_0002
"""
from alembic import op

from pasar.idempotency import create_idempotency_table, drop_idempotency_table

revision = "orders_0003"
down_revision = "orders_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_idempotency_table(op)


def downgrade() -> None:
    drop_idempotency_table(op)
