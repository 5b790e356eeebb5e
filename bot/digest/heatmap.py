"""The digest's heatmap: channels (rows) by figure (columns), each cell what may be shown of that
figure in the channel's latest closed pulse, or why it is withheld; rows ranked by the gaps that
persist over the last 3 pulses (only figures that may be shown count), not by one week's change.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol

from bot.digest.entries import DigestEntry
from bot.domain import Side
from bot.imperatives import IMPERATIVES
from bot.nudges.service import Nudge
from bot.privacy import not_enough_text
from bot.questions import Question
from bot.score.scoring import Figures, PollResult
from bot.score.trends import TrendPoint
from bot.summary import perception_view
from bot.summary.readings import on_scale

#: rows drawn and listed; Slack caps a message at 50 blocks, and a picture of more is unreadable
MAX_ROWS = 40
#: pulses a gap must last to rank a channel (docs/design.md, Cadence)
PERSIST_PULSES = 3
#: a gap smaller than this (on the 1–5 scale) reads as level: "both 3.4"
LEVEL = 0.05
NOT_ASKED = "—"

Kind = Literal["score", "likert", "share", "perception", "imperative"]


@dataclass(frozen=True, slots=True)
class Column:
    key: str
    title: str
    kind: Kind


COLUMNS: tuple[Column, ...] = (
    Column("score", "Score", "score"),
    Column("trust", "Trust", "likert"),
    Column("priority", "Priority", "likert"),
    Column("lever", "Levers", "share"),
    Column("perception", "Perception gap", "perception"),
    *(
        Column(f"imperative{i}", f"{i} · {m.short_title}", "imperative")
        for i, m in IMPERATIVES.items()
    ),
)


@dataclass(frozen=True, slots=True)
class Cell:
    """One figure of one channel: `text` as shown, `shade` 0 (worst) … 1 (best) for the colour;
    a withheld cell has `withheld` (why) and no shade; a figure not asked has neither."""

    text: str
    shade: float | None = None
    withheld: str | None = None
    #: likert cells: the side whose level is lower (None when level), and the gap
    lower: Side | None = None
    gap: float | None = None
    escalated: bool = False


@dataclass(frozen=True, slots=True)
class Row:
    channel_label: str
    #: the pulse the cells come from (None: no pulse has closed yet)
    pulse: int | None
    cells: tuple[Cell, ...]
    #: the widest gap (1–5 scale) that every one of the last 3 pulses showed, same side lower
    persistent_gap: float
    open_actions: tuple[str, ...] = ()
    escalated: tuple[str, ...] = ()
    #: "Next step (pulse #7): …", when the channel has one
    next_step: str | None = None
    #: the perception gap in words ("Perception gap: marketing underestimates IT by …")
    perception: str | None = None


@dataclass(frozen=True, slots=True)
class Grid:
    k: int
    columns: tuple[Column, ...]
    rows: tuple[Row, ...]
    #: channels ranked below the listed rows, in order
    more: tuple[str, ...] = field(default=())


class FollowUps(Protocol):
    """Open actions per channel (bot.actions owns them; see `NO_FOLLOW_UPS`)."""

    async def open_actions(self, *, channel_ids: Sequence[int]) -> Mapping[int, Sequence[str]]:
        """Each channel's open actions, one line each as the digest shows them."""
        ...


class NoFollowUps:
    """No actions: a digest built without the actions feature (tests of the grid alone)."""

    async def open_actions(self, *, channel_ids: Sequence[int]) -> Mapping[int, Sequence[str]]:
        return {}


NO_FOLLOW_UPS = NoFollowUps()


def perception_cell(result: PollResult, asked: Sequence[Question]) -> Cell:
    """The perception-gap cell: each side's gap ("Mkt −1.2 · IT −0.5"), shaded by the wider;
    withheld with its own n of k where the mirror or the priority question lacks answers."""
    behind = [q for q in asked if q.role in ("mirror", "priority")]
    if not any(q.role == "mirror" for q in behind):
        return Cell(NOT_ASKED)
    seen = perception_view.perception_cell(result)
    if seen.value is None:
        return _withheld(_why(result, behind))
    return Cell(seen.text, shade=_gap_shade(seen.value))


def cells(
    point: TrendPoint, asked: Sequence[Question], escalated: Sequence[str] = ()
) -> tuple[Cell, ...]:
    """The row's cells for one closed pulse, in `COLUMNS` order."""
    result = point.result
    figures = result.figures
    by_role = {q.role: q for q in asked}
    out: list[Cell] = [_score_cell(result, figures)]
    for role in ("trust", "priority"):
        out.append(_likert_cell(result, figures, by_role.get(role), escalated))
    out.append(_lever_cell(result, figures, by_role.get("lever")))
    out.append(perception_cell(result, asked))
    for number in IMPERATIVES:
        out.append(_imperative_cell(result, figures, [q for q in asked if q.imperative == number]))
    return tuple(out)


def _score_cell(result: PollResult, figures: Figures | None) -> Cell:
    if figures is None or figures.score is None:
        m, it = result.closest()
        return _withheld(not_enough_text(m, it, result.k))
    u = figures.uncertainty
    interval = f" ({u.low}–{u.high})" if u is not None else ""
    return Cell(f"{figures.score}{interval}", shade=figures.score / 100)


def _likert_cell(
    result: PollResult, figures: Figures | None, q: Question | None, escalated: Sequence[str]
) -> Cell:
    if q is None:
        return Cell(NOT_ASKED)
    flagged = q.id in escalated
    levels = figures.levels.get(q.id, {}) if figures is not None else {}
    if Side.MARKETING not in levels or Side.IT not in levels:
        return _withheld(_why(result, [q]), escalated=flagged)
    marketing, it = on_scale(levels[Side.MARKETING]), on_scale(levels[Side.IT])
    gap = marketing - it
    if abs(gap) < LEVEL:
        return Cell(f"both {min(marketing, it):.1f}", shade=_level_shade(it), escalated=flagged)
    lower = Side.IT if gap > 0 else Side.MARKETING
    level = min(marketing, it)
    return Cell(
        f"{lower.label} {level:.1f} (−{abs(gap):.1f})",
        shade=_level_shade(level),
        lower=lower,
        gap=abs(gap),
        escalated=flagged,
    )


def _lever_cell(result: PollResult, figures: Figures | None, q: Question | None) -> Cell:
    if q is None:
        return Cell(NOT_ASKED)
    agreement = figures.components.get("lever") if figures is not None else None
    if agreement is None:
        return _withheld(_why(result, [q]))
    return Cell(f"{round(100 * agreement)}%", shade=agreement)


def _imperative_cell(
    result: PollResult, figures: Figures | None, asked: Sequence[Question]
) -> Cell:
    if not asked:
        return Cell(NOT_ASKED)
    number = asked[0].imperative
    value = figures.per_imperative.get(number) if figures is not None else None
    if value is None:
        return _withheld(_why(result, asked))
    return Cell(str(value), shade=value / 100)


def _why(result: PollResult, asked: Sequence[Question]) -> str:
    """The withheld wording with the n of the question furthest below k; a figure whose own
    answers suffice is withheld only with its pulse's score (a stricter k, see `PollResult.at_k`)."""
    failing = [result.count(q.id) for q in asked if not result.passes(q.id)]
    if failing:
        m, it = min(failing, key=min)
        return not_enough_text(m, it, result.k)
    return "withheld with this pulse's score"


def _withheld(reason: str, *, escalated: bool = False) -> Cell:
    return Cell(short_reason(reason), withheld=reason, escalated=escalated)


def short_reason(reason: str) -> str:
    """ "not enough answers yet (2 of 3 per side)" → "2 of 3": what fits in a cell."""
    inside = reason.partition("(")[2].partition(" per side")[0]
    return inside or "withheld"


def _level_shade(level: float) -> float:
    return max(0.0, min(1.0, (level - 1) / 4))


def _gap_shade(gap: float) -> float:
    return max(0.0, min(1.0, 1 - abs(gap) / 4))


def persistent_gap(points: Sequence[TrendPoint]) -> float:
    """How far apart the sides stayed: for each likert question, the smallest gap over the
    last `PERSIST_PULSES` closed pulses when every one of them shows it with the same side lower
    (0 otherwise); the largest over the questions. One bad week scores 0."""
    recent = [p for p in points if not p.poll.is_open][-PERSIST_PULSES:]
    if len(recent) < PERSIST_PULSES or any(p.result.figures is None for p in recent):
        return 0.0
    gaps = [p.result.figures.gaps for p in recent if p.result.figures is not None]
    best = 0.0
    for question in gaps[-1]:
        series = [g.get(question) for g in gaps]
        values = [v for v in series if v is not None]
        if len(values) < PERSIST_PULSES or question == "perception":
            continue
        if all(v > 0 for v in values) or all(v < 0 for v in values):
            best = max(best, min(abs(v) for v in values))
    return round(best, 4)


def build_grid(entries: Sequence[DigestEntry], *, k: int) -> Grid:
    """Every entry ranked; the first `MAX_ROWS` listed as rows, the rest named in `more`. Only
    the listed rows' cells are worked out (a digest may cover 500 channels)."""
    ranked = sorted(((_rank(e), e) for e in entries), key=lambda pair: pair[0])
    rows = tuple(_row(entry, key[1]) for key, entry in ranked[:MAX_ROWS])
    return Grid(k, COLUMNS, rows, tuple(entry.channel_label for _, entry in ranked[MAX_ROWS:]))


def _row(entry: DigestEntry, minus_gap: float) -> Row:
    latest = entry.latest
    if latest is None:
        return Row(entry.channel_label, None, (), 0.0, entry.open_actions, entry.escalated)
    asked = entry.asked.get(latest.poll.id, ())
    nudge = entry.nudge
    step = next_step_line(nudge, latest=latest.poll.number) if nudge is not None else None
    return Row(
        entry.channel_label,
        latest.poll.number,
        cells(latest, asked, entry.escalated),
        -minus_gap,
        entry.open_actions,
        entry.escalated,
        step,
        perception_view.perception_line(latest.result.figures),
    )


def _rank(entry: DigestEntry) -> tuple[int, float, int, float, str]:
    """Channels with figures first; the most persistent gap, then escalated gaps, then the lowest
    score first; channels whose pulse was withheld, then those without a pulse, last."""
    latest = entry.latest
    score = latest.score if latest is not None else None
    tier = 0 if score is not None else 1 if latest is not None else 2
    gap = 0.0
    if latest is not None and score is not None:
        gap = persistent_gap(
            [p for p in entry.report.points if p.poll.number <= latest.poll.number]
        )
    label = entry.channel_label.lower()
    return (tier, -gap, -len(entry.escalated), score or 0, label)


def next_step_line(nudge: Nudge, *, latest: int) -> str:
    """The channel's next step, naming the pulse it came from: a nudge from an earlier pulse
    (still within four weeks) is not this week's, and the line says so."""
    pulse = nudge.pulse
    if pulse == latest:
        head = f"Next step (pulse #{pulse})"
    else:
        head = f"Next step still open (from pulse #{pulse})" if pulse else "Earlier next step"
    return f"{head}: _{nudge.imperative.label}_ — {nudge.short}"
