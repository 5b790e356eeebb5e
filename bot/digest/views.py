"""The manager digest: every followed channel in one message, biggest drop first, short lines
that read on a phone; channels without figures say so and show counts only."""

from __future__ import annotations

from bot.cards import Block, Card, Context, Heading, Text
from bot.digest.entries import DigestEntry, ordered
from bot.formatting import plural, score_text, signed, trend_text
from bot.nudges.service import Nudge
from bot.privacy import not_enough_text
from bot.summary.perception_view import perception_line

__all__ = ["DigestEntry", "digest_card", "digest_sent"]

#: channels listed one by one; chat platforms cap a message's blocks (Slack: 50)
MAX_LISTED = 40


def digest_card(entries: list[DigestEntry], *, k: int) -> Card:
    if not entries:
        text = (
            "No BridgePulse channels to report: you are not a member of any channel where "
            "BridgePulse runs."
        )
        return Card(summary=text, blocks=(Heading("Your BridgePulse digest"), Text(text)))
    entries = ordered(entries)
    lines = [_line(e, k=k) for e in entries]
    listed, rest = lines[:MAX_LISTED], lines[MAX_LISTED:]
    blocks: list[Block] = [
        Heading("Your BridgePulse digest"),
        Context(_overview(entries)),
        *(Text(text) for text, _ in listed),
    ]
    if rest:
        blocks.append(
            Text(
                f"…and {len(rest)} more, in order: "
                + ", ".join(short for _, short in rest[:60])
                + (", …" if len(rest) > 60 else "")
                + "."
            )
        )
    blocks += [
        Context(
            f"Figures only for pulses where marketing and IT each had {k}+ answers; nobody can "
            "see who answered what. Scores run 0–100; the sparkline shows up to 12 pulses."
        ),
    ]
    return Card(
        summary="BridgePulse digest: " + "; ".join(short for _, short in lines[:MAX_LISTED]),
        blocks=tuple(blocks),
    )


def _overview(entries: list[DigestEntry]) -> str:
    """How many channels, and their order only when there is an order to speak of."""
    if len(entries) == 1:
        return "1 channel."
    return f"{plural(len(entries), 'channel')}, biggest drop first."


def _line(entry: DigestEntry, *, k: int) -> tuple[str, str]:
    """(the channel's lines in the message, its one-line notification summary)."""
    name, latest = entry.channel_label, entry.latest
    if latest is None:
        return f"**{name}** · no pulse has closed yet.", f"{name} no pulse yet"
    p = latest.result.participation
    if latest.score is None:
        text = f"**{name}** · pulse #{latest.poll.number}: {not_enough_text(p.marketing, p.it, k)}."
        return text, f"{name} not enough answers"
    change = entry.change
    change_text = f" ({signed(change)})" if change is not None else " (first score)"
    lines = [
        f"**{name}** · **{score_text(latest.score)}**{change_text} · {trend_text(entry.scores)}",
        f"Pulse #{latest.poll.number}: marketing {p.marketing} · IT {p.it} answered",
    ]
    if (seen := perception_line(latest.result.figures)) is not None:
        lines.append(seen)
    if entry.nudge is not None:
        lines.append(next_step_line(entry.nudge, latest=latest.poll.number))
    return "\n".join(lines), f"{name} {score_text(latest.score)}{change_text}"


def next_step_line(nudge: Nudge, *, latest: int) -> str:
    """The channel's next step, naming the pulse it came from: a nudge from an earlier pulse
    (still within four weeks) is not this week's, and the line says so."""
    pulse = nudge.pulse
    if pulse == latest:
        head = f"Next step (pulse #{pulse})"
    else:
        head = f"Next step still open (from pulse #{pulse})" if pulse else "Earlier next step"
    return f"{head}: _{nudge.imperative.label}_ — {nudge.short}"


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
