"""The team's own equivalents of the study's figures (Accenture Interactive, "The CMO–CIO
Disconnect"), derived from this week's answers.

Each equivalent is the share of a group answering 4 or 5 (Agree / Strongly agree) to one of
our questions, counted when the poll closes and kept with its result (`Figures.agreement`).
They are per-side figures, so they only exist for polls that meet the privacy threshold. The
study asked executives once, with its own wording; we ask staff weekly, so a line shows the
count ("3 of 7"), a 95% Wilson range for it, and the study's figure as context — never as a
like-for-like contrast.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

from bot.domain import SCORED_SIDES, AnswerRecord, Side
from bot.formatting import percent, wilson
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
    #: how the study's question differs from ours (None: it asked about the same thing)
    differs: str | None = None


BENCHMARKS: tuple[Benchmark, ...] = (
    Benchmark(
        "it-top-priority",
        "IT making co-operation a top priority",
        "priority",
        Side.IT,
        0.45,
        "the study: 45% of IT executives made it a top priority; 77% of CIOs called closer "
        "engagement important",
    ),
    Benchmark(
        "marketing-top-priority",
        "Marketing making co-operation a top priority",
        "priority",
        Side.MARKETING,
        None,
        "the study has no CMO figure for this; 57% of CMOs called closer engagement important",
    ),
    Benchmark(
        "count-on",
        "Could count on the other team",
        "trust",
        None,
        0.10,
        "the study asked something else: whether co-operation was at the right level (1 in 10 "
        "executives said yes)",
        "we ask whether the other team delivered what it committed to this week",
    ),
)


@dataclass(frozen=True, slots=True)
class Comparison:
    benchmark: Benchmark
    share: float
    answers: int

    @property
    def agreeing(self) -> int:
        return round(self.share * self.answers)


def comparison_text(c: Comparison) -> str:
    """`3 of 7 — 16–75% (95% range) · the study: …`: the count, its range, the study as context."""
    low, high = wilson(c.agreeing, c.answers)
    return (
        f"{c.agreeing} of {c.answers} — {percent(low).removesuffix('%')}–{percent(high)} "
        f"(95% range) · {c.benchmark.study_text}"
    )


def study_caveat(comparisons: Iterable[Comparison]) -> str:
    """What keeps the comparison honest: who was asked, how often, and with which words."""
    differs = [c.benchmark.differs for c in comparisons if c.benchmark.differs]
    worded = f" Where the questions differ: {'; '.join(differs)}." if differs else ""
    return (
        "The study asked marketing and IT executives once; this pulse asks the team every week, "
        "in its own words, and a handful of answers leaves a wide range: read these as a "
        f"prompt to talk, not a measurement against the study.{worded}"
    )


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
