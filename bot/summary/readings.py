"""Readings of one poll's published figures on the scales people read: levels 1–5, gaps, levers."""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain import SCORED_SIDES, Side
from bot.formatting import shares_percent
from bot.questions import Question, QuestionSet
from bot.score.scoring import Figures


def on_scale(x: float) -> float:
    """A 0..1 level back on the 1–5 answer scale."""
    return 1 + 4 * x


@dataclass(frozen=True, slots=True)
class SideLevels:
    """One likert question's average answer per side (1–5) and the gap (marketing − IT)."""

    question: Question
    marketing: float
    it: float

    @property
    def gap(self) -> float:
        return self.marketing - self.it

    def of(self, side: Side) -> float:
        return self.marketing if side is Side.MARKETING else self.it

    @property
    def lower(self) -> Side:
        return Side.IT if self.gap > 0 else Side.MARKETING

    @property
    def mean(self) -> float:
        return (self.marketing + self.it) / 2


def likert_levels(figures: Figures, qset: QuestionSet, poll_number: int) -> list[SideLevels]:
    """Every likert question asked in the poll that both sides answered, in the poll's order."""
    rows = (_side_levels(figures, q) for q in qset.for_poll(poll_number))
    return [r for r in rows if r is not None]


def levels_of(
    figures: Figures, qset: QuestionSet, poll_number: int, question_id: str
) -> SideLevels | None:
    """One question's row of `likert_levels`, if it has one (nudge rules read several each)."""
    asked = next((q for q in qset.for_poll(poll_number) if q.id == question_id), None)
    return _side_levels(figures, asked) if asked is not None else None


def _side_levels(figures: Figures, q: Question) -> SideLevels | None:
    lv = figures.levels.get(q.id)
    if not q.is_likert or lv is None or not all(s in lv for s in SCORED_SIDES):
        return None
    return SideLevels(q, on_scale(lv[Side.MARKETING]), on_scale(lv[Side.IT]))


def widest_gap(rows: list[SideLevels]) -> SideLevels | None:
    """The question the two sides are furthest apart on (the first one on a tie)."""
    return max(rows, key=lambda r: round(abs(r.gap), 6), default=None)


def side_average(figures: Figures, side: Side) -> float | None:
    """The side's average answer over every likert question of the poll (1–5)."""
    values = [lv[side] for lv in figures.levels.values() if side in lv]
    return on_scale(sum(values) / len(values)) if values else None


@dataclass(frozen=True, slots=True)
class LeverRow:
    """One lever's share per side (0..1) and the same as printed: whole percentages that add up
    to 100 over the side's levers (`bot.formatting.shares_percent`)."""

    label: str
    marketing: float
    it: float
    marketing_pct: int = 0
    it_pct: int = 0


def lever_rows(figures: Figures, qset: QuestionSet) -> list[LeverRow]:
    """Lever shares per side, side by side, most chosen overall first; unchosen levers left out."""
    question = qset.by_role("lever")
    shares = figures.lever_shares
    if not all(s in shares for s in SCORED_SIDES):
        return []
    order = [o.value for o in question.options]
    pct = {s: shares_percent(shares[s], order) for s in SCORED_SIDES}
    rows = [
        LeverRow(
            o.label,
            shares[Side.MARKETING].get(o.value, 0.0),
            shares[Side.IT].get(o.value, 0.0),
            pct[Side.MARKETING][o.value],
            pct[Side.IT][o.value],
        )
        for o in question.options
    ]
    chosen = [r for r in rows if r.marketing or r.it]
    return sorted(chosen, key=lambda r: -(r.marketing + r.it))


def top_lever(figures: Figures, qset: QuestionSet, side: Side) -> str | None:
    """The lever the side chose most (the first in the question's order on a tie)."""
    question = qset.by_role("lever")
    shares = figures.lever_shares.get(side)
    if not shares:
        return None
    best = max(question.options, key=lambda o: shares.get(o.value, 0.0))
    return best.label if shares.get(best.value, 0.0) > 0 else None
