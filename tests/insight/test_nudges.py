"""Nudge rules: each named case fires on the figures it is meant for, texts are complete and name
their imperative, a recent nudge is skipped, and follow-ups measure the right thing."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from string import Formatter

import pytest

from bot.domain import AnswerRecord, Side
from bot.imperatives import IMPERATIVES, rotating_imperative
from bot.nudges.metrics import METRICS
from bot.nudges.rules import RULES, NudgeRule
from bot.nudges.service import candidates, choose, follow_up, nudge_for
from bot.ports import NudgeRecord
from bot.questions import default_question_set
from bot.score.scoring import Figures, compute_result

QSET = default_question_set()
HIGH = {"trust": "5", "priority": "5", "lever": "speed", "rotating": "5"}


def figures(marketing: dict[str, str], it: dict[str, str], *, poll: int = 1, n: int = 3) -> Figures:
    """Figures of a poll where every marketer answers `marketing` and every IT person `it`."""
    rotating = f"imperative_{rotating_imperative(poll)}"
    answers = [
        AnswerRecord(f"{side.value}{i}", side, rotating if role == "rotating" else role, value)
        for side, given in ((Side.MARKETING, marketing), (Side.IT, it))
        for i in range(n)
        for role, value in given.items()
    ]
    result = compute_result(answers, question_set=QSET, poll_number=poll, k=n)
    assert result.figures is not None
    return result.figures


def fired(f: Figures, poll: int = 1) -> list[str]:
    return [n.rule.id for n in candidates(f, QSET, poll)]


@pytest.mark.parametrize(
    ("rule", "marketing", "it", "poll"),
    [
        ("trust-gap", {**HIGH, "trust": "5"}, {**HIGH, "trust": "2"}, 2),
        ("it-priority-behind", {**HIGH, "priority": "5"}, {**HIGH, "priority": "3"}, 2),
        ("marketing-priority-behind", {**HIGH, "priority": "2"}, {**HIGH, "priority": "4"}, 2),
        ("levers-apart", {**HIGH, "lever": "customer_data"}, {**HIGH, "lever": "privacy"}, 2),
        ("skill-mix-low", {**HIGH, "rotating": "2"}, {**HIGH, "rotating": "3"}, 4),
        ("experience-ownership-low", {**HIGH, "rotating": "3"}, {**HIGH, "rotating": "2"}, 1),
        ("all-high", HIGH, HIGH, 2),
    ],
)
def test_each_named_case_fires_first(
    rule: str, marketing: dict[str, str], it: dict[str, str], poll: int
) -> None:
    assert fired(figures(marketing, it, poll=poll), poll)[0] == rule


def test_the_positive_nudge_only_when_nothing_needs_work() -> None:
    assert "all-high" not in fired(figures({**HIGH, "trust": "5"}, {**HIGH, "trust": "2"}))
    assert fired(figures(HIGH, HIGH)) == ["all-high"]
    # a one-point priority gap (5 vs 4) is worth a nudge, so "everything is high" does not
    # come first (under min() every component is .75 or more here, so it also fires, last)
    assert fired(figures({**HIGH, "priority": "4"}, {**HIGH, "priority": "5"}))[0] == (
        "marketing-priority-behind"
    )


def test_a_gap_below_the_threshold_does_not_fire() -> None:
    f = figures({**HIGH, "trust": "5"}, {**HIGH, "trust": "4"})  # gap 1.0 on 1–5: fires
    assert "trust-gap" in fired(f)
    # two IT people at 5 and one at 4: gap 0.33, no nudge
    answers = [
        AnswerRecord(f"m{i}", Side.MARKETING, q, "5") for i in range(3) for q in ("trust",)
    ] + [AnswerRecord(f"i{i}", Side.IT, "trust", "5" if i else "4") for i in range(3)]
    result = compute_result(answers, question_set=QSET, poll_number=2, k=3)
    assert result.figures is not None
    assert "trust-gap" not in fired(result.figures, 2)


def test_every_rule_is_complete_data() -> None:
    ids = [r.id for r in RULES]
    assert len(ids) == len(set(ids))
    placeholders = {
        "Higher",
        "higher",
        "Lower",
        "lower",
        "lever_marketing",
        "lever_it",
        "lever_split",
        "lever_versus",
        "score",
        "Item_higher",
        "item_higher",
        "Item_lower",
        "item_lower",
        "Misreader",
        "misread",
        "misreading",
        "perception_gap",
    }
    for rule in RULES:
        assert rule.imperative in IMPERATIVES
        assert rule.metric in METRICS and rule.followed_metric in METRICS
        for text in (rule.action, rule.short):
            used = {name for _, name, _, _ in Formatter().parse(text) if name}
            assert used <= placeholders, (rule.id, used)
        assert len(rule.short) <= 100, rule.id
    covered = {r.imperative for r in RULES}
    assert covered == {1, 2, 3, 4, 5}


def test_texts_name_the_sides_and_levers() -> None:
    f = figures(
        {**HIGH, "trust": "2", "lever": "customer_data"}, {**HIGH, "trust": "5", "lever": "privacy"}
    )
    by_id = {n.rule.id: n for n in candidates(f, QSET, 2)}
    assert by_id["trust-gap"].action.startswith("IT: invite marketing to your next retro")
    assert "marketing leans to Customer data access, IT to Privacy & security" in (
        by_id["levers-apart"].action
    )
    assert "{" not in by_id["trust-gap"].short


def test_levers_apart_with_the_same_favourite_reads_naturally() -> None:
    """Agreement can be low while both sides' most chosen lever is the same one."""
    m_levers = ["speed", "speed", "insight", "skills", "reliability"]
    it_levers = ["speed", "speed", "speed", "customer_data", "customer_data", "privacy"]
    answers = [
        AnswerRecord(f"{side.value}{i}", side, q, v)
        for side, levers in ((Side.MARKETING, m_levers), (Side.IT, it_levers))
        for i, lever in enumerate(levers)
        for q, v in (("trust", "5"), ("priority", "5"), ("lever", lever), ("imperative_1", "5"))
    ]
    f = compute_result(answers, question_set=QSET, poll_number=1, k=5).figures
    assert f is not None
    # corrected for chance, 5 and 6 answers sharing a favourite agree well (A = 0.96); a larger
    # team with these shares can sit below the rule's threshold
    f = replace(f, components={**f.components, "lever": 0.4})
    nudge = {n.rule.id: n for n in candidates(f, QSET, 1)}["levers-apart"]
    assert "both lean to Speed of delivery, but split the rest" in nudge.action
    assert "both favour Speed of delivery" in nudge.short
    assert "Speed of delivery, IT to Speed of delivery" not in nudge.action


def test_a_recent_nudge_is_skipped_for_the_next_most_urgent() -> None:
    f = figures(
        {**HIGH, "trust": "5", "lever": "customer_data"}, {**HIGH, "trust": "1", "lever": "privacy"}
    )
    order = fired(f, 2)
    assert order[:2] == ["trust-gap", "levers-apart"]  # gap 4.0 of 4 beats agreement 0 of 0.5
    nudge = choose(candidates(f, QSET, 2), recent={"trust-gap"})
    assert nudge is not None and nudge.rule.id == "levers-apart"
    assert choose(candidates(f, QSET, 2), recent=set(order)) is None


def test_rules_are_extensible_as_data() -> None:
    extra = NudgeRule(
        id="quiet-week",
        imperative=4,
        metric="overall_level",
        when="at_most",
        threshold=5.0,
        action="Swap one meeting for a demo of each other's tools.",
        short="Swap one meeting for a demo.",
    )
    f = figures(HIGH, HIGH)
    found = candidates(f, QSET, 2, rules=(*RULES, extra))
    assert "quiet-week" in [n.rule.id for n in found]


def _record(metric: str, value: float) -> NudgeRecord:
    return NudgeRecord(1, 1, "trust-gap", 5, metric, value, datetime(2026, 1, 1, tzinfo=UTC))


def test_follow_up_reads_the_same_measure_now() -> None:
    f = figures({**HIGH, "trust": "5"}, {**HIGH, "trust": "4"})
    up = follow_up(_record("trust_gap", 3.0), f, QSET, 2, given_in=1)
    assert up is not None and up.before == 3.0 and up.after == pytest.approx(1.0)


def test_follow_up_of_a_rotating_question_says_when_it_returns() -> None:
    rule = next(r for r in RULES if r.id == "skill-mix-low")
    record = NudgeRecord(1, 1, rule.id, 4, "item_4", 2.5, datetime(2026, 1, 1, tzinfo=UTC))
    up = follow_up(record, figures(HIGH, HIGH, poll=5), QSET, 5, given_in=4)
    assert up is not None and up.after is None and up.returns_in == 9
    assert rotating_imperative(9) == 4
    back = follow_up(record, figures(HIGH, HIGH, poll=9), QSET, 9, given_in=4)
    assert back is not None and back.after == 5.0


def test_a_rule_that_no_longer_exists_is_not_followed_up() -> None:
    record = NudgeRecord(
        1, 1, "retired-rule", 5, "trust_gap", 1.0, datetime(2026, 1, 1, tzinfo=UTC)
    )
    assert follow_up(record, figures(HIGH, HIGH), QSET, 2, given_in=1) is None
    assert nudge_for(RULES[0], figures(HIGH, HIGH), QSET, 2) is None
