"""`/alignment`: the channel's score, trend and imperatives; `/alignment explain`: the formula."""

from __future__ import annotations

from bot.channels.cadence import format_local
from bot.cards import Block, Card, Context, Facts, Heading, Text
from bot.formatting import score_text, signed, trend_line
from bot.imperatives import IMPERATIVES
from bot.privacy import not_enough_text
from bot.score.scoring import Participation
from bot.score.trends import ScoreReport, TrendPoint

FORMULA_LINE = (
    "Score = 100 × the mean of four components: for trust, priority and the rotating "
    "question, (average of both sides' levels) × (1 − the gap between them); for the "
    "lever question, the overlap of the two sides' choices."
)


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
        change = report.change
        change_text = (
            f" ({signed(change)} since pulse #{report.previous.poll.number})"
            if (change is not None and report.previous)
            else ""
        )
        headline = f"Alignment in {where}: {score_text(current.score)}{so_far}{change_text}"
        blocks.append(Heading(f"Alignment in {where}: {score_text(current.score)}{so_far}"))
        when = (
            f"pulse #{current.poll.number}, open until "
            f"{format_local(current.poll.closes_at, timezone)}"
            if current.poll.is_open
            else f"pulse #{current.poll.number}, closed "
            f"{format_local(current.poll.closed_at or current.poll.closes_at, timezone)}"
        )
        blocks.append(Text(f"**{score_text(current.score)}**{so_far} — {when}{change_text}."))
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
    scores = report.scores
    blocks.append(Text(trend_line(scores)))
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
                "For **trust**, **priority** and the **rotating question** we average each side's "
                "levels, then multiply the average of the two sides by one minus the distance "
                "between them, so a component is high only when both sides are positive _and_ "
                "agree. For the **lever** question, agreement is the share of choices the two sides "
                "have in common (100% when both pick the levers in the same proportions). The score "
                "is the mean of the four components × 100, rounded half up, shown as `NN/100`; a "
                "component is left out when one side gave no answer to it."
            ),
            Text(
                "**Imperatives:** trust belongs to imperative 5 (Build trust by trusting), priority "
                "to 2 (IT as strategic partner), lever agreement to 3 (Agree on the levers), and the "
                "rotating question to its own imperative; it cycles 1 → 5, one per pulse. The **gap** "
                "on a question is marketing's average minus IT's, in points of the 1–5 scale."
            ),
            Text(
                f"**Privacy:** no score, gap or per-side figure is shown until marketing and IT "
                f"each have at least {k} people answering in that pulse. Answers are stored under a "
                "keyed hash, never your user id, and nobody — admins included — can see who "
                f"answered what. `{prefix}pulse forget-me` deletes your answers."
            ),
        ),
    )
