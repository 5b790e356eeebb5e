"""answer_cover: on PostgreSQL the answer key carries side and value (index-only reads)

Revision ID: 0005_answer_cover
Revises: 0004_schedule
Create Date: 2026-11-22
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005_answer_cover"
down_revision: str | None = "0004_schedule"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KEY = ["poll_id", "respondent", "question_id"]


def upgrade() -> None:
    # SQLite has no INCLUDE; its reads of a poll's answers stay as they were.
    if op.get_bind().dialect.name != "postgresql":
        return
    op.drop_constraint("uq_answer", "answer", type_="unique")
    # raw DDL: alembic's stand-in table knows only the key columns, not the included ones
    op.execute(
        "ALTER TABLE answer ADD CONSTRAINT uq_answer "
        "UNIQUE (poll_id, respondent, question_id) INCLUDE (side, value)"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.drop_constraint("uq_answer", "answer", type_="unique")
    op.create_unique_constraint("uq_answer", "answer", KEY)
