"""Action values carried by buttons and selects, and their strict parsing.

A value is opaque to the platform adapters; only this module reads it, and it accepts nothing
but the exact shapes it writes, so a forged or stale value is refused, never guessed at.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.domain import Side

VOTE = "vote"
JOIN = "join"
_VOTE = re.compile(r"^(\d{1,12}):([a-z0-9_]{1,40}):([a-z0-9_]{1,40})$")


@dataclass(frozen=True, slots=True)
class VoteValue:
    poll_id: int
    question_id: str
    value: str

    def encode(self) -> str:
        return f"{self.poll_id}:{self.question_id}:{self.value}"


def parse_vote(value: str) -> VoteValue | None:
    match = _VOTE.match(value)
    if not match:
        return None
    return VoteValue(int(match.group(1)), match.group(2), match.group(3))


def parse_join(value: str) -> Side | None:
    try:
        return Side(value)
    except ValueError:
        return None
