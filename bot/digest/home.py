"""The personal home view: your side, your channels' scores, how to use BridgePulse."""

from __future__ import annotations

from bot.cards import Block, Card, Context, Divider, Heading, Text, command
from bot.digest.views import DigestEntry
from bot.domain import Side
from bot.formatting import score_text, trend_text
from bot.summary.perception_view import perception_line


def home_card(*, side: Side | None, channels: list[DigestEntry], k: int) -> Card:
    team = (
        f"You are on the **{side.label}** side."
        if side
        else f"You have not picked a team yet: `{command('pulse join marketing|it|other')}`."
    )
    blocks: list[Block] = [
        Heading("BridgePulse"),
        Text(
            "A one-minute weekly pulse on how marketing and IT work together, "
            "and an alignment score from 0 to 100 for each channel."
        ),
        Text(team),
        Divider(),
        Heading("Your channels"),
    ]
    if not channels:
        blocks.append(
            Text(
                f"None yet. In a channel where both teams work, an admin types "
                f"`{command('pulse setup')}`."
            )
        )
    for entry in channels:
        current = entry.report.current
        figure = (
            score_text(current.score)
            if current and current.score is not None
            else "not enough answers yet"
        )
        scores = entry.report.scores
        trend = f" · {trend_text(scores)}" if scores else ""
        seen = perception_line(current.result.figures) if current else None
        blocks.append(
            Text(f"**{entry.channel_label}** — {figure}{trend}" + (f"\n{seen}" if seen else ""))
        )
    blocks += [
        Divider(),
        Context(
            f"`{command('alignment')}` for a channel's score · `{command('pulse help')}` for every "
            f"command · figures need {k} answers per side; nobody sees who answered what."
        ),
    ]
    return Card(summary="BridgePulse home", blocks=tuple(blocks))
