"""Replies about a person: their side, forget-me, digest subscription."""

from __future__ import annotations

from bot.cards import Card, Context, Text, simple
from bot.domain import Side
from bot.formatting import plural


def joined(side: Side, *, previous: Side | None, kept: int) -> Card:
    if previous == side:
        text = f"You are already on the **{side.label}** side."
    elif previous is None:
        text = f"Welcome! You are on the **{side.label}** side."
    else:
        text = f"Switched: you are now on the **{side.label}** side (was {previous.label})."
    blocks: list[Text | Context] = [Text(text)]
    if kept:
        blocks.append(
            Context(
                f"Your {plural(kept, 'waiting answer')} now {'counts' if kept == 1 else 'count'}."
            )
        )
    if side is Side.OTHER:
        blocks.append(Context("Other is counted in participation but not in the marketing–IT gap."))
    return Card(summary=text.replace("**", ""), blocks=tuple(blocks))


def forgotten(*, answers: int, had_side: bool, actions: int = 0) -> Card:
    side = "your team and " if had_side else ""
    owned = f" Your name is off the {plural(actions, 'next step')} you took on." if actions else ""
    text = (
        f"Done: deleted {side}{plural(answers, 'answer')}.{owned} Published totals of closed "
        "pulses are aggregates and stay as they were; nothing in them points to you."
    )
    if answers == 0 and not had_side and not actions:
        text = "BridgePulse had nothing stored for you: no team, no answers."
    return simple(text)


def digest_subscription(*, on: bool, changed: bool) -> Card:
    if on:
        text = (
            "Subscribed: every week after the pulses close you get a digest of each BridgePulse "
            "channel you are a member of."
            if changed
            else "You were already subscribed."
        )
    else:
        text = "Unsubscribed from the weekly digest." if changed else "You were not subscribed."
    return simple(text)
