"""The demo's world in one process: the real BridgePulse server, a fake Slack Web API and a fake
Teams connector on loopback, and the simulated people, who act only through signed Slack requests
and Teams activities sent over HTTP to the real routes."""

from __future__ import annotations

import asyncio
import json
import secrets
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

import aiohttp
from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.errors import ConfigError
from demo import teams_client
from demo.personas import TEAM, Persona
from demo.slack_api import FakeSlack
from demo.slack_client import SlackClient, Where
from demo.teams_client import Account, Posted, TeamsChannel, TeamsClient
from demo.teams_connector import FakeTeamsConnector
from handlers.slack.app import SLACK
from server.app import Application, build_application
from server.settings import Settings, load_settings

T = TypeVar("T")
Json = dict[str, Any]
SLACK_TEAM = "T0NORTHWIND"
SLACK_CHANNEL = "C0LAUNCH"
SLACK_CHANNEL_NAME = "campaign-launch"
TENANT = "3f1c9a2e-northwind"
TEAMS_CHANNEL = TeamsChannel(
    TENANT,
    "19:northwind-digital@thread.tacv2",
    "Northwind Digital",
    "19:web-relaunch@thread.tacv2",
    "Web relaunch",
)
#: How long a person waits for BridgePulse's answer before giving up on it.
ANSWER_WITHIN = 15.0
#: what `slack_click` waits for when the bot answers a click in the channel itself
_POSTED: dict[str, Any] = {}
#: Seconds the server gathers clicks before refreshing a poll's answer count (real time; the
#: server default is 1): a week's clicks come in bursts, and one refresh per burst is plenty.
REFRESH_DELAY = 0.5


class DemoClock:
    """The demo's accelerated time: the simulation moves it; the server reads it."""

    def __init__(self, start: datetime | None = None) -> None:
        self.moment = start or datetime.now(UTC)

    def now(self) -> datetime:
        return self.moment

    def set(self, moment: datetime) -> None:
        self.moment = max(self.moment, moment)


def slack_user_id(person: Persona) -> str:
    return f"U0{person.key.upper()}"


def teams_account(person: Persona) -> Account:
    aad = str(uuid.uuid5(uuid.NAMESPACE_URL, f"bridgepulse-demo/{person.key}"))
    return Account(f"29:{person.key}", person.name, aad)


@dataclass(frozen=True, slots=True)
class Typed:
    """A message a person typed in Teams (the connector only sees what the bot sends)."""

    id: str
    person: str
    conversation: str
    text: str


@dataclass
class World:
    application: Application
    clock: DemoClock
    slack: FakeSlack
    connector: FakeTeamsConnector
    service_url: str
    http: aiohttp.ClientSession
    signing_secret: str
    people: tuple[Persona, ...] = TEAM
    typed: list[Typed] = field(default_factory=list)
    #: Known once the server listens (`connect`).
    server_url: str = ""
    slack_client: SlackClient = field(init=False)
    teams_client: TeamsClient = field(init=False)

    def connect(self, server_url: str) -> None:
        """Point the people's Slack and Teams clients at the listening server."""
        self.server_url = server_url
        self.slack_client = SlackClient(
            self.http, server_url=server_url, secret=self.signing_secret
        )
        self.teams_client = TeamsClient(self.http, server_url=server_url)

    @property
    def where(self) -> Where:
        return Where(SLACK_TEAM, SLACK_CHANNEL, SLACK_CHANNEL_NAME, self.slack.app_id)

    async def settle(self) -> None:
        """Wait for acknowledged Slack work and pending poll refreshes to finish."""
        await self.application.web[SLACK].drain()
        await self.application.core.polls.drain()

    # ---- Slack ------------------------------------------------------------------------------

    def slack_where(self, channel_id: str) -> Where:
        if channel_id == SLACK_CHANNEL:
            return self.where
        return Where(SLACK_TEAM, channel_id, "directmessage", self.slack.app_id)

    async def slack_command(self, person: Persona, text: str) -> tuple[str, Json | None]:
        """Type a slash command in the channel; returns (response key, the ephemeral answer)."""
        url = self.slack.new_response_url()
        sent = await self.slack_client.command(
            self.where, user_id=slack_user_id(person), text=text, response_url=url
        )
        return await self._answer(url, sent.status, sent.text)

    async def slack_click(
        self, person: Persona, *, message: Json, action: Json, ephemeral: bool = False
    ) -> tuple[str, Json | None]:
        """Click in a message (``channel``, ``ts``, ``text``, ``blocks``) or an ephemeral one.
        The answer is None when the bot answered in the conversation itself (a next step taken
        on is said to the whole channel) or not at all."""
        url, channel = self.slack.new_response_url(), str(message["channel"])
        shown = None if ephemeral else {k: message[k] for k in ("ts", "text", "blocks")}
        before = len(self.slack.messages.get(channel, []))
        sent = await self.slack_client.click(
            self.slack_where(channel),
            user_id=slack_user_id(person),
            action=action,
            response_url=url,
            message=shown,
            ephemeral=ephemeral,
        )
        key = url.rsplit("/", 1)[1]
        if sent.status != 200 or sent.text:
            return await self._answer(url, sent.status, sent.text)

        def answered() -> Json | None:
            reply = _last(self.slack.responses.get(key))
            if reply is None and len(self.slack.messages.get(channel, [])) > before:
                return _POSTED
            return reply

        found = await self._wait(answered)
        return key, None if found is _POSTED else found

    async def slack_home(self, person: Persona) -> Json | None:
        """Open the App Home tab; the view BridgePulse published for the person."""
        user = slack_user_id(person)
        before = len(self.slack.calls_to("views.publish"))
        sent = await self.slack_client.open_home(self.where, user_id=user)
        if sent.status != 200:
            return None
        published = await self._wait(
            lambda: len(self.slack.calls_to("views.publish")) > before or None
        )
        return self.slack.views.get((SLACK_TEAM, user)) if published else None

    async def _answer(self, url: str, status: int, text: str) -> tuple[str, Json | None]:
        key = url.rsplit("/", 1)[1]
        if status != 200:
            return key, None
        if text:  # answered in the HTTP response itself (an unknown command)
            return key, _message_body(text)
        return key, await self._wait(lambda: _last(self.slack.responses.get(key)))

    async def _wait(self, found: Callable[[], T | None]) -> T | None:
        try:
            async with asyncio.timeout(ANSWER_WITHIN):
                return await self.slack.wait_for(found)
        except TimeoutError:
            return None

    # ---- Teams ------------------------------------------------------------------------------

    def _base(self, person: Persona, conversation: Json, channel_data: Json) -> Json:
        return teams_client.activity(
            service_url=self.service_url,
            sender=teams_account(person).json(),
            conversation=conversation,
            channel_data=channel_data,
            tenant=TENANT,
        )

    async def teams_say(self, person: Persona, text: str, *, private: bool) -> Posted:
        """Say something to the bot: @mentioning it in the channel, or in the 1:1 chat."""
        account = teams_account(person)
        if private:
            conversation = account.personal(TENANT)
            activity = teams_client.said(self._base(person, conversation, {}), text)
        else:
            thread = f"m{teams_client.next_id()}"
            conversation = TEAMS_CHANNEL.conversation(thread)
            base = self._base(person, conversation, TEAMS_CHANNEL.channel_data())
            activity = teams_client.mention(base, text)
        self.typed.append(Typed(activity["id"], person.key, conversation["id"], text))
        return await self.teams_client.post(activity)

    async def teams_click(
        self, person: Persona, *, conversation_id: str, message_id: str, data: Json
    ) -> Posted:
        """Click an Action.Execute button of the card message `message_id`."""
        conversation, channel_data = teams_client.card_conversation(
            conversation_id, message_id, TENANT
        )
        base = self._base(person, conversation, channel_data)
        action = teams_client.execute(data)
        return await self.teams_client.post(
            teams_client.card_invoke(base, reply_to=message_id, action=action)
        )

    async def teams_install(self, by: Persona) -> Posted:
        base = self._base(by, TEAMS_CHANNEL.conversation(), TEAMS_CHANNEL.channel_data())
        return await self.teams_client.post(teams_client.installed(base))

    def teams_private_chat(self, person: Persona) -> list[str]:
        """Conversation ids of the person's 1:1 chat with the bot (theirs and the bot's)."""
        account = teams_account(person)
        ids = [account.personal(TENANT)["id"]]
        ids += [
            c for m, c in self.connector.chats.items() if m in (account.id, account.aad_object_id)
        ]
        return ids


def demo_settings(base: Settings, *, fake: FakeSlack, signing_secret: str) -> Settings:
    """The server's settings: the given ones, with Slack pointed at the fake and Teams local."""
    overrides = {
        "mode": "demo",
        "slack_bot_token": fake.workspace(SLACK_TEAM).token,
        "slack_signing_secret": signing_secret,
        "slack_api_url": fake.api_url,
        "slack_app_token": "",
        "slack_client_id": "",
        "slack_client_secret": "",
        "microsoft_app_id": "",
        "microsoft_app_password": "",
        "scheduler": "on",
    }
    return load_settings(**(base.model_dump() | overrides))


def _populate(fake: FakeSlack, connector: FakeTeamsConnector, people: tuple[Persona, ...]) -> None:
    fake.workspace(SLACK_TEAM, name="northwind")
    for person in people:
        fake.user(SLACK_TEAM, slack_user_id(person), admin=person.manager, name=person.name)
    fake.channel(
        SLACK_TEAM,
        SLACK_CHANNEL,
        name=SLACK_CHANNEL_NAME,
        members=[slack_user_id(p) for p in people],
    )
    roster = [teams_account(p).json() | {"userRole": "user"} for p in people]
    connector.set_roster(TEAMS_CHANNEL.id, roster)
    connector.set_roster(TEAMS_CHANNEL.team_id, roster)


@asynccontextmanager
async def running_world(
    settings: Settings,
    *,
    clock: DemoClock,
    engine: AsyncEngine | None = None,
    host: str = "127.0.0.1",
    port: int = 0,
    mount: Callable[[web.Application, World], None] | None = None,
) -> AsyncIterator[World]:
    """Start the fakes, the server (listening on host:port; 0 = any free port) and the HTTP
    clients the people use; `mount` adds routes (the `/_sim` page) before the server starts."""
    fake = FakeSlack()
    connector = FakeTeamsConnector()
    _populate(fake, connector, TEAM)
    await fake.start()
    connector_runner = web.AppRunner(connector.app(), access_log=None)
    await connector_runner.setup()
    await web.TCPSite(connector_runner, "127.0.0.1", 0).start()
    service_url = f"http://127.0.0.1:{connector_runner.addresses[0][1]}/"
    secret = secrets.token_hex(16)
    application = await build_application(
        demo_settings(settings, fake=fake, signing_secret=secret),
        clock=clock,
        refresh_delay=REFRESH_DELAY,
        engine=engine,
    )
    runner = web.AppRunner(application.web, access_log=None)
    http = aiohttp.ClientSession()
    try:
        world = World(application, clock, fake, connector, service_url, http, secret)
        if mount is not None:  # routes must be added before the server starts
            mount(application.web, world)
        await runner.setup()
        try:
            await web.TCPSite(runner, host, port).start()
        except OSError as exc:
            raise ConfigError(
                f"PORT: cannot listen on {host}:{port} ({exc.strerror}); is another demo "
                "running? Set PORT to a free port."
            ) from None
        world.connect(f"http://127.0.0.1:{runner.addresses[0][1]}")
        yield world
    finally:
        await http.close()
        await runner.cleanup()
        await application.close()
        await connector_runner.cleanup()
        await fake.close()


def _last(items: list[Json] | None) -> Json | None:
    return items[-1] if items else None


def _message_body(text: str) -> Json:
    """An HTTP answer to a slash command, as Slack reads it: a JSON message (`text`, `blocks`,
    `response_type`) when it parses as one, else plain text."""
    try:
        body = json.loads(text)
    except ValueError:
        return {"text": text}
    return body if isinstance(body, dict) else {"text": text}
