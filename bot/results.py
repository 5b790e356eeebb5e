"""Poll results and channel reports: stored once a poll closes; for an open poll, the "so far"
figures the differencing guard allows."""

from __future__ import annotations

from bot.context import Deps
from bot.domain import Channel, Poll
from bot.insight.disclosure import DisclosureGuard
from bot.questions import QuestionSet
from bot.scoring import PollResult, compute_result
from bot.trends import TREND_POLLS, ScoreReport, TrendPoint, build_report


class ResultService:
    def __init__(self, deps: Deps) -> None:
        self._deps = deps
        self._guard = DisclosureGuard(deps)

    def question_set(self, poll: Poll) -> QuestionSet:
        return self._deps.question_sets.get(poll.question_set, poll.question_set_version)

    async def compute(self, poll: Poll) -> PollResult:
        answers = await self._deps.repo.answers(poll_id=poll.id)
        return compute_result(
            answers, question_set=self.question_set(poll), poll_number=poll.number, k=self._deps.k
        )

    async def report(self, channel: Channel, *, polls: int = TREND_POLLS) -> ScoreReport:
        """The channel's latest polls with results: stored for closed polls, guarded for the open one."""
        history = await self._deps.repo.poll_history(channel_id=channel.id, limit=polls)
        points = []
        for item in history:
            result = item.result
            if item.poll.is_open:  # never the live figures: see bot.insight.disclosure
                so_far = await self._guard.so_far(item.poll, self.question_set(item.poll))
                points.append(TrendPoint(item.poll, so_far.result, so_far.as_of))
                continue
            if result is None:  # closed but its result was never stored (crash)
                result = await self.compute(item.poll)
                await self._deps.repo.store_result(poll_id=item.poll.id, result=result)
            if result.published and not result.participation.meets(self._deps.k):
                # k was raised since this poll closed: the stricter rule applies to old polls too
                result = PollResult(k=self._deps.k, participation=result.participation)
            points.append(TrendPoint(item.poll, result))
        return build_report(points, k=self._deps.k)
