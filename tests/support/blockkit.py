"""An independent check of the Block Kit BridgePulse sends, as Slack's reference states it.

Blocks slack_sdk models are checked with its models (each block, and each element and accessory
inside it, which `Block.validate_json` does not reach). slack_sdk has no model for the
`data_visualization` block (June 2026; `Block.parse` returns None), so its limits are checked
here from the reference, written apart from the renderer's own check on purpose: a renderer bug
mirrored in its own validator would pass unseen.
"""

from __future__ import annotations

import math
from typing import Any

from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import Block, BlockElement

CHART_TYPES = {"line", "bar", "area", "pie"}


def problems(blocks: list[dict[str, Any]], *, limit: int = 50) -> list[str]:
    """Everything Slack would refuse in one message's blocks (empty when it accepts them)."""
    found: list[str] = []
    if len(blocks) > limit:
        found.append(f"{len(blocks)} blocks, more than {limit}")
    ids = [b["block_id"] for b in blocks if "block_id" in b]
    if len(ids) != len(set(ids)):
        found.append("duplicate block_id")
    charts = [b for b in blocks if b.get("type") == "data_visualization"]
    if len(charts) > 2:
        found.append(f"{len(charts)} data_visualization blocks, more than 2 per message")
    for n, block in enumerate(blocks):
        where = f"block {n} ({block.get('type')})"
        issues = chart_problems(block) if block in charts else model_problems(block)
        found += [f"{where}: {issue}" for issue in issues]
    return found


def model_problems(block: dict[str, Any]) -> list[str]:
    """A block slack_sdk knows, checked with its models, elements and accessory included."""
    try:
        parsed = Block.parse(block)
        if parsed is None:
            return ["slack_sdk does not know this block"]
        parsed.validate_json()
        inner = [
            *block.get("elements", ()),
            *([block["accessory"]] if "accessory" in block else []),
        ]
        for element in inner:
            if element.get("type") in ("mrkdwn", "plain_text", "image"):
                continue  # context text and images (validated with the block)
            parsed_element = BlockElement.parse(element)
            if parsed_element is None:
                return [f"unknown element {element.get('type')!r}"]
            parsed_element.validate_json()
    except SlackObjectFormationError as exc:
        return [str(exc)]
    return []


def chart_problems(block: dict[str, Any]) -> list[str]:
    """A data_visualization block against the reference's limits."""
    found: list[str] = []
    title = block.get("title")
    if not isinstance(title, str) or not title or len(title) > 50:
        found.append(f"title must be 1–50 characters, not {title!r}")
    chart = block.get("chart")
    if not isinstance(chart, dict):
        return [*found, "no chart"]
    kind = chart.get("type")
    if kind not in CHART_TYPES:
        return [*found, f"chart type {kind!r}"]
    if kind == "pie":
        segments = chart.get("segments")
        if not isinstance(segments, list) or not 1 <= len(segments) <= 6:
            return [*found, "a pie has 1–6 segments"]
        return found + [p for s in segments for p in _point_problems(s)]
    series = chart.get("series")
    if not isinstance(series, list) or not 1 <= len(series) <= 6:
        return [*found, f"1–6 series, not {len(series) if isinstance(series, list) else series!r}"]
    names = [s.get("name") for s in series]
    if len(set(names)) != len(names) or not all(isinstance(n, str) and n for n in names):
        found.append(f"series names must be unique and non-empty: {names}")
    categories = (chart.get("axis_config") or {}).get("categories")
    if not isinstance(categories, list) or not 1 <= len(categories) <= 20:
        return [*found, f"1–20 categories, not {categories!r}"]
    if len(set(categories)) != len(categories):
        found.append("duplicate categories")
    for s in series:
        data = s.get("data")
        if not isinstance(data, list) or [d.get("label") for d in data] != categories:
            found.append(f"series {s.get('name')!r}: its labels are not the categories")
            continue
        found += [p for d in data for p in _point_problems(d)]
    return found


def _point_problems(point: dict[str, Any]) -> list[str]:
    value = point.get("value")
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return [f"value {value!r} of {point.get('label')!r} is not a number"]
    return []
