"""managed payees: which agent manages which crafter's shop (payee "shop:<id>")

Revision ID: payments_0003
Revises: payments_0002
Create Date: 2026-11-27 09:10:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = 'payments_0003'
down_revision = 'payments_0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('managed_payees',
    sa.Column('payee_id', sa.String(length=64), nullable=False),
    sa.Column('agent_id', sa.String(length=64), nullable=False),
    sa.Column('shop_name', sa.String(length=200), nullable=True),
    sa.Column('seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('payee_id')
    )
    with op.batch_alter_table('managed_payees', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_managed_payees_agent_id'), ['agent_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('managed_payees', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_managed_payees_agent_id'))

    op.drop_table('managed_payees')
