"""shops.village_code: the shop's official Kemendagri village (issue 18), so delivery fees and courier districts
come from codes, not typed names. Nullable: shops opened before codes keep working by their names.
village_suggestion / village_flag: an unsure best match of the typed names (`pasar catalog match-villages`).

Revision ID: catalog_0009_i18verify
Revises: catalog_0008
"""
import sqlalchemy as sa
from alembic import op

revision = "catalog_0009_i18verify"
down_revision = "catalog_0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("shops", sa.Column("village_code", sa.String(13), nullable=True))
    op.add_column("shops", sa.Column("village_suggestion", sa.String(13), nullable=True))
    op.add_column("shops", sa.Column("village_flag", sa.String(80), nullable=True))
    op.create_index("ix_shops_village_code", "shops", ["village_code"])


def downgrade() -> None:
    op.drop_index("ix_shops_village_code", table_name="shops")
    with op.batch_alter_table("shops") as batch:  # SQLite drops columns by copying the table
        batch.drop_column("village_flag")
        batch.drop_column("village_suggestion")
        batch.drop_column("village_code")
