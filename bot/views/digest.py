"""The manager digest: every followed channel in one message, biggest drop first."""

from __future__ import annotations

from dataclasses import dataclass

from bot.cards import Block, Card, Context, Heading, Text
from bot.formatting import score_text, signed, sparkline
from bot.privacy import not_enough_text
from bot.trends import ScoreReport


@dataclass(frozen=True, slots=True)
class DigestEntry:
    channel_name: str
    report: ScoreReport


def _order(entry: DigestEntry) -> tuple[int, int]:
    change = entry.report.change
    published = entry.report.current is not None
    return (0 if published else 1, change if change is not None else 0)


def digest_card(entries: list[DigestEntry], *, k: int) -> Card:
    if not entries:
        text = (
            "No BridgePulse channels to report: you are not a member of any channel where "
            "BridgePulse runs."
        )
        return Card(summary=text, blocks=(Heading("Your BridgePulse digest"), Text(text)))
    blocks: list[Block] = [Heading("Your BridgePulse digest")]
    for entry in sorted(entries, key=_order):
        report, name = entry.report, f"#{entry.channel_name}"
        current = report.current
        if current is None or current.score is None:
            latest = report.latest_participation
            m, it = (latest.marketing, latest.it) if latest else (0, 0)
            blocks.append(Text(f"**{name}** — {not_enough_text(m, it, k)}"))
            continue
        change = report.change
        change_text = f" ({signed(change)})" if change is not None else ""
        p = current.result.participation
        blocks.append(
            Text(
                f"**{name}** — {score_text(current.score)}{change_text} "
                f"`{sparkline(report.scores)}` · marketing {p.marketing}, IT {p.it}"
            )
        )
    blocks.append(
        Context(f"Biggest drops first. Figures only where marketing and IT each had {k}+ answers.")
    )
    return Card(summary=f"BridgePulse digest: {len(entries)} channels", blocks=tuple(blocks))
