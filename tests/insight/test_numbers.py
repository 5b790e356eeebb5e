"""Printed numbers add up, every summary has a next step or a reason, gaps steer the rules (the
rotating question's too), a gap wide for three pulses escalates, and the study lines show counts,
a range and the caveat (the "Trust II" issue)."""

from __future__ import annotations

import re
from decimal import Decimal
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.formatting import gap_text, levels_text, percent, printed_change, shares_percent
from bot.imperatives import IMPERATIVES
from bot.nudges.escalation import escalated
from bot.nudges.metrics import METRICS
from bot.nudges.rules import RULES
from bot.nudges.service import Choice, FollowUp, NoStep, candidates
from bot.summary.study import BENCHMARKS, Comparison, comparison_text, study_caveat
from bot.summary.views import follow_up_text, no_step_text
from tests.insight.test_nudges import HIGH, QSET, figures

LEVELS = st.fractions(min_value=1, max_value=5, max_denominator=40)


def _tenths(text: str) -> int:
    return int(Decimal(text.replace("−", "-")) * 10)


@given(LEVELS, LEVELS)
def test_a_printed_gap_is_the_difference_of_the_printed_levels(m: Fraction, it: Fraction) -> None:
    shown = levels_text(float(m), float(it))
    found = re.fullmatch(
        r"Marketing (\d\.\d) · IT (\d\.\d) · (?:no gap|gap (\d\.\d), (IT|marketing) lower)", shown
    )
    assert found is not None, shown
    printed_m, printed_it = _tenths(found[1]), _tenths(found[2])
    if found[3] is None:
        assert printed_m == printed_it
    else:  # the size is the printed difference, and the side named is the lower one
        assert _tenths(found[3]) == abs(printed_m - printed_it) > 0
        assert (found[4] == "IT") == (printed_it < printed_m)
    assert ("lower" in gap_text(float(m), float(it))) == (printed_m != printed_it)


def test_the_issue_s_trust_line_adds_up() -> None:
    """ "Trust 2.7 · 2.4 · gap 0.2": levels 2.675 and 2.45 print 2.7 and 2.5 half up, gap 0.2."""
    assert levels_text(2.675, 2.45) == "Marketing 2.7 · IT 2.5 · gap 0.2, IT lower"
    assert levels_text(2.7, 2.4) == "Marketing 2.7 · IT 2.4 · gap 0.3, IT lower"
    assert levels_text(3.25, 3.25) == "Marketing 3.3 · IT 3.3 · no gap"


@given(st.lists(st.integers(min_value=0, max_value=12), min_size=6, max_size=6))
def test_a_side_s_printed_lever_shares_sum_to_100(counts: list[int]) -> None:
    options = [o.value for o in QSET.by_role("lever").options]
    total = sum(counts)
    shares = {o: c / total for o, c in zip(options, counts, strict=True)} if total else {}
    printed = shares_percent(shares, options)
    assert sum(printed.values()) == (100 if total else 0)
    for o, c in zip(options, counts, strict=True):  # each within a point of its exact share
        assert abs(printed[o] - Fraction(100 * c, total or 1)) < 1


def test_shares_round_half_up_and_ties_go_to_the_earlier_option() -> None:
    """8 people: 1, 3 and 4 answers are 12.5%, 37.5% and 50% — not 12% and 38% (99%)."""
    order = ["customer_data", "privacy", "speed"]
    shares = {"customer_data": 1 / 8, "privacy": 3 / 8, "speed": 4 / 8}
    assert shares_percent(shares, order) == {"customer_data": 13, "privacy": 37, "speed": 50}
    assert percent(0.125) == "13%" and percent(0.375) == "38%"


@given(LEVELS, LEVELS)
def test_a_printed_change_is_the_difference_of_the_printed_values(
    before: Fraction, after: Fraction
) -> None:
    start, end, delta = printed_change(float(before), float(after))
    if before != after:
        assert start != end  # never "from 1.1 to 1.1"
    moved = Decimal(end) - Decimal(start)
    sign = "±" if moved == 0 else ("+" if moved > 0 else "−")
    assert delta == f"{sign}{abs(moved)}"


def test_a_follow_up_never_reads_narrowed_from_1_1_to_1_1() -> None:
    rule = next(r for r in RULES if r.id == "trust-gap")
    f = FollowUp(rule, METRICS["trust_gap"], 2, 1.14, 1.06, None, 3, clear=True)
    text = follow_up_text(f)
    assert "from 1.1 to 1.1" not in text
    assert "the trust gap narrowed from 1.14 to 1.06 points (−0.08)" in text


@settings(max_examples=12, deadline=None)
@given(st.integers(min_value=0, max_value=10_000), st.sampled_from(["launch", "relaunch", "any"]))
def test_every_summary_meeting_k_has_a_next_step_or_a_reason(seed: int, kind: str) -> None:
    """Over simulated weeks of the demo's team (through the real nudge choice)."""
    from benchmarks import next_steps

    scenario = {
        "launch": next_steps.LAUNCH,
        "relaunch": next_steps.RELAUNCH,
        "any": next_steps._random_scenario(seed),
    }[kind]
    seen: list[tuple[bool, bool]] = []
    original = next_steps.pick

    def spy(*args: object, **kwargs: object) -> Choice:
        choice = original(*args, **kwargs)  # type: ignore[arg-type]
        seen.append((choice.nudge is not None, choice.reason is not None))
        return choice

    next_steps.pick = spy  # type: ignore[assignment]
    try:
        next_steps.run_channel(scenario, seed, 10, next_steps.Tally())
    finally:
        next_steps.pick = original
    assert seen
    assert all(step != reason for step, reason in seen)  # exactly one of the two


def test_no_step_lines_say_why() -> None:
    f = figures({**HIGH, "trust": "5"}, {**HIGH, "trust": "3"}, poll=2)
    held = candidates(f, QSET, 2)[0]
    repeat = no_step_text(NoStep("repeat", held, 1))
    assert repeat.startswith("none new this week") and "pulse #1 already suggested" in repeat
    assert held.short in repeat
    assert no_step_text(NoStep("fine")).startswith("none needed this week")


def test_a_wide_gap_on_the_rotating_question_fires_its_own_rule() -> None:
    """5 against 4 on the skill-mix question: the old rules read only the mean (4.5), which
    never fires; the gap (1.0 point, IT lower) does."""
    f = figures({**HIGH, "rotating": "5"}, {**HIGH, "rotating": "4"}, poll=4)
    fired = [n for n in candidates(f, QSET, 4) if n.rule.id == "item-4-gap"]
    assert fired and fired[0].imperative is IMPERATIVES[4]
    assert "IT picks one tool or practice of marketing" in fired[0].action
    assert fired[0].rule.metric == "item_4_gap" and fired[0].value == 1.0


def test_all_high_does_not_fire_on_a_5_against_4_gap() -> None:
    f = figures(HIGH, {**HIGH, "trust": "4"}, poll=2)
    assert "all-high" not in [n.rule.id for n in candidates(f, QSET, 2)]
    assert [n.rule.id for n in candidates(figures(HIGH, HIGH, poll=2), QSET, 2)] == ["all-high"]


def _pulse(number: int, it_trust: str) -> tuple[object, object, int]:
    return figures(HIGH, {**HIGH, "trust": it_trust}, poll=number), QSET, number


def test_a_gap_wide_for_three_pulses_escalates() -> None:
    two = [_pulse(1, "3"), _pulse(2, "4")]
    assert escalated(two) == []  # type: ignore[arg-type]
    three = [*two, _pulse(3, "3")]
    (found,) = escalated(three)  # type: ignore[arg-type]
    assert found.metric == "trust_gap" and found.pulses == (1, 2, 3)
    assert found.lower.value == "it" and found.imperative is IMPERATIVES[5]
    assert escalated([*three, _pulse(4, "5")]) == []  # type: ignore[arg-type]  # closed: no flag
    f, qset, _ = _pulse(3, "3")
    rules = [n.rule.id for n in candidates(f, qset, 3, escalations=[found])]  # type: ignore[arg-type]
    assert rules[0] == "trust-gap-persistent" and "trust-gap" not in rules


def test_a_gap_that_changes_sides_does_not_escalate() -> None:
    flipped = figures({**HIGH, "trust": "3"}, HIGH, poll=2), QSET, 2
    assert escalated([_pulse(1, "3"), flipped, _pulse(3, "3")]) == []  # type: ignore[list-item]


def test_a_study_line_shows_the_count_its_range_and_the_caveat() -> None:
    count_on = next(b for b in BENCHMARKS if b.id == "count-on")
    line = comparison_text(Comparison(count_on, 3 / 7, 7))
    assert line.startswith("3 of 7 — 16–75% (95% range)")
    assert "here, while" not in line and "the study asked something else" in line
    caveat = study_caveat([Comparison(count_on, 3 / 7, 7)])
    assert "executives once" in caveat and "every week" in caveat
    assert "delivered what it committed to" in caveat  # the wording differs, and it says how
    it_priority = next(b for b in BENCHMARKS if b.id == "it-top-priority")
    assert "77% of CIOs" in comparison_text(Comparison(it_priority, 0.5, 6))


def test_explain_covers_formula_interval_steady_k_baseline_and_escalation() -> None:
    from bot.score.views import explain_card

    text = explain_card(k=5).text()
    for words in (
        "the lower of the two sides' average levels",  # the formula
        "90% range",  # the interval
        "**steady**",
        "*to that question*",  # k per question
        "**baseline**",
        "three pulses in a row escalates",
        "marketing's printed level minus IT's",
        "add up to 100%",
    ):
        assert words in text, words
