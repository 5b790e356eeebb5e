"""Poll results and channel reports: stored once a poll closes; for an open poll, the "so far"
figures the differencing guard allows."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from bot.cards import Card
from bot.context import Deps
from bot.domain import AnswerRecord, Channel, Poll
from bot.ports import AnswerStore, DisclosureStore, PollHistoryItem, PollStore
from bot.questions import QuestionSet
from bot.score.disclosure import DisclosureGuard
from bot.score.disclosure_state import DisclosureState
from bot.score.scoring import PollResult, compute_result
from bot.score.trends import TREND_POLLS, ScoreReport, TrendPoint, build_report
from bot.score.uncertainty import with_uncertainty
from bot.score.views import score_card


class ResultService:
    def __init__(self, deps: Deps) -> None:
        self._deps = deps
        self._polls: PollStore = deps.repo
        self._answers: AnswerStore = deps.repo
        self._disclosures: DisclosureStore = deps.repo
        self._guard = DisclosureGuard(deps)

    def question_set(self, poll: Poll) -> QuestionSet:
        return self._deps.question_sets.get(poll.question_set, poll.question_set_version)

    def score(self, poll: Poll, answers: list[AnswerRecord]) -> PollResult:
        """A closed poll's result, with its 90% interval (seeded by the poll: always the same)."""
        qset = self.question_set(poll)
        result = compute_result(answers, question_set=qset, poll_number=poll.number, k=self._deps.k)
        return with_uncertainty(result, answers, qset, poll_number=poll.number, seed=poll.id)

    async def alignment(self, channel: Channel) -> Card:
        """`/alignment`: the channel's score card, times in the channel's timezone."""
        report = await self.report(channel)
        return score_card(
            report,
            channel_label=self._deps.channel_label(channel),
            timezone=channel.schedule.timezone if channel.schedule else "UTC",
        )

    async def report(
        self, channel: Channel, *, polls: int = TREND_POLLS, closed_only: bool = False
    ) -> ScoreReport:
        """The channel's latest polls with results: stored for closed polls, guarded for the
        open one. `closed_only` leaves the open poll out: `polls` closed pulses, and no live
        answers read or disclosed (summaries, digests and exports report closed pulses)."""
        history = await self._polls.poll_history(
            channel_id=channel.id, limit=polls + (1 if closed_only else 0)
        )
        histories = {channel.id: history}
        return (await self._assemble(_closed(histories, polls) if closed_only else histories))[
            channel.id
        ]

    async def reports(
        self, channels: Sequence[Channel], *, polls: int = TREND_POLLS, closed_only: bool = False
    ) -> dict[int, ScoreReport]:
        """`report` for many channels with a fixed number of history and answer round trips
        (digests, home views, mass closes)."""
        histories = await self._polls.poll_histories(
            channel_ids=[c.id for c in channels], limit=polls + (1 if closed_only else 0)
        )
        return await self._assemble(_closed(histories, polls) if closed_only else histories)

    async def _assemble(
        self, histories: dict[int, list[PollHistoryItem]]
    ) -> dict[int, ScoreReport]:
        unstored = [
            item.poll for items in histories.values() for item in items if item.result is None
        ]
        open_polls = [p for p in unstored if p.is_open]
        answers, states = await self._unstored_reads(unstored, open_polls)
        points: dict[int, TrendPoint] = {}
        # never the live figures of an open poll: see bot.score.disclosure
        so_far = (
            await self._guard.so_far_many(
                [(p, self.question_set(p), answers.get(p.id, [])) for p in open_polls],
                states=states,
            )
            if open_polls
            else {}
        )
        for poll in open_polls:
            points[poll.id] = TrendPoint(poll, so_far[poll.id].result, so_far[poll.id].as_of)
        for poll in unstored:
            if not poll.is_open:  # closed but its result was never stored (crash mid-close)
                result = self.score(poll, answers.get(poll.id, []))
                await self._polls.store_result(poll_id=poll.id, result=result)
                points[poll.id] = TrendPoint(poll, result)
        return {
            channel_id: build_report(
                [points.get(item.poll.id) or self._stored(item) for item in items], k=self._deps.k
            )
            for channel_id, items in histories.items()
        }

    async def _unstored_reads(
        self, unstored: list[Poll], open_polls: list[Poll]
    ) -> tuple[dict[int, list[AnswerRecord]], dict[int, DisclosureState]]:
        """The answers of polls without a stored result and the open ones' disclosure states,
        read side by side (two connections): one round trip of latency instead of two."""
        if not unstored:
            return {}, {}
        if not open_polls:
            return await self._answers.answers_of_polls(poll_ids=[p.id for p in unstored]), {}
        return await asyncio.gather(
            self._answers.answers_of_polls(poll_ids=[p.id for p in unstored]),
            self._disclosures.disclosures(poll_ids=[p.id for p in open_polls]),
        )

    def _stored(self, item: PollHistoryItem) -> TrendPoint:
        """The one read of a stored result: every summary, digest, export, App Home and nudge
        follow-up gets its figures from here, so a raised k withholds old figures everywhere."""
        result = item.result
        assert result is not None
        k, poll = self._deps.k, item.poll
        if result.k < k:  # computed under a k at least today's, it meets today's: nothing to do
            result = result.at_k(k, self.question_set(poll).for_poll(poll.number))
        return TrendPoint(poll, result)


def _closed(
    histories: dict[int, list[PollHistoryItem]], polls: int
) -> dict[int, list[PollHistoryItem]]:
    """Each channel's last `polls` closed polls (at most one poll is open, so one more was read)."""
    return {
        channel_id: [item for item in items if not item.poll.is_open][-polls:]
        for channel_id, items in histories.items()
    }
