"""Scheduled steps — open, remind, close, digest — each done once per (scope, step, period).

The scheduler (`server/scheduler.py`) decides *when* to call `StepRunner.run_due`; this module and
the database decide *whether*. Every step first claims its unique row (`bot/channels/claims.py`), so any
number of replicas may try the same step; a step that stopped half-way is resumed and skips the
deliveries it recorded. Steps missed while no scheduler ran are judged when one comes back:

* open — runs late only while the poll would still be open; otherwise that week is skipped.
* remind — runs at most `MISFIRE_GRACE` late and never after the close; otherwise dropped.
* close — always runs: an overdue poll closes and its summary is posted.
* digest — once per ISO week and workspace, after every poll opened there that week has
  closed; dropped when the week's last close is more than `DIGEST_GRACE` ago.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.channels.cadence import (
    REMINDER_BEFORE_CLOSE,
    closes_at,
    latest_open,
    next_open,
    period_of,
    reminder_at,
)
from bot.channels.claims import (
    DIGEST,
    EVENT,
    EVENT_CLAIM_RETENTION,
    OPEN,
    REMIND,
    Claim,
    Claims,
    LostClaim,
    Outcome,
    StepKey,
    channel_step,
)
from bot.context import Deps
from bot.digest.service import DigestService
from bot.domain import Channel, PersonRef, Poll
from bot.polls.reminder import reminder_card
from bot.polls.service import PollService
from bot.ports import (
    AnswerStore,
    ChannelStore,
    DueOpen,
    PollStore,
    ScheduleStore,
    SideStore,
    SubscriptionStore,
)
from bot.questions import QuestionSet

log = logging.getLogger(__name__)

#: How late a missed reminder may still be sent (and the scheduler's misfire grace).
MISFIRE_GRACE = timedelta(hours=6)
#: How long after a week's last close its digest is still worth sending.
DIGEST_GRACE = timedelta(days=7)
#: Look back over polls opened this long ago to gather a whole week around recent closes.
_DIGEST_POLLS = timedelta(days=21)
#: Re-read closes this far before the last check: another replica may commit a close late.
_DIGEST_OVERLAP = timedelta(minutes=15)
#: Re-check who answered every this many reminders, so nobody is reminded just after answering.
_REMIND_BATCH = 50
#: Retry a failing step after this long, doubling up to `_MAX_BACKOFF`.
_FIRST_BACKOFF = timedelta(seconds=30)
_MAX_BACKOFF = timedelta(minutes=30)
#: How often a runner deletes expired event claims (any replica may; deleting twice is harmless).
_HOUSEKEEPING_EVERY = timedelta(hours=1)

Job = tuple[str, Callable[[], Awaitable[None]]]


@dataclass(frozen=True, slots=True)
class Plan:
    """When the schedule next needs attention: `overdue` when a step due before the last run is
    still not done (held by another replica, or failing and waiting to be retried)."""

    overdue: bool
    next_at: datetime | None


class StepIncomplete(Exception):
    """A step could not finish this time; its claim is given back and it is retried."""


class StepRunner:
    def __init__(
        self,
        deps: Deps,
        polls: PollService,
        digests: DigestService,
        *,
        owner: str | None = None,
        concurrency: int = 8,
    ) -> None:
        self._deps = deps
        self._channels: ChannelStore = deps.repo
        self._poll_store: PollStore = deps.repo
        self._answers: AnswerStore = deps.repo
        self._sides: SideStore = deps.repo
        self._subscriptions: SubscriptionStore = deps.repo
        self._schedule: ScheduleStore = deps.repo
        self._polls = polls
        self._digests = digests
        self._claims = Claims(deps.repo, deps.clock, owner=owner)
        self._concurrency = concurrency
        self._backoff: dict[str, tuple[int, datetime]] = {}
        self._digest_checked: datetime | None = None
        self._kept_house: datetime | None = None

    @property
    def owner(self) -> str:
        return self._claims.owner

    async def run_due(self) -> datetime:
        """Try every step that is due now; returns the moment it judged "now" by."""
        now = self._deps.clock.now()
        # Closes first: a channel's open step may need its previous poll closed.
        closing = (
            await self._poll_store.due_polls(now=now) + await self._schedule.unfinished_polls()
        )
        await self._each([(f"close:{p.id}", _bind(self._close, p)) for p in closing])
        opens = await self._schedule.due_opens(now=now)
        await self._each([(f"open:{d.channel.id}", _bind(self._open, d)) for d in opens])
        reminders = await self._schedule.due_reminders(closing_before=now + REMINDER_BEFORE_CLOSE)
        await self._each([(f"remind:{p.id}", _bind(self._remind, p)) for p in reminders])
        await self._digest_weeks(now)
        await self._housekeeping(now)
        return now

    async def plan(self, *, after: datetime) -> Plan:
        """The next moment a step falls due after `after` (the moment `run_due` judged by)."""
        h = await self._schedule.horizon()
        reminder = h.next_reminder_close - REMINDER_BEFORE_CLOSE if h.next_reminder_close else None
        moments = [m for m in (h.next_open, h.next_close, reminder) if m is not None]
        return Plan(
            overdue=h.pending or any(m <= after for m in moments),
            next_at=min((m for m in moments if m > after), default=None),
        )

    # --- running many steps -------------------------------------------------------------

    async def _each(self, jobs: Sequence[Job]) -> bool:
        """Run jobs with bounded concurrency (a big workspace's Monday 09:00 stays within the
        platforms' rate limits); True when every job succeeded."""
        pending: Iterator[Job] = iter(jobs)
        results: list[bool] = []

        async def worker() -> None:
            for name, run in pending:
                results.append(await self._attempt(name, run))

        await asyncio.gather(*(worker() for _ in range(min(self._concurrency, len(jobs)))))
        return all(results)

    async def _attempt(self, name: str, run: Callable[[], Awaitable[None]]) -> bool:
        now = self._deps.clock.now()
        failures, not_before = self._backoff.get(name, (0, now))
        if now < not_before:
            return False
        try:
            await run()
        except LostClaim as exc:
            log.warning("step %s: %s", name, exc)
            return False
        except Exception:  # one failing step must not stop the others; it is retried later
            log.exception("step %s failed; retrying later", name)
            self._deps.telemetry.count("step_failures", step=name.split(":")[0])
            wait = min(_FIRST_BACKOFF * 2**failures, _MAX_BACKOFF)
            self._backoff[name] = (failures + 1, now + wait)
            return False
        self._backoff.pop(name, None)
        return True

    # --- open ---------------------------------------------------------------------------

    async def _open(self, due: DueOpen) -> None:
        now = self._deps.clock.now()
        channel, schedule = due.channel, due.channel.schedule
        if schedule is None:
            return
        if due.at is None:  # never set (a crash during setup, or an upgrade): as setup would
            await self._schedule.set_next_open(channel_id=channel.id, at=next_open(schedule, now))
            return
        moment = latest_open(schedule, now)
        if moment < due.at:  # the schedule changed under an old next opening
            await self._schedule.advance_next_open(
                channel_id=channel.id, handled=due.at, to=next_open(schedule, now)
            )
            return
        if now >= closes_at(schedule, moment):
            log.info(
                "channel %s: the poll of %s would be closed already; skipped", channel.id, moment
            )
            self._deps.telemetry.count("steps", step=OPEN, outcome="missed")
        elif not await self._open_poll(channel, moment):
            return  # another replica is opening it; try again later in case it dies
        await self._schedule.advance_next_open(
            channel_id=channel.id, handled=moment, to=next_open(schedule, moment)
        )

    async def _open_poll(self, channel: Channel, moment: datetime) -> bool:
        """Open the week's poll under its claim; False while another replica holds it."""
        assert channel.schedule is not None
        period = period_of(channel.schedule, moment)
        async with self._claims.hold(channel_step(channel.id, OPEN, period)) as (outcome, claim):
            if outcome is Outcome.BUSY:
                return False
            if claim is None:
                return True
            current = await self._poll_store.open_poll(channel_id=channel.id)
            if current is not None and current.period != period:
                if _local_date(current) is not None:
                    # A re-setup moved the weekday while this week's scheduled poll is open:
                    # it keeps its closing time and stays the week's one poll.
                    self._deps.telemetry.count("steps", step=OPEN, outcome="skipped")
                    return True
                # A manual poll is still open: close it and post its summary, so the week's
                # poll opens on time and the cadence stays weekly.
                await self._polls.close(current)
            poll, opened = await self._polls.open(channel, period=period, scheduled_at=moment)
            if poll is None or poll.period != period:  # a `/pulse now` slipped in: retry
                raise StepIncomplete(f"channel {channel.id}: poll of {period} not opened yet")
            # whoever took an action on is asked "Done?" once, under this step's claim
            await self._polls.actions.ask_owners(channel, poll, claim)
            self._deps.telemetry.count("steps", step=OPEN, outcome="done" if opened else "resumed")
        return True

    # --- remind -------------------------------------------------------------------------

    async def _remind(self, poll: Poll) -> None:
        deps, now = self._deps, self._deps.clock.now()
        due = reminder_at(poll.opened_at, poll.closes_at)
        if due is None or now >= poll.closes_at or now - due > MISFIRE_GRACE:
            # Not needed (a short poll) or too late to help: dropped, never sent after close.
            if due is not None:
                deps.telemetry.count("steps", step=REMIND, outcome="missed")
            await self._schedule.mark_reminded(poll_id=poll.id, at=now)
            return
        if now < due:
            return
        channel = await self._channels.get_channel(channel_id=poll.channel_id)
        if channel is None:
            return
        async with self._claims.hold(channel_step(channel.id, REMIND, poll.period)) as (
            outcome,
            claim,
        ):
            if outcome is Outcome.BUSY:
                return
            if claim is not None:
                await self._send_reminders(channel, poll, claim)
        await self._schedule.mark_reminded(poll_id=poll.id, at=deps.clock.now())

    async def _send_reminders(self, channel: Channel, poll: Poll, claim: Claim) -> None:
        """DM members with a side who have not answered. Each recipient is recorded (by
        respondent hash) before the send and un-recorded if it fails, so nobody gets two."""
        deps, ref = self._deps, channel.ref
        messenger = deps.messenger(ref.platform)
        people = {
            deps.hasher.of(person): person
            for person in (
                PersonRef(ref.platform, ref.workspace_id, user)
                for user in await messenger.members(channel=ref)
            )
        }
        with_side = await self._sides.with_side(respondents=people)
        sent = await claim.delivered()
        targets = [h for h in people if h in with_side and h not in sent]
        card = reminder_card(
            poll, self._question_set(poll), channel_label=self._deps.channel_label(channel)
        )

        async def send(respondent: str) -> None:
            await messenger.post(to=people[respondent], card=card)

        def unreachable() -> None:
            log.info("poll %s: a reminder recipient is unreachable; skipped", poll.id)
            deps.telemetry.count("steps", step=REMIND, outcome="unreachable")

        count = 0
        for start in range(0, len(targets), _REMIND_BATCH):
            answered = await self._answers.respondents(poll_id=poll.id)
            batch = [r for r in targets[start : start + _REMIND_BATCH] if r not in answered]
            count += await claim.deliver_each(batch, send, unreachable=unreachable)
        deps.telemetry.count("steps", step=REMIND, outcome="done")
        log.info("poll %s: %d reminders sent", poll.id, count)

    def _question_set(self, poll: Poll) -> QuestionSet:
        return self._deps.question_sets.get(poll.question_set, poll.question_set_version)

    # --- close --------------------------------------------------------------------------

    async def _close(self, poll: Poll) -> None:
        if poll.is_open:
            await self._polls.close(poll)
        else:  # closed, but its summary step stopped half-way
            await self._polls.finish(poll.id)

    # --- housekeeping -------------------------------------------------------------------

    async def _housekeeping(self, now: datetime) -> None:
        """Hourly: delete event claims past any redelivery, so the claim table stays small."""
        if self._kept_house is not None and now - self._kept_house < _HOUSEKEEPING_EVERY:
            return
        gone = await self._claims.store.forget_claims(
            step=EVENT, claimed_before=now - EVENT_CLAIM_RETENTION
        )
        self._kept_house = now
        if gone:
            log.info("housekeeping: %d expired event claims deleted", gone)

    # --- digest -------------------------------------------------------------------------

    async def _digest_weeks(self, now: datetime) -> None:
        """Digests of workspaces where a poll closed since the last check."""
        since = (self._digest_checked or now - DIGEST_GRACE) - _DIGEST_OVERLAP
        workspaces = await self._schedule.workspaces_closed_since(since=since)
        subscribers = await self._subscriptions.subscribers() if workspaces else []
        jobs: list[Job] = []
        for platform, workspace in workspaces:
            people = [
                p for p in subscribers if p.platform == platform and p.workspace_id == workspace
            ]
            if not people:
                continue
            polls = await self._schedule.workspace_polls(
                platform=platform, workspace_id=workspace, opened_since=now - _DIGEST_POLLS
            )
            for week in _finished_weeks(polls, now=now):
                key = StepKey(_digest_scope(platform, workspace), DIGEST, week)
                jobs.append((f"digest:{key.scope}:{week}", _bind(self._digest, key, people)))
        if await self._each(jobs):
            self._digest_checked = now  # else look again next time

    async def _digest(self, key: StepKey, people: list[PersonRef]) -> None:
        async with self._claims.hold(key) as (_outcome, claim):
            if claim is None:
                return
            sent = await claim.delivered()
            by_hash = {self._deps.hasher.of(person): person for person in people}

            async def send(recipient: str) -> None:
                await self._digests.send(by_hash[recipient])

            def unreachable() -> None:
                log.info("digest %s: a subscriber is unreachable; skipped", key.period)
                self._deps.telemetry.count("steps", step=DIGEST, outcome="unreachable")

            pending = [h for h in by_hash if h not in sent]
            await claim.deliver_each(pending, send, unreachable=unreachable)
            self._deps.telemetry.count("steps", step=DIGEST, outcome="done")


def _bind(step: Callable[..., Awaitable[None]], *args: object) -> Callable[[], Awaitable[None]]:
    return lambda: step(*args)


def _local_date(poll: Poll) -> date | None:
    """A scheduled poll's period: its local opening date (None for a manual poll)."""
    try:
        return date.fromisoformat(poll.period)
    except ValueError:
        return None


def iso_week(poll: Poll) -> str:
    """The ISO week of the poll's local opening date, e.g. ``2026-W48``."""
    day = _local_date(poll) or poll.opened_at.astimezone(ZoneInfo(poll.timezone)).date()
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def _finished_weeks(polls: list[Poll], *, now: datetime) -> list[str]:
    """Weeks whose polls have all closed, the last of them within `DIGEST_GRACE`."""
    weeks: dict[str, list[Poll]] = {}
    for poll in polls:
        weeks.setdefault(iso_week(poll), []).append(poll)
    finished = []
    for week, group in sorted(weeks.items()):
        closed = [p.closed_at for p in group if p.closed_at is not None]
        if len(closed) == len(group) and now - max(closed) <= DIGEST_GRACE:
            finished.append(week)
    return finished


def _digest_scope(platform: str, workspace: str) -> str:
    scope = f"digest:{platform}:{workspace}"
    if len(scope) <= 128:
        return scope
    return "digest:" + hashlib.sha256(scope.encode()).hexdigest()
