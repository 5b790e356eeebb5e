"""What the core answers an adapter: a card and who should see it."""

from __future__ import annotations

from dataclasses import dataclass

from bot.cards import Card
from bot.domain import Visibility


@dataclass(frozen=True, slots=True)
class Reply:
    """A card for the person who acted: only them (ephemeral), the channel, or a direct message."""

    card: Card
    visibility: Visibility = Visibility.EPHEMERAL
