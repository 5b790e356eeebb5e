"""The chart: a real PNG of a size that reads in chat, drawn off the event loop, with a text
alternative that carries the same numbers."""

from __future__ import annotations

import struct
import threading

import pytest

from bot.summary import charts
from bot.summary.charts import ChartPoint, alt_text, chart_png, draw, render_png

POINTS = [
    ChartPoint(1, "02 Mar", 55, 3.9, 3.1),
    ChartPoint(2, "09 Mar", None, None, None),
    ChartPoint(3, "16 Mar", 64, 4.1, 3.4),
    ChartPoint(4, "23 Mar", 68, 4.3, 3.7),
]


def dimensions(png: bytes) -> tuple[int, int]:
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and png[12:16] == b"IHDR"
    width, height = struct.unpack(">II", png[16:24])
    return width, height


@pytest.mark.parametrize("points", [POINTS, POINTS[:1], [POINTS[1], POINTS[0]]])
def test_the_chart_is_a_png_of_chat_size(points: list[ChartPoint]) -> None:
    png = render_png(points)
    assert dimensions(png) == (800, 500)
    assert 5_000 < len(png) < 300_000
    assert png.rstrip().endswith(b"IEND\xaeB`\x82")


def test_charts_of_different_data_differ() -> None:
    other = [ChartPoint(p.number, p.date, 100 - (p.score or 0), p.it, p.marketing) for p in POINTS]
    assert render_png(POINTS) != render_png(other)


def test_every_pulse_is_labelled_with_its_date_and_the_picture_has_no_title() -> None:
    """A pulse without figures is a gap in the lines, its date still under it (not "n/a"); the
    title is the platforms' caption, so the picture does not repeat it."""
    figure = draw(POINTS)
    labels = [t.get_text() for t in figure.axes[1].get_xticklabels()]
    assert labels == ["#1\n02 Mar", "#2\n09 Mar", "#3\n16 Mar", "#4\n23 Mar"]
    assert [ax.get_title(loc) for ax in figure.axes for loc in ("left", "center", "right")] == [
        ""
    ] * 6
    assert not figure.texts


def test_the_text_alternative_carries_the_numbers() -> None:
    text = alt_text(POINTS)
    assert "#1 55, #2 no figures, #3 64, #4 68" in text
    assert "in pulse #4 marketing 4.3, IT 3.7" in text


async def test_rendering_runs_in_a_worker_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    threads: list[threading.Thread] = []
    real = charts.render_png

    def recording(points: list[ChartPoint]) -> bytes:
        threads.append(threading.current_thread())
        return real(points)

    monkeypatch.setattr(charts, "render_png", recording)
    png = await chart_png(POINTS)
    assert dimensions(png) == (800, 500)
    assert threads and threads[0] is not threading.main_thread()
