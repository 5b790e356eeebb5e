"""`/pulse export`: a CSV of per-poll aggregates, with figures only where the threshold was met."""

from __future__ import annotations

import csv
import io

from bot.cards import Attachment, Card, Context, Text
from bot.context import Deps
from bot.domain import SCORED_SIDES, Channel
from bot.results import ResultService
from bot.scoring import COMPONENTS
from bot.trends import ScoreReport

MAX_EXPORT_POLLS = 520


def export_csv(report: ScoreReport, *, lever_options: list[str]) -> str:
    """One row per closed poll; counts always, figures blank where they were withheld."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    header = [
        "pulse",
        "opened",
        "closed",
        "respondents_marketing",
        "respondents_it",
        "respondents_other",
        "figures",
        "score",
        *(f"component_{c}" for c in COMPONENTS),
        "rotating_imperative",
        *(f"imperative_{i}" for i in range(1, 6)),
        *(f"lever_{s.value}_{o}" for s in SCORED_SIDES for o in lever_options),
    ]
    writer.writerow(header)
    for point in report.points:
        poll, result = point.poll, point.result
        if poll.is_open:
            continue
        p = result.participation
        row: list[object] = [
            poll.number,
            f"{poll.opened_at:%Y-%m-%d}",
            f"{poll.closed_at:%Y-%m-%d}" if poll.closed_at else "",
            p.marketing,
            p.it,
            p.other,
        ]
        f = result.figures
        if f is None:
            row.append(f"withheld: fewer than {report.k} per side")
            row += [""] * (len(header) - len(row))
        else:
            row += ["published", f.score if f.score is not None else ""]
            row += [f"{f.components[c]:.4f}" if c in f.components else "" for c in COMPONENTS]
            row.append(poll.rotating_imperative)
            row += [f.per_imperative.get(i, "") for i in range(1, 6)]
            row += [
                f"{f.lever_shares.get(s, {}).get(o, 0.0):.4f}" if s in f.lever_shares else ""
                for s in SCORED_SIDES
                for o in lever_options
            ]
        writer.writerow(row)
    return out.getvalue()


class ExportService:
    def __init__(self, deps: Deps, results: ResultService) -> None:
        self._deps = deps
        self._results = results

    async def export(self, channel: Channel) -> Card:
        report = await self._results.report(channel, polls=MAX_EXPORT_POLLS)
        qset = self._deps.question_sets.latest(channel.question_set)
        options = [o.value for o in qset.by_role("lever").options]
        content = export_csv(report, lever_options=options).encode("utf-8")
        closed = sum(1 for p in report.points if not p.poll.is_open)
        name = channel.name or channel.ref.channel_id
        text = f"Export of #{name}: {closed} closed pulses, aggregates only."
        return Card(
            summary=text,
            blocks=(
                Text(text),
                Context(
                    f"Figures are left blank for pulses where marketing or IT "
                    f"had fewer than {self._deps.k} answers. No user ids."
                ),
            ),
            attachments=(
                Attachment(
                    filename=f"bridgepulse-{name}.csv",
                    content=content,
                    mime="text/csv",
                    title=f"BridgePulse export #{name}",
                ),
            ),
        )
