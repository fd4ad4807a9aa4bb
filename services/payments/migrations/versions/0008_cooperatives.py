"""cooperatives: members, officers and agents; four-way sale splits; member payouts

Revision ID: payments_0008
Revises: payments_0007
Create Date: 2026-12-04 18:10:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = 'payments_0008'
down_revision = 'payments_0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('cooperatives',
                    sa.Column('id', sa.String(length=36), nullable=False),
                    sa.Column('name', sa.String(length=200), nullable=False),
                    sa.Column('village', sa.String(length=120), nullable=True),
                    sa.Column('district', sa.String(length=120), nullable=True),
                    sa.Column('regency', sa.String(length=120), nullable=True),
                    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
                    sa.PrimaryKeyConstraint('id'))
    op.create_table('coop_people',
                    sa.Column('coop_id', sa.String(length=36), nullable=False),
                    sa.Column('person_id', sa.String(length=64), nullable=False),
                    sa.Column('role', sa.String(length=8), nullable=False),
                    sa.Column('name', sa.String(length=200), nullable=False),
                    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
                    sa.ForeignKeyConstraint(['coop_id'], ['cooperatives.id']),
                    sa.PrimaryKeyConstraint('coop_id', 'person_id', 'role'))
    op.create_index('ix_coop_people_person_id', 'coop_people', ['person_id'])
    op.create_table('sale_splits',
                    sa.Column('scope', sa.String(length=8), nullable=False),
                    sa.Column('subject_id', sa.String(length=64), nullable=False),
                    sa.Column('coop_id', sa.String(length=36), nullable=False),
                    sa.Column('crafter_bp', sa.Integer(), nullable=False),
                    sa.Column('agent_bp', sa.Integer(), nullable=False),
                    sa.Column('cooperative_bp', sa.Integer(), nullable=False),
                    sa.Column('platform_bp', sa.Integer(), nullable=False),
                    sa.Column('updated_by', sa.String(length=64), nullable=False),
                    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
                    sa.ForeignKeyConstraint(['coop_id'], ['cooperatives.id']),
                    sa.PrimaryKeyConstraint('scope', 'subject_id'))
    op.create_index('ix_sale_splits_coop_id', 'sale_splits', ['coop_id'])
    op.create_table('share_splits',
                    sa.Column('fulfillment_id', sa.String(length=64), nullable=False),
                    sa.Column('order_id', sa.String(length=64), nullable=False),
                    sa.Column('coop_id', sa.String(length=36), nullable=False),
                    sa.Column('seller_id', sa.String(length=64), nullable=False),
                    sa.Column('agent_id', sa.String(length=64), nullable=True),
                    sa.Column('goods_amount', sa.BigInteger(), nullable=False),
                    sa.Column('crafter', sa.BigInteger(), nullable=False),
                    sa.Column('agent', sa.BigInteger(), nullable=False),
                    sa.Column('cooperative', sa.BigInteger(), nullable=False),
                    sa.Column('platform', sa.BigInteger(), nullable=False),
                    sa.Column('crafter_bp', sa.Integer(), nullable=False),
                    sa.Column('agent_bp', sa.Integer(), nullable=False),
                    sa.Column('cooperative_bp', sa.Integer(), nullable=False),
                    sa.Column('platform_bp', sa.Integer(), nullable=False),
                    sa.Column('delivered_at', sa.DateTime(timezone=True), nullable=False),
                    sa.Column('released_at', sa.DateTime(timezone=True), nullable=True),
                    sa.PrimaryKeyConstraint('fulfillment_id'))
    op.create_index('ix_share_splits_order_id', 'share_splits', ['order_id'])
    op.create_index('ix_share_splits_coop_id', 'share_splits', ['coop_id'])
    op.create_index('ix_share_splits_seller_id', 'share_splits', ['seller_id'])
    op.create_table('coop_payouts',
                    sa.Column('id', sa.String(length=36), nullable=False),
                    sa.Column('coop_id', sa.String(length=36), nullable=False),
                    sa.Column('key', sa.String(length=128), nullable=False),
                    sa.Column('member_id', sa.String(length=64), nullable=False),
                    sa.Column('amount', sa.BigInteger(), nullable=False),
                    sa.Column('method', sa.String(length=8), nullable=False),
                    sa.Column('reference', sa.String(length=128), nullable=True),
                    sa.Column('note', sa.String(length=300), nullable=True),
                    sa.Column('recorded_by', sa.String(length=64), nullable=False),
                    sa.Column('paid_at', sa.DateTime(timezone=True), nullable=False),
                    sa.ForeignKeyConstraint(['coop_id'], ['cooperatives.id']),
                    sa.PrimaryKeyConstraint('id'),
                    sa.UniqueConstraint('coop_id', 'key', name='uq_coop_payouts_key'))
    op.create_index('ix_coop_payouts_coop_id', 'coop_payouts', ['coop_id'])
    op.create_index('ix_coop_payouts_member_id', 'coop_payouts', ['member_id'])


def downgrade() -> None:
    op.drop_table('coop_payouts')
    op.drop_table('share_splits')
    op.drop_table('sale_splits')
    op.drop_table('coop_people')
    op.drop_table('cooperatives')
