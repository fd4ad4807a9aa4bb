"""one-time codes (password reset, phone verification; HMAC at rest) and accounts.phone_verified

Existing accounts start unverified: nobody proved those numbers. They verify from their profile page before
opening a new shop or going on duty (the demo seed creates its accounts verified).

Revision ID: gateway_0004
Revises: gateway_0003
"""
from alembic import op
import sqlalchemy as sa


revision = 'gateway_0004'
down_revision = 'gateway_0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('phone_verified', sa.Boolean(), server_default=sa.false(), nullable=False))
    op.create_table('one_time_codes',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('account_id', sa.String(length=36), nullable=False),
    sa.Column('purpose', sa.String(length=16), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('address', sa.String(length=254), nullable=False),
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_one_time_codes_account_purpose', 'one_time_codes', ['account_id', 'purpose', 'created_at'])


def downgrade() -> None:
    op.drop_index('ix_one_time_codes_account_purpose', table_name='one_time_codes')
    op.drop_table('one_time_codes')
    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.drop_column('phone_verified')
