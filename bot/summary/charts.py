"""The trend chart: score over the pulses, and marketing's and IT's average answers, as a PNG.

Drawn with matplotlib's object API on the Agg canvas (no pyplot, so no global state), sized to
stay readable at chat width, and rendered in a worker thread so the event loop never waits.
"""

from __future__ import annotations

import asyncio
import io
import math
from collections.abc import Sequence
from dataclasses import dataclass

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image

FILENAME = "chart.png"
WIDTH_IN, HEIGHT_IN, DPI = 8.0, 5.0, 100
SCORE_COLOUR, MARKETING_COLOUR, IT_COLOUR = "#1f3b73", "#e07b00", "#0f8b8d"
PALETTE = 32


@dataclass(frozen=True, slots=True)
class ChartPoint:
    """One pulse; None wherever the pulse had no published figures. `low`/`high` bound the
    score's interval where the pulse has one (drawn as a band where the platform can)."""

    number: int
    date: str
    score: int | None
    marketing: float | None
    it: float | None
    #: the score's stored 90% interval (None for results closed before intervals were kept)
    low: int | None = None
    high: int | None = None


@dataclass(frozen=True, slots=True)
class Chart:
    """A chart's figures with its title and text alternative, and its PNG where one was drawn
    (None where the platform draws the chart itself: Slack's data_visualization block)."""

    png: bytes | None
    title: str
    alt: str
    points: tuple[ChartPoint, ...] = ()


def render_png(points: Sequence[ChartPoint]) -> bytes:
    """The chart as PNG bytes (blocking: call `chart_png` from async code)."""
    fig = draw(points)
    canvas = FigureCanvasAgg(fig)
    canvas.draw()  # type: ignore[no-untyped-call]  # (matplotlib leaves it untyped)
    pixels = canvas.buffer_rgba()  # type: ignore[no-untyped-call]
    rgba = Image.frombuffer("RGBA", canvas.get_width_height(), pixels)
    # A 32-colour palette keeps the lines' hues and cuts the PNG from ~50 KB to ~12 KB, small
    # enough to travel inline in a Teams card and quick to upload to Slack.
    palette = rgba.convert("RGB").quantize(colors=PALETTE, method=Image.Quantize.FASTOCTREE)
    out = io.BytesIO()
    palette.save(out, format="PNG")
    return out.getvalue()


def draw(points: Sequence[ChartPoint]) -> Figure:
    """The chart's figure. It carries no title: Slack shows the uploaded file's title and the
    Teams card a caption above it, so a title drawn in the picture would read twice."""
    fig = Figure(figsize=(WIDTH_IN, HEIGHT_IN), dpi=DPI)
    # Fixed margins, not the constrained-layout solver: it draws the figure twice and cost
    # 40% of the time; a weekly close draws one chart per channel.
    fig.subplots_adjust(left=0.09, right=0.98, top=0.95, bottom=0.13, hspace=0.12)
    top, bottom = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [3, 2]})
    xs = list(range(len(points)))
    _score_line(top, xs, points)
    _score_labels(top, xs, points)
    _side_lines(bottom, xs, points)
    _pulse_labels(bottom, xs, points)
    _style(top, bottom)
    return fig


def _score_line(ax: Axes, xs: list[int], points: Sequence[ChartPoint]) -> None:
    """The score's line over its shaded 90% band (the upper panel)."""
    scores = [_nan(p.score) for p in points]
    ax.fill_between(
        xs,
        [_nan(p.low) for p in points],
        [_nan(p.high) for p in points],
        color=SCORE_COLOUR,
        alpha=0.15,
        linewidth=0,
        label="90% range",
    )
    ax.plot(xs, scores, color=SCORE_COLOUR, linewidth=2.5, marker="o", markersize=7)


def _score_labels(ax: Axes, xs: list[int], points: Sequence[ChartPoint]) -> None:
    """Each score written above its point, and the upper panel's 0–100 axis."""
    for x, p in zip(xs, points, strict=True):
        if p.score is not None:
            ax.annotate(
                str(p.score),
                (x, p.score),
                textcoords="offset points",
                xytext=(0, 8),
                ha="center",
                fontsize=11,
                color=SCORE_COLOUR,
                fontweight="bold",
            )
    ax.set_ylim(0, 109)
    ax.set_yticks([0, 25, 50, 75, 100])
    ax.set_ylabel("Alignment score", fontsize=11)


def _side_lines(ax: Axes, xs: list[int], points: Sequence[ChartPoint]) -> None:
    """Marketing's and IT's average answers, the gap between them shaded (the lower panel)."""
    marketing = [_nan(p.marketing) for p in points]
    it = [_nan(p.it) for p in points]
    ax.fill_between(xs, marketing, it, color="#cccccc", alpha=0.5, linewidth=0)
    ax.plot(xs, marketing, color=MARKETING_COLOUR, linewidth=2, marker="s", label="Marketing")
    ax.plot(xs, it, color=IT_COLOUR, linewidth=2, marker="^", label="IT")
    ax.set_ylim(1, 5)
    ax.set_yticks([1, 2, 3, 4, 5])
    ax.set_ylabel("Average answer (1–5)", fontsize=11)
    ax.legend(loc="lower left", fontsize=10, ncols=2, frameon=False)


def _pulse_labels(ax: Axes, xs: list[int], points: Sequence[ChartPoint]) -> None:
    """The shared x axis: one label per pulse, its number over its date."""
    # every pulse keeps its date; one without figures is a gap in the lines, not a label
    ax.set_xticks(xs, [f"#{p.number}\n{p.date}" for p in points], fontsize=10)
    if len(xs) == 1:
        ax.set_xlim(-0.5, 0.5)


def _style(*axes: Axes) -> None:
    for ax in axes:
        ax.grid(axis="y", color="#e5e5e5")
        ax.spines[["top", "right"]].set_visible(False)
        ax.tick_params(labelsize=10)


async def chart_png(points: Sequence[ChartPoint]) -> bytes:
    return await asyncio.to_thread(render_png, points)


def _nan(value: float | None) -> float:
    return math.nan if value is None else float(value)


def alt_text(points: Sequence[ChartPoint]) -> str:
    """What the chart shows, in words, for screen readers and text-only clients."""
    scores = ", ".join(
        f"#{p.number} {p.score if p.score is not None else 'no figures'}" for p in points
    )
    text = f"Line chart of the alignment score (0–100) by pulse: {scores}."
    last = next((p for p in reversed(points) if p.low is not None and p.high is not None), None)
    if last is not None:
        text += f" A shaded band shows each score's 90% range ({last.low}–{last.high} in #{last.number})."
    latest = next(
        (p for p in reversed(points) if p.marketing is not None and p.it is not None), None
    )
    if latest is not None and latest.marketing is not None and latest.it is not None:
        text += (
            f" Below it, each side's average answer (1–5); in pulse #{latest.number} "
            f"marketing {latest.marketing:.1f}, IT {latest.it:.1f}."
        )
    return text
