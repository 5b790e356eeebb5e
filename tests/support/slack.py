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
import json
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from demo import slack_client
from demo.slack_api import FakeSlack, Message
from demo.slack_client import FORM, SlackClient, Where, block_texts

SIGNING_SECRET = "test-signing-secret"
TEAM = "T1"
CHANNEL = "C1"
#: How long a test waits for the bot's answer to reach the fake before failing.
ANSWER_WITHIN = 10.0
__all__ = ["FORM", "block_texts", "message_text", "signed_headers"]


def signed_headers(
    body: bytes, *, secret: str = SIGNING_SECRET, at: int | None = None
) -> dict[str, str]:
    return slack_client.signed_headers(body, secret=secret, at=at)


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
    client: SlackClient = field(init=False)

    def __post_init__(self) -> None:
        self.fake.workspace(self.team_id)
        self.fake.channel(self.team_id, self.channel_id, name=self.channel_name)
        self.client = SlackClient(self.http, server_url=self.server_url, secret=SIGNING_SECRET)

    def where(self, channel_id: str | None = None) -> Where:
        return Where(
            self.team_id, channel_id or self.channel_id, self.channel_name, self.fake.app_id
        )

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
        sent = await self.client.send(body, content_type=content_type, headers=headers)
        return HttpResult(sent.status, sent.text)

    def messages(self) -> list[Message]:
        return self.fake.channel_messages(self.channel_id)

    def last_card(self) -> Message:
        """The newest message with blocks (a summary's chart follows it as a file message)."""
        cards = [m for m in self.messages() if m.blocks]
        assert cards, "no card in the channel"
        return cards[-1]

    def poll_message(self) -> Message:
        polls = [m for m in self.messages() if any(slack_client.is_vote_block(b) for b in m.blocks)]
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
        return slack_client.form_body(fields)

    def command_fields(
        self, text: str, *, response_url: str, channel_id: str | None = None
    ) -> dict[str, str]:
        """A slash command's fields as Slack sends them."""
        return slack_client.command_fields(
            self.workspace.where(channel_id),
            user_id=self.user_id,
            text=text,
            response_url=response_url,
        )

    async def clicks(self, message: Message, question: str, choice: int | str) -> Answer:
        """Answer `question` on a poll message: a button labelled `choice`, or the select
        option whose value or label is `choice`."""
        action = slack_client.choose(message.blocks, f"q_{question}", str(choice))
        assert action is not None, f"no choice {choice!r} for {question!r} in the message"
        return await self.acts(action, message=message)

    async def clicks_button(
        self, blocks: list[dict[str, Any]], label: str, *, ephemeral: bool
    ) -> Answer:
        """Click the button labelled `label` in an ephemeral answer or a message's blocks."""
        for block in blocks:
            for element in block.get("elements", []):
                if element.get("type") == "button" and element["text"]["text"] == label:
                    action = slack_client.button_action(block["block_id"], element)
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
        shown = (
            {"ts": message.ts, "text": message.text, "blocks": message.blocks} if message else None
        )
        payload = slack_client.block_actions(
            self.workspace.where(),
            user_id=self.user_id,
            action=action,
            response_url=response_url,
            message=shown,
            ephemeral=ephemeral,
        )
        return slack_client.interaction_body(payload)

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
        return slack_client.home_opened(
            self.workspace.where(), user_id=self.user_id, event_id=event_id
        )


def message_text(message: Message) -> str:
    return "\n".join([message.text, *block_texts(message.blocks)])
