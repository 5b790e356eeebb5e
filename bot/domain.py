"""Domain types: sides, channel and person references, schedules, polls and answers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time
from enum import StrEnum


class Side(StrEnum):
    """The group a respondent belongs to; `other` counts for participation only."""

    MARKETING = "marketing"
    IT = "it"
    OTHER = "other"

    @property
    def label(self) -> str:
        return _SIDE_LABELS[self]


_SIDE_LABELS = {Side.MARKETING: "Marketing", Side.IT: "IT", Side.OTHER: "Other"}

#: The two sides whose gap the score measures, in display order.
SCORED_SIDES: tuple[Side, Side] = (Side.MARKETING, Side.IT)


class Visibility(StrEnum):
    """Who sees a reply: only the person who acted, the whole channel, or a direct message."""

    EPHEMERAL = "ephemeral"
    CHANNEL = "channel"
    DIRECT = "direct"


@dataclass(frozen=True, slots=True)
class ChannelRef:
    """A channel as the platform names it (external ids, never database ids)."""

    platform: str
    workspace_id: str
    channel_id: str


@dataclass(frozen=True, slots=True)
class PersonRef:
    """A person as the platform names them; used only to send them a message."""

    platform: str
    workspace_id: str
    user_id: str


Destination = ChannelRef | PersonRef


@dataclass(frozen=True, slots=True)
class Group:
    """A set of people the platform keeps (a Slack user group, a Teams team): `id` as the
    platform names it, `label` as people write it."""

    id: str
    label: str


@dataclass(frozen=True, slots=True)
class GroupSide:
    """An admin's mapping: everyone in `group` of a workspace counts for `side`, unless they
    chose a side themselves."""

    platform: str
    workspace_id: str
    group: Group
    side: Side


@dataclass(frozen=True, slots=True)
class Actor:
    """The person behind a command or click."""

    platform: str
    workspace_id: str
    user_id: str
    name: str = ""

    @property
    def person(self) -> PersonRef:
        return PersonRef(self.platform, self.workspace_id, self.user_id)


@dataclass(frozen=True, slots=True)
class ClickOrigin:
    """Where and when a click was made, as the verified request says (docs/design.md "Who may
    vote"): the platform and workspace (or tenant) that Slack signed or Teams authenticated,
    the conversation clicked in, whether that conversation is the person's direct messages
    with the bot, and the platform's own time of the click (None when it gave none)."""

    platform: str
    workspace_id: str
    channel_id: str | None
    direct: bool = False
    at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Schedule:
    """A weekly pulse: opens on `weekday` (0 = Monday) at `at` local time for `open_days` days."""

    weekday: int
    at: time
    timezone: str
    open_days: int


@dataclass(frozen=True, slots=True)
class Channel:
    """A channel BridgePulse knows, with its schedule (None until `/pulse setup`)."""

    id: int
    ref: ChannelRef
    name: str
    question_set: str
    schedule: Schedule | None
    paused: bool
    owner_user_id: str | None

    @property
    def active(self) -> bool:
        return self.schedule is not None and not self.paused


@dataclass(frozen=True, slots=True)
class Poll:
    """One weekly (or manual) poll in a channel; `number` counts polls per channel from 1."""

    id: int
    channel_id: int
    number: int
    question_set: str
    question_set_version: int
    rotating_imperative: int
    opened_at: datetime
    closes_at: datetime
    closed_at: datetime | None
    period: str
    message_ref: str | None
    timezone: str = "UTC"

    @property
    def is_open(self) -> bool:
        return self.closed_at is None


@dataclass(frozen=True, slots=True)
class AnswerRecord:
    """One stored answer; `respondent` is a keyed hash, `side` None while the person has none."""

    respondent: str
    side: Side | None
    question_id: str
    value: str


class AnswerOutcome(StrEnum):
    """What recording a click did."""

    CREATED = "created"
    CHANGED = "changed"
    UNCHANGED = "unchanged"
    CLOSED = "closed"
    MISSING = "missing"
    #: refused: the click came from another platform or workspace than the poll's
    FOREIGN = "foreign"
    #: refused: the click came from another channel than the poll's (a shared message), or
    #: from a direct message the bot did not send that person for that poll
    ELSEWHERE = "elsewhere"
    #: kept nothing: a later click by the same person on the same question already counts
    SUPERSEDED = "superseded"


class ActionState(StrEnum):
    OFFERED = "offered"
    TAKEN = "taken"
    DONE = "done"
    NOT_YET = "not_yet"
    DECLINED = "declined"

    @property
    def label(self) -> str:
        return _LABELS[self]

    @property
    def is_open(self) -> bool:
        """Taken on and not reported done: what summaries follow up."""
        return self in (ActionState.TAKEN, ActionState.NOT_YET)


_LABELS = {
    ActionState.OFFERED: "offered, nobody has taken it on yet",
    ActionState.TAKEN: "taken on",
    ActionState.DONE: "done",
    ActionState.NOT_YET: "not yet",
    ActionState.DECLINED: "declined",
}
