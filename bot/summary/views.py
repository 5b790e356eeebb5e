"""The trend summary posted when a pulse closes: score and change first, then the widest gap and
the one next step, then the detail (levels, levers, the study, the chart) for those who want it."""

from __future__ import annotations

from dataclasses import dataclass

from bot.actions.model import ActionReport
from bot.actions.views import action_buttons, action_line
from bot.cards import Attachment, Block, Card, Context, Facts, Heading, Image, Text
from bot.domain import Poll, Side
from bot.formatting import percent, plural, score_text, signed
from bot.nudges.metrics import METRICS, Metric
from bot.nudges.rules import ESCALATE_AFTER
from bot.nudges.service import FollowUp, Nudge
from bot.privacy import not_enough_text
from bot.questions import QuestionSet
from bot.score.scoring import PollResult
from bot.score.trends import TrendPoint
from bot.score.uncertainty import Change, change_between
from bot.score.views import change_text, interval_text, participation_text, points_trend_line
from bot.summary.charts import FILENAME, Chart
from bot.summary.readings import SideLevels, lever_rows, likert_levels, widest_gap
from bot.summary.study import STUDY, Comparison

#: a gap below this many points reads as "no real gap"
NO_GAP = 0.25


@dataclass(frozen=True, slots=True)
class Summary:
    """Everything one summary shows; figures only when `result` met the threshold."""

    poll: Poll
    #: as the platform writes it (see Deps.channel_label)
    channel_label: str
    k: int
    qset: QuestionSet
    result: PollResult
    #: the channel's closed pulses up to and including this one, oldest first (at most 12)
    series: tuple[TrendPoint, ...]
    nudge: Nudge | None = None
    follow_up: FollowUp | None = None
    comparisons: tuple[Comparison, ...] = ()
    #: the final figures could be compared with "so far" figures of fewer than k people
    not_separable: bool = False
    #: the action the next step's buttons act on (None: no buttons)
    action_id: int | None = None
    #: the channel's actions taken on in the last four weeks, with their follow-ups
    actions: tuple[ActionReport, ...] = ()

    @property
    def previous(self) -> TrendPoint | None:
        """The latest published pulse before this one."""
        earlier = [p for p in self.series if p.published and p.poll.number < self.poll.number]
        return earlier[-1] if earlier else None

    @property
    def change(self) -> int | None:
        prev = self.previous
        if prev is None or prev.score is None or self.result.score is None:
            return None
        return self.result.score - prev.score

    @property
    def judged_change(self) -> Change | None:
        """The like-for-like change since the previous pulse, judged against chance."""
        prev = self.previous
        before, after = (prev.result.figures if prev else None), self.result.figures
        if before is None or after is None or before.score is None or after.score is None:
            return None
        return change_between(before, after)


def _where(summary: Summary) -> str:
    return f" in {summary.channel_label}" if summary.channel_label else ""


def _change(summary: Summary) -> str:
    prev = summary.previous
    if prev is None:
        return "first score"
    return change_text(summary.judged_change, prev)


def summary_card(summary: Summary, *, chart: Chart | None) -> Card:
    """The summary of a pulse that met the privacy threshold."""
    result, poll = summary.result, summary.poll
    figures = result.figures
    assert figures is not None and figures.score is not None
    change = _change(summary)
    shown = score_text(figures.score) + interval_text(figures)
    headline = f"Pulse #{poll.number}{_where(summary)}: {shown}" + (
        f" ({change})" if change else ""
    )
    rows = likert_levels(figures, summary.qset, poll.number)
    blocks: list[Block] = [
        Heading(headline),
        Text(
            f"{points_trend_line(summary.series)} · "
            f"answers: {participation_text(result.participation)}"
        ),
    ]
    widest = widest_gap(rows)
    if widest is not None:
        blocks.append(Text(f"**Where you stand:** {_gap_sentence(widest)}"))
    if summary.nudge is not None:
        blocks += nudge_blocks(summary.nudge)
        if summary.action_id is not None:
            blocks.append(action_buttons(summary.action_id))
    if summary.follow_up is not None:
        blocks.append(Context(follow_up_text(summary.follow_up)))
    if summary.actions:
        blocks.append(Text("**Actions:**\n" + "\n".join(_action_lines(summary.actions))))
    held = result.withheld(summary.qset.for_poll(poll.number))
    if rows or held:
        blocks.append(
            Facts(
                tuple(_level_fact(r, rotating=r.question.role == "rotating") for r in rows)
                + tuple((q.short, result.not_enough(q.id)) for q in held)
            )
        )
    levers = lever_rows(figures, summary.qset)
    if levers:
        agreement = figures.components.get("lever")
        agreed = f" (agreement {percent(agreement)})" if agreement is not None else ""
        blocks.append(Text(f"**Levers** each side wants to work on next{agreed}:"))
        blocks.append(
            Facts(
                tuple(
                    (r.label, f"Marketing {percent(r.marketing)} · IT {percent(r.it)}")
                    for r in levers
                )
            )
        )
    if summary.comparisons:
        blocks.append(Text("**Against the study** (share answering 4–5 this week):"))
        blocks.append(
            Facts(
                tuple(
                    (c.benchmark.label, f"{percent(c.share)} here, {c.benchmark.study_text}")
                    for c in summary.comparisons
                )
            )
        )
    attachments: tuple[Attachment, ...] = ()
    if chart is not None:
        blocks.append(Image(url=f"attachment:{FILENAME}", alt=chart.alt, title=chart.title))
        attachments = (
            Attachment(FILENAME, chart.png, "image/png", title=chart.title, alt=chart.alt),
        )
    if summary.not_separable:
        blocks.append(
            Context(
                f"Note: fewer than {summary.k} people's answers differ between these final "
                "figures and this pulse's last “so far” figures (answers were withdrawn or "
                "changed back), so comparing the two says more than usual about those people."
            )
        )
    blocks.append(
        Context(
            "Levels are average answers from 1 (strongly disagree) to 5 (strongly agree); gaps "
            f"are in points on that scale. Figures need {summary.k} answers per side, and nobody "
            f"can see who answered what. Study: {STUDY}."
        )
    )
    summary_text = headline
    if summary.nudge is not None:
        summary_text += f". Next step: {summary.nudge.short}"
    return Card(summary=summary_text, blocks=tuple(blocks), attachments=attachments)


def _gap_sentence(row: SideLevels) -> str:
    name = row.question.short
    if abs(row.gap) < NO_GAP:
        return f"marketing and IT answer alike: no gap is wider than {NO_GAP:.2f} points."
    lower = "IT" if row.gap > 0 else "marketing"
    return (
        f"the widest gap is on **{name}**: marketing {row.marketing:.1f}, IT {row.it:.1f} "
        f"— {abs(row.gap):.1f} points, {lower} lower."
    )


def _level_fact(row: SideLevels, *, rotating: bool) -> tuple[str, str]:
    label = row.question.short + (
        f" (imperative {row.question.imperative}, this week's rotating question)"
        if rotating
        else ""
    )
    return (
        label,
        f"Marketing {row.marketing:.1f} · IT {row.it:.1f} · gap {abs(row.gap):.1f}",
    )


def nudge_blocks(nudge: Nudge) -> list[Block]:
    """A next step and why it was chosen (an escalation says so)."""
    stronger = " (escalated)" if nudge.rule.escalates else ""
    return [
        Text(f"**Next step{stronger} — imperative {nudge.imperative.label}:** {nudge.action}"),
        Context(f"Why this one: {_why(nudge)}."),
    ]


def _action_lines(reports: tuple[ActionReport, ...]) -> list[str]:
    return ["• " + action_line(r, judged=_judged(r)) for r in reports]


def _judged(report: ActionReport) -> str | None:
    if report.followed_above:
        return "its effect: see the last nudge's follow-up above"
    return judgement(report.follow_up) if report.follow_up else None


def _why(nudge: Nudge) -> str:
    metric = METRICS[nudge.rule.metric]
    if nudge.rule.positive:
        return f"every component is at {percent(nudge.value)} or more"
    value = _value(metric, abs(nudge.value) if metric.unit == "points" else nudge.value)
    limit = _value(
        metric, abs(nudge.rule.threshold) if metric.unit == "points" else nudge.rule.threshold
    )
    direction = "at or above" if metric.better == "lower" else "at or below"
    wide = f", for {ESCALATE_AFTER} pulses in a row" if nudge.rule.escalates else ""
    return f"{metric.label} {value}, {direction} {limit}{wide}"


def _value(metric: Metric, value: float) -> str:
    if metric.unit == "points":
        return f"{value:.1f} points"
    if metric.unit == "share":
        return percent(value)
    return f"{value:.1f}"


def follow_up_text(f: FollowUp) -> str:
    """Whether the measure the last nudge targeted moved the right way, and by how much."""
    where = f" (pulse #{f.given_in})" if f.given_in else ""
    return f"Last nudge{where}, imperative {f.imperative.label}: " + judgement(f)


def judgement(f: FollowUp) -> str:
    """How a nudge's measure moved against its baseline: "no clear change yet" unless the move
    is larger than chance."""
    head = ""
    metric = f.metric
    if f.after is None:
        later = f" in pulse #{f.returns_in}" if f.returns_in else " when it is asked again"
        return head + f"the {metric.label} is measured again{later}."
    before, after = f.before, f.after
    if metric.unit == "points":  # a gap: its size is what matters, not which side leads
        before, after = abs(before), abs(after)
    delta = after - before
    start = f"{before:.1f}" if metric.unit == "points" else _value(metric, before)
    base = (
        f"the mean of the {plural(f.baseline_pulses, 'pulse')} before the nudge"
        if f.baseline_pulses
        else "the nudge's own pulse"
    )
    if not f.clear:
        return head + (
            f"no clear change yet: the {metric.label} is {_value(metric, after)} against "
            f"{start} in {base}, within what chance alone moves it."
        )
    improved = (delta < 0) == (metric.better == "lower")
    verb = (
        ("narrowed" if improved else "widened")
        if metric.unit == "points"
        else ("rose" if delta > 0 else "fell")
    )
    amount = "" if metric.unit == "share" else f" ({signed(delta, digits=1)})"
    return (
        head + f"the {metric.label} {verb} from {start} to "
        f"{_value(metric, after)}{amount}"
        + (" — good progress." if improved else ".")
        + f" Compared with {base}, beyond chance."
    )


def withheld_card(summary: Summary) -> Card:
    """The summary of a pulse below the privacy threshold: counts and how to get figures."""
    p, k, poll = summary.result.participation, summary.k, summary.poll
    # DESIGN.md's one wording for withheld figures, everywhere; n is counted per question
    n_m, n_it = summary.result.closest()
    headline = f"Pulse #{poll.number}{_where(summary)} closed: {not_enough_text(n_m, n_it, k)}"
    missing = [
        f"{k - n} more {'IT' if s is Side.IT else 'marketing'} "
        f"{'colleague' if k - n == 1 else 'colleagues'}"
        for s, n in ((Side.MARKETING, n_m), (Side.IT, n_it))
        if n < k
    ] or ["everyone"]
    blocks: list[Block] = [
        Heading(headline),
        Text(
            f"Marketing {p.marketing} and IT {p.it} answered; figures need {k} per side, "
            f"counted per question, so this week has no score. "
            f"Answers: {participation_text(p)}."
        ),
        Text(
            f"**Next step:** ask {' and '.join(missing)} to answer the next pulse. "
            "It takes a minute, and nobody can see who answered what."
        ),
    ]
    prev = summary.previous
    if prev is not None and prev.score is not None:
        blocks.append(
            Context(
                f"Latest score: {score_text(prev.score)} (pulse #{prev.poll.number}). "
                f"{points_trend_line(summary.series)}."
            )
        )
    return Card(summary=headline, blocks=tuple(blocks))
