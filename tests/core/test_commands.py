"""Command parsing: every word of docs/design.md, exact error messages, hostile text."""

from __future__ import annotations

from datetime import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.cards import command, typed_commands
from bot.commands.parsing import (
    Alignment,
    Digest,
    Invalid,
    Join,
    MapGroup,
    Setup,
    Simple,
    UnmapGroup,
    parse_alignment,
    parse_pulse,
    parse_text_command,
    quoted,
)
from bot.domain import Schedule, Side


def test_setup_defaults_to_monday_nine_utc_three_days() -> None:
    assert parse_pulse("setup") == Setup(Schedule(0, time(9, 0), "UTC", 3))


def test_setup_reads_every_value() -> None:
    assert parse_pulse("setup Thursday 14:30 europe/berlin 2") == Setup(
        Schedule(3, time(14, 30), "Europe/Berlin", 2)
    )
    assert parse_pulse("setup fri 7:05 2") == Setup(Schedule(4, time(7, 5), "UTC", 2))


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("setup mnday", "“mnday” is not a weekday"),
        ("setup mon 25:00", "“25:00” is not a time"),
        ("setup mon 9am", "“9am” is not a time"),
        ("setup mon 09:00 Mars/Olympus", "“Mars/Olympus” is not an IANA timezone"),
        ("setup mon 09:00 UTC 7", "Open days must be a whole number from 1 to 6"),
        ("setup mon 09:00 UTC 0", "Open days"),
        ("setup a b c d e", "at most four values"),
    ],
)
def test_setup_says_exactly_what_is_wrong(text: str, fragment: str) -> None:
    parsed = parse_pulse(text)
    assert isinstance(parsed, Invalid)
    assert fragment in parsed.reason


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("join marketing", Join(Side.MARKETING)),
        ("join IT", Join(Side.IT)),
        ("join other", Join(Side.OTHER)),
        ("digest on", Digest("on")),
        ("digest off", Digest("off")),
        ("digest now", Digest("now")),
        ("now", Simple("now")),
        ("close", Simple("close")),
        ("pause", Simple("pause")),
        ("resume", Simple("resume")),
        ("status", Simple("status")),
        ("forget-me", Simple("forget-me")),
        ("export", Simple("export")),
        ("help", Simple("help")),
        ("", Simple("help")),
        ("  STATUS  ", Simple("status")),
        ("groups", Simple("groups")),
        ("map @it-team it", MapGroup("@it-team", Side.IT)),
        ("map this team Marketing", MapGroup("this team", Side.MARKETING)),
        ("map <!subteam^S1|@it-team> other", MapGroup("<!subteam^S1|@it-team>", Side.OTHER)),
        ("unmap @it-team", UnmapGroup("@it-team")),
        (
            "map @it-team",
            Invalid(
                f"Name a group and a side, e.g. `{command('pulse map @it-team it')}` (got “@it-team”). "
                f"`{command('pulse groups')}` lists the groups already mapped."
            ),
        ),
        ("unmap", Invalid(f"Say which group to unmap: `{command('pulse unmap @it-team')}`.")),
    ],
)
def test_pulse_words(text: str, expected: object) -> None:
    assert parse_pulse(text) == expected


def test_alignment_words() -> None:
    assert parse_alignment("") == Alignment()
    assert parse_alignment("explain") == Alignment(explain=True)
    assert isinstance(parse_alignment("bogus"), Invalid)


def test_text_commands_for_teams() -> None:
    assert parse_text_command("alignment") == Alignment()
    assert parse_text_command("Pulse join it") == Join(Side.IT)
    assert parse_text_command("/pulse status") == Simple("status")
    assert parse_text_command("hello") == Simple("help")
    assert isinstance(parse_text_command("dance"), Invalid)


def test_unknown_and_hostile_words_are_echoed_safely() -> None:
    parsed = parse_pulse("<!channel> *bold* `code`")
    assert isinstance(parsed, Invalid)
    assert "<" not in parsed.reason and "`code`" not in parsed.reason
    assert isinstance(parse_pulse("x" * 1_000_000), Invalid)
    assert "too long" in parse_pulse("now " + "y" * 400).reason  # type: ignore[union-attr]


@settings(max_examples=500, deadline=None)
@given(st.text(max_size=400))
def test_parsing_never_raises(text: str) -> None:
    for parse in (parse_pulse, parse_alignment, parse_text_command):
        assert parse(text) is not None


@pytest.mark.parametrize("typed", ["join ⟦x⟧", "map ⟦x⟧", "status ⟦x⟧", "setup ⟦x⟧", "⟦x⟧"])
def test_a_users_words_quoted_back_can_never_pose_as_a_command(typed: str) -> None:
    invalid = parse_pulse(typed)
    assert isinstance(invalid, Invalid)
    assert "⟦x⟧" not in invalid.reason
    # rendered for Slack, the user's “x” stays plain words, never a `/x` command
    shown = typed_commands(invalid.reason, lead="/")
    assert "“x”" in shown and "/x" not in shown
    assert quoted("⟦pulse now⟧") == "pulse now"


def test_a_command_token_survives_only_as_written_by_the_core() -> None:
    assert command("pulse ⟦now⟧") == command("pulse now")
    assert typed_commands(f"`{command('pulse now')}` ⟧ ⟦", lead="/") == "`/pulse now`  "
