"""accounts.save_data: the "Hemat kuota" switch kept with the account (issue 19)

Revision ID: gateway_0004
Revises: gateway_0003
"""
import sqlalchemy as sa
from alembic import op

revision = "gateway_0007"
down_revision = "gateway_0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("accounts", sa.Column("save_data", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("accounts") as batch:  # SQLite drops columns by copying the table
        batch.drop_column("save_data")
