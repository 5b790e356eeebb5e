"""Slack's native charts: a neutral Chart as data_visualization blocks within the reference's
limits (checked by an independent validator), its figures in words, no picture uploaded."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from bot.cards import Attachment, Card, Chart, Heading, Panel, Series
from handlers.slack import render
from tests.support.blockkit import problems

PNG = Attachment("chart.png", b"\x89PNG", "image/png", "Trend")
CSV = Attachment("export.csv", b"a,b", "text/csv", "Export")


def trend(
    scores: tuple[int | None, ...],
    *,
    low: tuple[int | None, ...] = (),
    high: tuple[int | None, ...] = (),
    title: str = "Alignment score, last 4 pulses",
) -> Chart:
    n = len(scores)
    levels = tuple(None if s is None else round(1 + s / 25, 1) for s in scores)
    return Chart(
        title="#campaigns · alignment over the last pulses",
        categories=tuple(f"#{i + 1}" for i in range(n)),
        panels=(
            Panel(title, "Score", (Series("Score", scores, low=low, high=high),)),
            Panel(
                "Average answer per side (1–5)",
                "Average answer",
                (
                    Series("Marketing", levels),
                    Series("IT", tuple(None if v is None else v - 0.5 for v in levels)),
                ),
            ),
        ),
        alt="Line chart of the alignment score (0–100) by pulse: #1 41, #2 no figures, #3 52.",
        x_label="Pulse",
        image="attachment:chart.png",
    )


def charts(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [b for b in blocks if b["type"] == "data_visualization"]


def test_the_trend_is_two_native_line_charts_with_its_figures_in_words() -> None:
    chart = trend((41, None, 52, 60), low=(35, None, 47, 54), high=(48, None, 58, 66))
    message = render.message(Card("Pulse #4: 60/100", (Heading("Pulse #4"), chart), (PNG, CSV)))
    score, sides = charts(message.blocks)
    assert score == {
        "type": "data_visualization",
        "title": "Alignment score, last 4 pulses",
        "chart": {
            "type": "line",
            "series": [
                {
                    "name": n,
                    "data": [{"label": c, "value": v} for c, v in zip(cats, vs, strict=True)],
                }
                for n, cats, vs in [
                    ("Score", ("#1", "#3", "#4"), (41, 52, 60)),
                    ("Score low", ("#1", "#3", "#4"), (35, 47, 54)),
                    ("Score high", ("#1", "#3", "#4"), (48, 58, 66)),
                ]
            ],
            "axis_config": {
                "categories": ["#1", "#3", "#4"],
                "y_label": "Score",
                "x_label": "Pulse",
            },
        },
    }  # the pulse without figures is left out: a value must be a number
    assert [s["name"] for s in sides["chart"]["series"]] == ["Marketing", "IT"]
    assert sides["chart"]["series"][0]["data"][0] == {"label": "#1", "value": 2.6}
    words = [b for b in message.blocks if b["type"] == "context"]
    assert "#1 41, #2 no figures, #3 52" in words[-1]["elements"][0]["text"]
    assert message.files == (CSV,), "Slack draws the chart: its picture is not uploaded"
    assert problems(message.blocks) == []
    assert render.block_problem(message.blocks) is None


def test_the_band_is_drawn_only_within_six_series() -> None:
    five = tuple(Series(f"S{i}", (1.0, 2.0), low=(0.5, 1.5), high=(1.5, 2.5)) for i in range(5))
    card = Card("x", (Chart("t", ("#1", "#2"), (Panel("Five", "y", five),), alt="a"),))
    (only,) = charts(render.message(card).blocks)
    assert [s["name"] for s in only["chart"]["series"]] == ["S0", "S1", "S2", "S3", "S4"]
    partial = trend((41, 50), low=(35, None), high=(48, 55))  # a pulse without its interval
    score = charts(render.message(Card("x", (partial,))).blocks)[0]
    assert [s["name"] for s in score["chart"]["series"]] == ["Score"]


def test_many_pulses_and_long_titles_are_cut_to_slack_limits() -> None:
    chart = trend(
        tuple(range(30, 55)), title="Alignment score of #a-very-long-channel-name, last 25 pulses"
    )
    message = render.message(Card("x", (chart,)))
    score = charts(message.blocks)[0]
    assert len(score["title"]) == 50 and score["title"].endswith("…")
    assert score["chart"]["axis_config"]["categories"][0] == "#6"  # the latest 20
    assert len(score["chart"]["series"][0]["data"]) == 20
    assert problems(message.blocks) == []


def test_beyond_two_charts_a_chart_falls_back_to_its_picture() -> None:
    second = Chart(
        "Other",
        ("#1",),
        (Panel("Other", "y", (Series("A", (1.0,)),)),),
        "words",
        image="attachment:other.png",
    )
    other_png = Attachment("other.png", b"\x89PNG", "image/png", "Other")
    message = render.message(Card("x", (trend((41, 50)), second), (PNG, other_png)))
    assert len(charts(message.blocks)) == 2
    assert message.files == (other_png,)  # Slack allows two charts: the third goes as a picture
    assert problems(message.blocks) == []
    nothing = trend((None, None))  # no figures at all: nothing to draw, its picture instead
    assert render.message(Card("x", (nothing,), (PNG,))).files == (PNG,)


VALID = {
    "type": "data_visualization",
    "title": "Alignment",
    "chart": {
        "type": "line",
        "series": [{"name": "Score", "data": [{"label": "#1", "value": 41}]}],
        "axis_config": {"categories": ["#1"]},
    },
}


def broken(path: str, value: Any) -> dict[str, Any]:
    block = copy.deepcopy(VALID)
    target: Any = block
    *parents, last = path.split(".")
    for key in parents:
        target = target[int(key)] if key.isdigit() else target[key]
    target[int(last) if last.isdigit() else last] = value
    return block


@pytest.mark.parametrize(
    "block",
    [
        broken("title", "x" * 51),
        broken("title", ""),
        broken("chart.type", "scatter"),
        broken("chart.series", []),
        broken(
            "chart.series",
            [{"name": f"S{i}", "data": [{"label": "#1", "value": 1}]} for i in range(7)],
        ),
        broken("chart.series", [{"name": "A", "data": [{"label": "#1", "value": 1}]}] * 2),
        broken("chart.axis_config.categories", []),
        broken("chart.axis_config.categories", [f"#{i}" for i in range(21)]),
        broken("chart.axis_config.categories", ["#2"]),
        broken("chart.series.0.data.0.value", "41"),
        broken("chart.series.0.data.0.value", float("nan")),
        broken("chart.series.0.data", [{"label": "#1", "value": 1}, {"label": "#2", "value": 2}]),
    ],
)
def test_the_validators_refuse_what_slack_refuses(block: dict[str, Any]) -> None:
    assert problems([block]) != []
    assert render.block_problem([block]) is not None


def test_the_validators_accept_the_reference_shape_and_refuse_a_third_chart() -> None:
    assert problems([VALID]) == [] and render.block_problem([VALID]) is None
    three = [{**VALID, "title": f"Chart {i}"} for i in range(3)]
    assert problems(three) != [] and render.block_problem(three) is not None
    long = {"type": "plain_text", "text": "x" * 76}  # other blocks: slack_sdk's models
    button = {"type": "button", "action_id": "a", "text": long}
    assert problems([{"type": "actions", "elements": [button]}]) != []
    assert problems([{"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}}]) != []
