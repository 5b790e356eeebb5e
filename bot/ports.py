"""Ports: the interfaces through which the core reaches storage, platforms, time and metrics.

`storage.repository.SqlRepository` implements the store protocols; each platform adapter
implements `Messenger`. Every repository method is one transaction and takes keyword arguments.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

from bot.cards import Card
from bot.domain import (
    ActionState,
    Actor,
    AnswerOutcome,
    AnswerRecord,
    Channel,
    ChannelRef,
    ClickOrigin,
    Destination,
    Group,
    GroupSide,
    PersonRef,
    Poll,
    Schedule,
    Side,
)
from bot.score.disclosure_state import DisclosureState
from bot.score.scoring import Participation, PollResult


@dataclass(frozen=True, slots=True)
class PollHistoryItem:
    """A poll with the result stored when it closed (None while open or not yet computed)."""

    poll: Poll
    result: PollResult | None


@dataclass(frozen=True, slots=True)
class ForgetReport:
    answers: int
    had_side: bool


@dataclass(frozen=True, slots=True)
class NudgeRecord:
    channel_id: int
    poll_id: int
    nudge_id: str
    imperative: int
    metric: str
    value: float
    created_at: datetime


@dataclass(frozen=True, slots=True)
class ActionRecord:
    """A next step offered in a channel's summary, and what became of it. The owner's name
    may be shown: taking on an action is not an answer."""

    id: int
    channel_id: int
    poll_id: int
    nudge_id: str
    imperative: int
    metric: str
    value: float
    #: the step in one line, as the summary worded it
    text: str
    state: ActionState
    created_at: datetime
    owner_user_id: str | None = None
    owner_name: str = ""
    #: the declined action this one was offered in place of
    replaces: int | None = None
    #: the poll at whose opening the owner was asked "Done?" (None: not asked yet)
    asked_poll_id: int | None = None

    @property
    def nudge(self) -> NudgeRecord:
        """The nudge the action carries out, as the follow-up reads it."""
        return NudgeRecord(
            self.channel_id,
            self.poll_id,
            self.nudge_id,
            self.imperative,
            self.metric,
            self.value,
            self.created_at,
        )


@dataclass(frozen=True, slots=True)
class DueOpen:
    """An active channel whose next scheduled opening (`at`, UTC) has come; None when unset."""

    channel: Channel
    at: datetime | None


@dataclass(frozen=True, slots=True)
class Horizon:
    """The earliest moments the schedule needs attention, as the database sees it."""

    next_open: datetime | None
    next_close: datetime | None
    #: Closing time of the earliest open poll whose reminder step is still to do.
    next_reminder_close: datetime | None
    #: Something is due at once: an active channel without a next opening, or a closed
    #: poll whose close step (summary) is unfinished.
    pending: bool


class ChannelStore(Protocol):
    async def ensure_channel(self, *, ref: ChannelRef, name: str = "") -> Channel: ...
    async def find_channel(self, *, ref: ChannelRef) -> Channel | None: ...
    async def get_channel(self, *, channel_id: int) -> Channel | None: ...
    async def configure_channel(
        self, *, channel_id: int, schedule: Schedule | None, owner_user_id: str | None
    ) -> Channel:
        """Set the owner, and the schedule when given (which also un-pauses the channel)."""
        ...

    async def set_paused(self, *, channel_id: int, paused: bool) -> Channel: ...
    async def scheduled_channels(self) -> list[Channel]: ...
    async def workspace_channels(self, *, platform: str, workspace_id: str) -> list[Channel]: ...


class PollStore(Protocol):
    async def create_poll(
        self,
        *,
        channel_id: int,
        question_set: str,
        question_set_version: int,
        opened_at: datetime,
        closes_at: datetime,
        period: str,
        timezone: str,
    ) -> Poll | None:
        """A new open poll, or None when the channel already has one open or one for `period`."""
        ...

    async def get_poll(self, *, poll_id: int) -> Poll | None: ...
    async def open_poll(self, *, channel_id: int) -> Poll | None: ...
    async def poll_for_period(self, *, channel_id: int, period: str) -> Poll | None: ...
    async def set_poll_message(self, *, poll_id: int, message_ref: str) -> None: ...
    async def mark_closed(self, *, poll_id: int, closed_at: datetime) -> bool:
        """Close the poll if still open; True only for the caller that closed it."""
        ...

    async def store_result(self, *, poll_id: int, result: PollResult) -> None: ...
    async def poll_history(self, *, channel_id: int, limit: int) -> list[PollHistoryItem]:
        """The channel's latest `limit` polls, oldest first."""
        ...

    async def poll_histories(
        self, *, channel_ids: Sequence[int], limit: int
    ) -> dict[int, list[PollHistoryItem]]:
        """`poll_history` for many channels in one round trip (digests, mass summaries)."""
        ...

    async def due_polls(self, *, now: datetime) -> list[Poll]:
        """Open polls whose closing time has passed."""
        ...


@dataclass(frozen=True, slots=True)
class RecordedVote:
    """What `record_vote` did: the outcome, the voter's side (stored on the answer) and their
    answers in the poll afterwards, by question id."""

    outcome: AnswerOutcome
    side: Side | None
    answered: Mapping[str, str]


class AnswerStore(Protocol):
    async def record_vote(
        self,
        *,
        poll_id: int,
        respondent: str,
        question_id: str,
        value: str,
        at: datetime,
        origin: ClickOrigin,
        clicked_at: datetime,
    ) -> RecordedVote:
        """One click in one transaction: refuse it if the poll is gone, if `origin` may not
        vote in it (`bot.polls.ballots.refusal`, against the poll's place read with the poll) or if
        the poll is closed; keep nothing if the person's stored answer was clicked later
        (`bot.polls.ballots.later_counts` on `clicked_at`, the platform's time of the click); else
        store it with the respondent's current side."""
        ...

    async def answers(self, *, poll_id: int) -> list[AnswerRecord]: ...
    async def answers_of_polls(self, *, poll_ids: Sequence[int]) -> dict[int, list[AnswerRecord]]:
        """`answers` for many polls in one round trip."""
        ...

    async def participation(self, *, poll_id: int) -> Participation: ...
    async def respondents(self, *, poll_id: int) -> set[str]: ...


class SideStore(Protocol):
    async def side_of(self, *, respondent: str) -> Side | None: ...
    async def set_side(self, *, respondent: str, side: Side, at: datetime) -> int:
        """Set the side; answers in open polls follow it. Returns how many waiting clicks now count."""
        ...

    async def with_side(self, *, respondents: Iterable[str]) -> set[str]: ...
    async def forget(self, *, respondent: str) -> ForgetReport: ...


class GroupStore(Protocol):
    async def map_group(self, *, mapping: GroupSide, at: datetime) -> None:
        """Add the mapping, or change the side of a group already mapped."""
        ...

    async def unmap_group(self, *, platform: str, workspace_id: str, group_id: str) -> bool: ...
    async def group_sides(self, *, platform: str, workspace_id: str) -> list[GroupSide]: ...
    async def adopt_sides(self, *, respondents: Iterable[str], side: Side, at: datetime) -> int:
        """Give `side` to those of `respondents` who have none (a side someone chose is kept);
        their waiting answers in open polls now count. Returns how many got it."""
        ...


class SubscriptionStore(Protocol):
    async def subscribe(self, *, person: PersonRef, at: datetime) -> bool: ...
    async def unsubscribe(self, *, person: PersonRef) -> bool: ...
    async def is_subscribed(self, *, person: PersonRef) -> bool: ...
    async def subscribers(self) -> list[PersonRef]: ...


class ConversationStore(Protocol):
    async def save_conversation(
        self,
        *,
        platform: str,
        workspace_id: str,
        key: str,
        reference: Mapping[str, Any],
        at: datetime,
    ) -> None: ...

    async def get_conversation(
        self, *, platform: str, workspace_id: str, key: str
    ) -> dict[str, Any] | None: ...

    async def mark_conversation_gone(
        self, *, platform: str, workspace_id: str, key: str, at: datetime
    ) -> None: ...


class ClaimStore(Protocol):
    async def claim(self, *, scope: str, step: str, period: str, by: str, at: datetime) -> bool:
        """Insert the unique (scope, step, period) row; True only for the first claimant."""
        ...

    async def complete(self, *, scope: str, step: str, period: str, at: datetime) -> None: ...
    async def is_complete(self, *, scope: str, step: str, period: str) -> bool: ...
    async def record_delivery(
        self, *, scope: str, step: str, period: str, recipient: str, at: datetime
    ) -> bool:
        """Record one delivery of a step; False if that recipient was already recorded."""
        ...

    async def deliveries(self, *, scope: str, step: str, period: str) -> set[str]: ...
    async def take_over(
        self,
        *,
        scope: str,
        step: str,
        period: str,
        by: str,
        at: datetime,
        stale_before: datetime,
        held_by: str | None = None,
    ) -> bool:
        """Take an unfinished claim last renewed before `stale_before`, or held by `held_by`
        (its holder died)."""
        ...

    async def holder(self, *, scope: str, step: str, period: str) -> str | None:
        """Who holds an unfinished claim, or None."""
        ...

    async def renew(self, *, scope: str, step: str, period: str, by: str, at: datetime) -> bool:
        """Extend `by`'s unfinished claim; False if it is no longer theirs."""
        ...

    async def release(self, *, scope: str, step: str, period: str, by: str) -> None:
        """Give up `by`'s unfinished claim so the next attempt can claim it at once."""
        ...

    async def forget_delivery(self, *, scope: str, step: str, period: str, recipient: str) -> None:
        """Undo a recorded delivery whose send failed, so a retry sends it."""
        ...

    async def forget_claims(self, *, step: str, claimed_before: datetime) -> int:
        """Delete the `step` claims made before `claimed_before`; returns how many went."""
        ...


class ScheduleStore(Protocol):
    """What the scheduler asks the database: what is due, and marks of what is done."""

    async def set_next_open(self, *, channel_id: int, at: datetime | None) -> None: ...
    async def advance_next_open(self, *, channel_id: int, handled: datetime, to: datetime) -> bool:
        """Move the next opening to `to` unless a setup moved it past `handled` meanwhile."""
        ...

    async def due_opens(self, *, now: datetime) -> list[DueOpen]:
        """Active channels whose next opening is at or before `now`, or not set."""
        ...

    async def due_reminders(self, *, closing_before: datetime) -> list[Poll]:
        """Open polls closing before the given time whose reminder step is still to do."""
        ...

    async def mark_reminded(self, *, poll_id: int, at: datetime) -> None: ...
    async def unfinished_polls(self) -> list[Poll]:
        """Closed polls whose close step (result, summary) is not done."""
        ...

    async def mark_finished(self, *, poll_id: int, at: datetime) -> None: ...
    async def horizon(self) -> Horizon: ...
    async def workspaces_closed_since(self, *, since: datetime) -> list[tuple[str, str]]:
        """(platform, workspace id) of every workspace where a poll closed after `since`."""
        ...

    async def workspace_polls(
        self, *, platform: str, workspace_id: str, opened_since: datetime
    ) -> list[Poll]: ...


class NudgeStore(Protocol):
    async def record_nudge(self, *, nudge: NudgeRecord) -> None: ...
    async def nudges_since(self, *, channel_id: int, since: datetime) -> list[NudgeRecord]: ...
    async def nudges_since_many(
        self, *, channel_ids: Sequence[int], since: datetime
    ) -> dict[int, list[NudgeRecord]]:
        """`nudges_since` for many channels in one round trip."""
        ...


@dataclass(frozen=True, slots=True)
class ActionOwner:
    """Who took an action on: a platform user id and the name the platform gave."""

    user_id: str
    name: str


class ActionStore(Protocol):
    """A summary's next steps and what became of them (see `bot.actions`)."""

    async def offer_action(
        self, *, nudge: NudgeRecord, text: str, replaces: int | None = None
    ) -> ActionRecord:
        """The channel's action for `nudge` (one per poll and nudge): stored the first time,
        the stored one on every later call."""
        ...

    async def get_action(self, *, action_id: int) -> ActionRecord | None: ...
    async def replacement_of(self, *, action_id: int) -> ActionRecord | None:
        """The action offered in place of a declined one, if any."""
        ...

    async def move_action(
        self,
        *,
        action_id: int,
        expected: Sequence[ActionState],
        state: ActionState,
        at: datetime,
        owner: ActionOwner | None = None,
    ) -> bool:
        """Set the state (and the owner, when given) only if the action is in one of the
        `expected` states; True only for the caller that moved it (double clicks, replicas)."""
        ...

    async def channel_actions(self, *, channel_id: int, since: datetime) -> list[ActionRecord]:
        """The channel's actions offered since `since`, oldest first."""
        ...

    async def open_actions(
        self, *, channel_ids: Sequence[int], since: datetime
    ) -> list[ActionRecord]:
        """The actions taken on and not done yet of many channels, offered since `since`."""
        ...

    async def forget_owner(self, *, person: PersonRef) -> int:
        """Take the person off every action they took on (forget-me); how many there were."""
        ...

    async def actions_to_ask(self, *, channel_id: int) -> list[ActionRecord]:
        """Taken-on actions whose owner has not been asked "Done?" yet, oldest first."""
        ...

    async def mark_asked(
        self, *, action_ids: Sequence[int], poll_id: int, at: datetime
    ) -> None: ...


class DisclosureStore(Protocol):
    """What an open poll has published so far (see `bot.score.disclosure`)."""

    async def disclosure(self, *, poll_id: int) -> DisclosureState | None: ...
    async def disclosures(self, *, poll_ids: Sequence[int]) -> dict[int, DisclosureState]:
        """`disclosure` for many polls in one round trip (polls with none are left out)."""
        ...

    async def save_disclosure(
        self, *, poll_id: int, state: DisclosureState, expected_version: int, at: datetime
    ) -> bool:
        """Store `state` if the stored version is still `expected_version` (0: none stored)."""
        ...

    async def save_disclosures(
        self, *, changes: Sequence[tuple[int, DisclosureState, int]], at: datetime
    ) -> set[int]:
        """`save_disclosure` for many (poll id, state, expected version) in one transaction;
        returns the poll ids whose compare-and-set succeeded."""
        ...

    async def take_disclosure(self, *, poll_id: int) -> DisclosureState | None:
        """Delete the poll's state and return what it was (one round trip at close)."""
        ...


class Repository(
    ChannelStore,
    PollStore,
    AnswerStore,
    SideStore,
    GroupStore,
    SubscriptionStore,
    ConversationStore,
    ClaimStore,
    ScheduleStore,
    NudgeStore,
    DisclosureStore,
    ActionStore,
    Protocol,
):
    """Everything the core stores, behind one object built in the composition root."""


class Messenger(Protocol):
    """How the core sends to one platform. Adapters implement it over the platform's API."""

    async def post(self, *, to: Destination, card: Card) -> str:
        """Post a card (and its attachments) to a channel or a person; returns a message ref."""
        ...

    async def update(self, *, to: ChannelRef, message_ref: str, card: Card) -> None: ...
    async def members(self, *, channel: ChannelRef) -> Sequence[str]: ...


@runtime_checkable
class WorkspaceAdmins(Protocol):
    """A messenger whose platform says who administers a whole workspace (Slack's admins and
    owners). A platform without it has no admins BridgePulse can see: Teams tells a bot nothing
    about tenant admins, so there only BRIDGEPULSE_ADMINS may run workspace-wide commands."""

    async def is_workspace_admin(self, *, actor: Actor) -> bool:
        """Whether the platform makes this person an admin or owner of their workspace."""
        ...


@runtime_checkable
class PersonNames(Protocol):
    """A messenger whose platform can say what a person is called, where a click does not
    (Slack's block_actions carry only a handle). Used where a name is shown by design: who took
    an action on."""

    async def display_name(self, *, person: PersonRef) -> str | None: ...


@runtime_checkable
class GroupDirectory(Protocol):
    """A messenger whose platform keeps groups of people an admin can map to a side."""

    #: how a person names a group in a command, for the reply when none matched
    group_hint: str

    async def find_group(self, *, channel: Channel, name: str) -> Group | None:
        """The group `name` means, said in `channel` (None when there is no such group)."""
        ...

    async def group_members(self, *, workspace_id: str, group_id: str) -> Sequence[str]:
        """The user ids in the group."""
        ...


@runtime_checkable
class MarkedPosts(Protocol):
    """A messenger whose platform can be asked, after a crash, whether a channel post went out.

    A channel post is recorded once the platform accepts it; a process killed between the two
    leaves the post unrecorded. Posts carry a `marker` (e.g. ``poll:42``) the platform keeps
    with the message, so a resumed step asks before posting again (Slack: message metadata,
    found again with conversations.history)."""

    async def post_marked(self, *, to: ChannelRef, card: Card, marker: str) -> str:
        """`post`, with the marker attached; returns the message ref."""
        ...

    async def find_marked(self, *, to: ChannelRef, marker: str) -> str | None:
        """The ref of a recent post in `to` carrying `marker`, or None."""
        ...


@runtime_checkable
class NativeCharts(Protocol):
    """A messenger whose platform draws a card's `Chart` itself from its figures (Slack's
    data_visualization block), so the core need not draw a picture of it."""

    native_charts: bool


@runtime_checkable
class ChannelLabels(Protocol):
    """A messenger whose platform writes a channel's name its own way in text: Slack as
    ``#campaigns``, Teams without the ``#``. Messengers without it get ``#name``."""

    def channel_label(self, name: str) -> str: ...


class ScheduleListener(Protocol):
    """Told when a channel's schedule changes, so a running scheduler applies it at once."""

    def schedule_changed(self, channel: Channel) -> None: ...


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware."""
        ...


class Telemetry(Protocol):
    """Counters and timings; the composition root backs it with Prometheus."""

    def count(self, name: str, **labels: str) -> None: ...
    def observe(self, name: str, seconds: float, **labels: str) -> None: ...
