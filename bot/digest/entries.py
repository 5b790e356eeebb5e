"""The manager digest's content: each followed channel's closed pulses, the questions each asked,
its latest nudge, open actions and escalated gaps (bot.digest.heatmap ranks and lays them out)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from bot.nudges.service import Nudge
from bot.questions import Question
from bot.score.trends import ScoreReport, TrendPoint


@dataclass(frozen=True, slots=True)
class DigestEntry:
    #: as the platform writes it (see Deps.channel_label)
    channel_label: str
    report: ScoreReport
    nudge: Nudge | None = None
    #: poll id → the questions that pulse asked (for the heatmap's cells and their k)
    asked: Mapping[int, tuple[Question, ...]] = field(default_factory=dict)
    #: the channel's open actions, one line each, and its escalated gaps by question id
    open_actions: tuple[str, ...] = ()
    escalated: tuple[str, ...] = ()

    @property
    def latest(self) -> TrendPoint | None:
        """The channel's latest closed pulse: what the digest reports on."""
        return next((p for p in reversed(self.report.points) if not p.poll.is_open), None)

    @property
    def published(self) -> bool:
        latest = self.latest
        return latest is not None and latest.published

    @property
    def previous(self) -> TrendPoint | None:
        """The published pulse before `latest`, for the change."""
        return self.report.since(self.latest).previous

    @property
    def change(self) -> int | None:
        return self.report.since(self.latest).change

    @property
    def scores(self) -> list[int | None]:
        latest = self.latest
        if latest is None:
            return []
        return [p.score for p in self.report.points if p.poll.number <= latest.poll.number]
