"""The perception gap: how far each side misreads the priority the other gives the partnership.

The mirror question asks each side "the other team sees working with my team as one of its top
priorities this week"; the priority question asks the other side exactly that about itself. The
perception gap of side s is `4 × (L_s(mirror) − L_other(priority))` in points of the 1–5 scale:
positive when s overestimates the other side, negative when it underestimates it. It is not part
of the alignment score.

Privacy: a perception gap rests on two questions, so it exists only when marketing and IT each
gave k answers to *both* the mirror and the priority question (the scoring keeps the mirror
levels only then, and `PollResult.at_k` drops them when a raised k fails either); the
differencing guard counts both questions behind it (`figure_questions` holds every question with
k answers a side). Its standard error comes from the per-side level standard errors stored at
close: the two levels are different people's answers, so their variances add.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from bot.domain import SCORED_SIDES, Side
from bot.questions import QuestionSet
from bot.score.scoring import Figures, PollResult

#: Two-sided 90%, as for the score's change (bot.score.uncertainty.Z90; not imported from there,
#: which imports this module for the nudge follow-up's standard error).
Z90 = 1.6448536269514722


def other_side(side: Side) -> Side:
    return Side.IT if side is Side.MARKETING else Side.MARKETING


@dataclass(frozen=True, slots=True)
class PerceptionGap:
    """One side's reading of the other: what `side` thinks the other side answers on priority
    (`thinks`, 1–5) against the other side's own answer (`actual`, 1–5)."""

    side: Side
    thinks: float
    actual: float
    #: standard error of `gap` in points (None for results closed without standard errors)
    se: float | None = None

    @property
    def other(self) -> Side:
        return other_side(self.side)

    @property
    def gap(self) -> float:
        """4 × (L_s(mirror) − L_other(priority)): negative when `side` underestimates."""
        return self.thinks - self.actual

    def printed(self) -> tuple[Decimal, Decimal, Decimal]:
        """(thinks, actual, gap) as messages print them: both levels to one decimal, rounded
        half up, and the gap as the difference of the printed levels, so the numbers add up."""
        thinks, actual = _one_decimal(self.thinks), _one_decimal(self.actual)
        return thinks, actual, thinks - actual


def _one_decimal(value: float) -> Decimal:
    # repr first: Decimal(2.65) is 2.6499999…, which would round down
    return Decimal(repr(round(value, 6))).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def perception_gaps(figures: Figures | None) -> dict[Side, PerceptionGap]:
    """Both sides' perception gaps in published figures; empty when they hold none (no mirror
    question asked, or it or the priority question short of k answers a side)."""
    mirror = figures.mirror if figures is not None else None
    if figures is None or mirror is None:
        return {}
    priority = figures.levels.get(mirror.priority, {})
    if not all(s in mirror.levels and s in priority for s in SCORED_SIDES):
        return {}
    u = figures.uncertainty
    found = {}
    for side in SCORED_SIDES:
        other = other_side(side)
        se = None
        if u is not None:
            own = u.level_se.get(mirror.question, {}).get(side)
            theirs = u.level_se.get(mirror.priority, {}).get(other)
            if own is not None and theirs is not None:
                se = 4 * math.sqrt(own**2 + theirs**2)
        thinks, actual = 1 + 4 * mirror.levels[side], 1 + 4 * priority[other]
        found[side] = PerceptionGap(side, thinks, actual, se)
    return found


def widest(figures: Figures | None) -> PerceptionGap | None:
    """The side's perception gap that is furthest from zero (marketing on a tie)."""
    gaps = perception_gaps(figures)
    return max(gaps.values(), key=lambda g: round(abs(g.gap), 6), default=None)


def widest_se(figures: Figures) -> float | None:
    """The standard error of `widest`'s gap (the nudge follow-up's measure)."""
    found = widest(figures)
    return found.se if found is not None else None


@dataclass(frozen=True, slots=True)
class Perception:
    """A poll's perception gaps as the privacy rule lets them be shown: `gaps` for both sides,
    or none with `counts` saying how far from k the scarcer question of the two is."""

    gaps: dict[Side, PerceptionGap]
    #: (marketing, IT) answers to the scarcer of the mirror and the priority question
    counts: tuple[int, int]
    k: int

    @property
    def shown(self) -> bool:
        return bool(self.gaps)


def perception_of(result: PollResult, qset: QuestionSet, poll_number: int) -> Perception | None:
    """The poll's perception gaps, or why they are withheld; None when the poll asked no mirror
    question (a pulse opened under an older question set, or a set that leaves it out)."""
    mirror = qset.mirror
    if mirror is None or all(q.id != mirror.id for q in qset.for_poll(poll_number)):
        return None
    ids = (mirror.id, qset.by_role("priority").id)
    counts = [result.count(q) for q in ids]
    scarcest = (min(n[0] for n in counts), min(n[1] for n in counts))
    gaps = perception_gaps(result.figures) if min(scarcest) >= result.k else {}
    return Perception(gaps, scarcest, result.k)


@dataclass(frozen=True, slots=True)
class GapChange:
    """How one side's perception gap moved since an earlier pulse: `beyond` False reads
    "steady" (within what chance alone moves it at the 90% level)."""

    side: Side
    before: float
    after: float
    beyond: bool

    @property
    def narrowed(self) -> bool:
        return abs(self.after) < abs(self.before)


def gap_change(before: Figures | None, after: Figures | None, side: Side) -> GapChange | None:
    """The change of `side`'s perception gap between two pulses, judged against chance with the
    standard errors stored at close (None when either pulse lacks the gap or its error)."""
    old, new = perception_gaps(before).get(side), perception_gaps(after).get(side)
    if old is None or new is None or old.se is None or new.se is None:
        return None
    spread = math.sqrt(old.se**2 + new.se**2)
    beyond = abs(new.gap - old.gap) > Z90 * spread
    return GapChange(side, old.gap, new.gap, beyond)


def misreading_vars(figures: Figures) -> dict[str, str]:
    """Words for a nudge text about the wider perception gap (bot.nudges.rules): `Misreader`,
    `misread`, `misreading` ("underestimates"/"overestimates") and `perception_gap` (its size)."""
    found = widest(figures)
    if found is None:
        return {}
    return {
        "Misreader": found.side.label,
        "misread": "IT" if found.other is Side.IT else "marketing",
        "misreading": "underestimates" if found.gap < 0 else "overestimates",
        "perception_gap": f"{abs(found.printed()[2])}",
    }
