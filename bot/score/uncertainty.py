"""How sure a score is: the 90% interval stored at close, and whether a change beats chance.

The interval comes from a seeded bootstrap over respondents within each side (the seed is the
poll id, so a poll always shows the same interval). Lever agreement is recomputed with its own
chance correction inside each resample, and the resampled scores are recentred on the score
(resampling repeats people, which moves min() and the overlap by itself); the spread is
widened by √(n/(n−1)) because a bootstrap of n people underestimates the variance by that
factor. benchmarks/validity.py measures the coverage that results. Inside the loop the
arithmetic is floats on integer counts: the published score itself stays exact (bot.score.scoring).
"""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from fractions import Fraction
from functools import lru_cache

from bot.domain import SCORED_SIDES, AnswerRecord, Side
from bot.questions import QuestionSet
from bot.score.perception import widest_se
from bot.score.scoring import Figures, PollResult, Uncertainty, round_half_up

#: Resamples per closed poll: enough for a 90% interval to the point, cheap enough for a close.
RESAMPLES = 300
#: Two-sided 90%: a change is signed only beyond 1.645 standard errors.
Z90 = 1.6448536269514722
#: Components the week-over-week change test compares (when present in both pulses). Lever
#: agreement is left out: its noise would swamp the test (benchmarks/validity.py).
CHANGE_COMPONENTS = ("trust", "priority", "rotating")
_NAMES = {"trust": "trust", "priority": "priority", "rotating": "the rotating question"}


def with_uncertainty(
    result: PollResult,
    answers: Iterable[AnswerRecord],
    qset: QuestionSet,
    *,
    poll_number: int,
    seed: int,
    resamples: int = RESAMPLES,
) -> PollResult:
    """The result with its interval and standard errors (unchanged below the threshold)."""
    figures = result.figures
    if figures is None or figures.score is None:
        return result
    found = uncertainty_of(
        answers, qset, poll_number=poll_number, figures=figures, seed=seed, resamples=resamples
    )
    return PollResult(
        result.k, result.participation, replace(figures, uncertainty=found), result.counts
    )


@dataclass(frozen=True, slots=True)
class _Side:
    """One side's respondents: per likert question their x values, and their lever answers."""

    rows: list[tuple[tuple[float | None, ...], str | None]]


def _sides(
    answers: Iterable[AnswerRecord], likert: Sequence[str], lever: str | None
) -> dict[Side, _Side]:
    by_person: dict[tuple[Side, str], dict[str, str]] = {}
    for a in answers:
        if a.side in SCORED_SIDES:
            by_person.setdefault((a.side, a.respondent), {})[a.question_id] = a.value
    sides: dict[Side, _Side] = {s: _Side([]) for s in SCORED_SIDES}
    for (side, _), given in by_person.items():
        xs = tuple((int(given[q]) - 1) / 4 if q in given else None for q in likert)
        sides[side].rows.append((xs, given.get(lever) if lever else None))
    return sides


def uncertainty_of(
    answers: Iterable[AnswerRecord],
    qset: QuestionSet,
    *,
    poll_number: int,
    figures: Figures,
    seed: int,
    resamples: int = RESAMPLES,
) -> Uncertainty:
    """The bootstrap interval and standard errors of one published poll's score."""
    asked = qset.for_poll(poll_number)
    likert = [q for q in asked if q.is_likert]
    scored = [i for i, q in enumerate(likert) if q.role in figures.components]
    lever_q = next((q for q in asked if not q.is_likert), None)
    use_lever = lever_q is not None and "lever" in figures.components
    sides = _sides(answers, [q.id for q in likert], lever_q.id if lever_q else None)
    keys = [str(likert[i].role) for i in scored] + (["lever"] if use_lever else [])
    rng = random.Random(seed)
    draws: list[list[float]] = []
    for _ in range(resamples):
        picked = {s: rng.choices(sides[s].rows, k=len(sides[s].rows)) for s in SCORED_SIDES}
        values = [_min_level(picked, i) for i in scored]
        if use_lever:
            values.append(_agreement(picked))
        if all(v is not None for v in values):
            draws.append([v for v in values if v is not None])
    n = min(len(sides[s].rows) for s in SCORED_SIDES)
    widen = math.sqrt(n / (n - 1)) if n > 1 else 1.0
    cov = _covariance(keys, draws, widen)
    score = figures.score
    assert score is not None
    totals = sorted(100 * sum(d) / len(d) for d in draws)
    centre = sum(totals) / len(totals) if totals else float(score)
    low = score - widen * (centre - _quantile(totals, 0.05, centre))
    high = score + widen * (_quantile(totals, 0.95, centre) - centre)
    se = 100 * math.sqrt(sum(cov[a][b] for a in keys for b in keys)) / len(keys) if keys else 0.0
    return Uncertainty(
        low=max(0, min(score, _round(low))),
        high=min(100, max(score, _round(high))),
        se=round(se, 4),
        cov=cov,
        level_se=_level_se(sides, [q.id for q in likert]),
    )


def _round(value: float) -> int:
    return math.floor(value + 0.5)


def _quantile(ordered: list[float], q: float, default: float) -> float:
    if not ordered:
        return default
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def _min_level(
    picked: Mapping[Side, list[tuple[tuple[float | None, ...], str | None]]], i: int
) -> float | None:
    levels = []
    for side in SCORED_SIDES:
        xs = [x for row in picked[side] if (x := row[0][i]) is not None]
        if not xs:
            return None
        levels.append(sum(xs) / len(xs))
    return min(levels)


def _agreement(
    picked: Mapping[Side, list[tuple[tuple[float | None, ...], str | None]]],
) -> float | None:
    m = Counter(row[1] for row in picked[Side.MARKETING] if row[1] is not None)
    it = Counter(row[1] for row in picked[Side.IT] if row[1] is not None)
    n_m, n_it = sum(m.values()), sum(it.values())
    if not n_m or not n_it:
        return None
    overlap = sum(min(c / n_m, it[o] / n_it) for o, c in m.items() if o in it)
    options = set(m) | set(it)
    expected = expected_overlap_float(
        tuple(sorted(m.get(o, 0) + it.get(o, 0) for o in options)), n_m, n_it
    )
    return overlap if expected == 0 else min(1.0, overlap / expected)


@lru_cache(maxsize=4096)
def expected_overlap_float(totals: tuple[int, ...], n_m: int, n_it: int) -> float:
    """`bot.scoring.expected_overlap` in floats, cached: resamples repeat the same splits."""
    n = n_m + n_it
    ways = math.comb(n, n_m)
    expected = 0.0
    for c in totals:
        for x in range(max(0, c - n_it), min(c, n_m) + 1):
            p = math.comb(c, x) * math.comb(n - c, n_m - x) / ways
            expected += p * min(x / n_m, (c - x) / n_it)
    return expected


def _covariance(
    keys: list[str], draws: list[list[float]], widen: float
) -> dict[str, dict[str, float]]:
    if len(draws) < 2:
        return {a: {b: 0.0 for b in keys} for a in keys}
    means = [sum(d[i] for d in draws) / len(draws) for i in range(len(keys))]
    cov: dict[str, dict[str, float]] = {}
    for i, a in enumerate(keys):
        cov[a] = {}
        for j, b in enumerate(keys):
            c = sum((d[i] - means[i]) * (d[j] - means[j]) for d in draws) / (len(draws) - 1)
            cov[a][b] = round(c * widen * widen, 6)
    return cov


def _level_se(sides: Mapping[Side, _Side], likert: list[str]) -> dict[str, dict[Side, float]]:
    """Standard error of each side's mean level (sample SD / √n), for follow-ups on gaps."""
    out: dict[str, dict[Side, float]] = {}
    for i, question in enumerate(likert):
        for side in SCORED_SIDES:
            xs = [x for row in sides[side].rows if (x := row[0][i]) is not None]
            if len(xs) > 1:
                mean = sum(xs) / len(xs)
                var = sum((x - mean) ** 2 for x in xs) / (len(xs) - 1)
                out.setdefault(question, {})[side] = round(math.sqrt(var / len(xs)), 6)
    return out


@dataclass(frozen=True, slots=True)
class Change:
    """The like-for-like change between two published pulses.

    `covers` the components present in both (rotating only when it is the same question);
    `points` the signed change of their mean × 100 when it is larger than chance at the 90%
    level, else None ("steady"); `mostly` the component that moved most in its direction;
    `comparable` False when the pulses were scored with different formulas or one of them has
    no stored standard errors (results closed before intervals were kept)."""

    comparable: bool
    covers: tuple[str, ...] = ()
    points: int | None = None
    mostly: str | None = None
    formula_changed: bool = False

    @property
    def steady(self) -> bool:
        return self.comparable and self.points is None

    def covers_text(self) -> str:
        names = [_NAMES[c] for c in self.covers]
        return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]

    def mostly_text(self) -> str:
        return _NAMES[self.mostly] if self.mostly else ""


def change_between(previous: Figures, current: Figures) -> Change:
    """Whether `current` moved from `previous` by more than chance (see `Change`)."""
    if previous.formula != current.formula:
        return Change(comparable=False, formula_changed=True)
    before, after = previous.uncertainty, current.uncertainty
    if before is None or after is None:
        return Change(comparable=False)
    common = tuple(
        c
        for c in CHANGE_COMPONENTS
        if c in previous.components
        and c in current.components
        and c in before.cov
        and c in after.cov
        and previous.component_imperative.get(c) == current.component_imperative.get(c)
    )
    if not common:
        return Change(comparable=False)
    deltas = {c: current.components[c] - previous.components[c] for c in common}
    diff = sum(deltas.values()) / len(common)
    var = sum(u.cov[a][b] for u in (before, after) for a in common for b in common)
    se = math.sqrt(max(var, 0.0)) / len(common)
    points = round_half_up(Fraction(abs(diff) * 100)) * (1 if diff >= 0 else -1)
    if abs(diff) <= Z90 * se or points == 0:
        return Change(comparable=True, covers=common)
    mostly = max(common, key=lambda c: deltas[c] * (1 if diff >= 0 else -1))
    return Change(comparable=True, covers=common, points=points, mostly=mostly)


def beyond_chance(after: float, after_se: float, before: Sequence[tuple[float, float]]) -> bool:
    """Whether `after` differs from the mean of `before` values (each with its standard error,
    independent) by more than chance at the 90% level."""
    if not before:
        return False
    baseline = sum(v for v, _ in before) / len(before)
    var = after_se**2 + sum(se**2 for _, se in before) / len(before) ** 2
    return abs(after - baseline) > Z90 * math.sqrt(var)


def metric_se(key: str, figures: Figures, question_ids: Mapping[str, str]) -> float | None:
    """The standard error of a nudge metric in one pulse, in the metric's own unit, from the
    stored standard errors (None when the pulse has none). `question_ids` maps the metric's
    role ("trust", "priority", "item_N") to the question it reads in that pulse."""
    u = figures.uncertainty
    if u is None:
        return None
    if key in ("lever_agreement", "lowest_component"):
        component = (
            "lever"
            if key == "lever_agreement"
            else min(figures.components, key=lambda c: figures.components[c], default=None)
        )
        if component is None or component not in u.cov:
            return None
        return math.sqrt(max(u.cov[component][component], 0.0))
    if key == "perception_gap":
        return widest_se(figures)
    if key == "overall_level":  # the mirror question's level is not an answer about oneself
        ses = [se for q, per in u.level_se.items() if q in figures.levels for se in per.values()]
        return 4 * math.sqrt(sum(se**2 for se in ses)) / len(ses) if ses else None
    role = key.split("_gap")[0].removesuffix("_level")
    per = u.level_se.get(question_ids.get(role, ""))
    if per is None or len(per) < 2:
        return None
    if "_gap" in key:
        return 4 * math.sqrt(sum(se**2 for se in per.values()))
    # a level metric reads the lower side's level; which side that is can change between
    # pulses, so the larger of the two sides' errors stands for it
    return 4 * max(per.values())
