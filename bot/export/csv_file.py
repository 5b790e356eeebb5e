"""The export: one CSV row per closed pulse, aggregates only, figures blank below the threshold.

Columns: counts per side always; the score, its four components, the per-imperative scores
(0–100), each side's average answer per question (1–5), the gaps (points, marketing − IT) and
each side's lever shares (%), and last the perception gaps (what each side thinks the other
answers on priority, 1–5, and the gap, points) only for pulses where both sides had k answers
(the perception gap: k answers a side to both the mirror and the priority question). No user ids, no
respondent hashes, no per-person rows.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.domain import SCORED_SIDES, Poll
from bot.formatting import export_number
from bot.privacy import not_enough_text
from bot.questions import Question, QuestionSet
from bot.score.scoring import COMPONENTS, Figures, PollResult
from bot.score.trends import TrendPoint
from bot.summary.perception_view import EXPORT_COLUMNS, export_cells
from bot.summary.readings import on_scale

LIKERT_ROLES = ("trust", "priority", "rotating")


def header(lever_options: list[str]) -> list[str]:
    return [
        "pulse",
        "opened",
        "closed",
        "status",
        "respondents_marketing",
        "respondents_it",
        "respondents_other",
        "score",
        *(f"component_{c}" for c in COMPONENTS),
        "rotating_imperative",
        *(f"imperative_{i}" for i in range(1, 6)),
        *(f"level_{s.value}_{r}" for r in LIKERT_ROLES for s in SCORED_SIDES),
        *(f"gap_{r}" for r in LIKERT_ROLES),
        *(f"lever_{s.value}_{o}_pct" for s in SCORED_SIDES for o in lever_options),
        *EXPORT_COLUMNS,
    ]


def _date(poll: Poll, moment: datetime | None) -> str:
    if moment is None:
        return ""
    return moment.astimezone(ZoneInfo(poll.timezone)).date().isoformat()


def _figures_row(
    figures: Figures, poll: Poll, qset: QuestionSet, lever_options: list[str]
) -> list[object]:
    question_of = {
        "trust": qset.by_role("trust").id,
        "priority": qset.by_role("priority").id,
        "rotating": qset.rotating_item(poll.rotating_imperative).id,
    }
    row: list[object] = [figures.score if figures.score is not None else ""]
    row += [
        export_number(100 * figures.components[c]) if c in figures.components else ""
        for c in COMPONENTS
    ]
    row.append(poll.rotating_imperative)
    row += [figures.per_imperative.get(i, "") for i in range(1, 6)]
    for role in LIKERT_ROLES:
        levels = figures.levels.get(question_of[role], {})
        row += [export_number(on_scale(levels[s])) if s in levels else "" for s in SCORED_SIDES]
    for role in LIKERT_ROLES:
        gap = figures.gaps.get(question_of[role])
        row.append(export_number(gap) if gap is not None else "")
    for s in SCORED_SIDES:
        shares = figures.lever_shares.get(s)
        row += [
            export_number(100 * shares.get(o, 0.0)) if shares is not None else ""
            for o in lever_options
        ]
    return row + export_cells(figures)


def export_csv(
    points: list[TrendPoint], *, k: int, qset_of: dict[int, QuestionSet], lever_options: list[str]
) -> str:
    """The CSV of the closed pulses among `points` (oldest first); `qset_of` maps poll ids to the
    question set each was asked with."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    columns = header(lever_options)
    writer.writerow(columns)
    for point in points:
        poll, result = point.poll, point.result
        if poll.is_open:
            continue
        p = result.participation
        row: list[object] = [
            poll.number,
            _date(poll, poll.opened_at),
            _date(poll, poll.closed_at),
            _status(result, qset_of[poll.id].for_poll(poll.number), k=k),
            p.marketing,
            p.it,
            p.other,
        ]
        if result.figures is not None:
            row += _figures_row(result.figures, poll, qset_of[poll.id], lever_options)
        writer.writerow(row + [""] * (len(columns) - len(row)))
    return out.getvalue()


def _status(result: PollResult, asked: Iterable[Question], *, k: int) -> str:
    """Whether the pulse's figures are published, and which questions' are withheld (their
    cells blank) for want of k answers to them a side."""
    if result.figures is None:
        return f"withheld: {not_enough_text(*result.closest(), k)}"
    held = "; ".join(f"{q.id} {result.not_enough(q.id)}" for q in result.withheld(asked))
    return f"published; withheld: {held}" if held else "published"
