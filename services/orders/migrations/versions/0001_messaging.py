"""outbox and inbox (processed_events)

Revision ID: orders_0001
Revises:
"""
from alembic import op

from pasar.db import create_messaging_tables, drop_messaging_tables

revision = "orders_0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_messaging_tables(op)


def downgrade() -> None:
    drop_messaging_tables(op)


