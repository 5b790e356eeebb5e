"""The command list, shown by `pulse help` and for any word BridgePulse does not know."""

from __future__ import annotations

from bot.cards import Card, Context, Heading, Text, command

_COMMANDS: tuple[tuple[str, str], ...] = (
    ("alignment", "this channel's score, trend, imperatives and participation"),
    ("alignment explain", "how the score is computed, and the privacy rule"),
    (
        "pulse setup [weekday] [HH:MM] [timezone] [days]",
        "turn on the weekly pulse here (admin; default `mon 09:00 UTC 3`)",
    ),
    ("pulse now", "open a pulse right away (admin)"),
    ("pulse close", "close the open pulse and post the summary (admin)"),
    ("pulse pause", f"stop the weekly schedule (admin); `{command('pulse resume')}` restarts it"),
    ("pulse status", "schedule, open pulse, answers so far"),
    ("pulse join marketing|it|other", "say which team you are in"),
    (
        "pulse map <group> marketing|it|other",
        "everyone in a group counts for a side unless they chose one (workspace admin); "
        f"`{command('pulse unmap <group>')}` undoes it",
    ),
    ("pulse groups", "the groups mapped to sides"),
    ("pulse actions", "this channel's actions: who took each on, its state, its follow-up"),
    ("pulse digest on|off|now", "weekly digest of your BridgePulse channels by direct message"),
    ("pulse forget-me", "delete your team and every answer you gave"),
    ("pulse export", "CSV of per-pulse figures (admin; aggregates only)"),
    ("pulse help", "this list"),
)


def help_card(*, reason: str = "") -> Card:
    lines = "\n".join(f"`{command(cmd)}` — {what}" for cmd, what in _COMMANDS)
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
        + ", ".join(command(c.split(" [")[0]) for c, _ in _COMMANDS)
    )
    return Card(summary=summary, blocks=blocks)


def welcome(setup_command: str) -> str:
    """The first words after the app is added to a team or chat (who may set a channel up is
    `ChannelService.is_admin`: whoever sets it up first, or a platform admin)."""
    return (
        f"Thanks for adding BridgePulse. Whoever first types {setup_command} in a channel "
        "turns on its weekly pulse and looks after it; in a chat with me, just type the words."
    )
