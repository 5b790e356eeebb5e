"""schedule: next opening per channel, reminder and close markers per poll, scheduler indexes

Revision ID: 0004_schedule
Revises: 0003_slack
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0004_schedule"
down_revision: str | None = "0003_slack"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("channel", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("next_open_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True)
        )
        batch_op.create_index("ix_channel_next_open", ["next_open_at"], unique=False)

    with op.batch_alter_table("poll", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("reminded_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True)
        )
        batch_op.add_column(
            sa.Column("finished_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True)
        )
        batch_op.create_index(
            "ix_poll_remind",
            ["closes_at"],
            unique=False,
            sqlite_where=sa.text("closed_at IS NULL AND reminded_at IS NULL"),
            postgresql_where=sa.text("closed_at IS NULL AND reminded_at IS NULL"),
        )
        batch_op.create_index(
            "ix_poll_unfinished",
            ["closed_at"],
            unique=False,
            sqlite_where=sa.text("closed_at IS NOT NULL AND finished_at IS NULL"),
            postgresql_where=sa.text("closed_at IS NOT NULL AND finished_at IS NULL"),
        )
        batch_op.create_index("ix_poll_closed_at", ["closed_at"], unique=False)
        batch_op.create_index("ix_poll_channel_opened", ["channel_id", "opened_at"], unique=False)

    # Polls closed before this revision posted their summary already: never post it again.
    op.execute("UPDATE poll SET finished_at = closed_at WHERE closed_at IS NOT NULL")


def downgrade() -> None:
    with op.batch_alter_table("poll", schema=None) as batch_op:
        batch_op.drop_index("ix_poll_channel_opened")
        batch_op.drop_index("ix_poll_closed_at")
        batch_op.drop_index(
            "ix_poll_unfinished",
            sqlite_where=sa.text("closed_at IS NOT NULL AND finished_at IS NULL"),
            postgresql_where=sa.text("closed_at IS NOT NULL AND finished_at IS NULL"),
        )
        batch_op.drop_index(
            "ix_poll_remind",
            sqlite_where=sa.text("closed_at IS NULL AND reminded_at IS NULL"),
            postgresql_where=sa.text("closed_at IS NULL AND reminded_at IS NULL"),
        )
        batch_op.drop_column("finished_at")
        batch_op.drop_column("reminded_at")

    with op.batch_alter_table("channel", schema=None) as batch_op:
        batch_op.drop_index("ix_channel_next_open")
        batch_op.drop_column("next_open_at")
