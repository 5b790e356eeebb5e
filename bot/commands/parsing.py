"""Command words: parse `/alignment` and `/pulse …` text (or Teams messages) into typed commands.

Parsing never raises on user input: anything it cannot read becomes `Invalid` with a message
that says exactly what was wrong, and the dispatcher adds the help text.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import time
from typing import Literal

from bot.cards import command, plain_words
from bot.channels.cadence import DEFAULT_SCHEDULE, MAX_OPEN_DAYS, canonical_timezone, parse_weekday
from bot.domain import Schedule, Side

MAX_COMMAND_CHARS = 300
_TIME = re.compile(r"^(\d{1,2}):(\d{2})$")


@dataclass(frozen=True, slots=True)
class Alignment:
    explain: bool = False


@dataclass(frozen=True, slots=True)
class Setup:
    schedule: Schedule


@dataclass(frozen=True, slots=True)
class Join:
    side: Side


@dataclass(frozen=True, slots=True)
class MapGroup:
    """Everyone in `group` (as the person wrote it) counts for `side` unless they chose one."""

    group: str
    side: Side


@dataclass(frozen=True, slots=True)
class UnmapGroup:
    group: str


@dataclass(frozen=True, slots=True)
class Digest:
    action: Literal["on", "off", "now"]


@dataclass(frozen=True, slots=True)
class Simple:
    """A command with no arguments."""

    word: Literal[
        "now",
        "close",
        "pause",
        "resume",
        "status",
        "forget-me",
        "export",
        "groups",
        "actions",
        "help",
    ]


@dataclass(frozen=True, slots=True)
class Invalid:
    """Text we could not read; `reason` says what to change (empty for unknown words)."""

    reason: str = ""


Command = Alignment | Setup | Join | MapGroup | UnmapGroup | Digest | Simple | Invalid

#: Words only a channel admin may use.
ADMIN_WORDS = frozenset({"setup", "now", "close", "pause", "resume", "export", "map", "unmap"})
_SIMPLE = {
    "now",
    "close",
    "pause",
    "resume",
    "status",
    "forget-me",
    "export",
    "groups",
    "actions",
    "help",
}
_SIDES = {"marketing": Side.MARKETING, "mkt": Side.MARKETING, "it": Side.IT, "other": Side.OTHER}
_ALIASES = {
    "forget": "forget-me",
    "forgetme": "forget-me",
    "forget_me": "forget-me",
    "start": "now",
    "stop": "pause",
    "?": "help",
}


def clean(text: str) -> str:
    """Drop control and formatting characters, collapse whitespace, cap the length."""
    head = text[: 4 * MAX_COMMAND_CHARS]
    kept = "".join(" " if unicodedata.category(ch)[0] in "CZ" else ch for ch in head)
    return " ".join(kept.split())


def parse_alignment(text: str) -> Command:
    words = clean(text).lower().split()
    if not words:
        return Alignment()
    if words[0] in {"explain", "how", "formula", "why"}:
        return Alignment(explain=True)
    if words[0] == "help":
        return Simple("help")
    return Invalid(
        f"`{command('alignment')}` takes no words except `explain` (got “{quoted(words[0])}”)."
    )


def parse_pulse(text: str) -> Command:
    raw = clean(text)
    if len(raw) > MAX_COMMAND_CHARS:
        return Invalid(
            f"That command is too long: commands are short, at most {MAX_COMMAND_CHARS} characters."
        )
    words = raw.split()
    if not words:
        return Simple("help")
    head = _ALIASES.get(words[0].lower(), words[0].lower())
    rest = words[1:]
    if head == "setup":
        return _parse_setup(rest)
    if head == "join":
        return _parse_join(rest)
    if head == "digest":
        return _parse_digest(rest)
    if head == "map":
        return _parse_map(rest)
    if head == "unmap":
        if not rest:
            return Invalid(f"Say which group to unmap: `{command('pulse unmap @it-team')}`.")
        return UnmapGroup(" ".join(rest))
    if head in _SIMPLE:
        if rest and head != "help":
            return Invalid(
                f"`{command(f'pulse {head}')}` takes no further words (got “{quoted(rest[0])}”)."
            )
        return Simple(head)  # type: ignore[arg-type]
    return Invalid(f"I don't know the word “{quoted(words[0])}”.")


def parse_text_command(text: str) -> Command:
    """A command typed as a message (Teams, the simulator): `alignment …` or `pulse …`."""
    words = clean(text).split(maxsplit=1)
    if not words:
        return Simple("help")
    head = words[0].lower().lstrip("/")
    rest = words[1] if len(words) > 1 else ""
    if head == "alignment":
        return parse_alignment(rest)
    if head == "pulse":
        return parse_pulse(rest)
    if head in {"help", "hi", "hello", "hey"}:
        return Simple("help")
    return Invalid(f"I don't know the word “{quoted(words[0])}”.")


def _parse_setup(args: list[str]) -> Command:
    if len(args) > 4:
        return Invalid(
            f"`{command('pulse setup')}` takes at most four values: weekday, time, timezone, open days "
            f"— e.g. `{command('pulse setup mon 09:00 Europe/Berlin 3')}`."
        )
    d = DEFAULT_SCHEDULE
    weekday, at, zone, days = d.weekday, d.at, d.timezone, d.open_days
    if len(args) >= 1:
        found = parse_weekday(args[0])
        if found is None:
            return Invalid(
                f"“{quoted(args[0])}” is not a weekday: use mon, tue, wed, thu, fri, sat or sun."
            )
        weekday = found
    if len(args) >= 2:
        parsed = _parse_time(args[1])
        if parsed is None:
            return Invalid(
                f"“{quoted(args[1])}” is not a time: use 24-hour HH:MM, e.g. 09:00 or 14:30."
            )
        at = parsed
    if len(args) >= 3:
        zone_or_days = args[2]
        if zone_or_days.isdigit() and len(args) == 3:
            args = [*args[:2], d.timezone, zone_or_days]
        else:
            canonical = canonical_timezone(zone_or_days)
            if canonical is None:
                return Invalid(
                    f"“{quoted(zone_or_days)}” is not an IANA timezone: use a name such "
                    "as Europe/Berlin, America/New_York or UTC."
                )
            zone = canonical
    if len(args) >= 4:
        if not args[3].isdigit() or not 1 <= int(args[3]) <= MAX_OPEN_DAYS:
            return Invalid(
                f"Open days must be a whole number from 1 to {MAX_OPEN_DAYS} (a poll "
                f"closes before the next week's opens); got “{quoted(args[3])}”."
            )
        days = int(args[3])
    return Setup(Schedule(weekday=weekday, at=at, timezone=zone, open_days=days))


def _parse_time(word: str) -> time | None:
    match = _TIME.match(word)
    if not match:
        return None
    hour, minute = int(match.group(1)), int(match.group(2))
    if hour > 23 or minute > 59:
        return None
    return time(hour, minute)


def _parse_join(args: list[str]) -> Command:
    choices = _SIDES
    if len(args) != 1 or args[0].lower() not in choices:
        got = f" (got “{quoted(' '.join(args))}”)" if args else ""
        return Invalid(
            f"Say which side you are on: `{command('pulse join marketing')}`, `{command('pulse join it')}` or "
            f"`{command('pulse join other')}`{got}."
        )
    return Join(choices[args[0].lower()])


def _parse_map(args: list[str]) -> Command:
    if len(args) < 2 or args[-1].lower() not in _SIDES:
        got = f" (got “{quoted(' '.join(args))}”)" if args else ""
        return Invalid(
            f"Name a group and a side, e.g. `{command('pulse map @it-team it')}`{got}. "
            f"`{command('pulse groups')}` lists the groups already mapped."
        )
    return MapGroup(" ".join(args[:-1]), _SIDES[args[-1].lower()])


def _parse_digest(args: list[str]) -> Command:
    if len(args) == 1 and args[0].lower() in {"on", "off", "now"}:
        return Digest(args[0].lower())  # type: ignore[arg-type]
    return Invalid(
        f"Use `{command('pulse digest on')}`, `{command('pulse digest off')}` or `{command('pulse digest now')}`."
    )


def quoted(word: str) -> str:
    """A user's word, shortened and stripped of markup so it is safe to echo back."""
    safe = plain_words(re.sub(r"[`*_~<>\[\]|&]", "", word))
    return safe[:40] + ("…" if len(safe) > 40 else "")
