"""The command list, shown by `pulse help` and for any word BridgePulse does not know."""

from __future__ import annotations

import re

from bot.cards import Card, Context, Heading, Text

_COMMANDS: tuple[tuple[str, str], ...] = (
    ("alignment", "this channel's score, trend, imperatives and participation"),
    ("alignment explain", "how the score is computed, and the privacy rule"),
    (
        "pulse setup [weekday] [HH:MM] [timezone] [days]",
        "turn on the weekly pulse here (admin; default `mon 09:00 UTC 3`)",
    ),
    ("pulse now", "open a pulse right away (admin)"),
    ("pulse close", "close the open pulse and post the summary (admin)"),
    ("pulse pause", "stop the weekly schedule (admin); `{prefix}pulse resume` restarts it"),
    ("pulse status", "schedule, open pulse, answers so far"),
    ("pulse join marketing|it|other", "say which team you are in"),
    (
        "pulse map <group> marketing|it|other",
        "everyone in a group counts for a side unless they chose one (workspace admin); "
        "`{prefix}pulse unmap <group>` undoes it",
    ),
    ("pulse groups", "the groups mapped to sides"),
    ("pulse actions", "this channel's actions: who took each on, its state, its follow-up"),
    ("pulse digest on|off|now", "weekly digest of your BridgePulse channels by direct message"),
    ("pulse forget-me", "delete your team and every answer you gave"),
    ("pulse export", "CSV of per-pulse figures (admin; aggregates only)"),
    ("pulse help", "this list"),
)


#: a command in code formatting, as the parser's messages write it (`pulse join it`); a user's
#: own words are echoed without backticks (see `bot.commands.quoted`), so only ours match
_COMMAND_IN_CODE = re.compile(r"`(?=(?:pulse|alignment)\b)")


def in_platform_form(text: str, *, prefix: str) -> str:
    """Commands in `text` as the platform takes them: `/pulse join it` in Slack, `pulse join it`
    in Teams (prefix "")."""
    return _COMMAND_IN_CODE.sub(lambda _: "`" + prefix, text)


def help_card(*, prefix: str, reason: str = "") -> Card:
    reason = in_platform_form(reason, prefix=prefix)
    lines = "\n".join(
        f"`{prefix}{cmd}` — " + what.replace("{prefix}", prefix) for cmd, what in _COMMANDS
    )
    blocks = (
        *((Text(reason),) if reason else ()),
        Heading("BridgePulse commands"),
        Text(lines),
        Context(
            "BridgePulse runs a weekly one-minute pulse where marketing and IT work together "
            "and shows how aligned they are. Nobody can see who answered what."
        ),
    )
    summary = (
        (reason + " " if reason else "")
        + "BridgePulse commands: "
        + ", ".join(f"{prefix}{c.split(' [')[0]}" for c, _ in _COMMANDS)
    )
    return Card(summary=summary, blocks=blocks)


def welcome(setup_command: str) -> str:
    """The first words after the app is added to a team or chat (who may set a channel up is
    `ChannelService.is_admin`: whoever sets it up first, or a platform admin)."""
    return (
        f"Thanks for adding BridgePulse. Whoever first types {setup_command} in a channel "
        "turns on its weekly pulse and looks after it; in a chat with me, just type the words."
    )
