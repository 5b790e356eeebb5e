"""Poll use cases: open and post a poll, record a click, close it and post the summary."""

from __future__ import annotations

import logging
from datetime import datetime

from bot.actions.service import ActionService
from bot.cards import Card
from bot.channels.cadence import DEFAULT_SCHEDULE, closes_at, format_local
from bot.channels.claims import CLOSE, Claim, Claims, Outcome, channel_step
from bot.context import Deps
from bot.domain import Actor, AnswerOutcome, Channel, ChannelRef, ClickOrigin, Poll, Visibility
from bot.people.groups import GroupService
from bot.polls.action_values import parse_vote
from bot.polls.refresh import Coalescer
from bot.polls.views import (
    choose_side,
    poll_card,
    poll_closed,
    stale_button,
    vote_elsewhere,
    vote_foreign,
    vote_recorded,
    vote_superseded,
    vote_unchanged,
)
from bot.ports import AnswerStore, ChannelStore, MarkedPosts, PollStore, ScheduleStore
from bot.reply import Reply
from bot.score.results import ResultService
from bot.summary.service import SummaryService

log = logging.getLogger(__name__)
#: Delivery recorded once a poll's summary is posted.
SUMMARY = "summary"
#: Recorded before the summary is posted: a close resumed after it asks the platform first.
SUMMARY_ATTEMPT = "summary:attempt"
#: How many polls' fixed parts `vote` keeps (the open polls clicked lately).
_KNOWN_POLLS = 2048
#: Clicks the store refused for where they came from, and what the clicker is told.
_REFUSED = {AnswerOutcome.FOREIGN: vote_foreign, AnswerOutcome.ELSEWHERE: vote_elsewhere}


class PollService:
    def __init__(self, deps: Deps, results: ResultService, groups: GroupService) -> None:
        self._deps = deps
        self._channels: ChannelStore = deps.repo
        self._polls: PollStore = deps.repo
        self._answers: AnswerStore = deps.repo
        self._schedule: ScheduleStore = deps.repo
        self._results = results
        self._groups = groups
        self._refresh = Coalescer(deps.refresh_delay)
        self.summaries = SummaryService(deps, results)
        self.actions = ActionService(deps, results)
        self._claims = Claims(deps.repo, deps.clock)
        self._known: dict[int, Poll] = {}

    async def open(
        self, channel: Channel, *, period: str, scheduled_at: datetime | None = None
    ) -> tuple[Poll | None, bool]:
        """Open and post a poll. Returns (poll, True) when this call opened it, or the poll
        already open (or already opened for `period`) and False. Posting a poll whose earlier
        post failed half-way is resumed here, so a retried step completes it."""
        deps = self._deps
        schedule = channel.schedule or DEFAULT_SCHEDULE
        qset = deps.question_sets.latest(channel.question_set)
        now = deps.clock.now()
        poll = await self._polls.create_poll(
            channel_id=channel.id,
            question_set=qset.id,
            question_set_version=qset.version,
            opened_at=now,
            closes_at=closes_at(schedule, scheduled_at or now),
            period=period,
            timezone=schedule.timezone,
        )
        if poll is None:
            existing = await self._polls.poll_for_period(
                channel_id=channel.id, period=period
            ) or await self._polls.open_poll(channel_id=channel.id)
            # Only the caller that owns this period resumes an unposted poll: a manual
            # `/pulse now` must not post the scheduled poll another worker is posting.
            if (
                existing is not None
                and existing.is_open
                and existing.message_ref is None
                and existing.period == period
            ):
                await self._post(channel, existing, resumed=True)
            return existing, False
        deps.telemetry.count("polls_opened")
        await self._post(channel, poll, resumed=False)
        return poll, True

    async def _post(self, channel: Channel, poll: Poll, *, resumed: bool) -> None:
        card = poll_card(poll, self._results.question_set(poll), answered=0, timezone=poll.timezone)
        ref = await self._post_once(channel.ref, card, f"poll:{poll.id}", resumed=resumed)
        await self._polls.set_poll_message(poll_id=poll.id, message_ref=ref)

    async def _post_once(self, to: ChannelRef, card: Card, marker: str, *, resumed: bool) -> str:
        """Post a channel card that must appear once. A post is recorded after the platform
        took it, so a step resumed after a crash first asks the platform whether the earlier
        attempt's post went out (where the platform can tell: `MarkedPosts`)."""
        messenger = self._deps.messenger(to.platform)
        if not isinstance(messenger, MarkedPosts):
            return await messenger.post(to=to, card=card)
        if resumed:
            found = await messenger.find_marked(to=to, marker=marker)
            if found is not None:
                log.info("%s was posted before a restart; not posting it again", marker)
                self._deps.telemetry.count("posts_recovered")
                return found
        return await messenger.post_marked(to=to, card=card, marker=marker)

    async def close(self, poll: Poll) -> bool:
        """Close the poll and post its summary; False if someone else closed it first."""
        if not await self._polls.mark_closed(poll_id=poll.id, closed_at=self._deps.clock.now()):
            return False
        await self.finish(poll.id)
        return True

    async def finish(self, poll_id: int) -> None:
        """Store the result of a closed poll, mark its message closed and post the summary.

        Once per poll: under the poll's close claim, so a concurrent close on another replica
        does not post it twice and a close that stopped half-way is resumed by the scheduler
        (the summary delivery is recorded right after the post)."""
        deps = self._deps
        poll = await self._polls.get_poll(poll_id=poll_id)
        channel = await self._channels.get_channel(channel_id=poll.channel_id) if poll else None
        if poll is None or channel is None or poll.is_open:
            return
        async with self._claims.hold(channel_step(channel.id, CLOSE, poll.period)) as (
            outcome,
            claim,
        ):
            if outcome is Outcome.BUSY:
                return  # another worker is closing it right now
            if claim is not None:
                await self._post_results(channel, poll, claim)
        await self._schedule.mark_finished(poll_id=poll.id, at=deps.clock.now())

    async def _post_results(self, channel: Channel, poll: Poll, claim: Claim) -> None:
        deps = self._deps
        answers = await self._answers.answers(poll_id=poll.id)
        result = self._results.score(poll, answers)
        await self._polls.store_result(poll_id=poll.id, result=result)
        deps.telemetry.count("polls_closed")
        await self._update_card(channel, poll, answered=result.participation.total)
        delivered = await claim.delivered()
        if SUMMARY in delivered:
            return  # posted before a crash; only the idempotent steps above were redone
        card = await self.summaries.card(channel, poll, answers=answers)
        resumed = SUMMARY_ATTEMPT in delivered
        if not resumed:
            await claim.reserve(SUMMARY_ATTEMPT)
        await self._post_once(channel.ref, card, f"summary:{poll.id}", resumed=resumed)
        await claim.reserve(SUMMARY)

    async def vote(self, actor: Actor, value: str, *, origin: ClickOrigin) -> Reply:
        """Record one click on a poll: the later click on a question counts until it closes.

        One transaction per click, shared with the clicks around it (the store checks where
        the click comes from against the poll's place, that the poll is still open, and reads
        the voter's side); what a poll asks never changes, so that is read once and kept."""
        deps = self._deps
        if (origin.platform, origin.workspace_id) != (actor.platform, actor.workspace_id):
            return Reply(vote_foreign())  # the payload's person is not of the verified place
        vote = parse_vote(value)
        poll = await self._known_poll(vote.poll_id) if vote else None
        if vote is None or poll is None:
            return Reply(stale_button())
        qset = self._results.question_set(poll)
        asked = qset.for_poll(poll.number)
        question = next((q for q in asked if q.id == vote.question_id), None)
        if question is None or not qset.is_valid_answer(question, vote.value):
            return Reply(stale_button())
        if not poll.is_open:
            return Reply(poll_closed(poll))
        now = deps.clock.now()
        recorded = await self._answers.record_vote(
            poll_id=poll.id,
            respondent=deps.hasher.of(actor),
            question_id=question.id,
            value=vote.value,
            at=now,
            origin=origin,
            clicked_at=origin.at or now,
        )
        outcome = recorded.outcome
        deps.telemetry.count("votes", outcome=outcome.value)
        if outcome in _REFUSED:
            return Reply(_REFUSED[outcome]())
        if outcome is AnswerOutcome.SUPERSEDED:
            return Reply(vote_superseded(question))
        if outcome is AnswerOutcome.CLOSED:
            self._known.pop(poll.id, None)
            return Reply(poll_closed(poll))
        if outcome is AnswerOutcome.MISSING:
            return Reply(stale_button())
        if outcome is AnswerOutcome.CREATED and len(recorded.answered) == 1:
            self.refresh_later(poll)  # a first answer: the card's count of people changed
        if recorded.side is None and await self._groups.adopt(actor) is None:
            return Reply(choose_side(kept=True))
        if outcome is AnswerOutcome.UNCHANGED:
            return Reply(vote_unchanged(qset, question, vote.value))
        remaining = [q for q in asked if q.id not in recorded.answered]
        return Reply(
            vote_recorded(
                qset,
                question,
                vote.value,
                changed=outcome is AnswerOutcome.CHANGED,
                remaining=remaining,
                closes=format_local(poll.closes_at, poll.timezone),
                asked=len(asked),
            ),
            Visibility.EPHEMERAL,
        )

    async def _known_poll(self, poll_id: int) -> Poll | None:
        """The poll a click names, read once: its questions, number and closing time never
        change, and a closed poll stays closed (`record_vote` has the last word on open)."""
        poll = self._known.get(poll_id)
        if poll is None:
            poll = await self._polls.get_poll(poll_id=poll_id)
            if poll is None:
                return None
            if len(self._known) >= _KNOWN_POLLS:
                self._known.pop(next(iter(self._known)))
            self._known[poll_id] = poll
        return poll

    def refresh_later(self, poll: Poll) -> None:
        """Re-render the poll's answer count soon, once for a burst of clicks."""
        self._refresh.request(("poll", poll.id), lambda: self._refresh_now(poll.id))

    async def _refresh_now(self, poll_id: int) -> None:
        poll = await self._polls.get_poll(poll_id=poll_id)
        if poll is None or not poll.is_open or poll.message_ref is None:
            return
        channel = await self._channels.get_channel(channel_id=poll.channel_id)
        participation = await self._answers.participation(poll_id=poll.id)
        if channel is not None:
            await self._update_card(channel, poll, answered=participation.total)

    async def _update_card(self, channel: Channel, poll: Poll, *, answered: int) -> None:
        if poll.message_ref is None:
            return
        card = poll_card(
            poll, self._results.question_set(poll), answered=answered, timezone=poll.timezone
        )
        try:
            await self._deps.messenger(channel.ref.platform).update(
                to=channel.ref, message_ref=poll.message_ref, card=card
            )
        except Exception:  # the count on the message is cosmetic; never fail a close over it
            log.warning("could not update poll %s message", poll.id, exc_info=True)

    async def drain(self) -> None:
        await self._refresh.drain()
