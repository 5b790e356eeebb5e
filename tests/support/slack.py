"""A Slack chat driver: people type slash commands, click and open the App Home over correctly
signed HTTP requests to the real server, while `FakeSlack` records what the bot sends back.

    alice = workspace.person("UALICE")
    await alice.types("/pulse join it")
    poll = workspace.poll_message()
    seen = await alice.clicks(poll, "trust", 4)
    assert "Got it" in seen.text
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import itertools
import json
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import aiohttp

from handlers.simulator.slack_api import FakeSlack, Message

SIGNING_SECRET = "test-signing-secret"
TEAM = "T1"
CHANNEL = "C1"
#: How long a test waits for the bot's answer to reach the fake before failing.
ANSWER_WITHIN = 10.0
_ids = itertools.count(1)


def signed_headers(
    body: bytes, *, secret: str = SIGNING_SECRET, at: int | None = None
) -> dict[str, str]:
    timestamp = str(at if at is not None else int(time.time()))
    digest = hmac.new(
        secret.encode(), b"v0:" + timestamp.encode() + b":" + body, hashlib.sha256
    ).hexdigest()
    return {"X-Slack-Request-Timestamp": timestamp, "X-Slack-Signature": f"v0={digest}"}


FORM = "application/x-www-form-urlencoded"


@dataclass
class Answer:
    """What the bot sent back through a response_url (what the person sees)."""

    body: dict[str, Any]

    @property
    def text(self) -> str:
        """The fallback text and every text in the blocks, joined: what a person can read."""
        return "\n".join([str(self.body.get("text", "")), *block_texts(self.body.get("blocks"))])

    @property
    def blocks(self) -> list[dict[str, Any]]:
        return list(self.body.get("blocks") or [])


@dataclass
class HttpResult:
    status: int
    text: str


@dataclass
class SlackWorkspace:
    """One workspace and channel as people see them, driving the server at `server_url`."""

    http: aiohttp.ClientSession
    server_url: str
    fake: FakeSlack
    team_id: str = TEAM
    channel_id: str = CHANNEL
    channel_name: str = "campaigns"
    people: dict[str, SlackPerson] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.fake.workspace(self.team_id)
        self.fake.channel(self.team_id, self.channel_id, name=self.channel_name)

    def person(self, user_id: str, *, admin: bool = False) -> SlackPerson:
        self.fake.user(self.team_id, user_id, admin=admin)
        self.fake.channel(self.team_id, self.channel_id, members=[user_id])
        return self.people.setdefault(user_id, SlackPerson(self, user_id))

    async def send(
        self,
        body: bytes,
        *,
        content_type: str = FORM,
        headers: dict[str, str] | None = None,
    ) -> HttpResult:
        """POST a body to /slack/events, signed unless `headers` says otherwise."""
        signature = headers if headers is not None else signed_headers(body)
        all_headers = {"Content-Type": content_type, **signature}
        async with self.http.post(
            f"{self.server_url}/slack/events", data=body, headers=all_headers
        ) as response:
            return HttpResult(response.status, await response.text())

    def messages(self) -> list[Message]:
        return self.fake.channel_messages(self.channel_id)

    def last_card(self) -> Message:
        """The newest message with blocks (a summary's chart follows it as a file message)."""
        cards = [m for m in self.messages() if m.blocks]
        assert cards, "no card in the channel"
        return cards[-1]

    def poll_message(self) -> Message:
        polls = [m for m in self.messages() if any(_is_vote_block(b) for b in m.blocks)]
        assert polls, "no poll message in the channel"
        return polls[-1]

    async def answer(self, response_url: str) -> Answer:
        key = response_url.rsplit("/", 1)[1]
        async with asyncio.timeout(ANSWER_WITHIN):
            body = await self.fake.wait_for(lambda: (self.fake.responses.get(key) or [None])[-1])
        return Answer(body)


@dataclass
class SlackPerson:
    workspace: SlackWorkspace
    user_id: str

    async def types(self, text: str, *, channel_id: str | None = None) -> Answer:
        """A slash command such as `/pulse join it`; returns the bot's ephemeral answer."""
        response_url = self.workspace.fake.new_response_url()
        result = await self.workspace.send(
            self.command_body(text, response_url=response_url, channel_id=channel_id)
        )
        assert result.status == 200, (result.status, result.text)
        assert result.text == "", f"expected a bare ack, got {result.text!r}"
        return await self.workspace.answer(response_url)

    def command_body(self, text: str, *, response_url: str, channel_id: str | None = None) -> bytes:
        fields = self.command_fields(text, response_url=response_url, channel_id=channel_id)
        return urlencode(fields).encode()

    def command_fields(
        self, text: str, *, response_url: str, channel_id: str | None = None
    ) -> dict[str, str]:
        """A slash command's fields as Slack sends them."""
        command, _, rest = text.partition(" ")
        ws = self.workspace
        return {
            "token": "legacy-verification-token",
            "team_id": ws.team_id,
            "team_domain": "bridgepulse-test",
            "channel_id": channel_id or ws.channel_id,
            "channel_name": ws.channel_name,
            "user_id": self.user_id,
            "user_name": self.user_id.lower(),
            "command": command,
            "text": rest,
            "api_app_id": ws.fake.app_id,
            "is_enterprise_install": "false",
            "response_url": response_url,
            "trigger_id": f"{next(_ids)}.trigger",
        }

    async def clicks(self, message: Message, question: str, choice: int | str) -> Answer:
        """Answer `question` on a poll message: a button labelled `choice`, or the select
        option whose value or label is `choice`."""
        block = _block(message.blocks, f"q_{question}")
        element = block["elements"][0]
        if element["type"] == "static_select":
            option = next(
                o
                for o in element["options"]
                if o["value"].endswith(f":{choice}") or o["text"]["text"] == str(choice)
            )
            action = _select_action(block["block_id"], element, option)
        else:
            button = next(e for e in block["elements"] if e["text"]["text"] == str(choice))
            action = _button_action(block["block_id"], button)
        return await self.acts(action, message=message)

    async def clicks_button(
        self, blocks: list[dict[str, Any]], label: str, *, ephemeral: bool
    ) -> Answer:
        """Click the button labelled `label` in an ephemeral answer or a message's blocks."""
        for block in blocks:
            for element in block.get("elements", []):
                if element.get("type") == "button" and element["text"]["text"] == label:
                    action = _button_action(block["block_id"], element)
                    return await self.acts(action, ephemeral=ephemeral)
        raise AssertionError(f"no button {label!r}")

    async def acts(
        self, action: dict[str, Any], *, message: Message | None = None, ephemeral: bool = False
    ) -> Answer:
        response_url = self.workspace.fake.new_response_url()
        result = await self.workspace.send(
            self.action_body(
                action, response_url=response_url, message=message, ephemeral=ephemeral
            )
        )
        assert result.status == 200, (result.status, result.text)
        return await self.workspace.answer(response_url)

    def action_body(
        self,
        action: dict[str, Any],
        *,
        response_url: str,
        message: Message | None = None,
        ephemeral: bool = False,
    ) -> bytes:
        ws = self.workspace
        payload: dict[str, Any] = {
            "type": "block_actions",
            "api_app_id": ws.fake.app_id,
            "token": "legacy-verification-token",
            "team": {"id": ws.team_id, "domain": "bridgepulse-test"},
            "user": {"id": self.user_id, "username": self.user_id.lower(), "team_id": ws.team_id},
            "container": {
                "type": "message",
                "message_ts": message.ts if message else "1.000001",
                "channel_id": ws.channel_id,
                "is_ephemeral": ephemeral,
            },
            "channel": {"id": ws.channel_id, "name": ws.channel_name},
            "trigger_id": f"{next(_ids)}.trigger",
            "response_url": response_url,
            "actions": [{**action, "action_ts": f"{time.time():.6f}"}],
        }
        if message is not None:
            payload["message"] = {"ts": message.ts, "text": message.text, "blocks": message.blocks}
        return urlencode({"payload": json.dumps(payload)}).encode()

    async def opens_home(
        self, *, retry: int | None = None, event_id: str | None = None
    ) -> dict[str, Any]:
        """Open the App Home tab; returns the view the bot published for this person."""
        fake, ws = self.workspace.fake, self.workspace
        before = len(fake.calls_to("views.publish"))
        result = await ws.send(self.home_event(event_id=event_id), content_type="application/json")
        assert result.status == 200, (result.status, result.text)
        async with asyncio.timeout(ANSWER_WITHIN):
            await fake.wait_for(lambda: len(fake.calls_to("views.publish")) > before or None)
        return fake.views[(ws.team_id, self.user_id)]

    def home_event(self, *, event_id: str | None = None) -> bytes:
        return json.dumps(self.home_event_fields(event_id=event_id)).encode()

    def home_event_fields(self, *, event_id: str | None = None) -> dict[str, Any]:
        """An `app_home_opened` event envelope as Slack sends it."""
        ws = self.workspace
        return {
            "token": "legacy-verification-token",
            "team_id": ws.team_id,
            "api_app_id": ws.fake.app_id,
            "type": "event_callback",
            "event_id": event_id or f"Ev{next(_ids):08d}",
            "event_time": int(time.time()),
            "authorizations": [
                {"team_id": ws.team_id, "user_id": f"UB{ws.team_id}", "is_bot": True}
            ],
            "event": {
                "type": "app_home_opened",
                "user": self.user_id,
                "channel": f"D{ws.team_id}{self.user_id}",
                "tab": "home",
                "event_ts": f"{time.time():.6f}",
            },
        }


def _is_vote_block(block: dict[str, Any]) -> bool:
    return block.get("type") == "actions" and any(
        str(e.get("action_id", "")).startswith("vote:") for e in block.get("elements", [])
    )


def _block(blocks: list[dict[str, Any]], block_id: str) -> dict[str, Any]:
    found = [b for b in blocks if b.get("block_id") == block_id]
    assert found, f"no block {block_id!r} in the message"
    return found[0]


def _button_action(block_id: str, button: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "button",
        "block_id": block_id,
        "action_id": button["action_id"],
        "text": button["text"],
        "value": button.get("value", ""),
    }


def _select_action(
    block_id: str, element: dict[str, Any], option: dict[str, Any]
) -> dict[str, Any]:
    return {
        "type": "static_select",
        "block_id": block_id,
        "action_id": element["action_id"],
        "selected_option": option,
        "placeholder": element.get("placeholder"),
    }


def block_texts(blocks: Any) -> list[str]:
    """Every text a person can read in Block Kit blocks, in order."""
    found: list[str] = []
    for block in blocks or []:
        for key in ("text",):
            if isinstance(block.get(key), dict):
                found.append(str(block[key].get("text", "")))
        for item in [*block.get("fields", []), *block.get("elements", [])]:
            if item.get("type") in ("mrkdwn", "plain_text"):
                found.append(str(item.get("text", "")))
            elif isinstance(item.get("text"), dict):
                found.append(str(item["text"].get("text", "")))
            for option in item.get("options", []):
                found.append(str(option["text"]["text"]))
    return found


def message_text(message: Message) -> str:
    return "\n".join([message.text, *block_texts(message.blocks)])
