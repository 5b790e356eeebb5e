"""The perception gap: its value, its k rule on both questions behind it, the differencing guard
counting both, its standard error and the "steady" test, and old polls without the question."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.domain import AnswerRecord, Side
from bot.nudges.service import candidates
from bot.questions import QuestionSets, default_question_set
from bot.score import perception, uncertainty
from bot.score.disclosure import advance, contributions, figure_questions
from bot.score.disclosure_state import DisclosureState, Snapshot
from bot.score.perception import gap_change, perception_gaps, perception_of
from bot.score.scoring import Figures, PollResult, compute_result
from bot.score.uncertainty import with_uncertainty
from bot.summary.perception_view import (
    gap_sentence,
    perception_cell,
    perception_line,
)

QSET = default_question_set()
K = 3
#: what each side answers to every question but the mirror
BASE = {"trust": "4", "priority": "4", "lever": "speed", "imperative_1": "4"}


def pulse(
    m_priority: list[str],
    it_priority: list[str],
    m_mirror: list[str],
    it_mirror: list[str],
    *,
    prefix: str = "",
) -> list[AnswerRecord]:
    """Marketing and IT people with BASE answers, the given priority answers, and the given
    mirror answers (a shorter list: the rest skipped the mirror question)."""
    found = []
    for side, priority, mirror in (
        (Side.MARKETING, m_priority, m_mirror),
        (Side.IT, it_priority, it_mirror),
    ):
        for n, value in enumerate(priority):
            who = f"{prefix}{side.value}{n}"
            answers = {**BASE, "priority": value}
            if n < len(mirror):
                answers["mirror"] = mirror[n]
            found += [AnswerRecord(who, side, q, v) for q, v in answers.items()]
    return found


def result_of(answers: list[AnswerRecord], *, k: int = K) -> PollResult:
    return compute_result(answers, question_set=QSET, poll_number=1, k=k)


def test_the_perception_gap_is_four_times_the_mirror_level_minus_the_other_sides_priority() -> None:
    # marketing's mirror mean 2.6 on the 1–5 scale, IT's own priority 3.8; IT's mirror 3.4,
    # marketing's priority 4.2 (five answers a side)
    answers = pulse(
        m_priority=["4", "4", "4", "5", "4"],
        it_priority=["4", "4", "3", "4", "4"],
        m_mirror=["3", "2", "3", "2", "3"],
        it_mirror=["3", "4", "3", "4", "3"],
    )
    result = result_of(answers)
    gaps = perception_gaps(result.figures)
    assert gaps[Side.MARKETING].thinks == pytest.approx(2.6)
    assert gaps[Side.MARKETING].actual == pytest.approx(3.8)
    assert gaps[Side.MARKETING].gap == pytest.approx(-1.2)
    assert gaps[Side.IT].gap == pytest.approx(3.4 - 4.2)
    assert gap_sentence(gaps[Side.MARKETING]) == (
        "Marketing thinks IT rates this partnership 2.6 — IT's own answer is 3.8: marketing "
        "underestimates IT by 1.2 points."
    )
    assert perception_line(result.figures) == (
        "Perception gap: marketing underestimates IT by 1.2 points; "
        "IT underestimates marketing by 0.8 points."
    )
    assert perception_cell(result).text == "Mkt \u22121.2 · IT \u22120.8"


def test_the_mirror_question_is_not_part_of_the_score() -> None:
    with_mirror = result_of(pulse(["4"] * 3, ["4"] * 3, ["1"] * 3, ["1"] * 3))
    without = result_of(pulse(["4"] * 3, ["4"] * 3, [], []))
    assert with_mirror.score == without.score
    figures = with_mirror.figures
    assert figures is not None and "mirror" not in figures.levels
    assert "mirror" not in figures.components and "mirror" not in figures.gaps


@pytest.mark.parametrize(
    ("m_priority", "it_priority", "m_mirror", "it_mirror", "n"),
    [
        (["4"] * 3, ["4"] * 3, ["2"] * 2, ["2"] * 3, (2, 3)),  # marketing's mirror short
        (["4"] * 3, ["4"] * 3, ["2"] * 3, ["2"] * 2, (3, 2)),  # IT's mirror short
        (["4"] * 3, ["4"] * 2, ["2"] * 3, ["2"] * 2, (3, 2)),  # IT short on both
    ],
)
def test_the_gap_needs_k_answers_a_side_to_both_questions(
    m_priority: list[str],
    it_priority: list[str],
    m_mirror: list[str],
    it_mirror: list[str],
    n: tuple[int, int],
) -> None:
    result = result_of(pulse(m_priority, it_priority, m_mirror, it_mirror))
    found = perception_of(result, QSET, 1)
    assert found is not None and not found.shown and found.counts == n
    assert perception_gaps(result.figures) == {}
    assert perception_line(result.figures) is None
    cell = perception_cell(result, QSET, 1)
    assert cell.value is None and cell.text == f"not enough answers yet ({min(n)} of 3 per side)"


def test_a_raised_k_withholds_a_stored_perception_gap() -> None:
    stored = PollResult.from_dict(
        result_of(pulse(["4"] * 4, ["4"] * 4, ["2"] * 4, ["2"] * 3)).to_dict()
    )
    assert perception_gaps(stored.figures)  # k = 3: both questions pass
    stricter = stored.at_k(4, QSET.for_poll(1))  # IT's 3 mirror answers fail k = 4
    assert stricter.score is not None and stricter.score == stored.score
    assert perception_gaps(stricter.figures) == {}
    found = perception_of(stricter, QSET, 1)
    assert found is not None and not found.shown and found.counts == (4, 3)


def test_the_differencing_guard_counts_both_questions_behind_the_gap() -> None:
    """k more people a side who answer everything but the mirror question do not make a new
    "so far" perception gap safe: its mirror levels would differ by fewer than k people."""
    first = pulse(["4"] * 3, ["4"] * 3, ["2"] * 3, ["3"] * 3)
    shown_state = advance(DisclosureState(), snap(first), k=K)
    assert shown_state.pending is not None
    assert {"priority", "mirror"} <= figure_questions(shown_state.pending.result, k=K)
    # three more a side, none answering the mirror, then one more mirror answer a side
    more = first + pulse(["5"] * 3, ["5"] * 3, [], [], prefix="late")
    more += [
        AnswerRecord("latemarketing0", Side.MARKETING, "mirror", "5"),
        AnswerRecord("lateit0", Side.IT, "mirror", "5"),
    ]
    assert advance(shown_state, snap(more), k=K) is shown_state  # nothing published
    everyone = first + pulse(["5"] * 3, ["5"] * 3, ["5"] * 3, ["5"] * 3, prefix="late")
    published = advance(shown_state, snap(everyone), k=K)
    assert published.shown is not None and perception_gaps(published.shown.figures)


def snap(answers: list[AnswerRecord]) -> Snapshot:
    return Snapshot(contributions(answers, poll_id=7, qset=QSET, poll_number=1), result_of(answers))


def closed(answers: list[AnswerRecord], seed: int = 7) -> Figures:
    result = with_uncertainty(result_of(answers), answers, QSET, poll_number=1, seed=seed)
    assert result.figures is not None
    return result.figures


def test_the_standard_error_adds_the_two_sides_level_errors() -> None:
    figures = closed(pulse(["3", "4", "5"] * 2, ["2", "3", "4"] * 2, ["1", "2"] * 3, ["4"] * 6))
    u = figures.uncertainty
    assert u is not None
    gaps = perception_gaps(figures)
    own, theirs = u.level_se["mirror"][Side.MARKETING], u.level_se["priority"][Side.IT]
    assert gaps[Side.MARKETING].se == pytest.approx(4 * (own**2 + theirs**2) ** 0.5)
    assert own > 0 and theirs > 0
    assert perception.Z90 == uncertainty.Z90


def test_a_change_reads_steady_unless_beyond_chance() -> None:
    steady = ["4", "4", "5", "4", "4", "3"]  # IT's own priority, the same every pulse

    def with_mirror(mirror: list[str]) -> Figures:
        return closed(pulse(["4"] * 6, steady, mirror, ["4"] * 6))

    before = with_mirror(["3", "3", "2", "3", "3", "2"])
    # one person's answer moves by a point: well within chance
    small = with_mirror(["3", "3", "3", "3", "3", "2"])
    change = gap_change(before, small, Side.MARKETING)
    assert change is not None and not change.beyond
    # everyone in marketing now thinks IT barely cares, then reads IT right: beyond chance
    wider, right = with_mirror(["1"] * 6), with_mirror(["4"] * 6)
    assert (found := gap_change(before, wider, Side.MARKETING)) is not None
    assert found.beyond and not found.narrowed
    assert (closing := gap_change(wider, right, Side.MARKETING)) is not None
    assert closing.beyond and closing.narrowed
    # no standard errors stored (closed before they were kept): no judgement at all
    assert gap_change(replace(before, uncertainty=None), right, Side.MARKETING) is None


def test_a_wide_perception_gap_fires_the_imperative_5_nudge() -> None:
    # marketing thinks IT rates it 2, IT itself says 4: a 2-point gap
    figures = closed(pulse(["4"] * 5, ["4"] * 5, ["2"] * 5, ["4"] * 5))
    fired = {n.rule.id: n for n in candidates(figures, QSET, 1)}
    nudge = fired["perception-gap"]
    assert nudge.rule.imperative == 5 and nudge.value == pytest.approx(2.0)
    assert "Each side posts its top three priorities for next week" in nudge.action
    assert "Marketing underestimates how much IT cares about this partnership by 2.0" in (
        nudge.action
    )
    near = closed(pulse(["4"] * 5, ["4"] * 5, ["4", "3", "4", "4", "4"], ["4"] * 5))
    assert "perception-gap" not in {n.rule.id for n in candidates(near, QSET, 1)}


def test_an_old_poll_without_the_mirror_question_still_scores_and_shows_no_gap() -> None:
    old = QuestionSets.load().get("default", 1)
    answers = pulse(["4"] * 3, ["3"] * 3, ["2"] * 3, ["2"] * 3)  # stray mirror clicks
    result = compute_result(answers, question_set=old, poll_number=1, k=K)
    assert result.score is not None and result.figures is not None
    assert result.figures.mirror is None and "mirror" not in (result.counts or {})
    assert perception_of(result, old, 1) is None
    assert perception_cell(result, old, 1).text == "not asked"
