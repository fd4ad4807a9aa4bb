"""saved addresses: label, recipient, phone, street, official village code, notes for the courier

Revision ID: gateway_0006
Revises: gateway_0005
"""
from alembic import op
import sqlalchemy as sa


revision = 'gateway_0006'
down_revision = 'gateway_0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('saved_addresses',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('account_id', sa.String(length=36), nullable=False),
    sa.Column('label', sa.String(length=40), nullable=False),
    sa.Column('recipient', sa.String(length=120), nullable=False),
    sa.Column('phone', sa.String(length=20), nullable=False),
    sa.Column('street', sa.String(length=200), nullable=False),
    sa.Column('village_code', sa.String(length=13), nullable=False),
    sa.Column('notes', sa.String(length=300), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_saved_addresses_account_id', 'saved_addresses', ['account_id'])


def downgrade() -> None:
    op.drop_index('ix_saved_addresses_account_id', table_name='saved_addresses')
    op.drop_table('saved_addresses')
