"""What an open poll has published, as the differencing guard (`bot.score.disclosure`) keeps it
and the repository stores it: contributions, snapshots and the disclosure state."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.domain import Side
from bot.score.scoring import PollResult

#: side → per-poll pseudonym → digest of that person's answers
Contributions = dict[Side, dict[str, str]]


@dataclass(frozen=True, slots=True)
class Snapshot:
    contributions: Contributions
    result: PollResult

    def to_dict(self) -> dict[str, Any]:
        return {
            "contributions": _contributions_to_dict(self.contributions),
            "result": self.result.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Snapshot:
        return cls(
            _contributions_from_dict(data["contributions"]), PollResult.from_dict(data["result"])
        )


@dataclass(frozen=True, slots=True)
class DisclosureState:
    """What an open poll has published: every published snapshot's contributions, the figures
    of the latest, and the candidate for the next. `version` guards concurrent writers."""

    version: int = 0
    published: tuple[Contributions, ...] = ()
    shown: PollResult | None = None
    pending: Snapshot | None = field(default=None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "published": [_contributions_to_dict(c) for c in self.published],
            "shown": self.shown.to_dict() if self.shown else None,
            "pending": self.pending.to_dict() if self.pending else None,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, version: int) -> DisclosureState:
        return cls(
            version=version,
            published=tuple(_contributions_from_dict(c) for c in data.get("published", [])),
            shown=PollResult.from_dict(data["shown"]) if data.get("shown") else None,
            pending=Snapshot.from_dict(data["pending"]) if data.get("pending") else None,
        )


def _contributions_to_dict(c: Contributions) -> dict[str, dict[str, str]]:
    return {side.value: dict(people) for side, people in c.items()}


def _contributions_from_dict(data: Mapping[str, Mapping[str, str]]) -> Contributions:
    return {Side(side): dict(people) for side, people in data.items()}
