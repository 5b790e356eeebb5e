"""What an incoming Teams activity says: who acted, in which conversation, and the command text."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from botbuilder.core import TurnContext
from botbuilder.schema import Activity, ConversationReference

from bot.domain import Actor, ChannelRef, ClickOrigin

PLATFORM = "teams"
#: Workspace id used when an activity carries no tenant (the Bot Framework Emulator).
NO_TENANT = "local"
Scope = Literal["personal", "groupChat", "channel"]
_TAGS = re.compile(r"<[^>]{0,200}>")


@dataclass(frozen=True, slots=True)
class Incoming:
    """The neutral facts of one activity from a person."""

    actor: Actor
    channel: ChannelRef
    channel_name: str
    scope: Scope
    #: The person's Teams account id (``29:…``), needed to open a 1:1 chat with them.
    account_id: str

    @property
    def is_private(self) -> bool:
        return self.scope == "personal"


def tenant_of(activity: Activity) -> str:
    conversation = activity.conversation
    tenant = getattr(conversation, "tenant_id", None) if conversation else None
    data = _dict(activity.channel_data)
    return str(tenant or _dict(data.get("tenant")).get("id") or NO_TENANT)


def conversation_key(activity: Activity) -> str:
    """The conversation to post in: a channel's own id (not the thread's ``;messageid=``)."""
    data = _dict(activity.channel_data)
    channel_id = _dict(data.get("channel")).get("id")
    conversation_id = activity.conversation.id if activity.conversation else ""
    return str(channel_id or conversation_id.split(";messageid=")[0])


def read(activity: Activity) -> Incoming | None:
    """The actor and channel of an activity from a person, or None if it lacks them."""
    sender, conversation = activity.from_property, activity.conversation
    if sender is None or not sender.id or conversation is None or not conversation.id:
        return None
    tenant = tenant_of(activity)
    user_id = str(getattr(sender, "aad_object_id", None) or sender.id)
    data = _dict(activity.channel_data)
    scope = _scope(conversation.conversation_type, data)
    name = _dict(data.get("channel")).get("name") or _dict(data.get("team")).get("name") or ""
    return Incoming(
        actor=Actor(PLATFORM, tenant, user_id[:128], name=str(sender.name or "")[:100]),
        channel=ChannelRef(PLATFORM, tenant, conversation_key(activity)[:250]),
        channel_name=str(name)[:100],
        scope=scope,
        account_id=str(sender.id),
    )


def click_origin(activity: Activity, incoming: Incoming) -> ClickOrigin:
    """Where and when a card click was made: the activity's tenant, its conversation (a
    channel's own id for a channel thread), whether that is the person's 1:1 chat with the
    bot, and the activity's timestamp (Teams' time of the click)."""
    stamp = activity.timestamp
    at = stamp.astimezone(UTC) if isinstance(stamp, datetime) and stamp.tzinfo else None
    where = incoming.channel
    return ClickOrigin(PLATFORM, where.workspace_id, where.channel_id, incoming.is_private, at)


def command_text(activity: Activity) -> str:
    """The message text without the bot's @mention and without Teams' HTML markup."""
    text = activity.text or ""
    recipient = activity.recipient.id if activity.recipient else None
    for entity in activity.entities or []:
        props = entity.additional_properties if hasattr(entity, "additional_properties") else {}
        mentioned = _dict(props.get("mentioned") or getattr(entity, "mentioned", None))
        mention_text = props.get("text") or getattr(entity, "text", None)
        if entity.type == "mention" and mentioned.get("id") == recipient and mention_text:
            text = text.replace(str(mention_text), " ")
    return html.unescape(_TAGS.sub(" ", text)).strip()


def card_action(value: object) -> tuple[str, str] | None:
    """(action, value) from a card click's data: ``{"action": …, "value": …}``, or an
    ``{"input": id}`` pointing at the chosen value of an Input.ChoiceSet."""
    data = _dict(value)
    action = data.get("action")
    chosen = data.get("value")
    if chosen is None and isinstance(data.get("input"), str):
        chosen = data.get(data["input"])
    if not isinstance(action, str) or not isinstance(chosen, str):
        return None
    return action[:40], chosen[:200]


def reference_of(activity: Activity) -> dict[str, Any]:
    """The activity's conversation reference as stored JSON, pointing at the channel itself."""
    reference = TurnContext.get_conversation_reference(activity)
    if reference.conversation is not None:
        reference.conversation.id = conversation_key(activity)
    reference.activity_id = None
    stored: dict[str, Any] = reference.serialize()
    stored.pop("user", None)  # not needed to post, so not kept
    return stored


def load_reference(stored: dict[str, Any]) -> ConversationReference:
    reference: ConversationReference = ConversationReference().deserialize(stored)
    return reference


def _scope(conversation_type: str | None, data: dict[str, Any]) -> Scope:
    if conversation_type in ("personal", "groupChat", "channel"):
        return conversation_type  # type: ignore[return-value]
    return "channel" if data.get("channel") else "personal"


def _dict(value: object) -> dict[str, Any]:
    if isinstance(value, dict):
        return value
    if hasattr(value, "serialize"):
        serialized = value.serialize()
        return serialized if isinstance(serialized, dict) else {}
    return {}
