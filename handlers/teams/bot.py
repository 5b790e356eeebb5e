"""The Teams activity handler: messages and card clicks → core calls; installs → stored references."""

from __future__ import annotations

import logging
from typing import Any

from botbuilder.core import InvokeResponse, TurnContext
from botbuilder.core.teams import TeamsActivityHandler
from botbuilder.schema import Activity

from bot.commands.help import help_card, welcome
from bot.core import Core
from bot.polls.views import stale_button
from handlers.teams.activities import (
    Incoming,
    card_action,
    click_origin,
    command_text,
    conversation_key,
    read,
    reference_of,
    tenant_of,
)
from handlers.teams.delivery import ReplyDelivery, toast
from handlers.teams.messenger import close_connector, message
from handlers.teams.references import SERVICE, ConversationBook, account_key, chat_key
from handlers.teams.render import plain_text

log = logging.getLogger(__name__)
CARD_ACTION = "adaptiveCard/action"


class BridgePulseBot(TeamsActivityHandler):  # type: ignore[misc]
    def __init__(self, core: Core, book: ConversationBook, delivery: ReplyDelivery) -> None:
        super().__init__()
        self._core = core
        self._book = book
        self._delivery = delivery

    async def on_turn(self, turn_context: TurnContext) -> None:
        try:
            await super().on_turn(turn_context)
        finally:
            await close_connector(turn_context)

    async def on_message_activity(self, turn_context: TurnContext) -> None:
        activity = turn_context.activity
        incoming = read(activity)
        if incoming is None:
            return
        await self._remember(activity, incoming)
        clicked = card_action(activity.value) if activity.value is not None else None
        if clicked is not None:  # Action.Submit arrives as a message carrying the card's data
            reply = await self._core.action(
                actor=incoming.actor,
                action=clicked[0],
                value=clicked[1],
                origin=click_origin(activity, incoming),
            )
            await self._delivery.submit(turn_context, incoming, reply)
            return
        reply = await self._core.command(
            actor=incoming.actor,
            channel=incoming.channel,
            text=command_text(activity),
            channel_name=incoming.channel_name,
        )
        await self._delivery.command(turn_context, incoming, reply)

    async def on_invoke_activity(self, turn_context: TurnContext) -> InvokeResponse:
        activity = turn_context.activity
        if activity.name != CARD_ACTION:
            return InvokeResponse(status=200)  # nothing else is offered; answer quietly
        incoming = read(activity)
        action = activity.value.get("action") if isinstance(activity.value, dict) else None
        clicked = card_action(action.get("data") if isinstance(action, dict) else None)
        if incoming is None or clicked is None:
            return InvokeResponse(status=200, body=toast(plain_text(stale_button())))
        await self._remember(activity, incoming)
        reply = await self._core.action(
            actor=incoming.actor,
            action=clicked[0],
            value=clicked[1],
            origin=click_origin(activity, incoming),
        )
        body = await self._delivery.click(turn_context, incoming, reply)
        return InvokeResponse(status=200, body=body)

    async def on_conversation_update_activity(self, turn_context: TurnContext) -> None:
        activity = turn_context.activity
        bot_id = activity.recipient.id if activity.recipient else None
        if any(m.id == bot_id for m in activity.members_removed or []):
            await self._book.gone(tenant_of(activity), conversation_key(activity))
            return
        if activity.conversation is None or not activity.service_url:
            return
        await self._remember_conversation(activity)
        if any(m.id == bot_id for m in activity.members_added or []):
            await turn_context.send_activity(
                message(help_card(reason=welcome("**@BridgePulse pulse setup**")))
            )

    async def on_installation_update(self, turn_context: TurnContext) -> None:
        activity = turn_context.activity
        if activity.conversation is None or not activity.service_url:
            return
        if (activity.action or "").startswith("remove"):
            await self._book.gone(tenant_of(activity), conversation_key(activity))
        else:
            await self._remember_conversation(activity)

    async def _remember_conversation(self, activity: Activity) -> None:
        tenant = tenant_of(activity)
        await self._book.remember(tenant, SERVICE, _service(activity))
        await self._book.remember(tenant, conversation_key(activity), reference_of(activity))

    async def _remember(self, activity: Activity, incoming: Incoming) -> None:
        """Keep what later proactive messages need: the conversation, and how to reach the person."""
        if not activity.service_url or activity.recipient is None:
            return
        tenant, user = incoming.channel.workspace_id, incoming.actor.user_id
        service = _service(activity)
        await self._book.remember(tenant, SERVICE, service)
        await self._book.remember(tenant, account_key(user), {**service, "id": incoming.account_id})
        reference = reference_of(activity)
        await self._book.remember(tenant, incoming.channel.channel_id, reference)
        if incoming.is_private:
            await self._book.remember(tenant, chat_key(user), reference)


def _service(activity: Activity) -> dict[str, Any]:
    bot = activity.recipient.serialize() if activity.recipient else {}
    return {"serviceUrl": activity.service_url, "bot": bot, "channelId": activity.channel_id}
