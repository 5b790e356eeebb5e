"""Poll results and channel reports: computed live for an open poll, stored once a poll closes."""

from __future__ import annotations

from collections.abc import Sequence

from bot.context import Deps
from bot.domain import AnswerRecord, Channel, Poll
from bot.ports import PollHistoryItem
from bot.questions import QuestionSet
from bot.scoring import PollResult, compute_result
from bot.trends import TREND_POLLS, ScoreReport, TrendPoint, build_report


class ResultService:
    def __init__(self, deps: Deps) -> None:
        self._deps = deps

    def question_set(self, poll: Poll) -> QuestionSet:
        return self._deps.question_sets.get(poll.question_set, poll.question_set_version)

    def score(self, poll: Poll, answers: list[AnswerRecord]) -> PollResult:
        return compute_result(
            answers, question_set=self.question_set(poll), poll_number=poll.number, k=self._deps.k
        )

    async def compute(self, poll: Poll) -> PollResult:
        return self.score(poll, await self._deps.repo.answers(poll_id=poll.id))

    async def report(self, channel: Channel, *, polls: int = TREND_POLLS) -> ScoreReport:
        """The channel's latest polls with results: stored for closed polls, live for the open one."""
        history = await self._deps.repo.poll_history(channel_id=channel.id, limit=polls)
        return (await self._assemble({channel.id: history}))[channel.id]

    async def reports(
        self, channels: Sequence[Channel], *, polls: int = TREND_POLLS
    ) -> dict[int, ScoreReport]:
        """`report` for many channels with a fixed number of round trips (digests, mass closes)."""
        histories = await self._deps.repo.poll_histories(
            channel_ids=[c.id for c in channels], limit=polls
        )
        return await self._assemble(histories)

    async def _assemble(
        self, histories: dict[int, list[PollHistoryItem]]
    ) -> dict[int, ScoreReport]:
        missing = [
            item.poll for items in histories.values() for item in items if item.result is None
        ]
        answers = (
            await self._deps.repo.answers_of_polls(poll_ids=[p.id for p in missing])
            if missing
            else {}
        )
        live: dict[int, PollResult] = {}
        for poll in missing:
            live[poll.id] = self.score(poll, answers.get(poll.id, []))
            if not poll.is_open:  # closed but its result was never stored (crash mid-close)
                await self._deps.repo.store_result(poll_id=poll.id, result=live[poll.id])
        return {
            channel_id: build_report([self._point(item, live) for item in items], k=self._deps.k)
            for channel_id, items in histories.items()
        }

    def _point(self, item: PollHistoryItem, live: dict[int, PollResult]) -> TrendPoint:
        result = item.result or live[item.poll.id]
        if result.published and not result.participation.meets(self._deps.k):
            # k was raised since this poll closed: the stricter rule applies to old polls too
            result = PollResult(k=self._deps.k, participation=result.participation)
        return TrendPoint(item.poll, result)
