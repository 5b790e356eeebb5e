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
from functools import cache, lru_cache
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
    (None if not even `MIN_ROWS`, or every row when fewer, do); blocking: call `heatmap_png`
    from async code. Drawn once; fewer rows are a crop of it, encoded again (~10 ms)."""
    rows = [r for r in grid.rows if r.cells]
    if not rows:
        return None
    image = draw(grid, rows)
    fewest, fit = min(MIN_ROWS, len(rows)), len(rows)
    while fit >= fewest:
        png = encode(image, fit)
        if len(png) <= max_bytes:
            return Picture(png, fit)
        fit = min(fit - 1, int(fit * max_bytes / len(png) * 0.95))
    return None


def render_png(grid: Grid, rows: Sequence[Row]) -> bytes:
    """These rows' heatmap as PNG bytes."""
    return encode(draw(grid, rows), len(rows))


def encode(image: Image.Image, rows: int) -> bytes:
    """The header and the top `rows` rows of a drawn heatmap as a PNG."""
    out = io.BytesIO()
    image.crop((0, 0, image.width, HEADER_H + CELL_H * rows + PAD)).save(
        out, format="PNG", optimize=True
    )
    return out.getvalue()


def draw(grid: Grid, rows: Sequence[Row]) -> Image.Image:
    width = LABEL_W + CELL_W * len(grid.columns) + PAD
    height = HEADER_H + CELL_H * max(1, len(rows)) + PAD
    image = Image.new("P", (width, height), _WHITE)
    image.putpalette(_palette())
    pen = ImageDraw.Draw(image)
    for x, column in enumerate(grid.columns):
        lines = textwrap.wrap(column.title, 14)[:3]
        top = HEADER_H - 4 - len(lines) * (HEADER_SIZE + 2)
        for i, line in enumerate(lines):
            centre = LABEL_W + x * CELL_W + CELL_W // 2
            _text(image, (centre, top + i * (HEADER_SIZE + 2)), line, _INK, bold=True, at="mt")
    for y, row in enumerate(rows):
        top = HEADER_H + y * CELL_H
        _text(image, (LABEL_W - 6, top + CELL_H // 2), short_name(row.channel_label), _INK, at="rm")
        for x, cell in enumerate(row.cells):
            _cell(image, pen, (LABEL_W + x * CELL_W, top), cell)
    return image


def short_name(name: str, limit: int = 22) -> str:
    """A channel name that fits the label column, its end kept: channels of one programme often
    share a long prefix and differ at the end ("#marketing-it-…-007")."""
    if len(name) <= limit:
        return name
    head = (limit - 1) // 2
    return name[:head] + "…" + name[-(limit - 1 - head) :]


@lru_cache(maxsize=4096)
def _glyphs(text: str, bold: bool) -> Image.Image:
    """A label as a 1-bit mask, drawn once: most cells repeat a few labels ("—", "100%")."""
    face = font(HEADER_SIZE if bold else FONT_SIZE, bold)
    left, top, right, bottom = (int(v) for v in face.getbbox(text))
    mask = Image.new("1", (max(1, right - left), max(1, bottom - top)), 0)
    pen = ImageDraw.Draw(mask)
    pen.fontmode = "1"  # no anti-aliasing: the picture keeps to its palette
    pen.text((-left, -top), text, fill=1, font=face)
    return mask


def _text(
    image: Image.Image, xy: tuple[int, int], text: str, ink: int, *, bold: bool = False, at: str
) -> None:
    """`text` in palette colour `ink`, placed by `at`: "mm" centred, "mt" centred below the
    point, "rm" ending at it."""
    mask = _glyphs(text, bold)
    x, y = xy
    left = x - mask.width if at[0] == "r" else x - mask.width // 2
    top = y if at[1] == "t" else y - mask.height // 2
    image.paste(ink, (left, top, left + mask.width, top + mask.height), mask)


async def heatmap_png(grid: Grid, max_bytes: int = MAX_BYTES) -> Picture | None:
    return await asyncio.to_thread(render, grid, max_bytes)


# palette indexes: 0 white, 1 ink, 2 withheld grey, 3 black, 4.. the shades
_WHITE, _INK, _GREY, _BLACK, _SHADE = 0, 1, 2, 3, 4


def _palette() -> list[int]:
    colours = [NOT_ASKED, INK, WITHHELD, (0, 0, 0), *shades()]
    return [v for rgb in colours for v in rgb]


def _cell(image: Image.Image, pen: ImageDraw.ImageDraw, at: tuple[int, int], cell: Cell) -> None:
    x, y = at
    if cell.shade is not None:
        step = min(STEPS - 1, int(cell.shade * STEPS))
        fill, ink = _SHADE + step, (_WHITE if step < STEPS // 2 else _BLACK)
    else:
        fill, ink = (_GREY if cell.withheld else _WHITE), _INK
    box = (x, y, x + CELL_W - 1, y + CELL_H - 1)
    edge, width = (_BLACK, 2) if cell.escalated else (_WHITE, 1)
    pen.rectangle(box, fill=fill, outline=edge, width=width)
    text = _fitted(("! " if cell.escalated else "") + cell.text)
    _text(image, (x + CELL_W // 2, y + CELL_H // 2), text, ink, at="mm")


def _fitted(text: str) -> str:
    """The cell's text, compacted when it would not fit its width ("Mkt −0.2 · IT −1.1" →
    "M −0.2 IT −1.1"); the message under the picture carries every cell in full."""
    if font(FONT_SIZE).getlength(text) <= CELL_W - 6:
        return text
    return text.replace("Mkt ", "M ").replace(" · ", " ")


def alt_text(grid: Grid, shown: int) -> str:
    """What the picture shows, in words; the message lists every cell as text as well."""
    rows = [r for r in grid.rows if r.cells][:shown]
    first = ", ".join(r.channel_label for r in rows[:5])
    return (
        f"Heatmap of {plural(len(rows), 'channel')} by figure (score, trust, priority, levers, perception "
        f"gap, the five imperatives); darker cells are lower, grey cells withheld, a black "
        f"border an escalated gap. Top rows: {first}. Every cell is listed as text below."
    )
