"""What a Slack client sends: signed slash commands, block actions and events, built as Slack
builds them and posted over HTTP to `POST /slack/events` (the demo's people and the tests).

The payload builders are plain functions over ids and the blocks of the message clicked, so the
same click can be sent by a simulated person, by the `/_sim` page, or by a test.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import aiohttp

from demo.plaintext import slack_lines

Json = dict[str, Any]
FORM = "application/x-www-form-urlencoded"
EVENTS_PATH = "/slack/events"
#: The legacy verification token Slack still sends in every payload (BridgePulse ignores it).
LEGACY_TOKEN = "legacy-verification-token"
_ids = itertools.count(1)


def signed_headers(body: bytes, *, secret: str, at: int | None = None) -> dict[str, str]:
    """Slack's v0 signature over `v0:{timestamp}:{body}` with the app's signing secret."""
    timestamp = str(at if at is not None else int(time.time()))
    digest = hmac.new(
        secret.encode(), b"v0:" + timestamp.encode() + b":" + body, hashlib.sha256
    ).hexdigest()
    return {"X-Slack-Request-Timestamp": timestamp, "X-Slack-Signature": f"v0={digest}"}


@dataclass(frozen=True, slots=True)
class Where:
    """The workspace and channel a person acts in, as Slack names them."""

    team_id: str
    channel_id: str
    channel_name: str
    app_id: str
    team_domain: str = "bridgepulse-demo"


def command_fields(where: Where, *, user_id: str, text: str, response_url: str) -> dict[str, str]:
    """A slash command (`/pulse join it`) as Slack posts it, form fields by name."""
    command, _, rest = text.strip().partition(" ")
    return {
        "token": LEGACY_TOKEN,
        "team_id": where.team_id,
        "team_domain": where.team_domain,
        "channel_id": where.channel_id,
        "channel_name": where.channel_name,
        "user_id": user_id,
        "user_name": user_id.lower(),
        "command": command,
        "text": rest.strip(),
        "api_app_id": where.app_id,
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": f"{next(_ids)}.trigger",
    }


def block_actions(
    where: Where,
    *,
    user_id: str,
    action: Json,
    response_url: str,
    message: Json | None = None,
    ephemeral: bool = False,
) -> Json:
    """A `block_actions` interaction: `action` clicked in `message` (ts, text, blocks)."""
    payload: Json = {
        "type": "block_actions",
        "api_app_id": where.app_id,
        "token": LEGACY_TOKEN,
        "team": {"id": where.team_id, "domain": where.team_domain},
        "user": {"id": user_id, "username": user_id.lower(), "team_id": where.team_id},
        "container": {
            "type": "message",
            "message_ts": str(message["ts"]) if message else "1.000001",
            "channel_id": where.channel_id,
            "is_ephemeral": ephemeral,
        },
        "channel": {"id": where.channel_id, "name": where.channel_name},
        "trigger_id": f"{next(_ids)}.trigger",
        "response_url": response_url,
        "actions": [{**action, "action_ts": f"{time.time():.6f}"}],
    }
    if message is not None:
        payload["message"] = {"type": "message", **message}
    return payload


def home_opened(where: Where, *, user_id: str, event_id: str | None = None) -> Json:
    """An `app_home_opened` event envelope, as the Events API delivers it."""
    return {
        "token": LEGACY_TOKEN,
        "team_id": where.team_id,
        "api_app_id": where.app_id,
        "type": "event_callback",
        "event_id": event_id or f"Ev{next(_ids):08d}",
        "event_time": int(time.time()),
        "authorizations": [
            {"team_id": where.team_id, "user_id": f"UB{where.team_id}", "is_bot": True}
        ],
        "event": {
            "type": "app_home_opened",
            "user": user_id,
            "channel": f"D{where.team_id}{user_id}",
            "tab": "home",
            "event_ts": f"{time.time():.6f}",
        },
    }


def form_body(fields: dict[str, str]) -> bytes:
    return urlencode(fields).encode()


def interaction_body(payload: Json) -> bytes:
    return urlencode({"payload": json.dumps(payload)}).encode()


# ---- reading blocks: which element a click names --------------------------------------------


def button_action(block_id: str, button: Json) -> Json:
    return {
        "type": "button",
        "block_id": block_id,
        "action_id": button["action_id"],
        "text": button["text"],
        "value": button.get("value", ""),
    }


def select_action(block_id: str, element: Json, option: Json) -> Json:
    return {
        "type": "static_select",
        "block_id": block_id,
        "action_id": element["action_id"],
        "selected_option": option,
        "placeholder": element.get("placeholder"),
    }


def find_block(blocks: list[Json], block_id: str) -> Json | None:
    return next((b for b in blocks if b.get("block_id") == block_id), None)


def choose(blocks: list[Json], block_id: str, choice: str) -> Json | None:
    """The action for picking `choice` in a block: the button labelled so, or the select
    option whose label is `choice` or whose value ends with `:{choice}`."""
    block = find_block(blocks, block_id)
    if block is None:
        return None
    for element in block.get("elements", []):
        if element.get("type") == "static_select":
            for option in element.get("options", []):
                value, label = str(option.get("value", "")), option["text"]["text"]
                if label == choice or value.endswith(f":{choice}"):
                    return select_action(block_id, element, option)
        elif element.get("type") == "button" and element["text"]["text"] == choice:
            return button_action(block_id, element)
    return None


def is_vote_block(block: Json) -> bool:
    return block.get("type") == "actions" and any(
        str(e.get("action_id", "")).startswith("vote:") for e in block.get("elements", [])
    )


def block_texts(blocks: Any) -> list[str]:
    """Every line a person can read in Block Kit blocks, in order, mrkdwn as written."""
    return slack_lines(blocks, markup=True)


# ---- sending -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Delivered:
    """The server's HTTP answer to one signed request."""

    status: int
    text: str


class SlackClient:
    """Signs and posts bodies to a BridgePulse server's `/slack/events`, as Slack does."""

    def __init__(self, http: aiohttp.ClientSession, *, server_url: str, secret: str) -> None:
        self._http = http
        self.server_url = server_url.rstrip("/")
        self._secret = secret

    async def send(
        self, body: bytes, *, content_type: str = FORM, headers: dict[str, str] | None = None
    ) -> Delivered:
        """POST a body, signed unless `headers` replaces the signature (tests of forgeries)."""
        signature = headers if headers is not None else signed_headers(body, secret=self._secret)
        async with self._http.post(
            self.server_url + EVENTS_PATH,
            data=body,
            headers={"Content-Type": content_type, **signature},
        ) as response:
            return Delivered(response.status, await response.text())

    async def command(
        self, where: Where, *, user_id: str, text: str, response_url: str
    ) -> Delivered:
        fields = command_fields(where, user_id=user_id, text=text, response_url=response_url)
        return await self.send(form_body(fields))

    async def click(
        self,
        where: Where,
        *,
        user_id: str,
        action: Json,
        response_url: str,
        message: Json | None = None,
        ephemeral: bool = False,
    ) -> Delivered:
        payload = block_actions(
            where,
            user_id=user_id,
            action=action,
            response_url=response_url,
            message=message,
            ephemeral=ephemeral,
        )
        return await self.send(interaction_body(payload))

    async def open_home(self, where: Where, *, user_id: str) -> Delivered:
        body = json.dumps(home_opened(where, user_id=user_id)).encode()
        return await self.send(body, content_type="application/json")
