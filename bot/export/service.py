"""`/pulse export`: a CSV of per-pulse aggregates for the person who asked (see
`bot.export.csv_file` for the columns)."""

from __future__ import annotations

import re

from bot.cards import Attachment, Card
from bot.context import Deps
from bot.domain import Channel
from bot.export.csv_file import export_csv
from bot.export.views import export_card
from bot.score.results import ResultService

MAX_EXPORT_POLLS = 520


def export_filename(channel_name: str) -> str:
    """A safe file name whatever the channel is called."""
    slug = re.sub(r"[^A-Za-z0-9_-]+", "-", channel_name).strip("-")[:60] or "channel"
    return f"bridgepulse-{slug}.csv"


class ExportService:
    def __init__(self, deps: Deps, results: ResultService) -> None:
        self._deps = deps
        self._results = results

    async def export(self, channel: Channel) -> Card:
        report = await self._results.report(channel, polls=MAX_EXPORT_POLLS, closed_only=True)
        qset = self._deps.question_sets.latest(channel.question_set)
        options = [o.value for o in qset.by_role("lever").options]
        points = list(report.points)
        content = export_csv(
            points,
            k=self._deps.k,
            qset_of={p.poll.id: self._results.question_set(p.poll) for p in points},
            lever_options=options,
        )
        name = channel.name or channel.ref.channel_id
        attachment = Attachment(
            filename=export_filename(name),
            content=content.encode("utf-8"),
            mime="text/csv",
            title=f"BridgePulse export of {self._deps.channel_label(channel, or_id=True)}",
        )
        return export_card(
            [p for p in points if not p.poll.is_open],
            channel_label=self._deps.channel_label(channel, or_id=True),
            k=self._deps.k,
            attachment=attachment,
        )
