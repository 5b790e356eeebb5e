"""A neutral `Chart` as Slack's native `data_visualization` blocks, within the reference's limits.

Slack draws line, bar, area and pie charts in the message itself (Block Kit, June 2026): a
title of at most 50 characters, 1–6 series with unique names over 1–20 categories (each
series' labels are the categories), at most two charts a message. slack_sdk has no model for
the block, so `chart_problem` checks those limits here. Each panel of a chart becomes one
block; a pulse without figures is left out of a panel (a value must be a number), and the
figures are always in the message as text too, for clients and screen readers.
"""

from __future__ import annotations

import math
from typing import Any

from bot.cards import Chart, Panel, Series

JsonDict = dict[str, Any]
BLOCK_TYPE = "data_visualization"
CHART_TYPES = frozenset({"line", "bar", "area", "pie"})
TITLE_CHARS = 50
MAX_SERIES = 6
MAX_CATEGORIES = 20
MAX_PER_MESSAGE = 2
MAX_SEGMENTS = 6


def chart_blocks(chart: Chart, *, room: int) -> list[JsonDict] | None:
    """One line chart per panel that has figures, or None when they would not fit in `room`
    more charts (the caller then shows the chart's picture instead)."""
    blocks = [b for b in (_panel(chart, panel) for panel in chart.panels) if b is not None]
    if not blocks or len(blocks) > room:
        return None
    return blocks


def _panel(chart: Chart, panel: Panel) -> JsonDict | None:
    series = panel.series[:MAX_SERIES]
    n = len(chart.categories)
    figures = [_numbers(s.values, n) for s in series]
    # the categories where every series has a figure, the latest 20
    kept = [i for i in range(n) if all(f[i] is not None for f in figures)][-MAX_CATEGORIES:]
    if not series or not kept:
        return None
    categories = [chart.categories[i][:TITLE_CHARS] for i in kept]
    lines = [_line(s.name, f, kept, categories) for s, f in zip(series, figures, strict=True)]
    lines += _band(series, n, kept, categories, room=MAX_SERIES - len(lines))
    axis: JsonDict = {"categories": categories, "y_label": panel.y_label}
    if chart.x_label:
        axis["x_label"] = chart.x_label
    return {
        "type": BLOCK_TYPE,
        "title": _cut(panel.title or chart.title, TITLE_CHARS),
        "chart": {"type": "line", "series": lines, "axis_config": axis},
    }


def _band(
    series: tuple[Series, ...], n: int, kept: list[int], categories: list[str], *, room: int
) -> list[JsonDict]:
    """A series' interval as two more lines, "<name> low" and "<name> high", where every kept
    pulse has both bounds and they fit within the six series a chart may have."""
    out: list[JsonDict] = []
    for s in series:
        if not s.low or not s.high or room - len(out) < 2:
            continue
        low, high = _numbers(s.low, n), _numbers(s.high, n)
        if all(low[i] is not None and high[i] is not None for i in kept):
            out.append(_line(f"{s.name} low", low, kept, categories))
            out.append(_line(f"{s.name} high", high, kept, categories))
    return out


def _line(
    name: str, figures: list[float | None], kept: list[int], categories: list[str]
) -> JsonDict:
    data = [{"label": c, "value": figures[i]} for i, c in zip(kept, categories, strict=True)]
    return {"name": name, "data": data}


def _numbers(values: tuple[float | None, ...], n: int) -> list[float | None]:
    """A figure per category: numbers as Slack takes them (None: no figure, or not finite)."""
    out: list[float | None] = []
    for i in range(n):
        v = values[i] if i < len(values) else None
        if v is None or not math.isfinite(v):
            out.append(None)
        else:
            out.append(v if isinstance(v, int) else round(v, 2))
    return out


def chart_problem(raw: JsonDict) -> str | None:
    """Why Slack would refuse this data_visualization block, or None."""
    title, chart = raw.get("title"), raw.get("chart")
    if not isinstance(title, str) or not 0 < len(title) <= TITLE_CHARS:
        return f"chart title must be 1–{TITLE_CHARS} characters"
    if not isinstance(chart, dict) or chart.get("type") not in CHART_TYPES:
        return "chart type must be line, bar, area or pie"
    if chart["type"] == "pie":
        return _points_problem(chart.get("segments"), limit=MAX_SEGMENTS, what="segments")
    series = chart.get("series")
    if not isinstance(series, list) or not 0 < len(series) <= MAX_SERIES:
        return f"a chart has 1–{MAX_SERIES} series"
    names = [s.get("name") if isinstance(s, dict) else None for s in series]
    if not all(isinstance(n, str) and n for n in names) or len(set(names)) != len(names):
        return "series names must be unique"
    axis = chart.get("axis_config")
    categories = axis.get("categories") if isinstance(axis, dict) else None
    if not isinstance(categories, list) or not 0 < len(categories) <= MAX_CATEGORIES:
        return f"a chart has 1–{MAX_CATEGORIES} categories"
    for s in series:
        if problem := _points_problem(s.get("data"), limit=MAX_CATEGORIES, what="data"):
            return problem
        if [d["label"] for d in s["data"]] != categories:
            return "each series' labels must be the categories"
    return None


def _points_problem(points: Any, *, limit: int, what: str) -> str | None:
    if not isinstance(points, list) or not 0 < len(points) <= limit:
        return f"a chart has 1–{limit} {what}"
    for point in points:
        if not isinstance(point, dict) or not isinstance(point.get("label"), str):
            return f"every one of a chart's {what} needs a label"
        value = point.get("value")
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
        ):
            return "chart values must be numbers"
    return None


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
