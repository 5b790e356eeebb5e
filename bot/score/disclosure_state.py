"""What an open poll has published, as the differencing guard (`bot.score.disclosure`) keeps it
and the repository stores it: per-question contributions, snapshots and the disclosure state."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from bot.domain import Side
from bot.score.scoring import PollResult

#: side → question id → per-poll pseudonym → digest of that person's answer to it
Contributions = dict[Side, dict[str, dict[str, str]]]


def pseudonym(poll_id: int, respondent: str) -> str:
    """A respondent's name in one poll's fingerprints (never the same in two polls)."""
    return digest(f"{poll_id}\x1f{respondent}")


def digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:20]


#: marks a forgotten person's place in a published snapshot (pseudonyms are hex)
TOMBSTONE = "~"


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
    """What an open poll has published: each published snapshot's contributions to the
    questions its figures rest on, the figures of the latest, and the candidate for the next.
    `version` guards concurrent writers."""

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

    def forgetting(self, *, poll_id: int, respondent: str) -> DisclosureState:
        """The state without a trace of one person (forget-me). The unpublished candidate is
        dropped; in published snapshots the person's pseudonym and answer digests become random
        tokens, the same token wherever they were the same, so distances still count the
        person (a later figure without them differs from one with them) while nothing in the
        state can be tied to them or guessed back into an answer (see `_bounds`)."""
        name = pseudonym(poll_id, respondent)
        if not any(name in p for c in self.published for per in c.values() for p in per.values()):
            return replace(self, pending=None) if self.pending is not None else self
        token, values = TOMBSTONE + secrets.token_hex(10), dict[str, str]()
        published = tuple(
            {
                side: {q: _scrubbed(p, name, token, values) for q, p in per.items()}
                for side, per in c.items()
            }
            for c in self.published
        )
        return replace(self, published=published, pending=None)


def _scrubbed(
    people: dict[str, str], name: str, token: str, values: dict[str, str]
) -> dict[str, str]:
    if name not in people:
        return people
    kept = {p: d for p, d in people.items() if p != name}
    kept[token] = values.setdefault(people[name], secrets.token_hex(10))
    return kept


def _contributions_to_dict(c: Contributions) -> dict[str, dict[str, dict[str, str]]]:
    return {side.value: {q: dict(p) for q, p in per.items()} for side, per in c.items()}


def _contributions_from_dict(data: Mapping[str, Mapping[str, Any]]) -> Contributions:
    found: Contributions = {}
    for side, per in data.items():
        # a state written before contributions were kept per question has no question level:
        # it is read as empty, so the poll's next snapshot starts afresh (nothing shown is lost)
        found[Side(side)] = {q: dict(p) for q, p in per.items() if isinstance(p, Mapping)}
    return found
