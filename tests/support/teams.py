"""A Teams test driver: the real server and the fake connector, so tests read like a chat.

    team = teams.team("Launch")
    campaigns = team.channel("campaigns")
    ann = teams.person("ann")
    await campaigns.install(by=ann)
    await ann.says("pulse setup mon 09:00 UTC 3", in_=campaigns)
    await ann.clicks(campaigns.poll(), "trust", "4")

Activities are built as Teams sends them (an @mention in channel text, `Action.Execute` invokes
naming the card message, conversationUpdate on install) with `serviceUrl` pointing at the fake
connector, and posted to `POST /api/messages` over HTTP.
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.app import Application, build_application
from bot.ports import Clock
from bot.settings import Settings, load_settings
from handlers.simulator.teams_connector import FakeTeamsConnector, Message

Json = dict[str, Any]
BOT_ID = "28:bridgepulse-bot"
BOT_NAME = "BridgePulse"
TENANT = "tenant-contoso"
_ids = itertools.count(1)


def teams_settings(**overrides: object) -> Settings:
    values: dict[str, object] = {
        "mode": "test",
        "min_responses": 3,
        "microsoft_app_id": "",
        "microsoft_app_password": "",
        "public_url": "",
    }
    return load_settings(**(values | overrides))


@asynccontextmanager
async def running_connector() -> AsyncIterator[tuple[FakeTeamsConnector, str]]:
    fake = FakeTeamsConnector()
    server = TestServer(fake.app(), host="127.0.0.1")
    await server.start_server()
    try:
        yield fake, str(server.make_url("/"))
    finally:
        await server.close()


@dataclass
class Posted:
    """The HTTP answer to one activity."""

    status: int
    body: Any

    @property
    def toast(self) -> str:
        """The message an Action.Execute answer shows the clicker."""
        assert isinstance(self.body, dict), self.body
        assert self.body.get("type") == "application/vnd.microsoft.activity.message", self.body
        return str(self.body["value"])


@dataclass
class Teams:
    """One running BridgePulse server and the connector it talks to."""

    application: Application
    client: TestClient[Any, Any]
    connector: FakeTeamsConnector
    service_url: str
    people: dict[str, Person] = field(default_factory=dict)

    @classmethod
    @asynccontextmanager
    async def start(
        cls,
        engine: AsyncEngine,
        connector: tuple[FakeTeamsConnector, str],
        *,
        clock: Clock,
        settings: Settings | None = None,
    ) -> AsyncIterator[Teams]:
        application = await build_application(
            settings or teams_settings(), clock=clock, refresh_delay=0.0, engine=engine
        )
        client = TestClient(TestServer(application.web, host="127.0.0.1"))
        await client.start_server()
        try:
            yield cls(application, client, connector[0], connector[1])
        finally:
            await client.close()
            await application.core.polls.drain()

    async def settle(self) -> None:
        """Let background work (poll-count refreshes) finish."""
        await self.application.core.polls.drain()

    def person(self, name: str) -> Person:
        return self.people.setdefault(name, Person(self, name))

    def team(self, name: str) -> Team:
        return Team(self, name, f"19:{name.lower()}-general@thread.tacv2")

    async def post(self, activity: Json, *, headers: dict[str, str] | None = None) -> Posted:
        response = await self.client.post("/api/messages", json=activity, headers=headers)
        body: Any = None
        if response.content_type == "application/json":
            body = await response.json()
        return Posted(response.status, body)

    def base(self, sender: Person, conversation: Json, channel_data: Json) -> Json:
        return {
            "id": f"act-{next(_ids)}",
            "timestamp": "2026-11-23T08:00:00.000Z",
            "serviceUrl": self.service_url,
            "channelId": "msteams",
            "from": sender.account,
            "recipient": {"id": BOT_ID, "name": BOT_NAME},
            "conversation": conversation,
            "channelData": {"tenant": {"id": TENANT}, **channel_data},
            "locale": "en-US",
        }


@dataclass
class Team:
    teams: Teams
    name: str
    id: str

    def channel(self, name: str) -> Channel:
        ident = self.id if name == "General" else f"19:{name}@thread.tacv2"
        return Channel(self, name, ident)


@dataclass
class Channel:
    team: Team
    name: str
    id: str
    members: list[Person] = field(default_factory=list)

    def conversation(self, thread: str | None = None) -> Json:
        ident = f"{self.id};messageid={thread}" if thread else self.id
        return {"id": ident, "conversationType": "channel", "tenantId": TENANT, "isGroup": True}

    def channel_data(self) -> Json:
        return {
            "team": {"id": self.team.id, "name": self.team.name},
            "channel": {"id": self.id, "name": self.name},
        }

    def add(self, *people: Person) -> None:
        """Put people on the channel's roster (what the connector's member list returns)."""
        for person in people:
            if person not in self.members:
                self.members.append(person)
        self.team.teams.connector.set_roster(
            self.id, [p.account | {"userRole": "user"} for p in self.members]
        )

    async def install(self, *, by: Person) -> Posted:
        """The team installs BridgePulse: Teams sends conversationUpdate with the bot added."""
        teams = self.team.teams
        activity = teams.base(by, self.conversation(), self.channel_data())
        activity |= {
            "type": "conversationUpdate",
            "membersAdded": [{"id": BOT_ID, "name": BOT_NAME}],
        }
        activity["channelData"]["eventType"] = "teamMemberAdded"
        return await teams.post(activity)

    async def uninstall(self, *, by: Person) -> Posted:
        teams = self.team.teams
        activity = teams.base(by, self.conversation(), self.channel_data())
        activity |= {"type": "conversationUpdate", "membersRemoved": [{"id": BOT_ID}]}
        return await teams.post(activity)

    def messages(self) -> list[Message]:
        """Every message in the channel, including replies in threads."""
        connector = self.team.teams.connector
        return [
            m for m in connector.messages.values() if m.conversation_id.split(";")[0] == self.id
        ]

    def posts(self) -> list[Message]:
        """Top-level posts only (polls, summaries), not replies in threads."""
        connector = self.team.teams.connector
        return [m for m in connector.messages.values() if m.conversation_id == self.id]

    def poll(self) -> Message:
        polls = [m for m in self.posts() if "Weekly pulse #" in m.text]
        assert polls, "no poll was posted in the channel"
        return polls[-1]


@dataclass(eq=False)
class Person:
    teams: Teams
    name: str

    @property
    def aad_id(self) -> str:
        return f"aad-{self.name}"

    @property
    def account_id(self) -> str:
        return f"29:{self.name}"

    @property
    def account(self) -> Json:
        return {"id": self.account_id, "name": self.name.title(), "aadObjectId": self.aad_id}

    def personal(self) -> Json:
        return {
            "id": f"a:personal-{self.name}",
            "conversationType": "personal",
            "tenantId": TENANT,
        }

    async def says(self, text: str, *, in_: Channel) -> Posted:
        """A message in a channel that @mentions the bot, as Teams delivers it."""
        mention = f"<at>{BOT_NAME}</at>"
        activity = self.teams.base(self, in_.conversation(f"{next(_ids)}"), in_.channel_data())
        activity |= {
            "type": "message",
            "text": f"{mention} {text}",
            "textFormat": "plain",
            "entities": [
                {"type": "mention", "text": mention, "mentioned": {"id": BOT_ID, "name": BOT_NAME}}
            ],
        }
        return await self.teams.post(activity)

    async def says_privately(self, text: str) -> Posted:
        """A message in the person's 1:1 chat with the bot."""
        activity = self.teams.base(self, self.personal(), {})
        activity |= {"type": "message", "text": text, "textFormat": "plain"}
        return await self.teams.post(activity)

    async def clicks(self, card: Message, question_or_block: str, title: str) -> Posted:
        """Click the button titled `title` in the card's row for a question (or block id)."""
        data = button_data(card, question_or_block, title)
        return await self.invokes(
            card, {"type": "Action.Execute", "verb": data["action"], "data": data}
        )

    async def invokes(self, card: Message, action: Json) -> Posted:
        conversation = _conversation_of(card)
        activity = self.teams.base(self, conversation, _channel_data_of(card, self))
        activity |= {
            "type": "invoke",
            "name": "adaptiveCard/action",
            "replyToId": card.id,
            "value": {"action": action, "trigger": "manual"},
        }
        return await self.teams.post(activity)

    async def submits(self, card: Message, question_or_block: str, title: str) -> Posted:
        """The same click from a client that sends it as Action.Submit (a message with value)."""
        data = button_data(card, question_or_block, title)
        activity = self.teams.base(self, _conversation_of(card), _channel_data_of(card, self))
        activity |= {"type": "message", "replyToId": card.id, "value": data}
        return await self.teams.post(activity)

    def private_chat(self) -> list[Message]:
        """What the bot sent to this person's 1:1 chat, opened by the bot or by the person."""
        connector = self.teams.connector
        own = connector.in_conversation(self.personal()["id"])
        found = own + connector.chat_with(self.account_id) + connector.chat_with(self.aad_id)
        return sorted(found, key=lambda m: int(m.id))

    def last_private(self) -> Message:
        chat = self.private_chat()
        assert chat, f"{self.name} has no private message from the bot"
        return chat[-1]


def button_data(card: Message, question_or_block: str, title: str) -> Json:
    known = question_or_block.startswith(("q_", "join_"))
    block = question_or_block if known else f"q_{question_or_block}"
    for content in card.cards:
        for element in content.get("body", []):
            if element.get("type") == "ActionSet" and element.get("id", "").startswith(block):
                for action in element.get("actions", []):
                    if action.get("title") == title:
                        data: Json = action["data"]
                        return data
    raise AssertionError(f"no button {title!r} in {block!r} of the card:\n{card.text}")


def _conversation_of(card: Message) -> Json:
    if card.conversation_id.startswith("19:"):
        ident = f"{card.conversation_id.split(';')[0]};messageid={card.id}"
        return {"id": ident, "conversationType": "channel", "tenantId": TENANT, "isGroup": True}
    return {"id": card.conversation_id, "conversationType": "personal", "tenantId": TENANT}


def _channel_data_of(card: Message, _person: Person) -> Json:
    if not card.conversation_id.startswith("19:"):
        return {}
    channel_id = card.conversation_id.split(";")[0]
    return {"channel": {"id": channel_id}, "team": {"id": channel_id}}
