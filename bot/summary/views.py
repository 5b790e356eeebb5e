"""The trend summary posted when a pulse closes: score and change first, then the widest gap and
the one next step, then the detail (levels, levers, the study, the chart) for those who want it."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from bot.actions.model import ActionReport
from bot.actions.views import action_buttons, action_line
from bot.cards import (
    Attachment,
    Block,
    Card,
    Chart,
    Context,
    Facts,
    Heading,
    Panel,
    Series,
    Text,
)
from bot.domain import Poll, Side
from bot.formatting import (
    gap_text,
    levels_text,
    number,
    percent,
    plural,
    printed_change,
    printed_gap,
    score_text,
)
from bot.nudges.metrics import METRICS, Metric
from bot.nudges.service import FollowUp, NoStep, Nudge
from bot.privacy import not_enough_text
from bot.questions import QuestionSet
from bot.score.scoring import Figures, PollResult
from bot.score.trends import ScoreReport, SincePrevious, TrendPoint
from bot.score.uncertainty import Change
from bot.score.views import change_text, interval_text, participation_text, points_trend_line
from bot.summary.charts import FILENAME
from bot.summary.charts import Chart as ChartFigures
from bot.summary.perception_view import perception_blocks
from bot.summary.readings import SideLevels, lever_rows, likert_levels, widest_gap
from bot.summary.study import STUDY, Comparison, comparison_text, study_caveat

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
    #: why there is no next step, when `nudge` is None
    no_step: NoStep | None = None
    #: the action the next step's buttons act on (None: no buttons)
    action_id: int | None = None
    #: the channel's actions taken on in the last four weeks, with their follow-ups
    actions: tuple[ActionReport, ...] = ()

    @property
    def since(self) -> SincePrevious:
        """The latest published pulse before this one, and the change since."""
        return ScoreReport(self.k, self.series).since(TrendPoint(self.poll, self.result))

    @property
    def previous(self) -> TrendPoint | None:
        return self.since.previous

    @property
    def change(self) -> int | None:
        return self.since.change

    @property
    def judged_change(self) -> Change | None:
        """The like-for-like change since the previous pulse, judged against chance."""
        return self.since.judged


def _where(summary: Summary) -> str:
    return f" in {summary.channel_label}" if summary.channel_label else ""


def _change(summary: Summary) -> str:
    prev = summary.previous
    if prev is None:
        return "first score"
    return change_text(summary.judged_change, prev)


def summary_card(summary: Summary, *, chart: ChartFigures | None) -> Card:
    """The summary of a pulse that met the privacy threshold, section by section (each section
    is its own builder, so a new section is one more line here)."""
    headline = _headline(summary)
    blocks: list[Block] = [
        Heading(headline),
        *_trend_section(summary),
        *_where_you_stand_section(summary),
        *_perception_section(summary),
        *_next_step_section(summary),
        *_follow_up_section(summary),
        *_actions_section(summary),
        *_levels_section(summary),
        *_levers_section(summary),
        *_study_section(summary),
        *_chart_section(chart),
        *_separability_section(summary),
        _footer(summary),
    ]
    attachments: tuple[Attachment, ...] = ()
    if chart is not None and chart.png is not None:
        attachments = (
            Attachment(FILENAME, chart.png, "image/png", title=chart.title, alt=chart.alt),
        )
    summary_text = headline
    if summary.nudge is not None:
        summary_text += f". Next step: {summary.nudge.short}"
    return Card(summary=summary_text, blocks=tuple(blocks), attachments=attachments)


def _figures(summary: Summary) -> Figures:
    figures = summary.result.figures
    assert figures is not None and figures.score is not None
    return figures


def _headline(summary: Summary) -> str:
    figures = _figures(summary)
    assert figures.score is not None
    change = _change(summary)
    shown = score_text(figures.score) + interval_text(figures)
    return f"Pulse #{summary.poll.number}{_where(summary)}: {shown}" + (
        f" ({change})" if change else ""
    )


def _rows(summary: Summary) -> list[SideLevels]:
    return likert_levels(_figures(summary), summary.qset, summary.poll.number)


def _trend_section(summary: Summary) -> list[Block]:
    return [
        Text(
            f"{points_trend_line(summary.series)} · "
            f"answers: {participation_text(summary.result.participation)}"
        )
    ]


def _where_you_stand_section(summary: Summary) -> list[Block]:
    widest = widest_gap(_rows(summary))
    return [] if widest is None else [Text(f"**Where you stand:** {_gap_sentence(widest)}")]


def _perception_section(summary: Summary) -> list[Block]:
    prev = summary.previous
    before = (prev.poll.number, prev.result.figures) if prev is not None else None
    return perception_blocks(summary.result, summary.qset, summary.poll.number, previous=before)


def _next_step_section(summary: Summary) -> list[Block]:
    if summary.nudge is not None:
        buttons = [] if summary.action_id is None else [action_buttons(summary.action_id)]
        return nudge_blocks(summary.nudge) + buttons
    if summary.no_step is not None:
        return [Text(f"**Next step:** {no_step_text(summary.no_step)}")]
    return []


def _follow_up_section(summary: Summary) -> list[Block]:
    return [] if summary.follow_up is None else [Context(follow_up_text(summary.follow_up))]


def _actions_section(summary: Summary) -> list[Block]:
    if not summary.actions:
        return []
    return [Text("**Actions:**\n" + "\n".join(_action_lines(summary.actions)))]


def _levels_section(summary: Summary) -> list[Block]:
    rows, result = _rows(summary), summary.result
    held = result.withheld(summary.qset.for_poll(summary.poll.number))
    if not rows and not held:
        return []
    return [
        Facts(
            tuple(_level_fact(r, rotating=r.question.role == "rotating") for r in rows)
            + tuple((q.short, result.not_enough(q.id)) for q in held)
        )
    ]


def _levers_section(summary: Summary) -> list[Block]:
    figures = _figures(summary)
    levers = lever_rows(figures, summary.qset)
    if not levers:
        return []
    agreement = figures.components.get("lever")
    agreed = f" (agreement {percent(agreement)})" if agreement is not None else ""
    return [
        Text(f"**Levers** each side wants to work on next{agreed}:"),
        Facts(tuple((r.label, f"Marketing {r.marketing_pct}% · IT {r.it_pct}%") for r in levers)),
    ]


def _study_section(summary: Summary) -> list[Block]:
    if not summary.comparisons:
        return []
    return [
        Text("**Against the study** (share answering 4–5 this week, with its 95% range):"),
        Facts(tuple((c.benchmark.label, comparison_text(c)) for c in summary.comparisons)),
        Context(study_caveat(summary.comparisons)),
    ]


def _chart_section(chart: ChartFigures | None) -> list[Block]:
    return [] if chart is None else [chart_block(chart)]


def _separability_section(summary: Summary) -> list[Block]:
    if not summary.not_separable:
        return []
    return [
        Context(
            f"Note: fewer than {summary.k} people's answers differ between these final "
            "figures and this pulse's last “so far” figures (answers were withdrawn or "
            "changed back), so comparing the two says more than usual about those people."
        )
    ]


def _footer(summary: Summary) -> Block:
    return Context(
        "Levels are average answers from 1 (strongly disagree) to 5 (strongly agree); gaps "
        f"are in points on that scale. Figures need {summary.k} answers per side, and nobody "
        f"can see who answered what. Study: {STUDY}."
    )


def chart_block(chart: ChartFigures) -> Chart:
    """The trend as a neutral chart: the score (with its interval where pulses have one) and
    each side's average answer, by pulse; the PNG, where drawn, is its picture."""
    points = chart.points
    score = Series(
        "Score",
        tuple(p.score for p in points),
        low=tuple(p.low for p in points) if any(p.low is not None for p in points) else (),
        high=tuple(p.high for p in points) if any(p.high is not None for p in points) else (),
    )
    sides = (
        Series("Marketing", tuple(p.marketing for p in points)),
        Series("IT", tuple(p.it for p in points)),
    )
    return Chart(
        title=chart.title,
        categories=tuple(f"#{p.number}" for p in points),
        panels=(
            Panel(f"Alignment score, last {plural(len(points), 'pulse')}", "Score", (score,)),
            Panel("Average answer per side (1–5)", "Average answer", sides),
        ),
        alt=chart.alt,
        x_label="Pulse",
        image=f"attachment:{FILENAME}" if chart.png is not None else "",
    )


def _gap_sentence(row: SideLevels) -> str:
    name = row.question.short
    gap = printed_gap(row.marketing, row.it)
    if abs(gap) < Decimal(str(NO_GAP)):
        return f"marketing and IT answer alike: no gap is wider than {NO_GAP:.1f} points."
    return (
        f"the widest gap is on **{name}**: marketing {number(row.marketing)}, "
        f"IT {number(row.it)} — {gap_text(row.marketing, row.it)}."
    )


def _level_fact(row: SideLevels, *, rotating: bool) -> tuple[str, str]:
    label = row.question.short + (
        f" (imperative {row.question.imperative}, this week's rotating question)"
        if rotating
        else ""
    )
    return label, levels_text(row.marketing, row.it)


def nudge_blocks(nudge: Nudge) -> list[Block]:
    """A next step and why it was chosen (an escalation says so)."""
    stronger = "Stronger next step" if nudge.escalation is not None else "Next step"
    return [
        Text(f"**{stronger} — imperative {nudge.imperative.label}:** {nudge.action}"),
        Context(f"Why this one: {_why(nudge)}."),
    ]


def no_step_text(why: NoStep) -> str:
    """One line saying why a summary carries no next step."""
    held = why.held
    if why.kind == "repeat" and held is not None:
        since = f"pulse #{why.given_in}" if why.given_in else "a recent pulse"
        return (
            f"none new this week — the {_why(held)}, and {since} already suggested: "
            f"“{held.short}” Give it time; a nudge is not repeated within four weeks."
        )
    return (
        "none needed this week — no gap is a point or wider, no side's answer is at 3.0 or "
        "below, and the levers agree."
    )


def _action_lines(reports: tuple[ActionReport, ...]) -> list[str]:
    return ["• " + action_line(r, judged=_judged(r)) for r in reports]


def _judged(report: ActionReport) -> str | None:
    if report.followed_above:
        return "its effect: see the last nudge's follow-up above"
    return judgement(report.follow_up) if report.follow_up else None


def _why(nudge: Nudge) -> str:
    metric = METRICS[nudge.rule.metric]
    if nudge.rule.positive:
        return f"every component is at {percent(nudge.value)} or more, and every gap is narrow"
    value = _value(metric, abs(nudge.value) if metric.unit == "points" else nudge.value)
    limit = _value(
        metric, abs(nudge.rule.threshold) if metric.unit == "points" else nudge.rule.threshold
    )
    direction = "at or above" if metric.better == "lower" else "at or below"
    persistent = nudge.escalation
    if persistent is not None:
        pulses = ", ".join(f"#{n}" for n in persistent.pulses)
        side = "IT" if persistent.lower is Side.IT else "marketing"
        return (
            f"{metric.label} {value}, {direction} {limit} for the third pulse running "
            f"({pulses}), {side} lower each time"
        )
    return f"{metric.label} {value}, {direction} {limit}"


def _value(metric: Metric, value: float) -> str:
    if metric.unit == "points":
        return f"{number(value)} points"
    if metric.unit == "share":
        return percent(value)
    return number(value)


def follow_up_text(f: FollowUp) -> str:
    """Whether the measure the last nudge targeted moved the right way, and by how much. The
    printed change is the difference of the printed values, so the line always adds up."""
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
    base = (
        f"the mean of the {f.baseline_pulses} pulses before the nudge"
        if f.baseline_pulses > 1
        else ("the pulse before the nudge" if f.baseline_pulses else "the nudge's own pulse")
    )
    if metric.unit == "share":
        start, end, moved = percent(before), percent(after), ""
        same = start == end
    else:
        start, end, delta = printed_change(before, after)
        moved, same = f" ({delta})", start == end
    unit = " points" if metric.unit == "points" else ""
    if not f.clear or same:
        return head + (
            f"no clear change yet: the {metric.label} is {end}{unit} against "
            f"{start}{unit} in {base}, within what chance alone moves it."
        )
    improved = (after < before) == (metric.better == "lower")
    verb = (
        ("narrowed" if improved else "widened")
        if metric.unit == "points"
        else ("rose" if after > before else "fell")
    )
    return (
        head
        + f"the {metric.label} {verb} from {start} to {end}{unit}{moved}"
        + (" — good progress." if improved else ".")
        + f" Compared with {base}, beyond chance."
    )


def withheld_card(summary: Summary) -> Card:
    """The summary of a pulse below the privacy threshold: counts and how to get figures."""
    p, k, poll = summary.result.participation, summary.k, summary.poll
    # docs/design.md's one wording for withheld figures, everywhere; n is counted per question
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
