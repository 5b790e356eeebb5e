"""actions: a summary's next step taken on, declined for the next-best, and asked about

Revision ID: 0008_actions
Revises: 0007_vote_origin
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0008_actions"
down_revision: str | None = "0007_vote_origin"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    text = sqlmodel.sql.sqltypes.AutoString
    op.create_table(
        "action",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel_id", sa.Integer(), nullable=False),
        sa.Column("poll_id", sa.Integer(), nullable=False),
        sa.Column("nudge_id", text(length=64), nullable=False),
        sa.Column("imperative", sa.Integer(), nullable=False),
        sa.Column("metric", text(length=64), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("text", text(length=400), nullable=False),
        sa.Column("state", text(length=16), nullable=False),
        sa.Column("owner_user_id", text(length=128), nullable=True),
        sa.Column("owner_name", text(length=100), nullable=False),
        sa.Column("replaces", sa.Integer(), nullable=True),
        sa.Column("asked_poll_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["channel_id"], ["channel.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["poll_id"], ["poll.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["replaces"], ["action.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["asked_poll_id"], ["poll.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("channel_id", "poll_id", "nudge_id", name="uq_action_nudge"),
    )
    with op.batch_alter_table("action") as table:
        table.create_index("ix_action_channel_time", ["channel_id", "created_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("action") as table:
        table.drop_index("ix_action_channel_time")
    op.drop_table("action")
