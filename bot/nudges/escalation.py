"""Gaps that stay wide: a gap wide in each of the last 3 pulses that show it escalates (a
stronger nudge in the summary, a flag in the manager's digest)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from bot.domain import Side
from bot.imperatives import IMPERATIVES, Imperative
from bot.nudges.rules import PERSISTENT_PULSES, WIDE_GAP
from bot.questions import QuestionSet, Role
from bot.score.scoring import Figures
from bot.summary.readings import SideLevels, levels_of

#: the gaps that can escalate: those asked every pulse (a rotating question returns only every
#: five pulses, so "three pulses in a row" would span fifteen weeks), with their metric and
#: imperative
PERSISTENT: tuple[tuple[str, Literal["trust", "priority"], int], ...] = (
    ("trust_gap", "trust", 5),
    ("priority_gap_size", "priority", 2),
)


@dataclass(frozen=True, slots=True)
class Escalation:
    """A gap wide (≥ WIDE_GAP points, the same side lower) in each of `pulses`."""

    #: the nudge metric of the gap ("trust_gap", "priority_gap_size")
    metric: str
    #: the question's role ("trust", "priority")
    role: Role
    imperative_number: int
    lower: Side
    #: the pulse numbers, oldest first, and the gap (points, its size) in each
    pulses: tuple[int, ...]
    gaps: tuple[float, ...]

    @property
    def imperative(self) -> Imperative:
        return IMPERATIVES[self.imperative_number]

    @property
    def since(self) -> int:
        return self.pulses[0]


def escalated(history: Iterable[tuple[Figures, QuestionSet, int]]) -> list[Escalation]:
    """The gaps wide in each of the latest `PERSISTENT_PULSES` pulses of `history` that show
    them, the latest pulse among them, with the same side lower every time.

    `history` holds one channel's published figures as the k in force shows them: (figures,
    question set, pulse number) per pulse, in any order (e.g. the digest's and the summary's
    `figures_of.values()`). A pulse whose figure is withheld is skipped, never counted as
    narrow: only figures that may be shown decide."""
    pulses = sorted(history, key=lambda h: h[2])
    if not pulses:
        return []
    latest = pulses[-1][2]
    found = []
    for metric, role, imperative in PERSISTENT:
        rows: list[tuple[int, SideLevels]] = []
        for figures, qset, number in reversed(pulses):
            row = levels_of(figures, qset, number, qset.by_role(role).id)
            if row is not None:
                rows.append((number, row))
            if len(rows) == PERSISTENT_PULSES:
                break
        if len(rows) < PERSISTENT_PULSES or rows[0][0] != latest:
            continue
        rows.reverse()
        lower = {r.lower for _, r in rows}
        if all(abs(r.gap) >= WIDE_GAP for _, r in rows) and len(lower) == 1:
            found.append(
                Escalation(
                    metric,
                    role,
                    imperative,
                    lower.pop(),
                    tuple(n for n, _ in rows),
                    tuple(abs(r.gap) for _, r in rows),
                )
            )
    return found
