"""Nudge rules and texts as data: add a rule here (and a metric in `bot.nudges.metrics` if it
needs a new one) and every summary and digest can use it.

A rule fires when its `metric` is `at_least` / `at_most` its `threshold`. Texts may use
``{Higher}``/``{higher}`` and ``{Lower}``/``{lower}`` (the side with the higher / lower trust
level), ``{lever_marketing}``, ``{lever_it}`` (each side's most chosen lever), ``{lever_split}`` and
``{lever_versus}`` (the two compared in words, also when they are the same lever), ``{score}``,
``{Misreader}``, ``{misread}``, ``{misreading}`` and ``{perception_gap}`` (the side with the
wider perception gap, the side it misreads, "under"/"overestimates" and the gap's size).
``{item_lower}``/``{item_higher}`` name the sides on this week's rotating question.
`target` is the metric the next summary follows up on (default: `metric`). Positive rules fire
only when nothing needs work, and only when no gap is `max_gap` points or wider. Escalation
rules fire only for a gap that has been wide for `PERSISTENT_PULSES` pulses in a row
(`bot.nudges.escalation`); they replace the everyday rule on the same measure.

Thresholds are for formula 2 (the level both sides reach, chance-corrected lever agreement),
set with `python -m benchmarks.next_steps` (the demo's teams over many pulses): a gap of a
point is wider than chance at 5–8 people a side; a lower side at 3.0 (neutral) or below is
low; agreement at 0.6 or below is well under the ~0.88 two sides that want the same thing
reach.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

#: A nudge is not repeated in a channel within this many days.
REPEAT_DAYS = 28
#: A gap this wide (points of the 1–5 scale) is wide: the gap rules and escalation use it.
WIDE_GAP = 1.0
#: Pulses in a row a gap must stay wide to escalate.
PERSISTENT_PULSES = 3


@dataclass(frozen=True, slots=True)
class NudgeRule:
    id: str
    imperative: int
    metric: str
    when: Literal["at_least", "at_most"]
    threshold: float
    #: the concrete, small action, in full (summaries)
    action: str
    #: the same action in one short line (digests)
    short: str
    target: str | None = None
    positive: bool = False
    #: positive rules: fire only when every gap is narrower than this (points)
    max_gap: float | None = None
    #: fires only when its metric's gap has been wide for PERSISTENT_PULSES pulses
    escalation: bool = False

    @property
    def followed_metric(self) -> str:
        return self.target or self.metric


RULES: tuple[NudgeRule, ...] = (
    NudgeRule(
        id="trust-gap",
        imperative=5,
        metric="trust_gap",
        when="at_least",
        threshold=WIDE_GAP,
        action=(
            "{Higher}: invite {lower} to your next retro and let them own one decision there. "
            "Trust grows fastest when it is given first."
        ),
        short="{Higher}: invite {lower} to your next retro and let them own one decision.",
    ),
    NudgeRule(
        id="it-priority-behind",
        imperative=2,
        metric="priority_gap",
        when="at_least",
        threshold=WIDE_GAP,
        target="priority_gap_size",
        action=(
            "Bring IT in as a partner, not a platform: invite an IT lead to the next campaign "
            "kick-off, before the brief is written, with a say in the scope."
        ),
        short="Invite an IT lead to the next campaign kick-off, before the brief is written.",
    ),
    NudgeRule(
        id="marketing-priority-behind",
        imperative=2,
        metric="priority_gap",
        when="at_most",
        threshold=-WIDE_GAP,
        target="priority_gap_size",
        action=(
            "Marketing: put one IT topic on your next team meeting and ask IT what they need "
            "from you this month. A partnership needs both sides to make time for it."
        ),
        short="Marketing: put one IT topic on your next team meeting.",
    ),
    NudgeRule(
        id="perception-gap",
        imperative=5,
        metric="perception_gap",
        when="at_least",
        threshold=1.0,
        action=(
            "Each side posts its top three priorities for next week in this channel, and where "
            "the joint work ranks among them. {Misreader} {misreading} how much {misread} cares "
            "about this partnership by {perception_gap} points: say it, don't leave it to a guess."
        ),
        short="Each side posts its top three priorities for next week in this channel.",
    ),
    NudgeRule(
        id="levers-apart",
        imperative=3,
        metric="lever_agreement",
        when="at_most",
        threshold=0.6,
        action=(
            "Hold a 30-minute session to agree on the top lever: {lever_split}. Leave with one "
            "lever you both own."
        ),
        short="Hold a 30-minute session to agree on the top lever ({lever_versus}).",
    ),
    NudgeRule(
        id="skill-mix-low",
        imperative=4,
        metric="item_4",
        when="at_most",
        threshold=3.0,
        action=(
            "Pair one marketer with one engineer for an hour this week, or run a 20-minute "
            "lunch-and-learn where each side explains one tool it uses every day."
        ),
        short="Pair a marketer with an engineer for an hour, or hold a lunch-and-learn.",
    ),
    NudgeRule(
        id="experience-ownership-low",
        imperative=1,
        metric="item_1",
        when="at_most",
        threshold=3.0,
        action=(
            "Map one customer journey together: marketing leads, IT marks the systems behind "
            "each step. 45 minutes and one whiteboard."
        ),
        short="Map one customer journey together: marketing leads, IT marks the systems.",
    ),
    NudgeRule(
        id="partner-low",
        imperative=2,
        metric="item_2",
        when="at_most",
        threshold=3.0,
        action=(
            "Invite IT to the next planning meeting before decisions are made, and ask for "
            "their options, not only an estimate."
        ),
        short="Invite IT to the next planning meeting, before decisions are made.",
    ),
    NudgeRule(
        id="shared-metrics-low",
        imperative=3,
        metric="item_3",
        when="at_most",
        threshold=3.0,
        action=(
            "Agree on one shared metric and write down how customer data may be used for it; "
            "pin both in this channel."
        ),
        short="Agree on one shared metric and how customer data may be used for it.",
    ),
    NudgeRule(
        id="trusted-to-decide-low",
        imperative=5,
        metric="item_5",
        when="at_most",
        threshold=3.0,
        action=(
            "Each team hands the other one decision it would normally review, and says so in "
            "this channel."
        ),
        short="Each team hands the other one decision it would normally review.",
    ),
    *(
        NudgeRule(
            id=f"item-{i}-gap",
            imperative=i,
            metric=f"item_{i}_gap",
            when="at_least",
            threshold=WIDE_GAP,
            action=action,
            short=short,
        )
        for i, action, short in (
            (
                1,
                "{Item_higher}: walk {item_lower} through one customer journey you own, step by "
                "step, and ask where they would change it. 30 minutes.",
                "{Item_higher}: walk {item_lower} through one customer journey you own.",
            ),
            (
                2,
                "Ask {item_lower} which decision of the last month they would have wanted a say "
                "in, and give them that say in the next one.",
                "Ask {item_lower} which recent decision they wanted a say in; give them the next.",
            ),
            (
                3,
                "Write down, together, the one metric you both report on and what customer data "
                "it may use; {item_lower} drafts it, {item_higher} comments.",
                "Write down one shared metric together: {item_lower} drafts, {item_higher} comments.",
            ),
            (
                4,
                "{Item_lower} picks one tool or practice of {item_higher} to learn this week; "
                "{item_higher} gives a 20-minute walk-through.",
                "{Item_lower} picks one of {item_higher}'s tools; {item_higher} walks them through.",
            ),
            (
                5,
                "{Item_higher}: hand {item_lower} one decision you would normally make for them, "
                "and say so in this channel.",
                "{Item_higher}: hand {item_lower} one decision you would normally make.",
            ),
        )
    ),
    NudgeRule(
        id="trust-gap-persistent",
        imperative=5,
        metric="trust_gap",
        when="at_least",
        threshold=WIDE_GAP,
        escalation=True,
        action=(
            "This trust gap has stayed wide for three pulses. Book 45 minutes with a lead from "
            "each side: {lower} names the last two commitments that slipped, {higher} says what "
            "got in the way, and together you pick one to deliver by the next pulse."
        ),
        short="Trust gap wide for 3 pulses: leads of both sides meet on the commitments that slip.",
    ),
    NudgeRule(
        id="priority-gap-persistent",
        imperative=2,
        metric="priority_gap_size",
        when="at_least",
        threshold=WIDE_GAP,
        escalation=True,
        action=(
            "This priority gap has stayed wide for three pulses. Ask both leads to agree, in "
            "writing, the one joint project each side gives time to this month, and who owns it."
        ),
        short="Priority gap wide for 3 pulses: both leads agree the one joint project in writing.",
    ),
    NudgeRule(
        id="trust-low",
        imperative=5,
        metric="trust_level",
        when="at_most",
        threshold=3.0,
        action=(
            "Each side names one small commitment for next week in this channel and reports "
            "back on Friday. Promises kept are how trust comes back."
        ),
        short="Each side names one commitment for next week here and reports back on Friday.",
    ),
    NudgeRule(
        id="priority-low",
        imperative=2,
        metric="priority_level",
        when="at_most",
        threshold=3.0,
        action=(
            "Block 30 minutes this week for a joint stand-up on the one project you share, "
            "and decide who from each side owns it."
        ),
        short="Block 30 minutes for a joint stand-up on the project you share.",
    ),
    NudgeRule(
        id="all-high",
        imperative=5,
        metric="lowest_component",
        when="at_least",
        threshold=0.75,
        positive=True,
        max_gap=0.75,
        action=(
            "Everything is high this week ({score}). Keep it going: share one joint win with "
            "the wider organisation and credit the other team by name."
        ),
        short="Everything is high: share one joint win and credit the other team.",
    ),
)
