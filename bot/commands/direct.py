"""The note left where a command was typed when its answer went out as a direct message."""

from __future__ import annotations

from bot.cards import Card, Context, Text


def sent_directly(card: Card) -> Card:
    text = "Sent to you in a direct message from BridgePulse."
    return Card(summary=f"{text} {card.summary}", blocks=(Text(text), Context(card.summary)))
