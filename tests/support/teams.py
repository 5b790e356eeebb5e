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

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.ports import Clock
from demo import teams_client
from demo.teams_client import BOT_ID, BOT_NAME, Account, TeamsChannel
from demo.teams_connector import FakeTeamsConnector, Message
from server.app import Application, build_application
from server.settings import Settings, load_settings

Json = dict[str, Any]
TENANT = "tenant-contoso"
__all__ = ["BOT_ID", "BOT_NAME"]


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
        return teams_client.activity(
            service_url=self.service_url,
            sender=sender.account,
            conversation=conversation,
            channel_data=channel_data,
            tenant=TENANT,
        )


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

    @property
    def ref(self) -> TeamsChannel:
        return TeamsChannel(TENANT, self.team.id, self.team.name, self.id, self.name)

    def conversation(self, thread: str | None = None) -> Json:
        return self.ref.conversation(thread)

    def channel_data(self) -> Json:
        return self.ref.channel_data()

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
        return await teams.post(teams_client.installed(activity))

    async def uninstall(self, *, by: Person) -> Posted:
        teams = self.team.teams
        activity = teams.base(by, self.conversation(), self.channel_data())
        return await teams.post(teams_client.removed(activity))

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
        return Account(self.account_id, self.name.title(), self.aad_id).json()

    def personal(self) -> Json:
        return Account(self.account_id, self.name.title(), self.aad_id).personal(TENANT)

    async def says(self, text: str, *, in_: Channel) -> Posted:
        """A message in a channel that @mentions the bot, as Teams delivers it."""
        thread = teams_client.next_id()
        activity = self.teams.base(self, in_.conversation(thread), in_.channel_data())
        return await self.teams.post(teams_client.mention(activity, text))

    async def says_privately(self, text: str) -> Posted:
        """A message in the person's 1:1 chat with the bot."""
        activity = self.teams.base(self, self.personal(), {})
        return await self.teams.post(teams_client.said(activity, text))

    async def clicks(self, card: Message, question_or_block: str, title: str) -> Posted:
        """Click the button titled `title` in the card's row for a question (or block id)."""
        data = button_data(card, question_or_block, title)
        return await self.invokes(card, teams_client.execute(data))

    async def invokes(self, card: Message, action: Json) -> Posted:
        conversation, channel_data = teams_client.card_conversation(
            card.conversation_id, card.id, TENANT
        )
        activity = self.teams.base(self, conversation, channel_data)
        return await self.teams.post(
            teams_client.card_invoke(activity, reply_to=card.id, action=action)
        )

    async def submits(self, card: Message, question_or_block: str, title: str) -> Posted:
        """The same click from a client that sends it as Action.Submit (a message with value)."""
        data = button_data(card, question_or_block, title)
        conversation, channel_data = teams_client.card_conversation(
            card.conversation_id, card.id, TENANT
        )
        activity = self.teams.base(self, conversation, channel_data)
        return await self.teams.post(
            teams_client.card_submit(activity, reply_to=card.id, data=data)
        )

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
    data = teams_client.button_data(card.cards, block, title)
    if data is None:
        raise AssertionError(f"no button {title!r} in {block!r} of the card:\n{card.text}")
    return data
