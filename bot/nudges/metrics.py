"""The measures nudges fire on and follow up: each read from one poll's published figures."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from bot.domain import SCORED_SIDES
from bot.questions import QuestionSet
from bot.score.perception import widest
from bot.score.scoring import Figures
from bot.summary.readings import SideLevels, levels_of, likert_levels, on_scale

Reader = Callable[[Figures, QuestionSet, int], float | None]


@dataclass(frozen=True, slots=True)
class Metric:
    key: str
    #: how a sentence names it: "the {label} narrowed from …"
    label: str
    unit: Literal["points", "level", "share"]
    better: Literal["lower", "higher"]
    #: the metric's full range, to compare how far different rules are past their thresholds
    span: float
    read: Reader

    def __call__(self, figures: Figures, qset: QuestionSet, poll_number: int) -> float | None:
        return self.read(figures, qset, poll_number)


def _role_levels(role: Literal["trust", "priority"]) -> Callable[..., SideLevels | None]:
    def read(figures: Figures, qset: QuestionSet, poll_number: int) -> SideLevels | None:
        return levels_of(figures, qset, poll_number, qset.by_role(role).id)

    return read


_trust, _priority = _role_levels("trust"), _role_levels("priority")


def _gap(read: Callable[..., SideLevels | None], *, size: bool) -> Reader:
    def metric(figures: Figures, qset: QuestionSet, poll_number: int) -> float | None:
        row = read(figures, qset, poll_number)
        if row is None:
            return None
        return abs(row.gap) if size else row.gap

    return metric


def _level(read: Callable[..., SideLevels | None]) -> Reader:
    """The lower side's level: what the score's component is (min of the two sides), so a rule
    on it fires on the level both sides reach, not on an average the higher side props up."""

    def metric(figures: Figures, qset: QuestionSet, poll_number: int) -> float | None:
        row = read(figures, qset, poll_number)
        return min(row.marketing, row.it) if row else None

    return metric


def _item_row(imperative: int) -> Callable[..., SideLevels | None]:
    """The rotating question of `imperative`, only in the polls that ask it."""

    def read(figures: Figures, qset: QuestionSet, poll_number: int) -> SideLevels | None:
        return levels_of(figures, qset, poll_number, qset.rotating_item(imperative).id)

    return read


def widest_gap_size(figures: Figures, qset: QuestionSet, poll_number: int) -> float | None:
    """The widest gap of the poll's likert questions that both sides answered, in points."""
    gaps = [abs(r.gap) for r in likert_levels(figures, qset, poll_number)]
    return max(gaps) if gaps else None


def _lever_agreement(figures: Figures, qset: QuestionSet, poll_number: int) -> float | None:
    return figures.components.get("lever")


def _lowest_component(figures: Figures, qset: QuestionSet, poll_number: int) -> float | None:
    if len(figures.components) < 2:
        return None
    return min(figures.components.values())


def _perception_gap(figures: Figures, qset: QuestionSet, poll_number: int) -> float | None:
    """The size of the wider of the two sides' perception gaps (bot.score.perception)."""
    found = widest(figures)
    return abs(found.gap) if found is not None else None


def _both_sides_level(figures: Figures, qset: QuestionSet, poll_number: int) -> float | None:
    values = [lv[s] for lv in figures.levels.values() for s in SCORED_SIDES if s in lv]
    return on_scale(sum(values) / len(values)) if values else None


_ITEM_LABELS = {
    1: "experience-ownership answer",
    2: "IT-as-partner answer",
    3: "shared-metrics answer",
    4: "skill-mix answer",
    5: "trusted-to-decide answer",
}

METRICS: dict[str, Metric] = {
    m.key: m
    for m in (
        Metric("trust_gap", "trust gap", "points", "lower", 4.0, _gap(_trust, size=True)),
        Metric("priority_gap", "priority gap", "points", "lower", 4.0, _gap(_priority, size=False)),
        Metric(
            "priority_gap_size", "priority gap", "points", "lower", 4.0, _gap(_priority, size=True)
        ),
        Metric("trust_level", "lower side's trust answer", "level", "higher", 4.0, _level(_trust)),
        Metric(
            "priority_level",
            "lower side's priority answer",
            "level",
            "higher",
            4.0,
            _level(_priority),
        ),
        Metric("lever_agreement", "lever agreement", "share", "higher", 1.0, _lever_agreement),
        Metric("lowest_component", "weakest component", "share", "higher", 1.0, _lowest_component),
        Metric("overall_level", "average answer", "level", "higher", 4.0, _both_sides_level),
        Metric("widest_gap", "widest gap", "points", "lower", 4.0, widest_gap_size),
        Metric("perception_gap", "perception gap", "points", "lower", 4.0, _perception_gap),
        *(
            Metric(
                f"item_{i}", f"lower side's {label}", "level", "higher", 4.0, _level(_item_row(i))
            )
            for i, label in _ITEM_LABELS.items()
        ),
        *(
            Metric(
                f"item_{i}_gap",
                f"gap on the {label.removesuffix(' answer')} question",
                "points",
                "lower",
                4.0,
                _gap(_item_row(i), size=True),
            )
            for i, label in _ITEM_LABELS.items()
        ),
    )
}


def rotating_metric_imperative(key: str) -> int | None:
    """The imperative whose rotating question a metric reads, for `item_N` and `item_N_gap`."""
    number = key.removeprefix("item_").removesuffix("_gap")
    if key.startswith("item_") and number.isdigit():
        return int(number)
    return None
