"""The 90% interval stored at close, the like-for-like change test and follow-ups on a baseline."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain import AnswerRecord, Side
from bot.nudges.service import follow_up
from bot.ports import NudgeRecord
from bot.questions import default_question_set
from bot.score.scoring import Figures, PollResult, compute_result
from bot.score.uncertainty import change_between, with_uncertainty
from bot.summary.views import follow_up_text

QS = default_question_set()
M, IT = Side.MARKETING, Side.IT


def pulse(number: int, levels: dict[Side, float], *, n: int = 6, seed: int = 0) -> PollResult:
    """A closed pulse of n people a side answering around `levels` (1–5), with its interval."""
    rng = random.Random(f"{seed}:{number}")
    answers = []
    for side in (M, IT):
        for i in range(n):
            for q in QS.for_poll(number):
                if q.is_likert:
                    v = str(max(1, min(5, round(levels[side] + rng.gauss(0, 0.8)))))
                else:
                    v = rng.choice(["speed", "privacy", "insight"])
                answers.append(AnswerRecord(f"{side.value}{i}", side, q.id, v))
    result = compute_result(answers, question_set=QS, poll_number=number, k=3)
    return with_uncertainty(result, answers, QS, poll_number=number, seed=1000 + number)


def figures_of(result: PollResult) -> Figures:
    assert result.figures is not None
    return result.figures


@settings(max_examples=40, deadline=None)
@given(
    st.floats(min_value=1.5, max_value=4.5),
    st.floats(min_value=1.5, max_value=4.5),
    st.integers(min_value=3, max_value=10),
    st.integers(min_value=0, max_value=10_000),
)
def test_the_interval_always_contains_the_score(m: float, it: float, n: int, seed: int) -> None:
    f = figures_of(pulse(1, {M: m, IT: it}, n=n, seed=seed))
    u = f.uncertainty
    assert u is not None and f.score is not None
    assert 0 <= u.low <= f.score <= u.high <= 100
    assert u.se >= 0


def test_a_poll_always_shows_the_same_interval_and_keeps_it_when_stored() -> None:
    first, again = pulse(2, {M: 3.5, IT: 2.8}), pulse(2, {M: 3.5, IT: 2.8})
    assert figures_of(first).uncertainty == figures_of(again).uncertainty
    u = figures_of(first).uncertainty
    assert u is not None and u.high - u.low >= 5  # six people a side are not sure to the point
    stored = PollResult.from_dict(first.to_dict())
    assert figures_of(stored).uncertainty == u


def test_a_static_team_reads_steady_and_a_real_rise_is_signed() -> None:
    steady = [
        change_between(
            figures_of(pulse(n, {M: 3.4, IT: 3.0}, seed=s)),
            figures_of(pulse(n + 1, {M: 3.4, IT: 3.0}, seed=s)),
        )
        for s in range(20)
        for n in (1, 2)
    ]
    assert all(c.comparable for c in steady)
    assert sum(c.points is not None for c in steady) <= 6  # chance alone: about 1 in 10
    assert {c.covers for c in steady} == {("trust", "priority")}  # never the rotating item
    before = figures_of(pulse(1, {M: 3.8, IT: 2.0}))
    after = figures_of(pulse(2, {M: 3.8, IT: 3.5}))
    rise = change_between(before, after)
    assert rise.points is not None and rise.points > 10
    assert rise.mostly in ("trust", "priority")


def test_no_comparison_across_a_formula_change() -> None:
    before = replace(figures_of(pulse(1, {M: 3.8, IT: 2.0})), formula=1, uncertainty=None)
    after = figures_of(pulse(2, {M: 3.8, IT: 4.0}))
    change = change_between(before, after)
    assert change.formula_changed and not change.comparable and change.points is None


def test_a_follow_up_after_an_extreme_week_on_a_static_team_claims_nothing() -> None:
    """The issue's case: a nudge fires on an unlucky week and the next pulse regresses to the
    mean. Against that one pulse the gap "narrowed — good progress"; against the mean of the
    three pulses before it, the move is within chance."""
    history = {n: figures_of(pulse(n, {M: 3.6, IT: 3.0}, seed=7)) for n in (1, 2, 3)}
    extreme = figures_of(pulse(4, {M: 3.6, IT: 1.6}, seed=7))  # an unlucky week for IT
    history[4] = extreme
    gap = abs(extreme.gaps["trust"])
    record = NudgeRecord(1, 4, "trust-gap", 5, "trust_gap", gap, datetime(2025, 1, 1, tzinfo=UTC))
    after = figures_of(pulse(5, {M: 3.6, IT: 3.0}, seed=7))
    old = follow_up(record, after, QS, 5, given_in=4)  # no history: against the extreme pulse
    assert old is not None and old.before == gap and old.after is not None
    assert old.after < gap - 1  # what the old follow-up called "narrowed — good progress"
    new = follow_up(record, after, QS, 5, given_in=4, history=history)
    assert new is not None and new.baseline_pulses == 3 and not new.clear
    assert new.before == pytest.approx(
        sum(abs(history[n].gaps["trust"]) for n in (1, 2, 3)) / 3, abs=1e-3
    )
    text = follow_up_text(new)
    assert "no clear change yet" in text and "the mean of the 3 pulses before the nudge" in text
    assert "good progress" not in text
