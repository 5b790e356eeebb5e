"""The alignment score, per-imperative scores, side levels and gaps, exactly as docs/design.md defines.

All arithmetic is done on `Fraction`s so that "round half up" is exact: 62.5 rounds to 63 and no
float error can turn 14.5 into 14.499999. The privacy threshold k is counted per figure: a
question's figures (its level, gap, share, component) exist only when marketing and IT each gave
k answers to that question; the score is the mean of the components that pass, and a result
with no passing component carries counts only. Every result keeps its per-question answer counts
(`counts`), so a later, stricter k can withhold what no longer meets it (`at_k`).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from fractions import Fraction
from typing import Any

from bot.domain import SCORED_SIDES, AnswerRecord, Side
from bot.privacy import not_enough_text
from bot.questions import LIKERT_VALUES, Question, QuestionSet

#: Component keys, in the order of the formula's mean.
COMPONENTS = ("trust", "priority", "lever", "rotating")
#: The formula a result is computed with, stored in it: 1 = mean × (1 − |gap|) and raw lever
#: overlap (results stored without a version); 2 = min of the sides' levels and lever overlap
#: corrected for chance. A closed result keeps the formula it was published with.
FORMULA = 2
#: Decimals kept in published levels, gaps, shares and components.
PRECISION = 4
#: Likert answers that agree (4 Agree, 5 Strongly agree): the study's "share answering 4–5".
AGREE = frozenset({"4", "5"})
_SIDE_BY_VALUE = {s.value: s for s in Side}


@dataclass(frozen=True, slots=True)
class Participation:
    """Distinct respondents per side in one poll; `pending` answered before choosing a side."""

    marketing: int = 0
    it: int = 0
    other: int = 0
    pending: int = 0

    @property
    def total(self) -> int:
        return self.marketing + self.it + self.other + self.pending

    def of(self, side: Side) -> int:
        return {Side.MARKETING: self.marketing, Side.IT: self.it, Side.OTHER: self.other}[side]

    def meets(self, k: int) -> bool:
        """The privacy rule: both marketing and IT have at least k distinct respondents."""
        return self.marketing >= k and self.it >= k

    @property
    def scored_minimum(self) -> int:
        """The smaller of the two scored sides' counts (the n of "n of k per side")."""
        return min(self.marketing, self.it)

    def to_dict(self) -> dict[str, int]:
        return {
            "marketing": self.marketing,
            "it": self.it,
            "other": self.other,
            "pending": self.pending,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Participation:
        get = data.get
        return cls(get("marketing", 0), get("it", 0), get("other", 0), get("pending", 0))


@dataclass(frozen=True, slots=True)
class Figures:
    """Everything a poll lets us publish once it meets the privacy threshold.

    `levels[q][side]` is L_s on the 0..1 scale; `gaps[q]` is 4 × (L_m − L_it) in points of the
    1–5 scale; `components` maps a component key to its value in 0..1 and `component_imperative`
    to the imperative it belongs to; `lever_shares[side][option]` is p_s(option);
    `agreement[q][side]` is (answers 4–5, answers) for the study comparison, None in results
    stored before it was kept (their comparison is counted from the answers).
    """

    score: int | None
    components: dict[str, float]
    component_imperative: dict[str, int]
    per_imperative: dict[int, int]
    levels: dict[str, dict[Side, float]]
    gaps: dict[str, float]
    lever_shares: dict[Side, dict[str, float]]
    agreement: dict[str, dict[Side, tuple[int, int]]] | None = None
    #: the formula version (see FORMULA); results stored without one are version 1
    formula: int = FORMULA
    #: the score's 90% interval and standard errors, set when the poll closes
    uncertainty: Uncertainty | None = None
    #: the mirror question's levels, when it and the priority question both met k (the
    #: perception gap, bot.score.perception; not part of the score)
    mirror: Mirror | None = None

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "score": self.score,
            "components": self.components,
            "component_imperative": self.component_imperative,
            "per_imperative": {str(k): v for k, v in self.per_imperative.items()},
            "levels": {q: {s.value: v for s, v in lv.items()} for q, lv in self.levels.items()},
            "gaps": self.gaps,
            "lever_shares": {s.value: sh for s, sh in self.lever_shares.items()},
        }
        if self.agreement is not None:
            data["agreement"] = {
                q: {s.value: list(n) for s, n in per.items()} for q, per in self.agreement.items()
            }
        data["formula"] = self.formula
        if self.uncertainty is not None:
            data["uncertainty"] = self.uncertainty.to_dict()
        if self.mirror is not None:
            data["mirror"] = self.mirror.to_dict()
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Figures:
        # Hot path (every trend point of every report): JSON already yields floats and ints.
        side = _SIDE_BY_VALUE
        return cls(
            score=data["score"],
            components=dict(data["components"]),
            component_imperative=dict(data["component_imperative"]),
            per_imperative={int(k): v for k, v in data["per_imperative"].items()},
            levels={q: {side[s]: v for s, v in lv.items()} for q, lv in data["levels"].items()},
            gaps=dict(data["gaps"]),
            lever_shares={side[s]: dict(sh) for s, sh in data["lever_shares"].items()},
            agreement=_agreement_from(data.get("agreement")),
            formula=data.get("formula", 1),
            uncertainty=Uncertainty.from_dict(data["uncertainty"])
            if "uncertainty" in data
            else None,
            mirror=Mirror.from_dict(data["mirror"]) if "mirror" in data else None,
        )


@dataclass(frozen=True, slots=True)
class Mirror:
    """How each side reads the other: `levels[s]` is L_s(mirror) on the 0..1 scale, from the
    question `question`; the perception gap compares it with the other side's level on
    `priority` (the priority question's id in the same poll)."""

    question: str
    priority: str
    levels: dict[Side, float]

    def to_dict(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "priority": self.priority,
            "levels": {s.value: v for s, v in self.levels.items()},
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Mirror:
        side = _SIDE_BY_VALUE
        levels = {side[s]: v for s, v in data["levels"].items()}
        return cls(question=data["question"], priority=data["priority"], levels=levels)


@dataclass(frozen=True, slots=True)
class Uncertainty:
    """How sure a closed score is, computed once at close (bot.score.uncertainty).

    `low`..`high` is the 90% interval of the score (0–100, always containing it) and `se` its
    standard error in points; `cov[a][b]` the covariance of components a and b (0..1 scale), so
    that any like-for-like mean of components has its own standard error; `level_se[q][side]`
    the standard error of a side's level on a likert question (0..1 scale)."""

    low: int
    high: int
    se: float
    cov: dict[str, dict[str, float]]
    level_se: dict[str, dict[Side, float]]

    def to_dict(self) -> dict[str, Any]:
        return {
            "low": self.low,
            "high": self.high,
            "se": self.se,
            "cov": self.cov,
            "level_se": {q: {s.value: v for s, v in lv.items()} for q, lv in self.level_se.items()},
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Uncertainty:
        side = _SIDE_BY_VALUE
        return cls(
            low=data["low"],
            high=data["high"],
            se=data["se"],
            cov={a: dict(row) for a, row in data["cov"].items()},
            level_se={q: {side[s]: v for s, v in lv.items()} for q, lv in data["level_se"].items()},
        )


def _agreement_from(
    data: Mapping[str, Any] | None,
) -> dict[str, dict[Side, tuple[int, int]]] | None:
    if data is None:
        return None
    side = _SIDE_BY_VALUE
    return {q: {side[s]: (n[0], n[1]) for s, n in per.items()} for q, per in data.items()}


class PollResult:
    """The outcome of one poll: counts always, figures only at or above the threshold k.

    A stored result is decoded when first read: a trend reads 13 results, and most readers use
    the figures of one or two and only the scores of the rest (`stored`, `from_dict`)."""

    __slots__ = ("_counts", "_figures", "_load", "_participation", "_score", "_undecoded", "k")

    def __init__(
        self,
        k: int,
        participation: Participation,
        figures: Figures | None = None,
        counts: Counts | None = None,
    ) -> None:
        self.k = k
        self._participation: Participation | None = participation
        self._figures = figures
        #: answers per question per scored side; None in results stored before it was kept
        self._counts = counts
        #: the stored figures, not decoded yet
        self._undecoded: Mapping[str, Any] | None = None
        #: reads the whole stored result, not read yet; `_score` is its score meanwhile
        self._load: Callable[[], Mapping[str, Any]] | None = None
        self._score: int | None = None

    @classmethod
    def stored(cls, k: int, score: int | None, load: Callable[[], Mapping[str, Any]]) -> PollResult:
        """A stored result known by its k and score (kept beside it), the rest read by `load`
        (the `to_dict` form) when first needed."""
        result = cls(k, Participation())
        result._participation, result._load, result._score = None, load, score
        return result

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PollResult:
        """The `to_dict` form, its figures decoded when first read (as `stored`)."""
        figures = data.get("figures") or None
        return cls.stored(int(data["k"]), figures["score"] if figures else None, lambda: data)

    def _read(self) -> None:
        if self._load is not None:
            data, self._load = self._load(), None
            self._participation = Participation.from_dict(data["participation"])
            self._undecoded = data.get("figures") or None
            self._counts = _counts_from(data.get("counts"))

    @property
    def participation(self) -> Participation:
        self._read()
        assert self._participation is not None
        return self._participation

    @property
    def counts(self) -> Counts | None:
        """Answers per question and scored side (None for results stored before they were kept:
        `count` then falls back on the per-side respondent counts)."""
        self._read()
        return self._counts

    def count(self, question_id: str) -> tuple[int, int]:
        """(marketing, IT) answers to one question; for an old result without per-question
        counts, its per-side respondent counts stand in (docs/design.md, Privacy)."""
        counts = self.counts
        if counts is None:
            p = self.participation
            return p.marketing, p.it
        per = counts.get(question_id, {})
        return per.get(Side.MARKETING, 0), per.get(Side.IT, 0)

    def closest(self) -> tuple[int, int]:
        """(marketing, IT) answers to the question nearest to k a side: the n of a whole
        withheld pulse's "n of k per side"."""
        counts = self.counts
        if not counts:
            p = self.participation
            return p.marketing, p.it
        return max((self.count(q) for q in counts), key=lambda n: (min(n), max(n)), default=(0, 0))

    def withheld(self, questions: Iterable[Question]) -> list[Question]:
        """The asked questions whose figures this result withholds (fewer than k answers)."""
        return [q for q in questions if not self.passes(q.id)]

    def passes(self, question_id: str, k: int | None = None) -> bool:
        """Whether one question's figures may be shown under k (the result's own by default)."""
        m, it = self.count(question_id)
        return min(m, it) >= (self.k if k is None else k)

    def not_enough(self, question_id: str, k: int | None = None) -> str:
        """The withheld wording for one question, its own n counted."""
        m, it = self.count(question_id)
        return not_enough_text(m, it, self.k if k is None else k)

    def at_k(self, k: int, questions: Iterable[Question]) -> PollResult:
        """This stored result as the k in force lets it be shown: unchanged when k is not
        stricter than the one it was computed under; otherwise each figure is kept only if every
        count behind it meets k. A score (or per-imperative score) with a component below k is
        withheld, not recomputed: the difference would be that component."""
        if k <= self.k:
            return self
        if not self.published:
            return PollResult(k, self.participation, None, self.counts)
        figures = self.figures
        assert figures is not None
        asked = list(questions)
        failing = {q.id for q in asked if not self.passes(q.id, k)}
        if not failing:
            return PollResult(k, self.participation, figures, self.counts)
        roles = {q.role for q in asked if q.id in failing}
        if roles & figures.components.keys():
            return PollResult(k, self.participation, None, self.counts)
        kept = _without(
            figures, failing, lever=any(not q.is_likert for q in asked if q.id in failing)
        )
        return PollResult(k, self.participation, kept, self.counts)

    @property
    def figures(self) -> Figures | None:
        self._read()
        if self._undecoded is not None:
            self._figures, self._undecoded = Figures.from_dict(self._undecoded), None
        return self._figures

    @property
    def published(self) -> bool:
        if self._load is not None and self._score is not None:
            return True  # only published figures have a score
        self._read()
        return self._undecoded is not None or self._figures is not None

    @property
    def score(self) -> int | None:
        if self._load is not None and self._score is not None:
            return self._score
        self._read()
        if self._undecoded is not None:
            score: int | None = self._undecoded["score"]
            return score
        return self._figures.score if self._figures else None

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, PollResult):
            return NotImplemented
        mine, theirs = (self.k, self.participation), (other.k, other.participation)
        return mine == theirs and self.figures == other.figures and self.counts == other.counts

    def __repr__(self) -> str:
        return f"PollResult(k={self.k}, participation={self.participation}, figures={self.figures})"

    def to_dict(self) -> dict[str, Any]:
        figures, counts = self.figures, self.counts
        data: dict[str, Any] = {
            "k": self.k,
            "participation": self.participation.to_dict(),
            "figures": figures.to_dict() if figures else None,
        }
        if counts is not None:
            data["counts"] = {q: {s.value: n for s, n in c.items()} for q, c in counts.items()}
        return data


#: question id → scored side → answers to it
Counts = dict[str, dict[Side, int]]


def _counts_from(data: Mapping[str, Mapping[str, int]] | None) -> Counts | None:
    if data is None:
        return None
    side = _SIDE_BY_VALUE
    return {q: {side[s]: n for s, n in per.items()} for q, per in data.items()}


def _without(figures: Figures, failing: set[str], *, lever: bool) -> Figures:
    """The figures less those of `failing` questions that no component depends on."""
    agreement = figures.agreement
    return replace(
        figures,
        levels={q: lv for q, lv in figures.levels.items() if q not in failing},
        gaps={q: g for q, g in figures.gaps.items() if q not in failing},
        lever_shares={} if lever else figures.lever_shares,
        mirror=None
        if figures.mirror is None or failing & {figures.mirror.question, figures.mirror.priority}
        else figures.mirror,
        agreement=None
        if agreement is None
        else {q: a for q, a in agreement.items() if q not in failing},
    )


def round_half_up(value: Fraction) -> int:
    """Round to the nearest integer, halves away from zero for the non-negative scores we have."""
    return math.floor(value + Fraction(1, 2))


def likert_component(l_m: Fraction, l_it: Fraction) -> Fraction:
    """C = min(L_m, L_it): the level both sides reach. Raising either side never lowers it, and
    the higher side's excess earns nothing (so caring less is never rewarded)."""
    return min(l_m, l_it)


def lever_overlap(shares_m: Mapping[str, Fraction], shares_it: Mapping[str, Fraction]) -> Fraction:
    """O = Σ_k min(p_m(k), p_it(k)), one minus the total variation distance."""
    return sum((min(shares_m.get(o, Fraction(0)), p) for o, p in shares_it.items()), Fraction(0))


def expected_overlap(totals: Iterable[int], n_m: int, n_it: int) -> Fraction:
    """E: the expected O when the pooled lever answers (`totals[k]` choosing option k) are split
    at random into groups of n_m and n_it. Marketing's count of an option with c answers is
    hypergeometric, so E is exact: Σ_k Σ_x P(X = x) × min(x / n_m, (c − x) / n_it)."""
    n = n_m + n_it
    ways = math.comb(n, n_m)
    expected = Fraction(0)
    for c in totals:
        for x in range(max(0, c - n_it), min(c, n_m) + 1):
            p = Fraction(math.comb(c, x) * math.comb(n - c, n_m - x), ways)
            expected += p * min(Fraction(x, n_m), Fraction(c - x, n_it))
    return expected


def lever_agreement(counts_m: Mapping[str, int], counts_it: Mapping[str, int]) -> Fraction:
    """A = min(1, O / E): the overlap compared with what two sides wanting the same thing would
    reach by chance with these group sizes (A = O when E = 0). Raw O is biased low: two sides of
    6 with identical preferences overlap only ~0.55."""
    n_m, n_it = sum(counts_m.values()), sum(counts_it.values())
    overlap = lever_overlap(
        {o: Fraction(c, n_m) for o, c in counts_m.items()},
        {o: Fraction(c, n_it) for o, c in counts_it.items()},
    )
    options = set(counts_m) | set(counts_it)
    totals = [counts_m.get(o, 0) + counts_it.get(o, 0) for o in options]
    expected = expected_overlap(totals, n_m, n_it)
    return overlap if expected == 0 else min(Fraction(1), overlap / expected)


def participation_of(answers: Iterable[AnswerRecord]) -> Participation:
    """Distinct respondents per side (a person counts once, however many questions they answered)."""
    by_side: dict[Side | None, set[str]] = {}
    for a in answers:
        by_side.setdefault(a.side, set()).add(a.respondent)
    return Participation(
        marketing=len(by_side.get(Side.MARKETING, ())),
        it=len(by_side.get(Side.IT, ())),
        other=len(by_side.get(Side.OTHER, ())),
        pending=len(by_side.get(None, ())),
    )


def compute_result(
    answers: Iterable[AnswerRecord], *, question_set: QuestionSet, poll_number: int, k: int
) -> PollResult:
    """Score one poll from its answers. Each question's figures need k answers to it from each of
    marketing and IT; without a single passing component only counts come back."""
    asked = {q.id: q for q in question_set.for_poll(poll_number)}
    accepted = {q.id: _accepted_values(q) for q in asked.values()}
    valid = [a for a in answers if a.value in accepted.get(a.question_id, ())]
    participation = participation_of(valid)
    counts = answer_counts(valid, asked)
    passing = [q for q in asked.values() if min(counts[q.id].values()) >= k]
    figures = _figures(valid, passing) if passing else None
    if figures is None or figures.score is None:
        return PollResult(k=k, participation=participation, counts=counts)
    return PollResult(k=k, participation=participation, figures=figures, counts=counts)


def answer_counts(answers: Iterable[AnswerRecord], asked: Mapping[str, Question]) -> Counts:
    """Answers per asked question and scored side (one answer a person, the last click)."""
    counts: Counts = {q: {s: 0 for s in SCORED_SIDES} for q in asked}
    for a in answers:
        per = counts.get(a.question_id)
        if per is not None and a.side in per:
            per[a.side] += 1
    return counts


def _figures(answers: list[AnswerRecord], questions: list[Question]) -> Figures:
    """The figures of `questions`, every one of which has k answers from each scored side."""
    values: dict[tuple[str, Side], list[str]] = {}
    for a in answers:
        if a.side in SCORED_SIDES:
            values.setdefault((a.question_id, a.side), []).append(a.value)

    exact: dict[str, Fraction] = {}  # component key → exact value
    component_imperative: dict[str, int] = {}
    levels: dict[str, dict[Side, float]] = {}
    gaps: dict[str, float] = {}
    lever_shares: dict[Side, dict[str, float]] = {}
    agreement: dict[str, dict[Side, tuple[int, int]]] = {}
    mirror: dict[Side, float] = {}
    for q in questions:
        key = q.role
        per_side = {s: values.get((q.id, s), []) for s in SCORED_SIDES}
        if key == "mirror":  # read against the other side's priority, never scored
            mirror = {s: _float(_mean(v)) for s, v in per_side.items() if v}
        elif q.is_likert:
            means = {s: _mean(v) for s, v in per_side.items() if v}
            levels[q.id] = {s: _float(m) for s, m in means.items()}
            agreement[q.id] = {s: agreeing(v) for s, v in per_side.items() if v}
            if len(means) == 2:
                l_m, l_it = means[Side.MARKETING], means[Side.IT]
                exact[key] = likert_component(l_m, l_it)
                gaps[q.id] = _float(4 * (l_m - l_it))
        else:
            shares = {s: _shares(v) for s, v in per_side.items() if v}
            lever_shares = {s: {o: _float(p) for o, p in sh.items()} for s, sh in shares.items()}
            if len(shares) == 2:
                counts = {s: Counter(v) for s, v in per_side.items()}
                exact[key] = lever_agreement(counts[Side.MARKETING], counts[Side.IT])
        if key in exact:
            component_imperative[key] = q.imperative

    score = round_half_up(100 * _mean_of(list(exact.values()))) if exact else None
    by_imperative: dict[int, list[Fraction]] = {}
    for component, value in exact.items():
        by_imperative.setdefault(component_imperative[component], []).append(value)
    per_imperative = {i: round_half_up(100 * _mean_of(v)) for i, v in sorted(by_imperative.items())}
    return Figures(
        score=score,
        components={k: _float(exact[k]) for k in COMPONENTS if k in exact},
        component_imperative=component_imperative,
        per_imperative=per_imperative,
        levels=levels,
        gaps=gaps,
        lever_shares=lever_shares,
        agreement=agreement,
        mirror=_mirror(questions, mirror, levels),
    )


def _mirror(
    questions: list[Question], mirror: dict[Side, float], levels: dict[str, dict[Side, float]]
) -> Mirror | None:
    """The mirror levels, only when both sides answered the mirror and the priority question
    (each with k answers a side: `questions` holds only those that pass)."""
    by_role = {q.role: q.id for q in questions}
    asked, priority = by_role.get("mirror"), by_role.get("priority")
    if asked is None or priority is None or len(mirror) < 2 or len(levels.get(priority, {})) < 2:
        return None
    return Mirror(question=asked, priority=priority, levels=mirror)


def agreeing(values: Iterable[str]) -> tuple[int, int]:
    """(answers of 4 or 5, answers) among one side's answers to a likert question."""
    counted = list(values)
    return sum(1 for v in counted if v in AGREE), len(counted)


def _accepted_values(question: Question) -> frozenset[str]:
    if question.is_likert:
        return frozenset(LIKERT_VALUES)
    return frozenset(o.value for o in question.options)


def _mean(values: list[str]) -> Fraction:
    """Mean of x = (v − 1)/4 as one exact fraction: Σ(v − 1) / 4n."""
    return Fraction(sum(int(v) for v in values) - len(values), 4 * len(values))


def _mean_of(values: list[Fraction]) -> Fraction:
    return sum(values, Fraction(0)) / len(values)


def _shares(values: list[str]) -> dict[str, Fraction]:
    return {o: Fraction(n, len(values)) for o, n in Counter(values).items()}


def _float(value: Fraction) -> float:
    """Published shares and levels carry 4 decimals (messages show at most 1); the score and the
    per-imperative scores are computed from the exact fractions."""
    return round(float(value), PRECISION)
