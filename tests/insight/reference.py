"""The alignment formula written out again, independently of bot.score.scoring, to check summaries."""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping
from fractions import Fraction

Answers = Mapping[str, Mapping[str, str]]


def _side(name: str) -> str | None:
    return {"UMKTQ": "m", "UITXQ": "i"}.get(name[:5])


def level(week: Answers, side: str, role: str) -> Fraction:
    values = [
        Fraction(int(a[role]) - 1, 4) for n, a in week.items() if _side(n) == side and role in a
    ]
    return sum(values, Fraction(0)) / len(values)


def component(week: Answers, role: str) -> Fraction:
    return min(level(week, "m", role), level(week, "i", role))


def _overlap(m: list[str], i: list[str]) -> Fraction:
    return sum(
        (min(Fraction(m.count(o), len(m)), Fraction(i.count(o), len(i))) for o in set(m)),
        Fraction(0),
    )


def lever_agreement(week: Answers) -> Fraction:
    """O over its mean across every way of splitting the pooled answers into groups of the
    two sides' sizes (enumerated, not the hypergeometric shortcut bot.score.scoring takes)."""
    picks = {
        side: [a["lever"] for n, a in week.items() if _side(n) == side and "lever" in a]
        for side in ("m", "i")
    }
    pooled = picks["m"] + picks["i"]
    splits = [
        _overlap(
            [pooled[j] for j in chosen], [pooled[j] for j in range(len(pooled)) if j not in chosen]
        )
        for chosen in map(set, itertools.combinations(range(len(pooled)), len(picks["m"])))
    ]
    overlap, expected = _overlap(picks["m"], picks["i"]), sum(splits, Fraction(0)) / len(splits)
    return overlap if expected == 0 else min(Fraction(1), overlap / expected)


def score(week: Answers) -> int:
    parts = [component(week, r) for r in ("trust", "priority", "rotating")]
    parts.append(lever_agreement(week))
    return math.floor(100 * sum(parts, Fraction(0)) / 4 + Fraction(1, 2))


def on_scale(week: Answers, side: str, role: str) -> str:
    """The side's average answer on the 1–5 scale, as the summary prints it."""
    tenths = math.floor((1 + 4 * level(week, side, role)) * 10 + Fraction(1, 2))  # half up
    return f"{tenths // 10}.{tenths % 10}"
