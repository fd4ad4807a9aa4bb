"""xenPlatform: a payment made on a seller's sub-account (for-user-id)

Revision ID: payments_0007
Revises: payments_0006
Create Date: 2026-12-04 18:30:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = 'payments_0007'
down_revision = 'payments_0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('for_user_id', sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.drop_column('for_user_id')
