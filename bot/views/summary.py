"""The trend summary posted when a pulse closes."""

from __future__ import annotations

from bot.cards import Block, Card, Context, Facts, Heading, Text
from bot.domain import SCORED_SIDES, Poll
from bot.formatting import level_on_scale, score_text, signed, sparkline
from bot.privacy import not_enough_text
from bot.questions import QuestionSet
from bot.trends import ScoreReport
from bot.views.score import participation_text


def summary_card(poll: Poll, report: ScoreReport, qset: QuestionSet, *, channel_name: str) -> Card:
    point = next(p for p in report.points if p.poll.id == poll.id)
    result, p = point.result, point.result.participation
    where = f" in #{channel_name}" if channel_name else ""
    if result.figures is None or result.figures.score is None:
        text = (
            f"Pulse #{poll.number}{where} closed: {not_enough_text(p.marketing, p.it, report.k)}, "
            "so there are no figures this week."
        )
        return Card(
            summary=text,
            blocks=(
                Heading(f"Pulse #{poll.number} closed"),
                Text(text),
                Context(f"Answers: {participation_text(p)}."),
            ),
        )
    figures = result.figures
    change = report.change if report.current and report.current.poll.id == poll.id else None
    change_text = f" ({signed(change)})" if change is not None else ""
    blocks: list[Block] = [
        Heading(
            f"Pulse #{poll.number} results{where}: {score_text(figures.score or 0)}{change_text}"
        ),
        Text(f"Trend: `{sparkline(report.scores)}`"),
    ]
    levels: list[tuple[str, str]] = []
    for q in qset.for_poll(poll.number):
        lv = figures.levels.get(q.id)
        if q.is_likert and lv and all(s in lv for s in SCORED_SIDES):
            levels.append(
                (q.short, " · ".join(f"{s.label} {level_on_scale(lv[s])}" for s in SCORED_SIDES))
            )
    if levels:
        blocks.append(Facts(tuple(levels)))
    if figures.gaps:
        qid, gap = max(figures.gaps.items(), key=lambda kv: abs(kv[1]))
        question = qset.find(qid)
        name = question.short if question else qid
        leader = "marketing above IT" if gap > 0 else "IT above marketing"
        blocks.append(
            Text(
                f"Widest gap: **{name}**, {signed(abs(gap), digits=1)} points, {leader}."
                if gap
                else f"No gap on {name}."
            )
        )
    blocks.append(Context(f"Answers: {participation_text(p)}."))
    return Card(
        summary=f"Pulse #{poll.number}{where}: {score_text(figures.score or 0)}{change_text}",
        blocks=tuple(blocks),
    )
