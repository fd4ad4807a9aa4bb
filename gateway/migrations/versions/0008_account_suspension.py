"""accounts suspended by the operator (issue 16), and every operator action on an account

Revision ID: gateway_0008
Revises: gateway_0007
"""
import sqlalchemy as sa
from alembic import op

revision = "gateway_0008"
down_revision = "gateway_0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("accounts") as batch:
        batch.add_column(sa.Column("suspended_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("suspended_by", sa.String(length=36), nullable=True))
        batch.add_column(sa.Column("suspended_reason", sa.Text(), nullable=True))
    op.create_table(
        "account_actions",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("account_id", sa.String(length=36), sa.ForeignKey("accounts.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("actor_id", sa.String(length=36), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_account_actions_account_id", "account_actions", ["account_id"])


def downgrade() -> None:
    op.drop_table("account_actions")
    with op.batch_alter_table("accounts") as batch:
        for name in ("suspended_reason", "suspended_by", "suspended_at"):
            batch.drop_column(name)
