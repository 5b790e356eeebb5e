"""`/alignment`: the channel's score, trend and imperatives; `/alignment explain`: the formula."""

from __future__ import annotations

from collections.abc import Sequence

from bot.cards import Block, Card, Context, Facts, Heading, Text, command
from bot.channels.cadence import format_local
from bot.formatting import score_text, signed, trend_line
from bot.imperatives import IMPERATIVES
from bot.privacy import not_enough_text
from bot.score.scoring import Figures, Participation
from bot.score.trends import ScoreReport, TrendPoint, formula_breaks
from bot.score.uncertainty import Change
from bot.summary.perception_view import perception_line

FORMULA_LINE = (
    "Score = 100 × the mean of four components: for trust, priority and the rotating "
    "question, the level both sides reach (the lower side's average); for the lever "
    "question, the overlap of the two sides' choices compared with the overlap two sides "
    "wanting the same thing would reach by chance."
)


PERCEPTION_EXPLAINED = (
    "**Perception gap:** the last question asks whether the other team sees working with your "
    "team as one of its top priorities. What one side answers there, against the other side's "
    "own priority answer, is that side's perception gap in points (negative: it underestimates "
    "the other side). It needs k answers a side to both questions, is not part of the score, "
    "and a change in it is named only when it is beyond chance; otherwise it reads steady."
)


def interval_text(figures: Figures | None) -> str:
    """` (48–63)`: the stored 90% interval, or nothing for results closed without one."""
    u = figures.uncertainty if figures is not None else None
    return f" ({u.low}–{u.high})" if u is not None else ""


def change_text(change: Change | None, previous: TrendPoint | None) -> str:
    """ "+8 since pulse #4 (trust and priority; mostly trust)" / "steady since pulse #4 (…)";
    across a formula change, no comparison. Empty when there is nothing to compare."""
    if change is None or previous is None:
        return ""
    since = f"since pulse #{previous.poll.number}"
    if change.formula_changed:
        return f"not compared with pulse #{previous.poll.number}: the formula changed since"
    if not change.comparable:
        return ""
    if change.points is None:
        return f"steady {since} ({change.covers_text()})"
    mostly = f"; mostly {change.mostly_text()}" if len(change.covers) > 1 else ""
    return f"{signed(change.points)} {since} ({change.covers_text()}{mostly})"


def points_trend_line(points: Sequence[TrendPoint]) -> str:
    """The trend line of these pulses, with `¦` where the formula changed between two of them."""
    return trend_line([p.score for p in points], breaks=set(formula_breaks(points)))


def participation_text(p: Participation) -> str:
    text = f"marketing {p.marketing} · IT {p.it} · other {p.other}"
    if p.pending:
        text += f" · {p.pending} waiting to pick a team"
    return text


def held_back_text(point: TrendPoint) -> str:
    """Why an open pulse with enough answers shows no figures yet (the differencing guard)."""
    p = point.result.participation
    return (
        f"Pulse #{point.poll.number} has marketing {p.marketing} and IT {p.it} answers; its "
        "figures appear when it closes, or earlier once many more people have answered. "
        "Showing them after every few answers would let anyone work out those few answers."
    )


def score_card(report: ScoreReport, *, channel_label: str, timezone: str) -> Card:
    """`/alignment`, section by section (each section is its own builder)."""
    where = channel_label or "this channel"
    if not report.points:
        return _no_pulse_card(where)
    current = report.current
    if current is None or current.score is None:
        headline, blocks = _withheld_section(report, where)
    else:
        headline, blocks = _current_section(report, current, where, timezone)
    blocks += [
        Text(points_trend_line(report.points)),
        *_perception_section(current),
        *_imperatives_section(report),
        _score_footer(report),
    ]
    return Card(summary=headline, blocks=tuple(blocks))


def _no_pulse_card(where: str) -> Card:
    text = (
        f"No pulse has run in {where} yet. A channel admin can start one with "
        f"`{command('pulse setup')}` (weekly) or `{command('pulse now')}` (right away)."
    )
    return Card(summary=text, blocks=(Heading(f"Alignment in {where}"), Text(text)))


def _withheld_section(report: ScoreReport, where: str) -> tuple[str, list[Block]]:
    """No score to show: not enough answers, or an open pulse held back by the guard."""
    latest = report.points[-1]
    counts = latest.result.participation
    withheld = not_enough_text(counts.marketing, counts.it, report.k)
    blocks: list[Block] = [Heading(f"Alignment in {where}")]
    if latest.held_back:
        blocks.append(Text(f"No score to show yet. {held_back_text(latest)}"))
        return f"Alignment in {where}: pulse #{latest.poll.number} is open", blocks
    blocks.append(
        Text(
            f"No score to show yet: {withheld}. "
            f"Figures appear once marketing and IT each have {report.k} answers."
        )
    )
    return f"Alignment in {where}: {withheld}", blocks


def _current_section(
    report: ScoreReport, current: TrendPoint, where: str, timezone: str
) -> tuple[str, list[Block]]:
    """The current score with its interval, its pulse and the like-for-like change."""
    assert current.score is not None
    so_far = " so far" if current.poll.is_open else ""
    if current.as_of is not None:
        so_far += (
            f" (from the first {current.as_of.marketing} marketing and "
            f"{current.as_of.it} IT answers)"
        )
    changed = change_text(report.judged_change, report.previous)
    change_part = f" ({changed})" if changed else ""
    shown = score_text(current.score) + interval_text(current.result.figures)
    poll = current.poll
    when = (
        f"pulse #{poll.number}, open until {format_local(poll.closes_at, timezone)}"
        if poll.is_open
        else f"pulse #{poll.number}, closed "
        f"{format_local(poll.closed_at or poll.closes_at, timezone)}"
    )
    blocks: list[Block] = [
        Heading(f"Alignment in {where}: {shown}{so_far}"),
        Text(f"**{shown}**{so_far} — {when}{change_part}."),
        *_open_pulse_section(report, current),
    ]
    return f"Alignment in {where}: {shown}{so_far}{change_part}", blocks


def _open_pulse_section(report: ScoreReport, current: TrendPoint) -> list[Block]:
    open_point = report.open_point
    if open_point is None or open_point is current:
        return []
    p = open_point.result.participation
    state = (
        held_back_text(open_point)
        if open_point.held_back
        else f"{not_enough_text(p.marketing, p.it, report.k)}."
    )
    return [Text(f"This week's pulse #{open_point.poll.number}: {state}")]


def _imperatives_section(report: ScoreReport) -> list[Block]:
    if not report.per_imperative:
        return []
    return [
        Facts(
            tuple(
                (IMPERATIVES[i].label, f"{score_text(score)} (pulse #{number})")
                for i, (score, number) in report.per_imperative.items()
            )
        )
    ]


def _perception_section(current: TrendPoint | None) -> list[Block]:
    """How each side reads the other, where the pulse shown carries the perception gap."""
    seen = perception_line(current.result.figures) if current is not None else None
    return [Text(seen)] if seen else []


def _score_footer(report: ScoreReport) -> Block:
    latest = report.points[-1]
    return Context(
        f"Answers in pulse #{latest.poll.number}: "
        f"{participation_text(latest.result.participation)}. "
        f"Figures need {report.k} per side. `{command('alignment explain')}` shows the formula."
    )


def explain_card(*, k: int) -> Card:
    """`/alignment explain`: the formula, how sure, the numbers, next steps and privacy."""
    return Card(
        summary=FORMULA_LINE,
        blocks=(
            Heading("How the alignment score works"),
            Text(f"**In one line:** {FORMULA_LINE}"),
            Text(EXPLAIN_FORMULA),
            Text(EXPLAIN_SURE),
            Text(EXPLAIN_NUMBERS),
            Text(EXPLAIN_NEXT_STEPS),
            Text(
                "**Imperatives:** trust belongs to imperative 5 (Build trust by trusting), priority "
                "to 2 (IT as strategic partner), lever agreement to 3 (Agree on the levers), and the "
                "rotating question to its own imperative; it cycles 1 → 5, one per pulse."
            ),
            Text(PERCEPTION_EXPLAINED),
            Text(
                f"**Privacy:** a figure is shown only when marketing and IT each gave at least {k} "
                "answers *to that question* in that pulse; people who answered other questions do "
                "not count towards it. Answers are stored under a keyed hash, never your user id, "
                f"and nobody — admins included — can see who answered what. "
                f"`{command('pulse forget-me')}` deletes your answers."
            ),
        ),
    )


EXPLAIN_FORMULA = (
    "Each answer from 1 to 5 becomes a level from 0 to 1 (1 → 0, 3 → 0.5, 5 → 1). For **trust**, "
    "**priority** and the **rotating question** the component is the lower of the two sides' "
    "average levels: the level both sides reach. It rises only when the side further behind moves "
    "up; the other side's excess earns nothing, so caring less never raises it. For the **lever** "
    "question, agreement is the share of choices the two sides have in common, divided by the share "
    "two sides of these sizes wanting exactly the same thing would have in common by chance (at "
    "most 100%). The score is the mean of the four components × 100, rounded half up, shown as "
    "`NN/100`; a component is left out when either side has fewer than the required answers to it."
)
EXPLAIN_SURE = (
    "**How sure:** with a handful of people a side, the score moves by chance alone. "
    "`56/100 (48–63)` means a 90% range: resampling who answered in each side gives scores in "
    "that range nine times out of ten. A change since the last pulse is shown as a number only "
    "when it is larger than chance at that level; otherwise it reads **steady**. It compares like "
    "with like — trust, priority and the rotating question when the same one was asked — and names "
    "the part that moved most. Lever agreement is left out of that comparison: it is too noisy "
    "week to week. Results keep the formula they were published with; `¦` in a trend marks where "
    "the formula changed."
)
EXPLAIN_NUMBERS = (
    "**The numbers:** levels are average answers on the 1–5 scale, printed to one decimal "
    "(rounded half up); a **gap** is marketing's printed level minus IT's, so the printed numbers "
    "always add up, and it always says which side is lower. Percentages round half up, and one "
    "side's lever shares add up to 100%. Comparisons with the study show the count (“3 of 7”) and "
    "a 95% range: the study asked executives once, in other words; we ask the team every week."
)
EXPLAIN_NEXT_STEPS = (
    "**Next steps:** each summary suggests one, chosen by rules that look at the gap between the "
    "sides as well as the lower side's level — or says in one line why none is needed. The same "
    "suggestion is not repeated within four weeks. A gap a point or wider for three pulses in a "
    "row escalates to a stronger suggestion. The next summary follows it up against a "
    "**baseline**: the mean of up to three pulses before the suggestion, not the one extreme "
    "pulse that triggered it, and says “narrowed” or “widened” only beyond chance."
)
