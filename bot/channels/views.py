"""Replies about a channel's set-up: status, setup, pause, resume, admin refusals."""

from __future__ import annotations

from datetime import datetime

from bot.cards import Card, Context, Facts, Heading, Text, command, simple
from bot.channels.cadence import describe, format_local, next_open
from bot.channels.readiness import Readiness
from bot.domain import Channel, Poll, Schedule, Side
from bot.formatting import plural
from bot.score.scoring import Participation
from bot.score.views import participation_text


def status_card(
    channel: Channel,
    *,
    channel_label: str,
    open_poll: Poll | None,
    participation: Participation | None,
    readiness: Readiness | None = None,
    now: datetime,
    k: int,
) -> Card:
    zone = channel.schedule.timezone if channel.schedule else "UTC"
    facts: list[tuple[str, str]] = []
    if channel.schedule is None:
        facts.append(
            ("Schedule", f"not set up — `{command('pulse setup')}` turns on the weekly pulse")
        )
    else:
        state = " (paused)" if channel.paused else ""
        facts.append(("Schedule", describe(channel.schedule) + state))
        if not channel.paused:
            facts.append(("Next pulse", format_local(next_open(channel.schedule, now), zone)))
    if open_poll is None:
        facts.append(("Open pulse", "none"))
    else:
        facts.append(
            ("Open pulse", f"#{open_poll.number}, closes {format_local(open_poll.closes_at, zone)}")
        )
        if participation is not None:
            facts.append(("Answered so far", participation_text(participation)))
    name = channel_label or "this channel"
    return Card(
        summary=f"BridgePulse in {name}: " + "; ".join(f"{a}: {b}" for a, b in facts),
        blocks=(
            Heading(f"BridgePulse in {name}"),
            Facts(tuple(facts)),
            Context(figures_note(readiness, k=k)),
        ),
    )


def figures_note(readiness: Readiness | None, *, k: int) -> str:
    """Why figures are, or are not yet, there: what is true of the open pulse right now."""
    if readiness is None:
        return f"Counts only — a pulse shows figures once marketing and IT each have {k} answers."
    if readiness.short:
        (side, more), *others = readiness.short.items()
        needs = [f"{_name(side)} has {plural(more, 'more answer')}"]
        needs += [f"{_name(other)} {n} more" for other, n in others]
        return f"Counts only — figures appear once {' and '.join(needs)} ({k} per side)."
    sentences = [f"Marketing and IT each have {k} or more answers."]
    if readiness.thin:
        listed = "; ".join(
            f"{label} ({', '.join(_more(side, n) for side, n in sides.items())})"
            for label, sides in readiness.thin
        )
        sentences.append(f"Figures from a question need {k} answers to it on each side: {listed}.")
    if readiness.shown is None:
        sentences.append(
            "Figures stay hidden until the pulse closes or many more people have answered: "
            "showing them after every few answers would let anyone work out those few answers."
        )
    else:
        sentences.append(
            f"`{command('alignment')}` shows the figures so far (from the first "
            f"{readiness.shown.marketing} marketing and {readiness.shown.it} IT answers)."
        )
    return " ".join(sentences)


def _more(side: Side, n: int) -> str:
    return f"{_name(side)} needs {n} more"


def _name(side: Side) -> str:
    """A side as it reads mid-sentence: "marketing", "IT"."""
    return "IT" if side is Side.IT else side.value


def setup_done(schedule: Schedule, *, first_open: datetime, open_poll: Poll | None) -> Card:
    text = (
        f"Weekly pulse is on: {describe(schedule)}. The first pulse opens "
        f"{format_local(first_open, schedule.timezone)}."
    )
    extra = (
        f"Pulse #{open_poll.number} is already open and keeps its closing time."
        if open_poll
        else f"Want one right away? `{command('pulse now')}` opens a pulse now."
    )
    return Card(summary=text, blocks=(Text(f"✅ {text}"), Context(extra)))


def paused(*, already: bool) -> Card:
    text = (
        "The weekly pulse was already paused."
        if already
        else f"Paused: no new pulses will open here until `{command('pulse resume')}`. An open pulse stays "
        "open until it closes."
    )
    return simple(text)


def resumed(schedule: Schedule | None, *, first_open: datetime | None) -> Card:
    if schedule is None or first_open is None:
        text = f"There is no schedule to resume here yet: `{command('pulse setup')}` creates one."
    else:
        text = (
            f"Resumed: {describe(schedule)}. Next pulse "
            f"{format_local(first_open, schedule.timezone)}."
        )
    return simple(text)


def admin_only(word: str) -> Card:
    text = (
        f"`{command(f'pulse {word}')}` is for this channel's BridgePulse admins (whoever set it up, "
        "and workspace admins). Ask one of them, or use "
        f"`{command('pulse status')}` to see the schedule."
    )
    return simple(text)


def workspace_admin_only(word: str, *, platform_admins: bool) -> Card:
    """The refusal of a workspace-wide command: who may run it, and that nothing changed."""
    who = (
        "a workspace admin or owner, or someone named in BridgePulse's BRIDGEPULSE_ADMINS"
        if platform_admins
        else "someone named in BridgePulse's BRIDGEPULSE_ADMINS setting (this platform does "
        "not tell BridgePulse who its admins are)"
    )
    return simple(
        f"`{command(f'pulse {word}')}` changes sides for the whole workspace, so only {who} may use "
        "it; nothing changed."
    )


def already_open(poll: Poll, *, timezone: str) -> Card:
    text = (
        f"Pulse #{poll.number} is already open (until {format_local(poll.closes_at, timezone)}); "
        "nothing changed."
    )
    return simple(text)


def opened(poll: Poll, *, timezone: str) -> Card:
    text = f"Pulse #{poll.number} is open until {format_local(poll.closes_at, timezone)}."
    return simple(text)


def nothing_open() -> Card:
    text = f"There is no open pulse here to close. `{command('pulse now')}` opens one."
    return simple(text)


def closed_now(poll: Poll) -> Card:
    text = f"Pulse #{poll.number} is closed; the summary is posted in the channel."
    return simple(text)
