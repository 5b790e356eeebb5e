"""The reply to `/pulse export`: the CSV as an attachment, with the latest pulses in the card
itself so the data reads even where the file does not open."""

from __future__ import annotations

from bot.cards import Attachment, Block, Card, Context, Facts, Text
from bot.formatting import score_text
from bot.score.trends import TrendPoint

PREVIEW = 6


def export_card(
    closed: list[TrendPoint], *, channel_label: str, k: int, attachment: Attachment
) -> Card:
    published = sum(1 for p in closed if p.published)
    text = (
        f"Export of {channel_label}: {len(closed)} closed "
        f"{'pulse' if len(closed) == 1 else 'pulses'} ({published} with figures), "
        f"one row each, aggregates only. The file is `{attachment.filename}`."
    )
    blocks: list[Block] = [Text(text)]
    if closed:
        blocks.append(
            Facts(
                tuple(
                    (
                        f"#{p.poll.number} · {p.poll.opened_at:%d %b %Y}",
                        (
                            f"{score_text(p.score)} · marketing {p.result.participation.marketing}"
                            f" · IT {p.result.participation.it}"
                        )
                        if p.score is not None
                        else f"no figures (fewer than {k} answers per side)",
                    )
                    for p in reversed(closed[-PREVIEW:])
                )
            )
        )
    blocks.append(
        Context(
            "Columns: respondents per side; score, components and imperative scores (0–100); "
            "average answers per side (1–5) and gaps (points); lever shares per side (%). "
            f"Figures are blank where marketing or IT had fewer than {k} answers. "
            "No user ids, no individual answers."
        )
    )
    return Card(summary=text, blocks=tuple(blocks), attachments=(attachment,))
