"""The trend summary posted when a pulse closes: what it shows is assembled here, worded in
`bot.summary.views`, and the chart is drawn in a worker thread."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from bot.actions.model import ActionReport
from bot.cards import Card
from bot.domain import ActionState, AnswerRecord, Channel, Poll, Side
from bot.formatting import plural
from bot.nudges.rules import REPEAT_DAYS
from bot.nudges.service import FollowUp, follow_up, pick, still_shown
from bot.ports import ActionRecord, NativeCharts, NudgeRecord
from bot.questions import QuestionSet
from bot.score.disclosure import DisclosureGuard
from bot.score.scoring import Figures, PollResult
from bot.score.trends import TREND_POLLS, ScoreReport, TrendPoint, build_report, opened_label
from bot.summary.charts import Chart, ChartPoint, alt_text, chart_png
from bot.summary.readings import side_average
from bot.summary.study import Comparison, compare, compare_counts
from bot.summary.views import Summary, summary_card, withheld_card

if TYPE_CHECKING:
    from bot.context import Deps
    from bot.score.results import ResultService

log = logging.getLogger(__name__)


def chart_points(series: tuple[TrendPoint, ...]) -> list[ChartPoint]:
    points = []
    for p in series:
        f = p.result.figures
        u = f.uncertainty if f else None
        points.append(
            ChartPoint(
                number=p.poll.number,
                date=opened_label(p.poll.opened_at),
                score=p.score,
                marketing=side_average(f, Side.MARKETING) if f else None,
                it=side_average(f, Side.IT) if f else None,
                low=u.low if u else None,
                high=u.high if u else None,
            )
        )
    return points


def draft(
    channel: Channel,
    poll: Poll,
    report: ScoreReport,
    answers: Sequence[AnswerRecord] | None,
    qset: QuestionSet,
    *,
    nudges: Sequence[NudgeRecord],
    channel_label: str,
    k: int,
    now: datetime,
    not_separable: bool = False,
    actions: Sequence[ActionRecord] = (),
) -> tuple[Summary, NudgeRecord | None]:
    """A closed poll's summary from what was read for it (pure), and the nudge to record.

    `report` holds the channel's polls up to this one; `nudges` its last four weeks' nudges;
    `actions` its last four weeks' actions; `answers` the poll's answers, needed only when
    `needs_answers(result)`."""
    series = tuple(p for p in report.points if p.poll.number <= poll.number and not p.poll.is_open)[
        -TREND_POLLS:
    ]
    point = next(p for p in series if p.poll.id == poll.id)
    base = Summary(poll, channel_label, k, qset, point.result, series)
    figures = point.result.figures
    if figures is None or figures.score is None:
        return base, None
    numbers, history, shown = _earlier(series, poll, qset)
    choice = pick(
        nudges,
        channel.id,
        poll,
        figures,
        qset,
        numbers=numbers,
        now=now,
        history=history,
        shown=shown,
    )
    reports = tuple(
        _report(a, figures, qset, poll.number, numbers, history, shown, choice.follow_up)
        for a in actions
        if a.poll_id != poll.id and a.state in _REPORTED and a.created_at <= now
    )
    summary = Summary(
        poll,
        channel_label,
        k,
        qset,
        point.result,
        series,
        choice.nudge,
        choice.follow_up,
        tuple(_comparisons(figures, answers, qset, poll.number)),
        not_separable,
        choice.reason,
        actions=reports,
    )
    return summary, choice.record


def _earlier(
    series: tuple[TrendPoint, ...], poll: Poll, qset: QuestionSet
) -> tuple[dict[int, int], dict[int, Figures], dict[int, tuple[Figures, QuestionSet, int]]]:
    """The series' poll numbers by poll id; the published figures before `poll` by number
    (follow-up baselines, escalation); every figure by poll id as the k in force shows it."""
    numbers = {p.poll.id: p.poll.number for p in series}
    history = {
        p.poll.number: f
        for p in series
        if p.published and p.poll.number < poll.number and (f := p.result.figures) is not None
    }
    shown = {
        p.poll.id: (f, qset, p.poll.number)  # the same set, as the nudge records assume
        for p in series
        if (f := p.result.figures) is not None
    }
    return numbers, history, shown


#: The actions a summary reports: taken on, and not (yet) set aside.
_REPORTED = frozenset({ActionState.TAKEN, ActionState.NOT_YET, ActionState.DONE})


def _report(
    action: ActionRecord,
    figures: Figures,
    qset: QuestionSet,
    number: int,
    numbers: dict[int, int],
    history: dict[int, Figures],
    shown: dict[int, tuple[Figures, QuestionSet, int]],
    followed: FollowUp | None,
) -> ActionReport:
    """An action as the summary reports it: judged against its baseline like a nudge, unless
    it is the nudge the "Last nudge" line follows up already, or its figure is withheld."""
    given_in = numbers.get(action.poll_id)
    if followed is not None and (followed.rule.id, followed.given_in) == (
        action.nudge_id,
        given_in,
    ):
        return ActionReport(action, given_in, None, followed_above=True)
    if not still_shown(action.nudge, shown):
        return ActionReport(action, given_in, None)
    judged = follow_up(action.nudge, figures, qset, number, given_in=given_in, history=history)
    return ActionReport(action, given_in, judged)


def _own(nudges: Sequence[NudgeRecord], summary: Summary) -> NudgeRecord | None:
    """The nudge recorded when this summary was first built (it is being posted again)."""
    rule = summary.nudge.rule.id if summary.nudge else None
    return next((r for r in nudges if r.poll_id == summary.poll.id and r.nudge_id == rule), None)


def needs_answers(result: PollResult) -> bool:
    """Whether a summary of this result needs the poll's answers: published results stored
    before the study comparison's counts were kept with them."""
    return result.figures is not None and result.figures.agreement is None


def _comparisons(
    figures: Figures, answers: Sequence[AnswerRecord] | None, qset: QuestionSet, number: int
) -> list[Comparison]:
    if figures.agreement is not None:
        return compare_counts(figures.agreement, qset)
    if answers is None:
        raise ValueError("a result stored without the agreement counts needs the poll's answers")
    return compare(answers, qset, number)


class SummaryService:
    def __init__(self, deps: Deps, results: ResultService) -> None:
        self._deps = deps
        self._results = results
        self._guard = DisclosureGuard(deps)

    async def build(
        self, channel: Channel, poll: Poll, *, answers: list[AnswerRecord] | None = None
    ) -> Summary:
        """The summary of a closed poll (records its nudge the first time). `answers` are the
        poll's answers when the caller already read them (the close step has)."""
        deps = self._deps
        report = await self._results.report(channel, polls=TREND_POLLS + 1, closed_only=True)
        if answers is None:
            answers = await deps.repo.answers(poll_id=poll.id)
        if not any(p.poll.id == poll.id and not p.poll.is_open for p in report.points):
            # an old poll summarised late: no trend around it, its own result only
            report = build_report([TrendPoint(poll, self._results.score(poll, answers))], k=deps.k)
        qset = self._results.question_set(poll)
        not_separable = await self._guard.close(poll, qset, answers)
        now = deps.clock.now()
        since = now - timedelta(days=REPEAT_DAYS)
        nudges = await deps.repo.nudges_since(channel_id=channel.id, since=since)
        actions = await deps.repo.channel_actions(channel_id=channel.id, since=since)
        summary, record = draft(
            channel,
            poll,
            report,
            answers,
            qset,
            nudges=nudges,
            channel_label=deps.channel_label(channel),
            k=deps.k,
            now=now,
            not_separable=not_separable,
            actions=actions,
        )
        if record is not None:
            await deps.repo.record_nudge(nudge=record)
            deps.telemetry.count("nudges", rule=record.nudge_id)
        return await self._offer(summary, record or _own(nudges, summary))

    async def _offer(self, summary: Summary, record: NudgeRecord | None) -> Summary:
        """The summary with its next step offered as an action (the same one when posted
        again), so its buttons name it."""
        if summary.nudge is None or record is None:
            return summary
        action = await self._deps.repo.offer_action(nudge=record, text=summary.nudge.short)
        return replace(summary, action_id=action.id)

    async def card(
        self, channel: Channel, poll: Poll, *, answers: list[AnswerRecord] | None = None
    ) -> Card:
        summary = await self.build(channel, poll, answers=answers)
        if not summary.result.published:
            return withheld_card(summary)
        messenger = self._deps.messengers.get(channel.ref.platform)
        native = isinstance(messenger, NativeCharts) and messenger.native_charts
        return summary_card(summary, chart=await self.chart(summary, picture=not native))

    async def chart(self, summary: Summary, *, picture: bool = True) -> Chart | None:
        """The summary's chart; its PNG only with `picture` (a platform that draws charts
        itself needs none). None if it could not be drawn: the summary goes without it."""
        points = chart_points(summary.series)
        where = f"{summary.channel_label} · " if summary.channel_label else ""
        title = f"{where}alignment over the last {plural(len(points), 'pulse')}"
        try:
            png = await chart_png(points) if picture else None
        except Exception:  # a chart is a bonus: the summary must be posted without it
            log.exception("could not draw the chart for poll %s", summary.poll.id)
            return None
        return Chart(png=png, title=title, alt=alt_text(points), points=tuple(points))
