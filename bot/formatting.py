"""How numbers read in messages: `NN/100`, signed changes, sparklines, percentages, and the
levels, gaps and shares printed so that they add up (every view words figures through here)."""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

SPARK_LEVELS = "▁▂▃▄▅▆▇█"
SPARK_GAP = "·"
FORMULA_BREAK = "¦"
MINUS = "\u2212"


def score_text(score: int) -> str:
    return f"{score}/100"


def signed(delta: int | float, *, digits: int = 0) -> str:
    """+4, −2 (a true minus sign), ±0."""
    if round(delta, digits) == 0:
        return "±0"
    text = f"{abs(delta):.{digits}f}"
    return f"+{text}" if delta > 0 else f"{MINUS}{text}"


def sparkline(scores: Sequence[int | None], *, breaks: Collection[int] = ()) -> str:
    """One character per poll on an absolute 0–100 scale; `·` where a poll has no published score,
    and `¦` before a poll whose score was published with another formula (`breaks`: indexes).

    The scale is absolute so that two channels' sparklines compare at a glance.
    """
    chars = []
    for i, s in enumerate(scores):
        if i in breaks:
            chars.append(FORMULA_BREAK)
        if s is None:
            chars.append(SPARK_GAP)
        else:
            chars.append(
                SPARK_LEVELS[min(len(SPARK_LEVELS) - 1, max(0, s) * len(SPARK_LEVELS) // 101)]
            )
    return "".join(chars)


def trend_text(
    scores: Sequence[int | None], *, numbers: int = 5, breaks: Collection[int] = ()
) -> str:
    """The sparkline as plain text with the latest scores beside it: `▃▄▅ 41 → 48 → 52`.

    Never in inline code: Slack paints code spans red on grey, which turns the bars into a
    blob, and Teams cards show the backticks. `–` stands for a pulse without a published score.
    """
    shown = ["–" if s is None else str(s) for s in scores]
    if len(shown) > numbers:
        shown = ["…", *shown[-numbers:]]
    return f"{sparkline(scores, breaks=breaks)} {' → '.join(shown)}".rstrip()


def trend_line(scores: Sequence[int | None], *, breaks: Collection[int] = ()) -> str:
    """`Trend over the last 3 pulses: ▃▄▅ 41 → 48 → 52`; with one pulse there is no trend yet
    (and no "so far": that marks an open pulse's figures)."""
    if len(scores) == 1:
        return f"First pulse: {trend_text(scores)}"
    return f"Trend over the last {len(scores)} pulses: {trend_text(scores, breaks=breaks)}"


def percent(share: float) -> str:
    """A share as a whole percentage, rounded half up (12.5% → 13%)."""
    return f"{half_up(100 * exact(share))}%"


def plural(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else (many or one + 's')}"


# Printed figures add up. Every level, gap, share and change below is rounded half up from
# its exact value (a float stored from an exact fraction is first brought back to that
# fraction), and a gap or change is the difference of the *printed* values, so
# "2.7 · 2.4 · gap 0.3" and "from 1.1 to 0.8 (−0.3)" always add up on the page.

#: denominators up to this are recovered exactly from a stored float (means of ≤ 10,000 answers)
_EXACT = 10_000


def exact(value: float) -> Fraction:
    """The fraction a stored float stands for: means and shares are ratios of small integers,
    and rounding the float itself could put an exact .x5 on the wrong side."""
    return Fraction(value).limit_denominator(_EXACT)


def half_up(value: float | Fraction, digits: int = 0) -> Decimal:
    """`value` rounded half up to `digits` decimals, as a Decimal (2.25 → 2.3, 12.5 → 13)."""
    fraction = value if isinstance(value, Fraction) else exact(value)
    quantum = Decimal(1).scaleb(-digits)
    scaled = Decimal(fraction.numerator) / Decimal(fraction.denominator)
    return scaled.quantize(quantum, rounding=ROUND_HALF_UP)


def number(value: float | Fraction | Decimal, digits: int = 1) -> str:
    """A level or a gap as printed: one decimal, half up, a true minus sign."""
    shown = value if isinstance(value, Decimal) else half_up(value, digits)
    return f"{MINUS}{-shown}" if shown < 0 else f"{shown}"


def printed_gap(marketing: float, it: float, *, digits: int = 1) -> Decimal:
    """Marketing's printed level minus IT's printed level (positive: IT lower)."""
    return half_up(marketing, digits) - half_up(it, digits)


def lower_side_text(gap: Decimal) -> str:
    return "IT lower" if gap > 0 else "marketing lower"


def gap_text(marketing: float, it: float, *, digits: int = 1) -> str:
    """`0.3 points, IT lower`, or `no gap` when the printed levels are equal."""
    gap = printed_gap(marketing, it, digits=digits)
    if gap == 0:
        return "no gap"
    return f"{number(abs(gap))} {'point' if abs(gap) == 1 else 'points'}, {lower_side_text(gap)}"


def levels_text(marketing: float, it: float) -> str:
    """`Marketing 2.7 · IT 2.4 · gap 0.3, IT lower`: the gap is the printed levels' difference."""
    gap = printed_gap(marketing, it)
    tail = "no gap" if gap == 0 else f"gap {number(abs(gap))}, {lower_side_text(gap)}"
    return f"Marketing {number(marketing)} · IT {number(it)} · {tail}"


def printed_change(before: float, after: float, *, digits: int = 1) -> tuple[str, str, str]:
    """(before, after, signed change) as printed: the change is after − before *as printed*.
    Two values that print alike at `digits` are printed with one more decimal (both of them),
    so a real change never reads "from 1.1 to 1.1"."""
    b, a = half_up(before, digits), half_up(after, digits)
    if a == b and exact(after) != exact(before) and digits < 2:
        return printed_change(before, after, digits=digits + 1)
    delta = a - b
    sign = "±" if delta == 0 else ("+" if delta > 0 else MINUS)
    return number(b), number(a), f"{sign}{abs(delta)}"


def shares_percent(shares: Mapping[str, float], order: Sequence[str]) -> dict[str, int]:
    """Whole percentages of one side's shares of one question that sum to 100.

    Largest-remainder rounding: every share is first rounded down, then the points still
    missing go one each to the largest remainders. Ties between equal remainders go to the
    option earlier in `order` (the question's own order of options), so the same answers always
    print the same way. A share that is exactly x.5% with a point to spare rounds up, as half up
    would; when two such halves compete for one point, the earlier option gets it.
    """
    exact_pct = {o: 100 * exact(shares.get(o, 0.0)) for o in order}
    total = sum(exact_pct.values())
    floors = {o: int(p) for o, p in exact_pct.items()}  # p ≥ 0, so int() rounds down
    if total == 0:
        return floors
    missing = round(total) - sum(floors.values())
    ranked = sorted(order, key=lambda o: (-(exact_pct[o] - floors[o]), order.index(o)))
    for o in ranked[: max(0, missing)]:
        floors[o] += 1
    return floors


def export_number(value: float) -> str:
    """A figure in the CSV export: numeric, 4 decimals, no rounding for display."""
    return f"{value:.4f}"


def wilson(successes: int, n: int, *, z: float = 1.959963984540054) -> tuple[float, float]:
    """The Wilson score interval of a share `successes / n` (95% by default)."""
    if n <= 0:
        return 0.0, 1.0
    p = successes / n
    centre = p + z * z / (2 * n)
    spread = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    scale = 1 + z * z / n
    return max(0.0, (centre - spread) / scale), min(1.0, (centre + spread) / scale)
