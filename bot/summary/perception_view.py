"""The perception gap in words a manager reads: the summary's block, the one-line forms for
`/alignment`, the App Home and the digest, and a digest cell (bot.score.perception)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.cards import Block, Context, Text
from bot.domain import SCORED_SIDES, Side
from bot.privacy import not_enough_text
from bot.questions import QuestionSet
from bot.score.perception import (
    GapChange,
    Perception,
    PerceptionGap,
    gap_change,
    perception_gaps,
    perception_of,
)
from bot.score.scoring import Figures, PollResult

#: A printed perception gap below this many points reads as "about right".
ABOUT_RIGHT = 0.25


def _name(side: Side) -> str:
    return "marketing" if side is Side.MARKETING else "IT"


def gap_sentence(g: PerceptionGap) -> str:
    """ "Marketing thinks IT rates this partnership 2.6 — IT's own answer is 3.8: marketing
    underestimates IT by 1.2 points." """
    thinks, actual, gap = g.printed()
    me, them = _name(g.side), _name(g.other)
    head = (
        f"{g.side.label} thinks {them} rates this partnership {thinks} — "
        f"{them}'s own answer is {actual}"
    )
    if abs(gap) < ABOUT_RIGHT:
        return f"{head}: {me} reads {them} about right."
    verb = "underestimates" if gap < 0 else "overestimates"
    return f"{head}: {me} {verb} {them} by {abs(gap)} points."


def gap_short(g: PerceptionGap) -> str:
    """ "marketing underestimates IT by 1.2 points" (no levels), for one-line forms."""
    gap = g.printed()[2]
    me, them = _name(g.side), _name(g.other)
    if abs(gap) < ABOUT_RIGHT:
        return f"{me} reads {them} about right"
    verb = "underestimates" if gap < 0 else "overestimates"
    return f"{me} {verb} {them} by {abs(gap)} points"


def perception_line(figures: Figures | None) -> str | None:
    """ "Perception gap: marketing underestimates IT by 1.2 points; IT underestimates marketing
    by 0.5 points." — None when the figures hold no perception gap."""
    gaps = perception_gaps(figures)
    if not gaps:
        return None
    parts = [gap_short(gaps[s]) for s in SCORED_SIDES]
    return f"Perception gap: {parts[0]}; {parts[1]}."


def change_sentence(before: Figures | None, after: Figures | None, *, since: int) -> str | None:
    """ "Since pulse #7: marketing's perception gap narrowed from 1.6 to 1.2 points; IT's is
    steady." — a move is named only when it is beyond chance at the 90% level."""
    changes = [gap_change(before, after, s) for s in SCORED_SIDES]
    found = [c for c in changes if c is not None]
    if not found:
        return None
    if len(found) == 2 and not any(c.beyond for c in found):
        return f"Since pulse #{since}: both perception gaps are steady (within chance)."
    return f"Since pulse #{since}: " + "; ".join(_moved(c) for c in found) + "."


def _moved(c: GapChange) -> str:
    whose = f"{_name(c.side)}'s perception gap"
    if not c.beyond:
        return f"{whose} is steady (within chance)"
    verb = "narrowed" if c.narrowed else "widened"
    return f"{whose} {verb} from {abs(c.before):.1f} to {abs(c.after):.1f} points"


def perception_blocks(
    result: PollResult,
    qset: QuestionSet,
    poll_number: int,
    *,
    previous: tuple[int, Figures | None] | None = None,
) -> list[Block]:
    """The summary's perception-gap block: both sides' readings, or why they are withheld, and
    the change since `previous` (its pulse number and figures). Nothing when no mirror question
    was asked."""
    found = perception_of(result, qset, poll_number)
    if found is None:
        return []
    if not found.shown:
        return [Text(f"**How each side reads the other:** {withheld_text(found)}.")]
    text = " ".join(gap_sentence(found.gaps[s]) for s in SCORED_SIDES)
    blocks: list[Block] = [Text(f"**How each side reads the other:** {text}")]
    if previous is not None:
        moved = change_sentence(previous[1], result.figures, since=previous[0])
        if moved is not None:
            blocks.append(Context(moved))
    return blocks


def withheld_text(found: Perception) -> str:
    return f"perception gap withheld: {not_enough_text(*found.counts, found.k)}"


@dataclass(frozen=True, slots=True)
class PerceptionCell:
    """The perception gap as one digest cell: `text` to show, `value` (the wider side's gap in
    points, signed; None when withheld or not asked) to colour and rank by."""

    text: str
    value: float | None


def perception_cell(
    result: PollResult, qset: QuestionSet | None = None, poll_number: int | None = None
) -> PerceptionCell:
    """The cell for one pulse: "Mkt −1.2 · IT −0.5", or why it is empty. With the pulse's
    question set and number a withheld cell says how many answers it lacks; without them it can
    only say that no perception gap may be shown."""
    gaps = perception_gaps(result.figures)
    if gaps:
        wider = max(gaps.values(), key=lambda g: round(abs(g.gap), 6))
        text = " · ".join(
            f"{'Mkt' if s is Side.MARKETING else 'IT'} {_signed(gaps[s])}" for s in SCORED_SIDES
        )
        return PerceptionCell(text, float(wider.printed()[2]))
    if qset is not None and poll_number is not None:
        found = perception_of(result, qset, poll_number)
        if found is None:
            return PerceptionCell("not asked", None)
        return PerceptionCell(not_enough_text(*found.counts, found.k), None)
    return PerceptionCell("not shown", None)


def _signed(g: PerceptionGap) -> str:
    gap = g.printed()[2]
    if gap == 0:
        return "±0.0"
    return f"+{gap}" if gap > 0 else f"\u2212{abs(gap)}"


#: The export's perception columns (after every other column, so older columns keep their place).
EXPORT_COLUMNS = (
    "level_marketing_mirror",
    "level_it_mirror",
    "perception_gap_marketing",
    "perception_gap_it",
)


def export_cells(figures: Figures) -> list[str]:
    """The export's perception cells: what each side thinks the other answers on priority (1–5)
    and each side's perception gap (points, negative: underestimates); blank when withheld."""
    gaps = perception_gaps(figures)
    if not gaps:
        return [""] * len(EXPORT_COLUMNS)
    thinks = [f"{gaps[s].thinks:.2f}" for s in SCORED_SIDES]
    return thinks + [f"{gaps[s].gap:.2f}" for s in SCORED_SIDES]
