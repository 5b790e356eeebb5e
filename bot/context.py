"""The core's dependencies, built once in the composition root and handed to every service."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from bot.domain import Channel
from bot.errors import ConfigError
from bot.ports import ChannelLabels, Clock, Messenger, Repository, ScheduleListener, Telemetry
from bot.privacy import RespondentHasher
from bot.questions import QuestionSets


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class NullTelemetry:
    def count(self, name: str, **labels: str) -> None:
        return None

    def observe(self, name: str, seconds: float, **labels: str) -> None:
        return None


class NoScheduler:
    """Used when this replica runs without a scheduler (BRIDGEPULSE_SCHEDULER=off)."""

    def schedule_changed(self, channel: Channel) -> None:
        return None


@dataclass(slots=True)
class Deps:
    """Everything the services need. `messengers` maps a platform name to its messenger."""

    repo: Repository
    hasher: RespondentHasher
    question_sets: QuestionSets
    k: int
    messengers: Mapping[str, Messenger] = field(default_factory=dict)
    clock: Clock = field(default_factory=SystemClock)
    telemetry: Telemetry = field(default_factory=NullTelemetry)
    schedule_listener: ScheduleListener = field(default_factory=NoScheduler)
    #: Seconds to gather clicks before re-rendering a poll's answer count.
    refresh_delay: float = 1.0
    #: Platform user ids that may run workspace-wide commands (BRIDGEPULSE_ADMINS).
    admins: frozenset[str] = frozenset()

    def messenger(self, platform: str) -> Messenger:
        try:
            return self.messengers[platform]
        except KeyError:
            raise ConfigError(f"no messenger is configured for platform {platform!r}") from None

    def channel_label(self, channel: Channel, *, or_id: bool = False) -> str:
        """The channel's name as its platform writes it in text ("" when it has none, or its
        id with `or_id`)."""
        name = channel.name or (channel.ref.channel_id if or_id else "")
        if not name:
            return ""
        messenger = self.messengers.get(channel.ref.platform)
        if isinstance(messenger, ChannelLabels):
            return messenger.channel_label(name)
        return f"#{name}"
