"""The team's own equivalents of the study's figures (Accenture Interactive, "The CMO–CIO
Disconnect"), derived from this week's answers.

Each equivalent is the share of a group answering 4 or 5 (Agree / Strongly agree) to one of
our questions, counted when the poll closes and kept with its result (`Figures.agreement`).
They are per-side figures, so they only exist for polls that meet the privacy threshold. The
study asked executives once; we ask the team weekly, so the comparison is a
prompt for discussion, not a like-for-like statistic.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

from bot.domain import SCORED_SIDES, AnswerRecord, Side
from bot.questions import LIKERT_VALUES, QuestionSet
from bot.score.scoring import agreeing

STUDY = "Accenture Interactive, “The CMO–CIO Disconnect”"


@dataclass(frozen=True, slots=True)
class Benchmark:
    id: str
    #: what the share measures, e.g. "IT making co-operation a top priority"
    label: str
    role: Literal["trust", "priority"]
    #: whose answers count; None = marketing and IT together
    side: Side | None
    #: the study's figure as a share, or None when the study has no matching one
    study: float | None
    study_text: str


BENCHMARKS: tuple[Benchmark, ...] = (
    Benchmark(
        "it-top-priority",
        "IT making co-operation a top priority",
        "priority",
        Side.IT,
        0.45,
        "45% in the study",
    ),
    Benchmark(
        "marketing-top-priority",
        "Marketing making co-operation a top priority",
        "priority",
        Side.MARKETING,
        None,
        "the study has no CMO figure for this",
    ),
    Benchmark(
        "count-on",
        "Could count on the other team",
        "trust",
        None,
        0.10,
        "while in the study 1 in 10 executives felt co-operation was at the right level",
    ),
)


@dataclass(frozen=True, slots=True)
class Comparison:
    benchmark: Benchmark
    share: float
    answers: int


def compare(
    answers: Iterable[AnswerRecord], qset: QuestionSet, poll_number: int
) -> list[Comparison]:
    """`compare_counts` counted from the poll's answers, for results stored before the counts
    were kept with them. Call it only for a poll that meets the privacy threshold."""
    asked = {q.id for q in qset.for_poll(poll_number) if q.is_likert}
    values: dict[str, dict[Side, list[str]]] = {}
    for a in answers:
        if a.question_id in asked and a.side in SCORED_SIDES and a.value in LIKERT_VALUES:
            values.setdefault(a.question_id, {}).setdefault(a.side, []).append(a.value)
    counts = {q: {s: agreeing(v) for s, v in per.items()} for q, per in values.items()}
    return compare_counts(counts, qset)


def compare_counts(
    agreement: Mapping[str, Mapping[Side, tuple[int, int]]], qset: QuestionSet
) -> list[Comparison]:
    """Shares answering 4–5 for every benchmark whose question and group have answers, from
    the poll's (answers 4–5, answers) per likert question and side (`Figures.agreement`)."""
    found = []
    for b in BENCHMARKS:
        per_side = agreement.get(qset.by_role(b.role).id, {})
        counted = [per_side[s] for s in ((b.side,) if b.side else SCORED_SIDES) if s in per_side]
        answers = sum(n for _agree, n in counted)
        if answers:
            found.append(Comparison(b, sum(agree for agree, _n in counted) / answers, answers))
    return found
