"""shops.whatsapp_chat: the seller lets shoppers chat on WhatsApp from the pages (issue 19)

Revision ID: catalog_0005
Revises: catalog_0004
"""
import sqlalchemy as sa
from alembic import op

revision = "catalog_0005"
down_revision = "catalog_0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("shops", sa.Column("whatsapp_chat", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("shops") as batch:  # SQLite drops columns by copying the table
        batch.drop_column("whatsapp_chat")
