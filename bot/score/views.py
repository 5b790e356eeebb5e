"""`/alignment`: the channel's score, trend and imperatives; `/alignment explain`: the formula."""

from __future__ import annotations

from collections.abc import Sequence

from bot.cards import Block, Card, Context, Facts, Heading, Text
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


def score_card(report: ScoreReport, *, channel_label: str, timezone: str, prefix: str) -> Card:
    where = channel_label or "this channel"
    if not report.points:
        text = (
            f"No pulse has run in {where} yet. A channel admin can start one with "
            f"`{prefix}pulse setup` (weekly) or `{prefix}pulse now` (right away)."
        )
        return Card(summary=text, blocks=(Heading(f"Alignment in {where}"), Text(text)))

    current, open_point = report.current, report.open_point
    blocks: list[Block] = []
    if current is None or current.score is None:
        latest = report.points[-1]
        counts = latest.result.participation
        withheld = not_enough_text(counts.marketing, counts.it, report.k)
        headline = f"Alignment in {where}: {withheld}"
        blocks.append(Heading(f"Alignment in {where}"))
        if latest.held_back:
            headline = f"Alignment in {where}: pulse #{latest.poll.number} is open"
            blocks.append(Text(f"No score to show yet. {held_back_text(latest)}"))
        else:
            blocks.append(
                Text(
                    f"No score to show yet: {withheld}. "
                    f"Figures appear once marketing and IT each have {report.k} answers."
                )
            )
    else:
        so_far = " so far" if current.poll.is_open else ""
        if current.as_of is not None:
            so_far += (
                f" (from the first {current.as_of.marketing} marketing and "
                f"{current.as_of.it} IT answers)"
            )
        changed = change_text(report.judged_change, report.previous)
        change_part = f" ({changed})" if changed else ""
        shown = score_text(current.score) + interval_text(current.result.figures)
        headline = f"Alignment in {where}: {shown}{so_far}{change_part}"
        blocks.append(Heading(f"Alignment in {where}: {shown}{so_far}"))
        when = (
            f"pulse #{current.poll.number}, open until "
            f"{format_local(current.poll.closes_at, timezone)}"
            if current.poll.is_open
            else f"pulse #{current.poll.number}, closed "
            f"{format_local(current.poll.closed_at or current.poll.closes_at, timezone)}"
        )
        blocks.append(Text(f"**{shown}**{so_far} — {when}{change_part}."))
        if open_point is not None and open_point is not current:
            p = open_point.result.participation
            blocks.append(
                Text(
                    f"This week's pulse #{open_point.poll.number}: "
                    + (
                        held_back_text(open_point)
                        if open_point.held_back
                        else f"{not_enough_text(p.marketing, p.it, report.k)}."
                    )
                )
            )
    blocks.append(Text(points_trend_line(report.points)))
    if current is not None and (seen := perception_line(current.result.figures)):
        blocks.append(Text(seen))
    if report.per_imperative:
        blocks.append(
            Facts(
                tuple(
                    (IMPERATIVES[i].label, f"{score_text(score)} (pulse #{number})")
                    for i, (score, number) in report.per_imperative.items()
                )
            )
        )
    latest = report.points[-1]
    blocks.append(
        Context(
            f"Answers in pulse #{latest.poll.number}: {participation_text(latest.result.participation)}. "
            f"Figures need {report.k} per side. `{prefix}alignment explain` shows the formula."
        )
    )
    return Card(summary=headline, blocks=tuple(blocks))


def explain_card(*, k: int, prefix: str = "/") -> Card:
    return Card(
        summary=FORMULA_LINE,
        blocks=(
            Heading("How the alignment score works"),
            Text(f"**In one line:** {FORMULA_LINE}"),
            Text(
                "Each answer from 1 to 5 becomes a level from 0 to 1 (1 → 0, 3 → 0.5, 5 → 1). "
                "For **trust**, **priority** and the **rotating question** the component is the "
                "lower of the two sides' average levels: the level both sides reach. It rises only "
                "when the side further behind moves up; the other side's excess earns nothing, so "
                "caring less never raises it. For the **lever** question, agreement is the share "
                "of choices the two sides have in common, divided by the share two sides of these "
                "sizes wanting exactly the same thing would have in common by chance (at most "
                "100%). The score is the mean of the four components × 100, rounded half up, shown "
                "as `NN/100`; a component is left out when one side gave no answer to it."
            ),
            Text(
                "**How sure:** with a handful of people a side, the score moves by chance alone. "
                "`56/100 (48–63)` means a 90% range: resampling who answered in each side gives "
                "scores in that range nine times out of ten. A change since the last pulse is shown "
                "as a number only when it is larger than chance at that level; otherwise it reads "
                "**steady**. It compares like with like — trust, priority and the rotating question "
                "when the same one was asked — and names the part that moved most. Lever agreement "
                "is left out of that comparison: it is too noisy week to week. Results keep the "
                "formula they were published with; `¦` in a trend marks where the formula changed."
            ),
            Text(
                "**Imperatives:** trust belongs to imperative 5 (Build trust by trusting), priority "
                "to 2 (IT as strategic partner), lever agreement to 3 (Agree on the levers), and the "
                "rotating question to its own imperative; it cycles 1 → 5, one per pulse. The **gap** "
                "on a question is marketing's average minus IT's, in points of the 1–5 scale."
            ),
            Text(PERCEPTION_EXPLAINED),
            Text(
                f"**Privacy:** no score, gap or per-side figure is shown until marketing and IT "
                f"each have at least {k} people answering in that pulse. Answers are stored under a "
                "keyed hash, never your user id, and nobody — admins included — can see who "
                f"answered what. `{prefix}pulse forget-me` deletes your answers."
            ),
        ),
    )
