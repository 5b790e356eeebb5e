"""Nudges: at most one suggestion per summary, chosen by the rules in `nudge_rules`, never the
same one twice in a channel within four weeks, and a follow-up on the previous one."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Literal

from bot.domain import Poll, Side
from bot.imperatives import IMPERATIVES, Imperative, rotating_imperative
from bot.nudges.escalation import Escalation, escalated
from bot.nudges.metrics import METRICS, Metric, rotating_metric_imperative, widest_gap_size
from bot.nudges.rules import REPEAT_DAYS, RULES, NudgeRule
from bot.ports import NudgeRecord, NudgeStore
from bot.questions import QuestionSet
from bot.score.perception import misreading_vars
from bot.score.scoring import Figures
from bot.score.uncertainty import beyond_chance, metric_se
from bot.summary.readings import levels_of, top_lever

if TYPE_CHECKING:
    from bot.context import Deps

RULES_BY_ID = {r.id: r for r in RULES}


@dataclass(frozen=True, slots=True)
class Nudge:
    rule: NudgeRule
    #: the value of the rule's metric that made it fire
    value: float
    #: how far past its threshold, as a share of the metric's range (positive rules: −1)
    severity: float
    action: str
    short: str
    #: the pulse whose figures it was chosen for (the digest names it)
    pulse: int | None = None
    #: the persistent gap it answers (escalation rules only)
    escalation: Escalation | None = None

    @property
    def imperative(self) -> Imperative:
        return IMPERATIVES[self.rule.imperative]


@dataclass(frozen=True, slots=True)
class NoStep:
    """Why a summary that meets k carries no next step: `repeat` — what needs work already got
    its nudge within four weeks (`held`: that nudge, worded for this pulse; `given_in`: its
    pulse); `fine` — no rule fires (nothing is wide or low)."""

    kind: Literal["repeat", "fine"]
    held: Nudge | None = None
    given_in: int | None = None


@dataclass(frozen=True, slots=True)
class FollowUp:
    """How the measure a previous nudge targeted moved since it was given."""

    rule: NudgeRule
    metric: Metric
    given_in: int | None
    before: float
    after: float | None
    #: when the measure is a rotating question not asked this time: the pulse that asks it next
    returns_in: int | None
    #: how many pulses before the nudge `before` is the mean of (0: only the nudge's own value)
    baseline_pulses: int = 0
    #: the move from `before` to `after` is larger than chance at the 90% level
    clear: bool = False

    @property
    def imperative(self) -> Imperative:
        return IMPERATIVES[self.rule.imperative]


def _name(side: Side) -> str:
    return "marketing" if side is Side.MARKETING else "IT"


class _Vars(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return "the other team"


def _vars(figures: Figures, qset: QuestionSet, poll_number: int) -> _Vars:
    trust = levels_of(figures, qset, poll_number, qset.by_role("trust").id)
    higher, lower = (
        (Side.MARKETING, Side.IT) if trust is None or trust.gap >= 0 else (Side.IT, Side.MARKETING)
    )
    item = next(
        (
            levels_of(figures, qset, poll_number, q.id)
            for q in qset.for_poll(poll_number)
            if q.role == "rotating"
        ),
        None,
    )
    item_higher, item_lower = (
        (Side.MARKETING, Side.IT) if item is None or item.gap >= 0 else (Side.IT, Side.MARKETING)
    )
    lever_m = top_lever(figures, qset, Side.MARKETING) or "no lever yet"
    lever_it = top_lever(figures, qset, Side.IT) or "no lever yet"
    return _Vars(
        Higher=higher.label,
        higher=_name(higher),
        Lower=lower.label,
        lower=_name(lower),
        Item_higher=item_higher.label,
        item_higher=_name(item_higher),
        Item_lower=item_lower.label,
        item_lower=_name(item_lower),
        lever_marketing=lever_m,
        lever_it=lever_it,
        lever_split=(
            f"marketing leans to {lever_m}, IT to {lever_it}"
            if lever_m != lever_it
            else f"both lean to {lever_m}, but split the rest of their choices differently"
        ),
        lever_versus=f"{lever_m} vs {lever_it}"
        if lever_m != lever_it
        else f"both favour {lever_m}",
        score=f"{figures.score}/100" if figures.score is not None else "",
        **misreading_vars(figures),
    )


def nudge_for(
    rule: NudgeRule,
    figures: Figures,
    qset: QuestionSet,
    poll_number: int,
    *,
    variables: _Vars | None = None,
    escalations: Sequence[Escalation] = (),
) -> Nudge | None:
    """The rule's nudge for one poll's figures, or None when the rule does not fire.
    `variables` are the figures' `_vars` when the caller words several rules; an escalation
    rule fires only for a gap in `escalations` (see `bot.nudges.escalation.escalated`)."""
    metric = METRICS[rule.metric]
    value = metric(figures, qset, poll_number)
    if value is None:
        return None
    past = value - rule.threshold if rule.when == "at_least" else rule.threshold - value
    if past < 0 or not _conditions_met(rule, figures, qset, poll_number):
        return None
    persistent = next((e for e in escalations if e.metric == rule.metric), None)
    if rule.escalation and persistent is None:
        return None
    if variables is None:
        variables = _vars(figures, qset, poll_number)
    # an escalation outranks every everyday rule: the gap it answers outlasted one already
    severity = -1.0 if rule.positive else past / metric.span + (1.0 if rule.escalation else 0.0)
    return Nudge(
        rule,
        value,
        severity,
        rule.action.format_map(variables),
        rule.short.format_map(variables),
        poll_number,
        persistent if rule.escalation else None,
    )


def _conditions_met(rule: NudgeRule, figures: Figures, qset: QuestionSet, number: int) -> bool:
    if rule.max_gap is None:
        return True
    widest = widest_gap_size(figures, qset, number)
    return widest is not None and widest < rule.max_gap


def candidates(
    figures: Figures,
    qset: QuestionSet,
    poll_number: int,
    *,
    rules: Sequence[NudgeRule] = RULES,
    escalations: Sequence[Escalation] = (),
) -> list[Nudge]:
    """Every rule that fires, most urgent first (rules' order breaks ties). An escalated gap's
    stronger rule replaces the everyday rule on the same measure."""
    variables = _vars(figures, qset, poll_number)
    fired = [
        n
        for r in rules
        if (
            n := nudge_for(
                r, figures, qset, poll_number, variables=variables, escalations=escalations
            )
        )
        is not None
    ]
    stronger = {n.rule.followed_metric for n in fired if n.rule.escalation}
    fired = [n for n in fired if n.rule.escalation or n.rule.followed_metric not in stronger]
    return sorted(fired, key=lambda n: -n.severity)


def next_best(
    figures: Figures,
    qset: QuestionSet,
    poll_number: int,
    *,
    recent: set[str],
    history: Mapping[int, Figures] | None = None,
) -> Nudge | None:
    """The nudge a summary offers (and "Not for us" offers next): the most urgent rule that
    fires, a stronger one for a gap wide for three pulses (`history`: earlier published pulse
    numbers to their figures, same question set), never one in `recent` (given or declined
    within four weeks)."""
    shown = [(f, qset, n) for n, f in (history or {}).items() if n < poll_number]
    persistent = tuple(escalated([*shown, (figures, qset, poll_number)]))
    return choose(candidates(figures, qset, poll_number, escalations=persistent), recent=recent)


def choose(fired: list[Nudge], *, recent: set[str]) -> Nudge | None:
    """The most urgent nudge not given in the channel recently."""
    return next((n for n in fired if n.rule.id not in recent), None)


#: Pulses before a nudge whose mean is the follow-up's baseline.
BASELINE_PULSES = 3


def follow_up(
    record: NudgeRecord,
    figures: Figures,
    qset: QuestionSet,
    poll_number: int,
    *,
    given_in: int | None,
    history: Mapping[int, Figures] | None = None,
) -> FollowUp | None:
    """How the nudge's measure moved: against the mean of up to 3 pulses before the nudge (not
    the one extreme pulse that fired it, which the next pulse regresses from by chance alone),
    "clear" only when larger than chance. `history` maps earlier pulse numbers to figures."""
    rule, metric = RULES_BY_ID.get(record.nudge_id), METRICS.get(record.metric)
    if rule is None or metric is None:
        return None
    after = metric(figures, qset, poll_number)
    returns_in = None
    item = rotating_metric_imperative(metric.key)
    if after is None and item is not None:
        returns_in = poll_number + 1 + (item - rotating_imperative(poll_number + 1)) % 5
    baseline = _baseline(metric, history or {}, qset, given_in)
    if not baseline or after is None:
        return FollowUp(rule, metric, given_in, record.value, after, returns_in)
    after_se = metric_se(metric.key, figures, _question_ids(qset, poll_number))
    size = abs if metric.unit == "points" else float
    before = sum(size(v) for v, _ in baseline) / len(baseline)
    clear = after_se is not None and beyond_chance(
        size(after), after_se, [(size(v), se) for v, se in baseline]
    )
    own = given_in is not None and not any(n < given_in for n in history or {})
    return FollowUp(
        rule, metric, given_in, before, after, returns_in, 0 if own else len(baseline), clear
    )


def _question_ids(qset: QuestionSet, number: int) -> dict[str, str]:
    ids = {role: qset.by_role(role).id for role in ("trust", "priority")}
    return ids | {
        f"item_{q.imperative}": q.id for q in qset.for_poll(number) if q.role == "rotating"
    }


def _baseline(
    metric: Metric, history: Mapping[int, Figures], qset: QuestionSet, given_in: int | None
) -> list[tuple[float, float]]:
    """(value, standard error) of the metric in up to 3 pulses before the nudge's pulse."""
    if given_in is None:
        return []
    found: list[tuple[float, float]] = []
    # no pulse before the nudge: its own pulse is all there is to compare with
    earlier = [n for n in history if n < given_in] or [n for n in history if n == given_in]
    for number in sorted(earlier, reverse=True):
        value = metric(history[number], qset, number)
        se = metric_se(metric.key, history[number], _question_ids(qset, number))
        if value is not None and se is not None:
            found.append((value, se))
        if len(found) == BASELINE_PULSES:
            break
    return found


def still_shown(record: NudgeRecord, shown: Mapping[int, tuple[Figures, QuestionSet, int]]) -> bool:
    """Whether the figure a nudge record's value was read from may still be shown: its poll's
    figures, as the k in force shows them, still yield the record's metric (a raised k
    withholds it, and then the follow-up must not quote the stored value)."""
    metric, found = METRICS.get(record.metric), shown.get(record.poll_id)
    if metric is None or found is None:
        return False
    figures, qset, number = found
    return metric(figures, qset, number) is not None


def _latest(
    records: list[NudgeRecord], figures_of: dict[int, tuple[Figures, QuestionSet, int]]
) -> Nudge | None:
    for record in reversed(records):
        rule, found = RULES_BY_ID.get(record.nudge_id), figures_of.get(record.poll_id)
        if rule is not None and found is not None:
            figures, qset, number = found
            nudge = nudge_for(rule, figures, qset, number)
            if nudge is not None:
                return nudge
    return None


@dataclass(frozen=True, slots=True)
class Choice:
    """A summary's nudge, the follow-up on the previous one, and the record to store (None
    when nothing fires or the summary is posted again and its nudge is already recorded)."""

    nudge: Nudge | None
    follow_up: FollowUp | None
    record: NudgeRecord | None
    #: why there is no next step (None when there is one)
    reason: NoStep | None = None
    #: the channel's gaps wide for 3 pulses, as of this pulse
    escalations: tuple[Escalation, ...] = ()


def pick(
    records: Sequence[NudgeRecord],
    channel_id: int,
    poll: Poll,
    figures: Figures,
    qset: QuestionSet,
    *,
    numbers: dict[int, int],
    now: datetime,
    history: Mapping[int, Figures] | None = None,
    shown: Mapping[int, tuple[Figures, QuestionSet, int]],
) -> Choice:
    """Choose a closed poll's nudge from the channel's recent nudge `records` (pure);
    `history` maps earlier pulse numbers to their figures (the follow-up's baseline). `shown`
    holds the figures of earlier polls as the k in force shows them: a follow-up quotes its
    nudge's value only while that poll's figure is still shown."""
    own = [r for r in records if r.poll_id == poll.id]
    earlier = [r for r in records if r.poll_id != poll.id and r.created_at <= now]
    previous = earlier[-1] if earlier else None
    followed = (
        follow_up(
            previous,
            figures,
            qset,
            poll.number,
            given_in=numbers.get(previous.poll_id),
            history=history,
        )
        if previous and still_shown(previous, shown)
        else None
    )
    persistent = tuple(escalated(v for v in shown.values() if v[2] <= poll.number))
    fired = candidates(figures, qset, poll.number, escalations=persistent)
    if own:  # the summary is being posted again: same nudge, not recorded twice
        rule = RULES_BY_ID.get(own[0].nudge_id)
        again = (
            nudge_for(rule, figures, qset, poll.number, escalations=persistent) if rule else None
        )
        why = None if again is not None else no_step(fired, earlier, numbers)
        return Choice(again, followed, None, why, persistent)
    nudge = choose(fired, recent={r.nudge_id for r in earlier})
    if nudge is None:
        return Choice(None, followed, None, no_step(fired, earlier, numbers), persistent)
    record = record_of(nudge, channel_id, poll, figures, qset, now=now)
    return Choice(nudge, followed, record, None, persistent)


def record_of(
    nudge: Nudge, channel_id: int, poll: Poll, figures: Figures, qset: QuestionSet, *, now: datetime
) -> NudgeRecord:
    """The record of a nudge given for a poll: the measure its follow-up judges, and its value."""
    metric = nudge.rule.followed_metric
    value = METRICS[metric](figures, qset, poll.number)
    if value is None:
        metric, value = nudge.rule.metric, nudge.value
    return NudgeRecord(
        channel_id, poll.id, nudge.rule.id, nudge.rule.imperative, metric, value, now
    )


def no_step(
    fired: Sequence[Nudge], earlier: Sequence[NudgeRecord], numbers: Mapping[int, int]
) -> NoStep:
    """Why no next step: the most urgent rule that fired was given within four weeks (name it
    and its pulse), or no rule fired at all."""
    if not fired:
        return NoStep("fine")
    held = fired[0]
    record = next((r for r in reversed(earlier) if r.nudge_id == held.rule.id), None)
    return NoStep("repeat", held, numbers.get(record.poll_id) if record else None)


class NudgeService:
    def __init__(self, deps: Deps) -> None:
        self._deps = deps
        self._nudges: NudgeStore = deps.repo

    async def latest_many(
        self, figures_by_channel: dict[int, dict[int, tuple[Figures, QuestionSet, int]]]
    ) -> dict[int, Nudge | None]:
        """Each channel's most recent nudge (within four weeks), worded for that poll's
        figures, with one read of their nudge history. `figures_by_channel` maps channel ids
        to {poll id: (figures, question set, poll number)}."""
        deps = self._deps
        records = await self._nudges.nudges_since_many(
            channel_ids=list(figures_by_channel),
            since=deps.clock.now() - timedelta(days=REPEAT_DAYS),
        )
        return {
            channel_id: _latest(records[channel_id], figures_of)
            for channel_id, figures_of in figures_by_channel.items()
        }
