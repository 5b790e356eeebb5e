"""SQLModel tables. Respondents appear only as keyed hashes; raw user ids only where BridgePulse
must message a person (digest subscribers, channel owners)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy import JSON, Column, ForeignKey, Index, Integer, UniqueConstraint, text
from sqlmodel import Field, SQLModel

HASH_LEN = 64


class WorkspaceRow(SQLModel, table=True):
    """A Slack workspace or a Teams tenant."""

    __tablename__ = "workspace"
    __table_args__ = (UniqueConstraint("platform", "external_id", name="uq_workspace_external"),)

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=16)
    external_id: str = Field(max_length=128)
    created_at: datetime


class ChannelRow(SQLModel, table=True):
    """A channel and its weekly schedule (all schedule columns null until `/pulse setup`)."""

    __tablename__ = "channel"
    __table_args__ = (
        UniqueConstraint("workspace_id", "external_id", name="uq_channel_external"),
        Index("ix_channel_next_open", "next_open_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = Field(
        sa_column=Column(Integer, ForeignKey("workspace.id", ondelete="CASCADE"), nullable=False)
    )
    external_id: str = Field(max_length=256)
    name: str = Field(default="", max_length=200)
    question_set: str = Field(default="default", max_length=40)
    schedule_weekday: int | None = None
    schedule_time: str | None = Field(default=None, max_length=5)
    schedule_timezone: str | None = Field(default=None, max_length=64)
    schedule_open_days: int | None = None
    paused: bool = False
    owner_user_id: str | None = Field(default=None, max_length=128)
    #: The next scheduled opening (UTC) the scheduler will act on; set by setup and resume.
    next_open_at: datetime | None = None
    created_at: datetime
    updated_at: datetime


class PollRow(SQLModel, table=True):
    """One poll; `result` is the PollResult stored when it closed (aggregates only)."""

    __tablename__ = "poll"
    __table_args__ = (
        UniqueConstraint("channel_id", "number", name="uq_poll_number"),
        UniqueConstraint("channel_id", "period", name="uq_poll_period"),
        # At most one open poll per channel, whatever races between replicas.
        Index(
            "uq_poll_one_open",
            "channel_id",
            unique=True,
            sqlite_where=text("closed_at IS NULL"),
            postgresql_where=text("closed_at IS NULL"),
        ),
        Index(
            "ix_poll_due",
            "closes_at",
            sqlite_where=text("closed_at IS NULL"),
            postgresql_where=text("closed_at IS NULL"),
        ),
        # Scheduler look-ups: reminders still to send, closes still to finish, recent closes.
        Index(
            "ix_poll_remind",
            "closes_at",
            sqlite_where=text("closed_at IS NULL AND reminded_at IS NULL"),
            postgresql_where=text("closed_at IS NULL AND reminded_at IS NULL"),
        ),
        Index(
            "ix_poll_unfinished",
            "closed_at",
            sqlite_where=text("closed_at IS NOT NULL AND finished_at IS NULL"),
            postgresql_where=text("closed_at IS NOT NULL AND finished_at IS NULL"),
        ),
        Index("ix_poll_closed_at", "closed_at"),
        Index("ix_poll_channel_opened", "channel_id", "opened_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    channel_id: int = Field(
        sa_column=Column(Integer, ForeignKey("channel.id", ondelete="CASCADE"), nullable=False)
    )
    number: int
    question_set: str = Field(max_length=40)
    question_set_version: int
    rotating_imperative: int
    opened_at: datetime
    closes_at: datetime
    closed_at: datetime | None = None
    #: When the reminder step was done (or found not needed); null while it is still to do.
    reminded_at: datetime | None = None
    #: When the close step (result, card update, summary) was done; null while still to do.
    finished_at: datetime | None = None
    period: str = Field(max_length=64)
    timezone: str = Field(default="UTC", max_length=64)
    message_ref: str | None = Field(default=None, max_length=256)
    score: int | None = None
    result: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))


class AnswerRow(SQLModel, table=True):
    """One answer: unique per poll, respondent and question, so a changed click replaces it."""

    __tablename__ = "answer"
    __table_args__ = (
        # PostgreSQL: side and value ride in the index, so reading a poll's answers is an
        # index-only scan of adjacent entries, wherever the rows landed in the heap.
        UniqueConstraint(
            "poll_id",
            "respondent",
            "question_id",
            name="uq_answer",
            postgresql_include=["side", "value"],
        ),
        Index("ix_answer_respondent", "respondent"),
    )

    id: int | None = Field(default=None, primary_key=True)
    poll_id: int = Field(
        sa_column=Column(Integer, ForeignKey("poll.id", ondelete="CASCADE"), nullable=False)
    )
    respondent: str = Field(max_length=HASH_LEN)
    side: str | None = Field(default=None, max_length=16)
    question_id: str = Field(max_length=40)
    value: str = Field(max_length=40)
    answered_at: datetime
    updated_at: datetime
    #: The platform's own time of the click that set this answer (Slack `action_ts`, Teams'
    #: activity timestamp): an older click arriving later (a replay) leaves it. Null for
    #: answers stored before it was kept, and for seeded ones.
    clicked_at: datetime | None = None


class SideRow(SQLModel, table=True):
    """A person's side, by respondent hash."""

    __tablename__ = "member_side"

    respondent: str = Field(primary_key=True, max_length=HASH_LEN)
    side: str = Field(max_length=16)
    updated_at: datetime


class SideMappingRow(SQLModel, table=True):
    """An admin's mapping of a whole Slack user group or Teams group to a side."""

    __tablename__ = "side_mapping"
    __table_args__ = (
        UniqueConstraint("platform", "workspace_id", "group_id", name="uq_side_mapping"),
    )

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=16)
    workspace_id: str = Field(max_length=128)
    group_id: str = Field(max_length=128)
    #: the group's name as people write it ("@it-team", "this team")
    label: str = Field(default="", max_length=200, sa_column_kwargs={"server_default": ""})
    side: str = Field(max_length=16)
    created_at: datetime


class SubscriptionRow(SQLModel, table=True):
    """A manager subscribed to the weekly digest (raw user id: needed to message them)."""

    __tablename__ = "subscription"
    __table_args__ = (
        UniqueConstraint("platform", "workspace_id", "user_id", name="uq_subscription"),
    )

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=16)
    workspace_id: str = Field(max_length=128)
    user_id: str = Field(max_length=128)
    created_at: datetime


class ConversationRow(SQLModel, table=True):
    """A stored conversation reference (Teams proactive messaging, DM channel ids)."""

    __tablename__ = "conversation_ref"
    __table_args__ = (UniqueConstraint("platform", "workspace_id", "key", name="uq_conversation"),)

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=16)
    workspace_id: str = Field(max_length=128)
    key: str = Field(max_length=256)
    reference: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    gone_at: datetime | None = None
    updated_at: datetime


class StepClaimRow(SQLModel, table=True):
    """Exactly-once scheduled work: the first replica to insert (scope, step, period) does it."""

    __tablename__ = "step_claim"
    __table_args__ = (UniqueConstraint("scope", "step", "period", name="uq_step_claim"),)

    id: int | None = Field(default=None, primary_key=True)
    scope: str = Field(max_length=128)
    step: str = Field(max_length=32)
    period: str = Field(max_length=64)
    claimed_by: str = Field(max_length=128)
    claimed_at: datetime
    completed_at: datetime | None = None


class DeliveryRow(SQLModel, table=True):
    """One recipient served by a claimed step, so a resumed step skips them."""

    __tablename__ = "step_delivery"
    __table_args__ = (
        UniqueConstraint("scope", "step", "period", "recipient", name="uq_step_delivery"),
    )

    id: int | None = Field(default=None, primary_key=True)
    scope: str = Field(max_length=128)
    step: str = Field(max_length=32)
    period: str = Field(max_length=64)
    recipient: str = Field(max_length=256)
    delivered_at: datetime


class NudgeRow(SQLModel, table=True):
    """A nudge given in a channel, to avoid repeats and to follow up on its target."""

    __tablename__ = "nudge"
    __table_args__ = (Index("ix_nudge_channel_time", "channel_id", "created_at"),)

    id: int | None = Field(default=None, primary_key=True)
    channel_id: int = Field(
        sa_column=Column(Integer, ForeignKey("channel.id", ondelete="CASCADE"), nullable=False)
    )
    poll_id: int = Field(
        sa_column=Column(Integer, ForeignKey("poll.id", ondelete="CASCADE"), nullable=False)
    )
    nudge_id: str = Field(max_length=64)
    imperative: int
    metric: str = Field(max_length=64)
    value: float
    created_at: datetime


class ActionRow(SQLModel, table=True):
    """A summary's next step and what became of it: offered, taken on by a person (whose user
    id is kept to ask them "Done?" and whose name may be shown: taking on an action is not an
    answer), done, not yet, or declined for the next-best."""

    __tablename__ = "action"
    __table_args__ = (
        UniqueConstraint("channel_id", "poll_id", "nudge_id", name="uq_action_nudge"),
        Index("ix_action_channel_time", "channel_id", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    channel_id: int = Field(
        sa_column=Column(Integer, ForeignKey("channel.id", ondelete="CASCADE"), nullable=False)
    )
    poll_id: int = Field(
        sa_column=Column(Integer, ForeignKey("poll.id", ondelete="CASCADE"), nullable=False)
    )
    nudge_id: str = Field(max_length=64)
    imperative: int
    metric: str = Field(max_length=64)
    value: float
    text: str = Field(max_length=400)
    state: str = Field(max_length=16)
    owner_user_id: str | None = Field(default=None, max_length=128)
    owner_name: str = Field(default="", max_length=100)
    replaces: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("action.id", ondelete="SET NULL"), nullable=True),
    )
    asked_poll_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("poll.id", ondelete="SET NULL"), nullable=True),
    )
    created_at: datetime
    updated_at: datetime


class DisclosureRow(SQLModel, table=True):
    """What an open poll has published, so no "so far" figure can be differenced against another;
    deleted when the poll closes. `version` makes concurrent writers compare-and-set."""

    __tablename__ = "poll_disclosure"

    poll_id: int = Field(
        sa_column=Column(
            Integer,
            ForeignKey("poll.id", ondelete="CASCADE"),
            primary_key=True,
            autoincrement=False,
        )
    )
    version: int
    state: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    updated_at: datetime


# Slack's multi-workspace OAuth install keeps installations and `state`s in the tables that
# slack_sdk's SQLAlchemy stores define and read; declared here so migrations own them too.
SLACK_INSTALLATIONS = SQLAlchemyInstallationStore.build_installations_table(
    SQLModel.metadata, "slack_installations"
)
SLACK_BOTS = SQLAlchemyInstallationStore.build_bots_table(SQLModel.metadata, "slack_bots")
SLACK_OAUTH_STATES = SQLAlchemyOAuthStateStore.build_oauth_states_table(
    SQLModel.metadata, "slack_oauth_states"
)
