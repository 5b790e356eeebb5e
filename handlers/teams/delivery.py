"""How a core reply reaches the right people in Teams, which has no ephemeral messages.

* In a personal chat every reply is private already: it is sent there.
* A typed command in a channel or group chat: `CHANNEL` replies go to the thread; private ones
  (`EPHEMERAL`, `DIRECT`) go to the person's 1:1 chat with the bot, with a short note in the thread.
* A card click (`Action.Execute`): the answer comes back in the invoke response as a message
  Teams shows to the clicker only; a reply with buttons (pick your team) goes to the 1:1 chat.
  A card returned from an invoke would replace the message for everyone, so none is returned.
"""

from __future__ import annotations

import logging
from typing import Any

from botbuilder.core import MessageFactory, TurnContext

from bot.cards import Card
from bot.domain import Visibility
from bot.errors import RecipientUnreachable
from bot.reply import Reply
from handlers.teams.activities import Incoming
from handlers.teams.messenger import TeamsMessenger, message
from handlers.teams.render import has_actions, plain_text

log = logging.getLogger(__name__)
TOAST = "application/vnd.microsoft.activity.message"
SENT_NOTE = "I've sent you the answer in your private chat with BridgePulse."
SENT_BUTTONS = "I've sent you a private message to finish this."
NO_CHAT = (
    "I couldn't message you privately. Open BridgePulse in Teams (Apps → BridgePulse → "
    "Open), say hi, and try again."
)


def toast(text: str) -> dict[str, Any]:
    """An Action.Execute response that shows `text` to the clicker and leaves the card as is."""
    return {"statusCode": 200, "type": TOAST, "value": text}


class ReplyDelivery:
    def __init__(self, messenger: TeamsMessenger) -> None:
        self._messenger = messenger

    async def command(self, ctx: TurnContext, incoming: Incoming, reply: Reply) -> None:
        if incoming.is_private or reply.visibility is Visibility.CHANNEL:
            await ctx.send_activity(message(reply.card))
            return
        sent = await self._privately(incoming, reply.card)
        await ctx.send_activity(MessageFactory.text(SENT_NOTE if sent else NO_CHAT))

    async def click(self, ctx: TurnContext, incoming: Incoming, reply: Reply) -> dict[str, Any]:
        """The invoke response body for an Action.Execute click."""
        if reply.visibility is Visibility.CHANNEL and not incoming.is_private:
            await ctx.send_activity(message(reply.card))
            return toast(plain_text(reply.card))
        if not has_actions(reply.card):
            return toast(plain_text(reply.card))
        if incoming.is_private:
            await ctx.send_activity(message(reply.card))
            return toast(plain_text(reply.card))
        sent = await self._privately(incoming, reply.card)
        return toast(f"{plain_text(reply.card, limit=200)} {SENT_BUTTONS if sent else NO_CHAT}")

    async def submit(self, ctx: TurnContext, incoming: Incoming, reply: Reply) -> None:
        """An Action.Submit click, which arrives as a message and has no private answer path."""
        if incoming.is_private or reply.visibility is Visibility.CHANNEL:
            await ctx.send_activity(message(reply.card))
        elif not await self._privately(incoming, reply.card):
            await ctx.send_activity(MessageFactory.text(NO_CHAT))

    async def _privately(self, incoming: Incoming, card: Card) -> bool:
        try:
            await self._messenger.direct(incoming.actor.person, card)
        except RecipientUnreachable as exc:
            log.info("no private chat with a Teams user: %s", exc)
            return False
        except Exception:  # a failed DM must not break the reply in the channel
            log.exception("sending a private Teams reply failed")
            return False
        return True
