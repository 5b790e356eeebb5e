"""group_label: a mapped group keeps the name people wrote for it, for listings

Revision ID: 0006_group_label
Revises: 0005_answer_cover
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0006_group_label"
down_revision: str | None = "0005_answer_cover"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("side_mapping") as table:
        table.add_column(
            sa.Column(
                "label",
                sqlmodel.sql.sqltypes.AutoString(length=200),
                nullable=False,
                server_default="",
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("side_mapping") as table:
        table.drop_column("label")
