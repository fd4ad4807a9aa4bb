"""card attempts: a declined card is an attempt; count them and keep the last decline's reason

Revision ID: payments_0004
Revises: payments_0003
Create Date: 2026-11-29 08:30:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = 'payments_0004'
down_revision = 'payments_0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('attempts', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('last_decline', sa.String(length=255), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.drop_column('last_decline')
        batch_op.drop_column('attempts')
