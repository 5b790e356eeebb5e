"""What Teams sends a bot: activities built as the Teams service builds them (an @mention in channel
text, a 1:1 message, an `Action.Execute` invoke naming the card message, a conversationUpdate on
install), posted over HTTP to `POST /api/messages` (the demo's people and the tests).

Every activity's ``serviceUrl`` points at a connector on this machine (the fake one), so the
bot's replies and proactive messages land there.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import aiohttp

Json = dict[str, Any]
MESSAGES_PATH = "/api/messages"
BOT_ID = "28:bridgepulse-bot"
BOT_NAME = "BridgePulse"
#: What Teams stamps on activities; BridgePulse does not read it.
TIMESTAMP = "2026-11-23T08:00:00.000Z"
_ids = itertools.count(1)


def next_id() -> str:
    return str(next(_ids))


@dataclass(frozen=True, slots=True)
class Account:
    """A Teams user: account id (``29:…``), display name and Entra object id."""

    id: str
    name: str
    aad_object_id: str

    def json(self) -> Json:
        return {"id": self.id, "name": self.name, "aadObjectId": self.aad_object_id}

    def personal(self, tenant: str) -> Json:
        """The person's 1:1 conversation with the bot, as their own messages name it."""
        slug = self.id.removeprefix("29:")
        return {"id": f"a:personal-{slug}", "conversationType": "personal", "tenantId": tenant}


@dataclass(frozen=True, slots=True)
class TeamsChannel:
    """A channel of a team in a tenant; the General channel's id is the team's id."""

    tenant: str
    team_id: str
    team_name: str
    id: str
    name: str

    def conversation(self, thread: str | None = None) -> Json:
        ident = f"{self.id};messageid={thread}" if thread else self.id
        return {
            "id": ident,
            "conversationType": "channel",
            "tenantId": self.tenant,
            "isGroup": True,
        }

    def channel_data(self) -> Json:
        return {
            "team": {"id": self.team_id, "name": self.team_name},
            "channel": {"id": self.id, "name": self.name},
        }


def activity(
    *, service_url: str, sender: Json, conversation: Json, channel_data: Json, tenant: str
) -> Json:
    """The fields every activity from Teams carries."""
    return {
        "id": f"act-{next_id()}",
        "timestamp": TIMESTAMP,
        "serviceUrl": service_url,
        "channelId": "msteams",
        "from": sender,
        "recipient": {"id": BOT_ID, "name": BOT_NAME},
        "conversation": conversation,
        "channelData": {"tenant": {"id": tenant}, **channel_data},
        "locale": "en-US",
    }


def mention(base: Json, text: str) -> Json:
    """A channel message that @mentions the bot, as Teams delivers it (the mention in the text)."""
    tag = f"<at>{BOT_NAME}</at>"
    return base | {
        "type": "message",
        "text": f"{tag} {text}",
        "textFormat": "plain",
        "entities": [
            {"type": "mention", "text": tag, "mentioned": {"id": BOT_ID, "name": BOT_NAME}}
        ],
    }


def said(base: Json, text: str) -> Json:
    """A plain message (a 1:1 chat needs no mention)."""
    return base | {"type": "message", "text": text, "textFormat": "plain"}


def installed(base: Json) -> Json:
    """The team added BridgePulse: conversationUpdate with the bot among the members added."""
    update = base | {
        "type": "conversationUpdate",
        "membersAdded": [{"id": BOT_ID, "name": BOT_NAME}],
    }
    update["channelData"] = {**base["channelData"], "eventType": "teamMemberAdded"}
    return update


def removed(base: Json) -> Json:
    return base | {"type": "conversationUpdate", "membersRemoved": [{"id": BOT_ID}]}


def card_invoke(base: Json, *, reply_to: str, action: Json) -> Json:
    """A click on an `Action.Execute` button of the card message `reply_to`."""
    return base | {
        "type": "invoke",
        "name": "adaptiveCard/action",
        "replyToId": reply_to,
        "value": {"action": action, "trigger": "manual"},
    }


def card_submit(base: Json, *, reply_to: str, data: Json) -> Json:
    """The same click from a client that sends `Action.Submit`: a message carrying the data."""
    return base | {"type": "message", "replyToId": reply_to, "value": data}


def execute(data: Json, *, verb: str | None = None) -> Json:
    """The `action` of an invoke for a button whose data is `data`."""
    return {"type": "Action.Execute", "verb": verb or str(data.get("action", "")), "data": data}


def card_conversation(conversation_id: str, message_id: str, tenant: str) -> tuple[Json, Json]:
    """(conversation, channelData) of a click on the message `message_id` in a conversation: a
    channel post's thread, or a 1:1 chat."""
    if conversation_id.startswith("19:"):
        channel = conversation_id.split(";")[0]
        conversation = {
            "id": f"{channel};messageid={message_id}",
            "conversationType": "channel",
            "tenantId": tenant,
            "isGroup": True,
        }
        return conversation, {"channel": {"id": channel}, "team": {"id": channel}}
    return {"id": conversation_id, "conversationType": "personal", "tenantId": tenant}, {}


def button_data(cards: list[Json], block: str, title: str) -> Json | None:
    """The data of the button titled `title` in the card's ActionSet `block` (or its overflow
    sets, `block_2`…)."""
    for content in cards:
        for element in content.get("body", []):
            if element.get("type") == "ActionSet" and str(element.get("id", "")).startswith(block):
                for action in element.get("actions", []):
                    if action.get("title") == title and isinstance(action.get("data"), dict):
                        data: Json = action["data"]
                        return data
    return None


def choose(cards: list[Json], block: str, choice: str) -> Json | None:
    """The data a click sends to pick `choice` in the card's row `block`: the button titled
    `choice` or whose value ends with `:{choice}`, or that choice in an Input.ChoiceSet."""
    for content in cards:
        body = content.get("body", [])
        for element in body:
            kind, ident = element.get("type"), str(element.get("id", ""))
            if kind == "ActionSet" and ident.startswith(block):
                for action in element.get("actions", []):
                    data = action.get("data")
                    if not isinstance(data, dict) or "input" in data:
                        continue
                    value = str(data.get("value", ""))
                    if action.get("title") == choice or value.endswith(f":{choice}"):
                        return data
            elif kind == "Input.ChoiceSet" and ident == block:
                for option in element.get("choices", []):
                    value = str(option.get("value", ""))
                    if option.get("title") == choice or value.endswith(f":{choice}"):
                        submit = button_data([content], f"{block}_submit", "Choose") or {}
                        return {**submit, block: value}
    return None


def question_rows(cards: list[Json]) -> list[str]:
    """The ids of a poll card's question rows (`q_trust`, …), without overflow sets."""
    rows: list[str] = []
    for content in cards:
        for element in content.get("body", []):
            ident = str(element.get("id", ""))
            overflow = ident.rpartition("_")[0] in rows  # `q_x_2` continues the row `q_x`
            if ident.startswith("q_") and not ident.endswith("_submit") and not overflow:
                rows.append(ident)
    return rows


@dataclass(frozen=True, slots=True)
class Posted:
    """The HTTP answer to one activity."""

    status: int
    body: Any

    @property
    def toast(self) -> str:
        """The message an Action.Execute answer shows the clicker ("" if none)."""
        if isinstance(self.body, dict) and self.body.get("type") == TOAST:
            return str(self.body.get("value", ""))
        return ""


TOAST = "application/vnd.microsoft.activity.message"


class TeamsClient:
    """Posts activities to a BridgePulse server's `/api/messages`, as the Teams service does."""

    def __init__(self, http: aiohttp.ClientSession, *, server_url: str) -> None:
        self._http = http
        self.server_url = server_url.rstrip("/")

    async def post(self, activity: Json, *, headers: dict[str, str] | None = None) -> Posted:
        async with self._http.post(
            self.server_url + MESSAGES_PATH, json=activity, headers=headers
        ) as response:
            body: Any = None
            if response.content_type == "application/json":
                body = await response.json()
            return Posted(response.status, body)
