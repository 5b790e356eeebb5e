"""Nudge rules and texts as data: add a rule here (and a metric in `bot.nudges.metrics` if it
needs a new one) and every summary and digest can use it.

A rule fires when its `metric` is `at_least` / `at_most` its `threshold`. Texts may use
``{Higher}``/``{higher}`` and ``{Lower}``/``{lower}`` (the side with the higher / lower trust
level), ``{lever_marketing}``, ``{lever_it}`` (each side's most chosen lever), ``{lever_split}`` and
``{lever_versus}`` (the two compared in words, also when they are the same lever) and ``{score}``.
`target` is the metric the next summary follows up on (default: `metric`). Positive rules fire
only when nothing needs work.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

#: A nudge is not repeated in a channel within this many days.
REPEAT_DAYS = 28
#: A gap wide in this many pulses in a row escalates to a stronger nudge.
ESCALATE_AFTER = 3


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
    #: the rule whose gap this stronger nudge escalates (see `ESCALATIONS`)
    escalates: str | None = None

    @property
    def followed_metric(self) -> str:
        return self.target or self.metric


RULES: tuple[NudgeRule, ...] = (
    NudgeRule(
        id="trust-gap",
        imperative=5,
        metric="trust_gap",
        when="at_least",
        threshold=1.0,
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
        threshold=1.0,
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
        threshold=-1.0,
        target="priority_gap_size",
        action=(
            "Marketing: put one IT topic on your next team meeting and ask IT what they need "
            "from you this month. A partnership needs both sides to make time for it."
        ),
        short="Marketing: put one IT topic on your next team meeting.",
    ),
    NudgeRule(
        id="levers-apart",
        imperative=3,
        metric="lever_agreement",
        when="at_most",
        threshold=0.5,
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
        threshold=2.5,
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
        action=(
            "Everything is high this week ({score}). Keep it going: share one joint win with "
            "the wider organisation and credit the other team by name."
        ),
        short="Everything is high: share one joint win and credit the other team.",
    ),
)


#: Stronger nudges for a gap that stays wide for `ESCALATE_AFTER` pulses: each fires on the same
#: measure and threshold as the rule it escalates, and asks more of both sides (their leads).
ESCALATIONS: tuple[NudgeRule, ...] = (
    NudgeRule(
        id="trust-gap-escalated",
        imperative=5,
        metric="trust_gap",
        when="at_least",
        threshold=1.0,
        escalates="trust-gap",
        action=(
            "The trust gap has stayed wide for three pulses. Ask both team leads to hold a "
            "45-minute retro together: each side names one thing it needs from the other, and "
            "the leads agree one change and report back here in two weeks."
        ),
        short="Both leads hold a joint retro and agree one change to report on in two weeks.",
    ),
    NudgeRule(
        id="it-priority-behind-escalated",
        imperative=2,
        metric="priority_gap",
        when="at_least",
        threshold=1.0,
        target="priority_gap_size",
        escalates="it-priority-behind",
        action=(
            "IT's priority has stayed well below marketing's for three pulses. Ask the IT lead "
            "to name one IT owner for the shared work, with time set aside for it in IT's plan."
        ),
        short="The IT lead names an owner for the shared work, with time in IT's plan.",
    ),
    NudgeRule(
        id="marketing-priority-behind-escalated",
        imperative=2,
        metric="priority_gap",
        when="at_most",
        threshold=-1.0,
        target="priority_gap_size",
        escalates="marketing-priority-behind",
        action=(
            "Marketing's priority has stayed well below IT's for three pulses. Ask the "
            "marketing lead to name one marketing owner for the shared work, with time set "
            "aside for it in marketing's plan."
        ),
        short="The marketing lead names an owner for the shared work, with time in the plan.",
    ),
    NudgeRule(
        id="levers-apart-escalated",
        imperative=3,
        metric="lever_agreement",
        when="at_most",
        threshold=0.5,
        escalates="levers-apart",
        action=(
            "The two sides have wanted different levers for three pulses ({lever_versus}). "
            "Ask both leads to pick the one lever for this quarter and write it into both "
            "teams' plans."
        ),
        short="Both leads pick one lever for the quarter and write it into both plans.",
    ),
)
