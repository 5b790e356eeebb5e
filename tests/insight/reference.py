"""The alignment formula written out again, independently of bot.score.scoring, to check summaries."""

from __future__ import annotations

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
    lm, li = level(week, "m", role), level(week, "i", role)
    return (lm + li) / 2 * (1 - abs(lm - li))


def lever_agreement(week: Answers) -> Fraction:
    shares: dict[str, dict[str, Fraction]] = {}
    for side in ("m", "i"):
        picks = [a["lever"] for n, a in week.items() if _side(n) == side and "lever" in a]
        shares[side] = {o: Fraction(picks.count(o), len(picks)) for o in set(picks)}
    return sum(
        (min(p, shares["i"].get(o, Fraction(0))) for o, p in shares["m"].items()), Fraction(0)
    )


def score(week: Answers) -> int:
    parts = [component(week, r) for r in ("trust", "priority", "rotating")]
    parts.append(lever_agreement(week))
    return math.floor(100 * sum(parts, Fraction(0)) / 4 + Fraction(1, 2))


def on_scale(week: Answers, side: str, role: str) -> str:
    """The side's average answer on the 1–5 scale, as the summary prints it."""
    return f"{float(1 + 4 * level(week, side, role)):.1f}"
