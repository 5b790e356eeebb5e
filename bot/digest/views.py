"""The manager digest: a heatmap of the followed channels by figure, and the same cells as text,
one short paragraph a channel, ranked by the gaps that persist; channels without figures say why."""

from __future__ import annotations

import json
from dataclasses import replace

from bot.cards import Attachment, Block, Card, Context, Heading, Image, Text, command
from bot.digest.entries import DigestEntry
from bot.digest.heatmap import MAX_ROWS, PERSIST_PULSES, Cell, Column, Grid, Row
from bot.digest.heatmap_chart import FILENAME, MAX_BYTES, Picture, alt_text
from bot.formatting import plural
from bot.imperatives import IMPERATIVES

__all__ = ["MAX_LISTED", "DigestEntry", "digest_card", "digest_sent", "fitted", "picture_budget"]

#: channels listed one by one; chat platforms cap a message's blocks (Slack: 50)
MAX_LISTED = MAX_ROWS
#: channels named after the listed ones, in order
MAX_NAMED = 20
TITLE = "Your channels by figure"
#: channels named in the notification text
SUMMARY_ROWS = 5
#: a message's bytes on the platform with the smallest limit (Teams: ~28 KB), less a margin
MESSAGE_BYTES = 26_000
#: the JSON around one line of text in a Teams card
LINE_BYTES = 80
#: the most the text may take, so that a picture of a dozen rows or more still fits
TEXT_BYTES = 19_000


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
        summary=_summary(grid, [short for _, short in lines]),
        blocks=tuple(blocks),
        attachments=attachments,
    )


def _summary(grid: Grid, shorts: list[str]) -> str:
    """The notification: the first few channels (the rest are one tap away)."""
    total = len(grid.rows) + len(grid.more)
    rest = f"; {total - SUMMARY_ROWS} more" if total > SUMMARY_ROWS else ""
    return "BridgePulse digest: " + "; ".join(shorts[:SUMMARY_ROWS]) + rest


def fitted(grid: Grid) -> Grid:
    """The grid with as many rows listed as leave room for a picture in one Teams message (at
    most ~28 KB, base64 pictures inline): the rows that do not fit join `more`, in order."""
    listed = len(grid.rows)
    while True:
        trial = replace(grid, rows=grid.rows[:listed], more=_names(grid, listed))
        size = _text_bytes(digest_card(trial))
        if size <= TEXT_BYTES or listed <= 1:
            return trial
        per_row = max(1, size // listed)
        listed = max(1, listed - max(1, -(-(size - TEXT_BYTES) // per_row)))


def _names(grid: Grid, listed: int) -> tuple[str, ...]:
    return tuple(r.channel_label for r in grid.rows[listed:]) + grid.more


def picture_budget(card: Card) -> int:
    """The PNG bytes a digest can still carry: Teams takes the picture inline, base64-encoded,
    in one activity of at most ~28 KB, where each line of text becomes an element of its own."""
    return max(0, min(MAX_BYTES, (MESSAGE_BYTES - _text_bytes(card)) * 3 // 4))


def _text_bytes(card: Card) -> int:
    """The card's text as JSON will carry it (non-ASCII escaped), each line in an element."""
    text = card.text()
    return len(json.dumps(text)) + LINE_BYTES * (text.count("\n") + 1)


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
    """(the channel's lines in the message, its short notification summary). One line of cells
    and one of the next step and actions: Teams makes a text element of every line."""
    name = row.channel_label
    if row.pulse is None:
        return f"**{name}** · no pulse has closed yet.", f"{name} no pulse yet"
    score = row.cells[0]
    if score.withheld and not any(cell.shade is not None for cell in row.cells):
        text = f"**{name}** · pulse #{row.pulse}: {score.withheld}."
        return _with_actions(text, row, []), f"{name} not enough answers"
    head = f"**{name}** · pulse #{row.pulse}: {_score(score)}"
    if row.persistent_gap:
        head += f", a gap of {row.persistent_gap:.1f}+ for {PERSIST_PULSES} pulses"
    if row.escalated:
        head += ", ⚑ escalated: " + ", ".join(row.escalated)
    line = f"{head} · {_cells_text(grid.columns, row.cells)}"
    summary = f"{name} {score.text.partition(' ')[0]}" if score.withheld is None else name
    more = [text for text in (row.perception, row.next_step) if text]
    return _with_actions(line, row, more), summary


def _score(cell: Cell) -> str:
    if cell.withheld:
        return f"score {_withheld(cell)}"
    value, _, interval = cell.text.partition(" ")
    return f"**{value}/100**" + (f" {interval}" if interval else "")


def _withheld(cell: Cell) -> str:
    """ "not enough answers (2 of 3)": the cell's reason, its "per side" left to the legend."""
    reason = cell.withheld or ""
    return reason.replace(" yet", "").replace(" per side", "")


def _cells_text(columns: tuple[Column, ...], cells: tuple[Cell, ...]) -> str:
    parts: list[str] = []
    imperatives: list[str] = []
    for column, cell in zip(columns[1:], cells[1:], strict=True):
        value = cell.text if cell.withheld is None else _withheld(cell)
        if cell.escalated:
            value += " ⚑"
        if column.kind == "imperative":
            imperatives.append(value)
        else:
            parts.append(f"{column.title.lower()} {value}")
    parts.append(f"imperatives 1–5: {' · '.join(imperatives)}")
    return " · ".join(parts)


def _with_actions(text: str, row: Row, more: list[str]) -> str:
    if row.open_actions:
        more.append("Open actions: " + "; ".join(row.open_actions))
    return "\n".join([text, " · ".join(more)]) if more else text


def _legend(grid: Grid) -> str:
    imperatives = ", ".join(f"{i} {m.short_title}" for i, m in IMPERATIVES.items())
    return (
        "Trust and priority: the lower side, its average answer (1–5) and (−) how far below the "
        "other side; “both”: level. Score 0–100 with its 90% range; levers: how much the sides "
        f"agree on what to work on next; imperatives (0–100): {imperatives}. ⚑ (a black border "
        f"in the picture): an escalated gap. Figures only where marketing and IT each gave "
        f"{grid.k}+ answers to that question (n of {grid.k}: the smaller side's answers); "
        "nobody can see who answered what."
    )


def digest_sent(*, subscribed: bool) -> Card:
    """The reply to `pulse digest now`: where the digest went, and how to get it weekly (only to
    someone not subscribed yet)."""
    text = "Sent: your digest is in your direct messages with BridgePulse."
    hint = (
        f"You get it every week; `{command('pulse digest off')}` stops that."
        if subscribed
        else f"`{command('pulse digest on')}` sends it every week."
    )
    return Card(summary=text, blocks=(Text(text), Context(hint)))
