"""The digest's heatmap as a PNG: one row per channel, one column per figure, cells labelled.

matplotlib's figure machinery costs about 1 ms per text and a 40-row grid has 440 labels, so
the grid is drawn with Pillow's ImageDraw (~20 ms) in matplotlib's cividis palette (sequential,
readable with any colour vision) cut into 8 steps, and matplotlib's bundled DejaVu Sans. Text
is drawn without anti-aliasing: the picture then needs few colours, and a 40-row PNG stays
small enough to travel inline in a Teams card (see handlers/teams/render.py's budget).
"""

from __future__ import annotations

import asyncio
import io
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import matplotlib
from matplotlib import colormaps
from PIL import Image, ImageDraw, ImageFont

from bot.digest.heatmap import Cell, Grid, Row
from bot.formatting import plural

FILENAME = "digest.png"
CELL_W, CELL_H, LABEL_W, HEADER_H, PAD = 84, 17, 140, 44, 4
#: raw PNG bytes: base64 of it fits the Teams card's inline budget (18,000) with room to spare
MAX_BYTES = 13_000
#: fewer rows than this make no picture worth sending
MIN_ROWS = 5
#: the most a row may cost: the first draw is of as many rows as that allows
ROW_BYTES = 280
STEPS = 8
WITHHELD, NOT_ASKED, INK, LINE = (214, 214, 214), (255, 255, 255), (40, 40, 40), (255, 255, 255)
FONT_SIZE, HEADER_SIZE = 10, 9


@cache
def shades() -> tuple[tuple[int, int, int], ...]:
    """cividis in `STEPS` steps, dark blue (worst) to yellow (best), as RGB."""
    cmap = colormaps["cividis"].resampled(STEPS)
    return tuple(
        (round(255 * r), round(255 * g), round(255 * b)) for r, g, b, _ in cmap(range(STEPS))
    )


@cache
def font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont:
    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    return ImageFont.truetype(str(Path(matplotlib.get_data_path(), "fonts", "ttf", name)), size)


@dataclass(frozen=True, slots=True)
class Picture:
    png: bytes
    #: how many of the grid's rows with cells it shows (the top ones)
    rows: int


def render(grid: Grid, max_bytes: int = MAX_BYTES) -> Picture | None:
    """The heatmap of the grid's rows with cells, or of as many top rows as fit `max_bytes`
    (None if not even `MIN_ROWS`, or every row when fewer, do); blocking: call `heatmap_png` from async code. A row costs
    300–600 bytes, so a first draw that is too large gives the estimate for the second."""
    rows = [r for r in grid.rows if r.cells]
    fewest = max(1, min(MIN_ROWS, len(rows)))
    fit = min(len(rows), max(fewest, max_bytes // ROW_BYTES))
    while rows and fit >= fewest:
        png = render_png(grid, rows[:fit])
        if len(png) <= max_bytes:
            return Picture(png, fit)
        fit = min(fit - 1, int(fit * max_bytes / len(png) * 0.95))
    return None


def render_png(grid: Grid, rows: Sequence[Row]) -> bytes:
    """These rows' heatmap as PNG bytes."""
    width = LABEL_W + CELL_W * len(grid.columns) + PAD
    height = HEADER_H + CELL_H * max(1, len(rows)) + PAD
    image = Image.new("P", (width, height), 0)
    image.putpalette(_palette())
    draw = ImageDraw.Draw(image)
    draw.fontmode = "1"  # no anti-aliasing: the palette's colours only
    for x, column in enumerate(grid.columns):
        lines = textwrap.wrap(column.title, 14)[:3]
        top = HEADER_H - 4 - len(lines) * (HEADER_SIZE + 2)
        for i, line in enumerate(lines):
            centre = (LABEL_W + x * CELL_W + CELL_W // 2, top + i * (HEADER_SIZE + 2))
            draw.text(centre, line, fill=_INK, font=font(HEADER_SIZE, True), anchor="mt")
    for y, row in enumerate(rows):
        top = HEADER_H + y * CELL_H
        label = row.channel_label if len(row.channel_label) <= 22 else row.channel_label[:21] + "…"
        draw.text(
            (LABEL_W - 6, top + CELL_H // 2), label, fill=_INK, font=font(FONT_SIZE), anchor="rm"
        )
        for x, cell in enumerate(row.cells):
            _cell(draw, (LABEL_W + x * CELL_W, top), cell)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


async def heatmap_png(grid: Grid, max_bytes: int = MAX_BYTES) -> Picture | None:
    return await asyncio.to_thread(render, grid, max_bytes)


# palette indexes: 0 white, 1 ink, 2 withheld grey, 3 black, 4.. the shades
_WHITE, _INK, _GREY, _BLACK, _SHADE = 0, 1, 2, 3, 4


def _palette() -> list[int]:
    colours = [NOT_ASKED, INK, WITHHELD, (0, 0, 0), *shades()]
    return [v for rgb in colours for v in rgb]


def _cell(draw: ImageDraw.ImageDraw, at: tuple[int, int], cell: Cell) -> None:
    x, y = at
    if cell.shade is not None:
        step = min(STEPS - 1, int(cell.shade * STEPS))
        fill, ink = _SHADE + step, (_WHITE if step < STEPS // 2 else _BLACK)
    else:
        fill, ink = (_GREY if cell.withheld else _WHITE), _INK
    box = (x, y, x + CELL_W - 1, y + CELL_H - 1)
    draw.rectangle(
        box,
        fill=fill,
        outline=_BLACK if cell.escalated else _WHITE,
        width=2 if cell.escalated else 1,
    )
    text = ("! " if cell.escalated else "") + cell.text
    draw.text((x + CELL_W // 2, y + CELL_H // 2), text, fill=ink, font=font(FONT_SIZE), anchor="mm")


def alt_text(grid: Grid, shown: int) -> str:
    """What the picture shows, in words; the message lists every cell as text as well."""
    rows = [r for r in grid.rows if r.cells][:shown]
    first = ", ".join(r.channel_label for r in rows[:5])
    return (
        f"Heatmap of {plural(len(rows), 'channel')} by figure (score, trust, priority, levers, perception "
        f"gap, the five imperatives); darker cells are lower, grey cells withheld, a black "
        f"border an escalated gap. Top rows: {first}. Every cell is listed as text below."
    )
