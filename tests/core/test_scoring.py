"""The alignment score, pinned to docs/design.md's formula with worked examples and properties."""

from __future__ import annotations

from fractions import Fraction
from math import comb

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain import AnswerRecord, Side
from bot.questions import default_question_set
from bot.score.scoring import (
    Participation,
    PollResult,
    compute_result,
    expected_overlap,
    lever_agreement,
    likert_component,
    round_half_up,
)

QS = default_question_set()
M, IT, OTHER = Side.MARKETING, Side.IT, Side.OTHER
LEVERS = [o.value for o in QS.by_role("lever").options]


def answers(side: Side, question: str, values: list[str], prefix: str = "") -> list[AnswerRecord]:
    tag = prefix or f"{side.value}-"
    return [AnswerRecord(f"{tag}{i}", side, question, v) for i, v in enumerate(values)]


def score(records: list[AnswerRecord], *, poll_number: int = 1, k: int = 5) -> PollResult:
    return compute_result(records, question_set=QS, poll_number=poll_number, k=k)


# --- worked examples --------------------------------------------------------------------------


def test_both_sides_positive_and_agreeing_scores_100() -> None:
    records = []
    for side in (M, IT):
        records += answers(side, "trust", ["5"] * 5)
        records += answers(side, "priority", ["5"] * 5)
        records += answers(side, "lever", ["privacy"] * 5)
        records += answers(side, "imperative_1", ["5"] * 5)
    result = score(records)
    assert result.figures is not None
    assert result.score == 100
    assert result.figures.components == {
        "trust": 1.0,
        "priority": 1.0,
        "lever": 1.0,
        "rotating": 1.0,
    }
    assert result.figures.per_imperative == {1: 100, 2: 100, 3: 100, 5: 100}
    assert result.figures.gaps == {"trust": 0.0, "priority": 0.0, "imperative_1": 0.0}


def test_positive_but_split_scores_the_level_both_reach() -> None:
    # marketing all 5 (L = 1), IT all 3 (L = 0.5): C = min(1, 0.5) = 0.5 → 50
    records = answers(M, "trust", ["5"] * 5) + answers(IT, "trust", ["3"] * 5)
    result = score(records)
    assert result.figures is not None
    assert result.figures.components == {"trust": 0.5}
    assert result.score == 50
    assert result.figures.formula == 2
    assert result.figures.gaps["trust"] == pytest.approx(2.0)  # 4 × (1 − 0.5) points
    assert result.figures.levels["trust"] == {M: 1.0, IT: 0.5}


def test_lever_agreement_zero_when_choices_do_not_overlap() -> None:
    records = answers(M, "lever", ["privacy"] * 5) + answers(IT, "lever", ["speed"] * 5)
    result = score(records)
    assert result.figures is not None
    assert result.figures.components == {"lever": 0.0}
    assert result.score == 0
    assert result.figures.per_imperative == {3: 0}


def test_lever_agreement_one_for_equal_distributions_of_different_sizes() -> None:
    m = ["privacy"] * 3 + ["speed"] * 2
    it = ["privacy"] * 6 + ["speed"] * 4
    result = score(answers(M, "lever", m) + answers(IT, "lever", it))
    assert result.figures is not None
    assert result.figures.components == {"lever": 1.0}
    assert result.score == 100
    assert result.figures.lever_shares == {
        M: {"privacy": 0.6, "speed": 0.4},
        IT: {"privacy": 0.6, "speed": 0.4},
    }


def test_lever_agreement_partial_overlap_is_corrected_for_chance() -> None:
    # p_m = {privacy .6, speed .4}, p_it = {privacy .2, speed .2, insight .6}: O = .2 + .2 = .4;
    # pooled 4 privacy, 3 speed, 3 insight split 5/5 at random overlap E = 13/21 on average,
    # so A = .4 / (13/21) = 42/65 = 0.6462 → 65
    m = ["privacy"] * 3 + ["speed"] * 2
    it = ["privacy", "speed", "insight", "insight", "insight"]
    result = score(answers(M, "lever", m) + answers(IT, "lever", it))
    assert result.figures is not None
    assert result.figures.components["lever"] == pytest.approx(0.6462)
    assert result.score == 65
    assert expected_overlap([4, 3, 3], 5, 5) == Fraction(13, 21)


def test_components_missing_on_one_side_are_left_out() -> None:
    records = (
        answers(M, "trust", ["5"] * 5)
        + answers(IT, "trust", ["5"] * 5)  # C = 1
        + answers(M, "priority", ["4"] * 5)  # IT silent: left out
        + answers(M, "lever", ["speed"] * 5)
        + answers(IT, "lever", ["speed"] * 5)  # A = 1
        + answers(M, "imperative_1", ["1"] * 5)
        + answers(IT, "imperative_1", ["1"] * 5)  # C = 0
    )
    result = score(records)
    assert result.figures is not None
    assert set(result.figures.components) == {"trust", "lever", "rotating"}
    assert result.score == 67  # mean(1, 1, 0) = 0.6667
    assert "priority" not in result.figures.gaps
    # a level needs k answers to its question from each side: marketing's alone is not shown
    assert "priority" not in result.figures.levels
    assert result.count("priority") == (5, 0)


def test_rounding_is_half_up_not_to_even() -> None:
    # each side 4,4,4,4,3,3,3,3 → L = 0.625 on both sides → C = 0.625 → 62.5 → 63
    values = ["4"] * 4 + ["3"] * 4
    result = score(answers(M, "trust", values) + answers(IT, "trust", values))
    assert result.score == 63
    assert round(62.5) == 62  # the trap this test guards against
    assert round_half_up(Fraction(125, 2)) == 63
    assert round_half_up(Fraction(249, 2)) == 125
    assert round_half_up(Fraction(1449, 100)) == 14


def test_rotating_item_belongs_to_its_imperative_and_shares_with_trust() -> None:
    # poll 5 rotates to imperative 5, which also owns trust: its score is the mean of both
    records = (
        answers(M, "trust", ["5"] * 5)
        + answers(IT, "trust", ["5"] * 5)  # C = 1
        + answers(M, "imperative_5", ["3"] * 5)
        + answers(IT, "imperative_5", ["3"] * 5)  # 0.5
    )
    result = score(records, poll_number=5)
    assert result.figures is not None
    assert result.figures.per_imperative == {5: 75}
    assert result.figures.component_imperative == {"trust": 5, "rotating": 5}
    assert result.score == 75


def test_answers_to_questions_not_in_this_poll_are_ignored() -> None:
    # poll 2 asks imperative_2; stray imperative_1 answers and invalid values do not count
    records = (
        answers(M, "imperative_2", ["5"] * 5)
        + answers(IT, "imperative_2", ["5"] * 5)
        + answers(M, "imperative_1", ["1"] * 5)
        + answers(IT, "trust", ["9"] * 5, prefix="x")
    )
    result = score(records, poll_number=2)
    assert result.score == 100
    assert result.participation == Participation(marketing=5, it=5)


def test_other_side_counts_for_participation_not_the_score() -> None:
    records = (
        answers(M, "trust", ["5"] * 5)
        + answers(IT, "trust", ["5"] * 5)
        + answers(OTHER, "trust", ["1"] * 7)
    )
    result = score(records)
    assert result.participation == Participation(marketing=5, it=5, other=7)
    assert result.score == 100


def test_below_threshold_on_either_side_gives_counts_only() -> None:
    records = answers(M, "trust", ["5"] * 5) + answers(IT, "trust", ["5"] * 4)
    result = score(records)
    assert result.figures is None and result.score is None
    assert result.participation == Participation(marketing=5, it=4)
    assert not result.published


def test_a_person_counts_once_however_many_questions() -> None:
    records = [
        AnswerRecord(f"p{i}", M, q, "4")
        for i in range(3)
        for q in ("trust", "priority", "imperative_1")
    ]
    assert score(records, k=3).participation.marketing == 3


def test_result_round_trips_through_json() -> None:
    records = (
        answers(M, "trust", ["5", "4", "4"])
        + answers(IT, "trust", ["2", "3", "3"])
        + answers(M, "lever", ["speed", "privacy", "speed"])
        + answers(IT, "lever", ["speed", "speed", "skills"])
    )
    result = score(records, k=3)
    assert PollResult.from_dict(result.to_dict()) == result


def test_component_helpers_match_the_formula() -> None:
    assert likert_component(Fraction(1), Fraction(1)) == 1
    assert likert_component(Fraction(0), Fraction(0)) == 0
    assert likert_component(Fraction(1), Fraction(0)) == 0
    assert likert_component(Fraction(3, 4), Fraction(1, 4)) == Fraction(1, 4)
    assert lever_agreement({"a": 3}, {"a": 5}) == 1
    assert lever_agreement({"a": 3}, {"b": 5}) == 0
    # O = 1/2; pooled a:3, b:1 split 2/2 overlaps 1/2 on average too: as close as chance allows
    assert lever_agreement({"a": 1, "b": 1}, {"a": 2}) == 1


# --- properties -------------------------------------------------------------------------------

likert = st.sampled_from(["1", "2", "3", "4", "5"])
lever = st.sampled_from(LEVERS)


@st.composite
def side_answers(draw: st.DrawFn, side: Side, min_people: int) -> list[AnswerRecord]:
    people = draw(st.integers(min_value=min_people, max_value=12))
    out: list[AnswerRecord] = []
    questions = {"trust": likert, "priority": likert, "lever": lever, "imperative_1": likert}
    for i in range(people):
        # the first min_people answer everything, so every component has k = min_people answers;
        # others answer 1–4 questions
        chosen = (
            list(questions)
            if i < max(min_people, 1)
            else draw(
                st.lists(st.sampled_from(list(questions)), min_size=1, max_size=4, unique=True)
            )
        )
        out += [AnswerRecord(f"{side.value}-{i}", side, q, draw(questions[q])) for q in chosen]
    return out


def swap(records: list[AnswerRecord]) -> list[AnswerRecord]:
    flip = {M: IT, IT: M}
    return [
        AnswerRecord(
            r.respondent,
            flip.get(r.side, r.side) if r.side else None,  # type: ignore[arg-type]
            r.question_id,
            r.value,
        )
        for r in records
    ]


@settings(max_examples=300, deadline=None)
@given(side_answers(M, 3), side_answers(IT, 3))
def test_score_is_between_0_and_100(m: list[AnswerRecord], it: list[AnswerRecord]) -> None:
    result = score(m + it, k=3)
    assert result.score is not None and 0 <= result.score <= 100
    assert result.figures is not None
    assert all(0 <= v <= 100 for v in result.figures.per_imperative.values())
    assert all(-4 <= g <= 4 for g in result.figures.gaps.values())


@settings(max_examples=300, deadline=None)
@given(side_answers(M, 3), side_answers(IT, 3))
def test_score_is_symmetric_in_the_sides(m: list[AnswerRecord], it: list[AnswerRecord]) -> None:
    records = m + it
    a, b = score(records, k=3).figures, score(swap(records), k=3).figures
    assert a is not None and b is not None
    assert a.score == b.score
    assert a.per_imperative == b.per_imperative
    assert a.components == pytest.approx(b.components)
    assert {q: -g for q, g in a.gaps.items()} == pytest.approx(b.gaps)


@settings(max_examples=100, deadline=None)
@given(st.integers(min_value=3, max_value=20), st.integers(min_value=3, max_value=20), lever)
def test_identical_sides_all_fives_give_100(n_m: int, n_it: int, choice: str) -> None:
    records = []
    for side, n in ((M, n_m), (IT, n_it)):
        for question in ("trust", "priority", "imperative_1"):
            records += answers(side, question, ["5"] * n)
        records += answers(side, "lever", [choice] * n)
    assert score(records, k=3).score == 100


@settings(max_examples=200, deadline=None)
@given(side_answers(M, 0), side_answers(IT, 0), st.integers(min_value=3, max_value=25))
def test_below_k_on_either_side_gives_no_figures(
    m: list[AnswerRecord], it: list[AnswerRecord], k: int
) -> None:
    result = score(m + it, k=k)
    counts = {
        q: tuple(sum(1 for r in m + it if r.side == s and r.question_id == q) for s in (M, IT))
        for q in ("trust", "priority", "lever", "imperative_1")
    }
    passing = {q for q, (n_m, n_it) in counts.items() if min(n_m, n_it) >= k}
    assert result.published == bool(passing)
    assert {q: result.count(q) for q in counts} == counts
    if not passing:
        assert result.figures is None and result.score is None
    else:
        figures = result.figures
        assert figures is not None
        roles = {"imperative_1": "rotating"}
        assert set(figures.components) == {roles.get(q, q) for q in passing}
        assert set(figures.levels) | set(figures.gaps) <= passing
        assert bool(figures.lever_shares) == ("lever" in passing)


@settings(max_examples=300, deadline=None)
@given(side_answers(M, 3), side_answers(IT, 3))
def test_score_matches_an_independent_float_oracle(
    m: list[AnswerRecord], it: list[AnswerRecord]
) -> None:
    """A plain re-implementation in floats agrees to within float noise at .5 boundaries."""

    def level(side: Side, q: str) -> float | None:
        xs = [(int(r.value) - 1) / 4 for r in m + it if r.side == side and r.question_id == q]
        return sum(xs) / len(xs) if xs else None

    def shares(side: Side) -> dict[str, float]:
        xs = [r.value for r in m + it if r.side == side and r.question_id == "lever"]
        return {o: xs.count(o) / len(xs) for o in set(xs)}

    parts = []
    for q in ("trust", "priority", "imperative_1"):
        lm, li = level(M, q), level(IT, q)
        if lm is not None and li is not None:
            parts.append(min(lm, li))
    pm, pi = shares(M), shares(IT)
    if pm and pi:
        overlap = sum(min(pm.get(o, 0.0), p) for o, p in pi.items())
        n_m = sum(1 for r in m if r.question_id == "lever")
        n_it = sum(1 for r in it if r.question_id == "lever")
        pooled = [r.value for r in m + it if r.question_id == "lever"]
        expected = 0.0
        for option in set(pooled):
            c, n = pooled.count(option), n_m + n_it
            for x in range(0, c + 1):  # hypergeometric pmf by counting, zero outside support
                ways = comb(c, x) * comb(n - c, n_m - x) if n_m - x >= 0 else 0
                expected += ways / comb(n, n_m) * min(x / n_m, (c - x) / n_it)
        parts.append(min(1.0, overlap / expected) if expected else overlap)
    expected = 100 * sum(parts) / len(parts)
    assert abs(score(m + it, k=3).score - expected) <= 0.5 + 1e-9  # type: ignore[operator]


# --- what a stored result keeps ----------------------------------------------------------------


def test_agreement_counts_answers_of_4_and_5_per_likert_question_and_side() -> None:
    records = answers(M, "trust", ["5", "4", "3", "2", "1"])
    records += answers(IT, "trust", ["4", "4", "4", "1", "2", "5"])
    records += answers(M, "priority", ["1"] * 5)
    records += answers(IT, "lever", ["privacy"] * 5)
    records += answers(OTHER, "trust", ["5"] * 3)  # not a scored side: not counted
    result = score(records)
    assert result.figures is not None
    # only trust has k answers on both sides: priority's marketing answers are not counted
    assert result.figures.agreement == {"trust": {M: (2, 5), IT: (4, 6)}}


def test_below_k_no_agreement_counts_are_kept() -> None:
    records = answers(M, "trust", ["5"] * 5) + answers(IT, "trust", ["5"] * 4)
    result = score(records)
    assert result.figures is None and "agreement" not in str(result.to_dict())


@settings(max_examples=200, deadline=None)
@given(side_answers(M, 3), side_answers(IT, 3))
def test_a_stored_result_reads_back_equal(m: list[AnswerRecord], it: list[AnswerRecord]) -> None:
    result = score(m + it, k=3)
    back = PollResult.from_dict(result.to_dict())
    # score and published come without decoding the figures; then the figures are the same
    assert back.score == result.score and back.published == result.published
    assert back.participation == result.participation and back.k == result.k
    assert back == result
    assert result.figures is not None and back.figures is not None
    assert back.figures.agreement == result.figures.agreement


def test_a_result_stored_before_agreement_counts_reads_back_without_them() -> None:
    records = []
    for side in (M, IT):
        records += answers(side, "trust", ["4"] * 5) + answers(side, "lever", ["privacy"] * 5)
    stored = score(records).to_dict()
    del stored["figures"]["agreement"]
    old = PollResult.from_dict(stored)
    assert old.score == score(records).score
    assert old.figures is not None and old.figures.agreement is None
    assert "agreement" not in str(old.to_dict())


def test_a_result_below_k_reads_back_unpublished() -> None:
    result = score(answers(M, "trust", ["5"] * 2))
    back = PollResult.from_dict(result.to_dict())
    assert not back.published and back.score is None and back.figures is None
    assert back == result and back.participation == Participation(marketing=2)


def test_a_stored_result_reads_its_text_only_when_more_than_the_score_is_needed() -> None:
    records = []
    for side in (M, IT):
        records += answers(side, "trust", ["4"] * 5) + answers(side, "priority", ["2"] * 5)
    result = score(records)
    reads: list[int] = []

    def load() -> dict[str, object]:
        reads.append(1)
        return result.to_dict()

    stored = PollResult.stored(5, result.score, load)
    assert stored.score == result.score and stored.published and stored.k == 5
    assert reads == []
    assert stored.participation == result.participation and reads == [1]
    assert stored.figures == result.figures and stored == result and reads == [1]


def test_a_stored_result_without_a_score_is_read_to_tell() -> None:
    below = score(answers(M, "trust", ["5"] * 5))
    stored = PollResult.stored(5, None, below.to_dict)
    assert not stored.published and stored.score is None and stored == below
    # k marketers on one question and k engineers on another: no figure has k a side
    odd = score(answers(M, "trust", ["5"] * 5) + answers(IT, "priority", ["5"] * 5))
    assert not odd.published and odd.score is None and odd.figures is None
    stored = PollResult.stored(5, None, odd.to_dict)
    assert not stored.published and stored.count("trust") == (5, 0)


# --- formula 2's properties (docs/design.md "Properties") -------------------------------------------


def _raise_one(records: list[AnswerRecord], index: int) -> list[AnswerRecord] | None:
    """The answers with the `index`-th likert answer one step higher (None if none can rise)."""
    likert_at = [i for i, r in enumerate(records) if r.question_id != "lever" and r.value != "5"]
    if not likert_at:
        return None
    i = likert_at[index % len(likert_at)]
    raised = list(records)
    r = raised[i]
    raised[i] = AnswerRecord(r.respondent, r.side, r.question_id, str(int(r.value) + 1))
    return raised


@settings(max_examples=300, deadline=None)
@given(side_answers(M, 3), side_answers(IT, 3), st.integers(min_value=0, max_value=200))
def test_raising_any_one_answer_never_lowers_a_component_or_the_score(
    m: list[AnswerRecord], it: list[AnswerRecord], index: int
) -> None:
    before = score(m + it, k=3)
    raised = _raise_one(m + it, index)
    if raised is None:
        return
    after = score(raised, k=3)
    assert before.figures is not None and after.figures is not None
    assert after.score is not None and before.score is not None
    assert after.score >= before.score
    for key, value in before.figures.components.items():
        assert after.figures.components[key] >= value


def test_caring_less_is_not_rewarded() -> None:
    """The issue's case: under formula 1, marketing dropping from 5 to IT's 3 raised the score."""
    high = answers(M, "trust", ["5"] * 5) + answers(IT, "trust", ["3"] * 5)
    low = answers(M, "trust", ["3"] * 5) + answers(IT, "trust", ["3"] * 5)
    assert score(high).score == score(low).score == 50


@settings(max_examples=200, deadline=None)
@given(st.lists(lever, min_size=1, max_size=12), st.integers(min_value=1, max_value=3))
def test_lever_agreement_of_identical_answer_multisets_is_1(choices: list[str], times: int) -> None:
    counts_m: dict[str, int] = {}
    for c in choices:
        counts_m[c] = counts_m.get(c, 0) + 1
    assert lever_agreement(counts_m, counts_m) == 1
    assert lever_agreement(counts_m, {o: n * times for o, n in counts_m.items()}) == 1


def test_a_stored_result_keeps_its_formula_and_old_ones_are_version_1() -> None:
    result = score(answers(M, "trust", ["5"] * 5) + answers(IT, "trust", ["3"] * 5))
    data = result.to_dict()
    assert data["figures"]["formula"] == 2
    assert PollResult.from_dict(data).figures.formula == 2  # type: ignore[union-attr]
    del data["figures"]["formula"]
    old = PollResult.from_dict(data)
    assert old.figures is not None and old.figures.formula == 1
    assert old.score == 50  # never recomputed: the stored figures are what is shown
