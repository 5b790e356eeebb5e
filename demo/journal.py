"""What the bot sent, as the demo saw it appear: every message the fakes recorded, stamped with the
simulated time it was first seen and sorted into kinds (poll, summary, reminder, digest, …).

The fakes record the real payloads; the journal only adds *when* (in demo time) and *what kind*,
for the transcript and the `/_sim` page.
"""

from __future__ import annotations

import re
from collections.abc import Hashable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from demo.plaintext import slack_lines, teams_lines
from demo.world import (
    SLACK_CHANNEL,
    SLACK_TEAM,
    TEAMS_CHANNEL,
    TENANT,
    World,
    slack_user_id,
    teams_account,
)

Platform = Literal["slack", "teams"]
_KINDS = (
    ("poll", re.compile(r"^Weekly pulse #\d+: marketing")),
    ("withheld", re.compile(r"^Pulse #\d+.* closed: not enough answers")),
    ("summary", re.compile(r"^Pulse #\d+ in .*: \d+/100")),
    ("reminder", re.compile(r"^Reminder: pulse #\d+")),
    ("digest", re.compile(r"^Your BridgePulse digest")),
    ("welcome", re.compile(r"^BridgePulse commands")),
    ("action", re.compile(r"\bwill try this:")),
    ("declined", re.compile(r"^\W*Not for us: ")),
    ("ask", re.compile(r"^\W*Done\?")),
)


@dataclass(frozen=True, slots=True)
class Entry:
    """One message the bot posted: where, when (demo time), what kind, and its lines."""

    platform: Platform
    #: "channel", or "dm" for a direct message / 1:1 chat.
    place: str
    #: The persona a direct message went to.
    owner: str | None
    at: datetime
    kind: str
    lines: tuple[str, ...]
    ref: str

    @property
    def headline(self) -> str:
        return self.lines[0] if self.lines else ""


def kind_of(lines: list[str], *, files: bool = False) -> str:
    if files:
        return "file"
    first = lines[0] if lines else ""
    return next((kind for kind, pattern in _KINDS if pattern.search(first)), "other")


@dataclass
class Journal:
    world: World
    entries: list[Entry] = field(default_factory=list)
    #: Bumped whenever the fakes recorded anything new (the page re-renders on a change).
    version: int = 0
    _stamps: dict[Hashable, tuple[datetime, int]] = field(default_factory=dict)
    _signature: tuple[int, ...] = ()
    _dm_owner: dict[str, str] = field(init=False)

    def __post_init__(self) -> None:
        self._dm_owner = {}
        for person in self.world.people:
            self._dm_owner[self.world.slack.dm_channel(SLACK_TEAM, slack_user_id(person))] = (
                person.key
            )
            self._dm_owner[teams_account(person).personal(TENANT)["id"]] = person.key

    def stamp(self, key: Hashable) -> datetime:
        """When (demo time) something was first seen; now if never before."""
        return self._first_seen(key)[0]

    def order(self, key: Hashable) -> int:
        """The order in which things were first seen (many share a demo minute)."""
        return self._first_seen(key)[1]

    def _first_seen(self, key: Hashable) -> tuple[datetime, int]:
        if key not in self._stamps:
            self._stamps[key] = (self.world.clock.now(), len(self._stamps))
        return self._stamps[key]

    def observe(self) -> list[Entry]:
        """Stamp everything new in the fakes; returns the new messages."""
        slack, connector = self.world.slack, self.world.connector
        signature = (
            len(slack.calls),
            sum(len(m) for m in slack.messages.values()),
            len(connector.messages),
            sum(len(r) for r in slack.responses.values()),
            len(slack.ephemerals),
            len(connector.requests),
            len(self.world.typed),
        )
        if signature == self._signature:
            return []
        self._signature = signature
        self.version += 1
        for typed in self.world.typed:  # what people typed came before the bot's answers
            self.stamp(("typed", typed.id))
        new = [*self._slack_entries(), *self._teams_entries()]
        self.entries += new
        return new

    def _slack_entries(self) -> list[Entry]:
        found: list[Entry] = []
        for channel, messages in list(self.world.slack.messages.items()):
            for message in messages:
                key = ("slack", channel, message.ts)
                if key in self._stamps:
                    continue
                lines = slack_lines(message.blocks, message.text)
                found.append(
                    Entry(
                        "slack",
                        "channel" if channel == SLACK_CHANNEL else "dm",
                        self._dm_owner.get(channel),
                        self.stamp(key),
                        kind_of(lines, files=bool(message.files)),
                        tuple(lines),
                        message.ts,
                    )
                )
        return found

    def _teams_entries(self) -> list[Entry]:
        found: list[Entry] = []
        for message in list(self.world.connector.messages.values()):
            key = ("teams", message.id)
            if key in self._stamps:
                continue
            lines = teams_lines(message.activity)
            in_channel = message.conversation_id.split(";")[0] == TEAMS_CHANNEL.id
            found.append(
                Entry(
                    "teams",
                    "channel" if in_channel else "dm",
                    None if in_channel else self.chat_owner(message.conversation_id),
                    self.stamp(key),
                    kind_of(lines),
                    tuple(lines),
                    message.id,
                )
            )
        return found

    def chat_owner(self, conversation_id: str) -> str | None:
        """The persona whose 1:1 chat with the bot this is."""
        if conversation_id in self._dm_owner:
            return self._dm_owner[conversation_id]
        for member, chat in self.world.connector.chats.items():
            if chat == conversation_id:
                return self._by_account(member)
        return None

    def _by_account(self, member: str) -> str | None:
        for person in self.world.people:
            account = teams_account(person)
            if member in (account.id, account.aad_object_id):
                return person.key
        return None

    def of(self, *, kind: str, platform: Platform | None = None) -> list[Entry]:
        return [
            e
            for e in self.entries
            if e.kind == kind and (platform is None or e.platform == platform)
        ]
