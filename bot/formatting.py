"""How numbers read in messages: `NN/100`, signed changes, sparklines, percentages."""

from __future__ import annotations

from collections.abc import Collection, Sequence

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
    return f"{round(100 * share)}%"


def plural(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else (many or one + 's')}"
