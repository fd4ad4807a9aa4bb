"""local rails: the chosen channel and its next action on a payment, checkout choices, sub-accounts, splits

Revision ID: payments_0005
Revises: payments_0004
Create Date: 2026-12-01 21:20:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = 'payments_0006'
down_revision = 'payments_0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('channel', sa.String(length=24), nullable=True))
        batch_op.add_column(sa.Column('next_kind', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('redirect_url', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('qr_string', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('va_number', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('va_bank', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('deeplink', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('split_rule_id', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('attention', sa.String(length=64), nullable=True))
    op.create_table('channel_choices',
                    sa.Column('order_id', sa.String(length=64), nullable=False),
                    sa.Column('shopper_id', sa.String(length=64), nullable=False),
                    sa.Column('channel', sa.String(length=24), nullable=False),
                    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
                    sa.PrimaryKeyConstraint('order_id'))
    op.create_table('sub_accounts',
                    sa.Column('seller_id', sa.String(length=64), nullable=False),
                    sa.Column('provider', sa.String(length=16), nullable=False),
                    sa.Column('account_id', sa.String(length=64), nullable=False),
                    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
                    sa.PrimaryKeyConstraint('seller_id'))
    op.create_table('payment_splits',
                    sa.Column('payment_id', sa.String(length=36), nullable=False),
                    sa.Column('seller_id', sa.String(length=64), nullable=False),
                    sa.Column('destination_account_id', sa.String(length=64), nullable=False),
                    sa.Column('amount', sa.BigInteger(), nullable=False),
                    sa.Column('rule_id', sa.String(length=64), nullable=True),
                    sa.ForeignKeyConstraint(['payment_id'], ['payments.id']),
                    sa.PrimaryKeyConstraint('payment_id', 'seller_id'))


def downgrade() -> None:
    op.drop_table('payment_splits')
    op.drop_table('sub_accounts')
    op.drop_table('channel_choices')
    with op.batch_alter_table('payments', schema=None) as batch_op:
        for column in ('attention', 'split_rule_id', 'expires_at', 'deeplink', 'va_bank', 'va_number',
                       'qr_string', 'redirect_url', 'next_kind', 'channel'):
            batch_op.drop_column(column)
