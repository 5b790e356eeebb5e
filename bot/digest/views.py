"""The manager digest: a heatmap of the followed channels by figure, and the same cells as text,
one short paragraph a channel, ranked by the gaps that persist; channels without figures say why."""

from __future__ import annotations

from bot.cards import Attachment, Block, Card, Context, Heading, Image, Text
from bot.digest.entries import DigestEntry
from bot.digest.heatmap import MAX_ROWS, NOT_ASKED, PERSIST_PULSES, Cell, Column, Grid, Row
from bot.digest.heatmap_chart import FILENAME, Picture, alt_text
from bot.formatting import plural
from bot.imperatives import IMPERATIVES

__all__ = ["MAX_LISTED", "DigestEntry", "digest_card", "digest_sent"]

#: channels listed one by one; chat platforms cap a message's blocks (Slack: 50)
MAX_LISTED = MAX_ROWS
#: channels named after the listed ones, in order
MAX_NAMED = 60
TITLE = "Your channels by figure"


def digest_card(grid: Grid, *, picture: Picture | None = None) -> Card:
    if not grid.rows:
        text = (
            "No BridgePulse channels to report: you are not a member of any channel where "
            "BridgePulse runs."
        )
        return Card(summary=text, blocks=(Heading("Your BridgePulse digest"), Text(text)))
    lines = [_row_text(row, grid) for row in grid.rows]
    blocks: list[Block] = [
        Heading("Your BridgePulse digest"),
        Context(_overview(grid, picture)),
    ]
    attachments: tuple[Attachment, ...] = ()
    if picture is not None and picture.rows:
        title = TITLE if picture.rows == _with_cells(grid) else f"{TITLE} (top {picture.rows})"
        alt = alt_text(grid, picture.rows)
        blocks.append(Image(url=f"attachment:{FILENAME}", alt=alt, title=title))
        attachments = (Attachment(FILENAME, picture.png, "image/png", title=title, alt=alt),)
    blocks += [Text(text) for text, _ in lines]
    if grid.more:
        named = grid.more[:MAX_NAMED]
        tail = ", …" if len(grid.more) > MAX_NAMED else ""
        blocks.append(Text(f"…and {len(grid.more)} more, in order: {', '.join(named)}{tail}."))
    blocks.append(Context(_legend(grid)))
    return Card(
        summary="BridgePulse digest: " + "; ".join(short for _, short in lines),
        blocks=tuple(blocks),
        attachments=attachments,
    )


def _with_cells(grid: Grid) -> int:
    return sum(1 for r in grid.rows if r.cells)


def _overview(grid: Grid, picture: Picture | None) -> str:
    total = len(grid.rows) + len(grid.more)
    if total == 1:
        return "1 channel."
    text = f"{plural(total, 'channel')}, widest gaps held over {PERSIST_PULSES} pulses first."
    if picture is not None and 0 < picture.rows < _with_cells(grid):
        text += f" The picture shows the top {picture.rows}; every listed channel is below."
    return text


def _row_text(row: Row, grid: Grid) -> tuple[str, str]:
    """(the channel's lines in the message, its short notification summary)."""
    name = row.channel_label
    if row.pulse is None:
        return f"**{name}** · no pulse has closed yet.", f"{name} no pulse yet"
    score = row.cells[0]
    shown = [cell for cell in row.cells if cell.shade is not None]
    if not shown and score.withheld:
        text = f"**{name}** · pulse #{row.pulse}: {score.withheld}."
        return _with_actions(text, row), f"{name} not enough answers"
    head = f"**{name}** · pulse #{row.pulse} · score {_score(score)}"
    if row.persistent_gap:
        head += f" · a gap of {row.persistent_gap:.1f}+ for {PERSIST_PULSES} pulses"
    if row.escalated:
        head += " · ⚑ escalated: " + ", ".join(row.escalated)
    lines = [head, _cells_text(grid.columns, row.cells)]
    held = _withheld_text(grid.columns, row.cells)
    if held:
        lines.append(held)
    if row.next_step:
        lines.append(row.next_step)
    return _with_actions(
        "\n".join(lines), row
    ), f"{name} {score.text if score.shade is not None else 'withheld'}"


def _score(cell: Cell) -> str:
    if cell.withheld:
        return cell.withheld
    value, _, interval = cell.text.partition(" ")
    return f"**{value}/100**" + (f" {interval}" if interval else "")


def _cells_text(columns: tuple[Column, ...], cells: tuple[Cell, ...]) -> str:
    parts: list[str] = []
    imperatives: list[str] = []
    for column, cell in zip(columns[1:], cells[1:], strict=True):
        value = cell.text if cell.withheld is None else "withheld"
        if column.kind == "imperative":
            imperatives.append(value)
        elif column.kind == "likert" and cell.lower is not None and cell.gap is not None:
            flag = " ⚑" if cell.escalated else ""
            level = cell.text.split(" ")[1]
            parts.append(
                f"{column.title}: {cell.lower.label} lower, {level} ({cell.gap:.1f} below){flag}"
            )
        elif column.kind == "share" and cell.withheld is None and cell.text != NOT_ASKED:
            parts.append(f"{column.title}: {cell.text} agreement")
        else:
            parts.append(f"{column.title}: {value}")
    parts.append(f"imperatives 1–5: {' · '.join(imperatives)}")
    return " · ".join(parts)


def _withheld_text(columns: tuple[Column, ...], cells: tuple[Cell, ...]) -> str:
    """Withheld cells grouped by their reason: "Not enough answers yet (2 of 3 per side): …"."""
    by_reason: dict[str, list[str]] = {}
    for column, cell in zip(columns[1:], cells[1:], strict=True):
        if cell.withheld is not None:
            title = f"imperative {column.key[-1]}" if column.kind == "imperative" else column.title
            by_reason.setdefault(cell.withheld, []).append(title.lower())
    return " · ".join(f"Withheld, {r}: {', '.join(t)}" for r, t in by_reason.items())


def _with_actions(text: str, row: Row) -> str:
    if not row.open_actions:
        return text
    return text + "\nOpen actions: " + "; ".join(row.open_actions)


def _legend(grid: Grid) -> str:
    imperatives = ", ".join(f"{i} {m.short_title}" for i, m in IMPERATIVES.items())
    return (
        "Trust and priority: the lower side's average answer (1–5) and how far below the other "
        "side it is; score 0–100 with its 90% range; levers: how much the sides agree on what "
        f"to work on next; imperatives (0–100): {imperatives}. ⚑ / a black border: an escalated "
        f"gap. Figures only where marketing and IT each gave {grid.k}+ answers to that "
        "question; nobody can see who answered what."
    )


def digest_sent(*, subscribed: bool, prefix: str) -> Card:
    """The reply to `pulse digest now`: where the digest went, and how to get it weekly (only to
    someone not subscribed yet)."""
    text = "Sent: your digest is in your direct messages with BridgePulse."
    hint = (
        f"You get it every week; `{prefix}pulse digest off` stops that."
        if subscribed
        else f"`{prefix}pulse digest on` sends it every week."
    )
    return Card(summary=text, blocks=(Text(text), Context(hint)))
