"""The trend summary posted when a pulse closes: what it shows is assembled here, worded in
`bot.summary.views`, and the chart is drawn in a worker thread."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from bot.cards import Card
from bot.domain import AnswerRecord, Channel, Poll, Side
from bot.formatting import plural
from bot.nudges.rules import REPEAT_DAYS
from bot.nudges.service import pick
from bot.ports import NativeCharts, NudgeRecord
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
) -> tuple[Summary, NudgeRecord | None]:
    """A closed poll's summary from what was read for it (pure), and the nudge to record.

    `report` holds the channel's polls up to this one; `nudges` its last four weeks' nudges;
    `answers` the poll's answers, needed only when `needs_answers(result)`."""
    series = tuple(p for p in report.points if p.poll.number <= poll.number and not p.poll.is_open)[
        -TREND_POLLS:
    ]
    point = next(p for p in series if p.poll.id == poll.id)
    base = Summary(poll, channel_label, k, qset, point.result, series)
    figures = point.result.figures
    if figures is None or figures.score is None:
        return base, None
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
    )
    return summary, choice.record


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
        nudges = await deps.repo.nudges_since(
            channel_id=channel.id, since=now - timedelta(days=REPEAT_DAYS)
        )
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
        )
        if record is not None:
            await deps.repo.record_nudge(nudge=record)
            deps.telemetry.count("nudges", rule=record.nudge_id)
        return summary

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
