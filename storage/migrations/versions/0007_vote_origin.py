"""vote_origin: an answer keeps the platform's time of the click that set it (later click wins)

Revision ID: 0007_vote_origin
Revises: 0006_group_label
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0007_vote_origin"
down_revision: str | None = "0006_group_label"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("answer") as table:
        table.add_column(
            sa.Column("clicked_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("answer") as table:
        table.drop_column("clicked_at")
