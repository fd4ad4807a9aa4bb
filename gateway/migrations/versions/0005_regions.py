"""regions: the Kemendagri province → regency → district → village codes (rows loaded by
`pasar gateway load-regions` from data/wilayah/wilayah.csv, not here: 91,599 rows would slow every fresh database)

Revision ID: gateway_0005
Revises: gateway_0004
"""
from alembic import op
import sqlalchemy as sa


revision = 'gateway_0005'
down_revision = 'gateway_0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('regions',
    sa.Column('code', sa.String(length=13), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('name_key', sa.String(length=120), nullable=False),
    sa.Column('level', sa.Integer(), nullable=False),
    sa.Column('parent_code', sa.String(length=13), nullable=True),
    sa.PrimaryKeyConstraint('code')
    )
    op.create_index('ix_regions_parent', 'regions', ['parent_code', 'name'])
    op.create_index('ix_regions_level_name_key', 'regions', ['level', 'name_key'])


def downgrade() -> None:
    op.drop_index('ix_regions_level_name_key', table_name='regions')
    op.drop_index('ix_regions_parent', table_name='regions')
    op.drop_table('regions')
