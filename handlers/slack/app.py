"""Build the Slack adapter from settings: the Bolt `AsyncApp`, its listeners, messenger and routes.

Modes (README "Install in Slack"): one workspace over HTTP (`SLACK_BOT_TOKEN` +
`SLACK_SIGNING_SECRET`), many workspaces over HTTP with OAuth install (`SLACK_CLIENT_ID` +
`SLACK_CLIENT_SECRET` + `SLACK_SIGNING_SECRET`, installations in BridgePulse's database), or
Socket Mode (`SLACK_APP_TOKEN` + `SLACK_BOT_TOKEN`; no public URL needed).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from enum import StrEnum

import aiohttp
from aiohttp import web
from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_bolt.authorization.async_authorize import AsyncInstallationStoreAuthorize
from slack_bolt.logger.messages import warning_client_prioritized_and_token_skipped
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_sdk.oauth.installation_store.sqlalchemy import AsyncSQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import AsyncSQLAlchemyOAuthStateStore
from slack_sdk.oauth.token_rotation.async_rotator import AsyncTokenRotator
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.channels.claims import replica_id
from bot.core import Core
from bot.errors import ConfigError
from handlers.slack.background import Background
from handlers.slack.delivery import ReplyDelivery
from handlers.slack.listeners import actions, commands, events
from handlers.slack.messenger import InstalledTokens, SlackMessenger, StaticToken, TokenSource
from handlers.slack.pacing import Pacer
from handlers.slack.recovery import DEFAULT_INTERVAL as HISTORY_INTERVAL
from handlers.slack.routes import INSTALL_PATH, REDIRECT_PATH, SignatureCheck, SlackRoutes
from handlers.slack.webapi import timed_session, web_client
from server.settings import Settings

log = logging.getLogger(__name__)

#: Bot scopes the code needs; manifest.yml declares exactly these (a test compares them).
SCOPES = (
    "commands",
    "chat:write",
    "chat:write.public",
    "im:write",
    "users:read",
    "channels:read",
    "groups:read",
    "files:write",
    # Read back our own recent channel posts after a crash, so a poll or summary whose post
    # went out just before it is not posted twice (see SlackMessenger.find_marked).
    "channels:history",
    "groups:history",
    # Admins map a user group to a side (`/pulse map @it-team it`): find it, list its members.
    "usergroups:read",
)
#: With token rotation on, a bot token (valid 12 h) is refreshed when it expires within this
#: many minutes, on the next request or post that needs it.
ROTATE_MINUTES = 120
#: How long an OAuth `state` stays valid between /slack/install and the redirect.
STATE_SECONDS = 600
#: How long shutdown waits for clicks and commands that were acknowledged but not answered.
DRAIN_SECONDS = 10.0


class SlackMode(StrEnum):
    OFF = "off"
    SINGLE = "single workspace"
    OAUTH = "multi-workspace (OAuth)"
    SOCKET = "socket mode"


def slack_mode(settings: Settings) -> SlackMode:
    """Which Slack set-up the settings describe; a ConfigError names what is missing."""
    s = settings
    if not any(
        (s.slack_bot_token, s.slack_signing_secret, s.slack_app_token)
        + (s.slack_client_id, s.slack_client_secret)
    ):
        return SlackMode.OFF
    if s.slack_bot_token and not s.slack_bot_token.startswith("xoxb-"):
        raise ConfigError("SLACK_BOT_TOKEN: expected a bot token starting with xoxb-")
    if s.slack_app_token:
        if not s.slack_app_token.startswith("xapp-"):
            raise ConfigError("SLACK_APP_TOKEN: expected an app-level token starting with xapp-")
        if s.slack_client_id or s.slack_client_secret:
            raise ConfigError("SLACK_APP_TOKEN: Socket Mode cannot be combined with OAuth install")
        _require(s.slack_bot_token, "SLACK_BOT_TOKEN", "Socket Mode")
        return SlackMode.SOCKET
    if s.slack_client_id or s.slack_client_secret:
        _require(s.slack_client_id, "SLACK_CLIENT_ID", "OAuth install")
        _require(s.slack_client_secret, "SLACK_CLIENT_SECRET", "OAuth install")
        _require(s.slack_signing_secret, "SLACK_SIGNING_SECRET", "OAuth install")
        if s.slack_bot_token:
            raise ConfigError(
                "SLACK_BOT_TOKEN: leave it empty with SLACK_CLIENT_ID (each workspace's token "
                "comes from its installation)"
            )
        return SlackMode.OAUTH
    _require(s.slack_bot_token, "SLACK_BOT_TOKEN", "Slack")
    _require(s.slack_signing_secret, "SLACK_SIGNING_SECRET", "Slack over HTTP")
    return SlackMode.SINGLE


def _require(value: str, name: str, what: str) -> None:
    if not value:
        raise ConfigError(f"{name}: required for {what}")


@dataclass(kw_only=True)
class SlackAdapter:
    """The running Slack side of BridgePulse (built by `build_slack`)."""

    mode: SlackMode
    core: Core
    bolt: AsyncApp
    messenger: SlackMessenger
    session: aiohttp.ClientSession
    reply_session: aiohttp.ClientSession
    background: Background
    routes: SlackRoutes | None
    socket_mode: AsyncSocketModeHandler | None

    def mount(self, app: web.Application) -> None:
        app[SLACK] = self
        if self.routes is not None:
            self.routes.mount(app)
        if self.socket_mode is not None:
            app.on_startup.append(self._connect_socket_mode)

    async def _connect_socket_mode(self, _app: web.Application) -> None:
        assert self.socket_mode is not None
        await self.socket_mode.connect_async()  # type: ignore[no-untyped-call]

    async def drain(self) -> None:
        """Wait for acknowledged commands, clicks and events to finish."""
        await self.background.drain()

    async def close(self) -> None:
        try:
            async with asyncio.timeout(DRAIN_SECONDS):
                await self.drain()
        except TimeoutError:
            log.warning("shutting down with Slack replies still in flight")
        await self.core.polls.drain()  # refreshes those replies asked for still need the session
        if self.socket_mode is not None:
            await self.socket_mode.close_async()  # type: ignore[no-untyped-call]
        await self.session.close()
        await self.reply_session.close()


async def build_slack(settings: Settings, *, core: Core, engine: AsyncEngine) -> SlackAdapter:
    mode = slack_mode(settings)
    deps = core.deps
    api_url = settings.slack_api_url.rstrip("/") + "/"
    session = timed_session(deps.telemetry, api_url=api_url)
    pacer = Pacer()
    client = web_client(
        session, api_url=api_url, token=settings.slack_bot_token or None, pacer=pacer
    )
    oauth = _oauth_settings(settings, engine) if mode is SlackMode.OAUTH else None
    bolt = _bolt_app(settings, client=client, oauth=oauth)
    messenger = _messenger(settings, mode=mode, core=core, client=client, pacer=pacer, oauth=oauth)
    background = Background(deps.telemetry)
    reply_session = aiohttp.ClientSession()
    replies = ReplyDelivery(messenger, reply_session, deps.telemetry)
    clicks = _register_listeners(
        bolt, core=core, messenger=messenger, replies=replies, background=background, oauth=oauth
    )
    routes = _routes(settings, bolt=bolt, core=core, clicks=clicks)
    socket_mode = _socket_mode(settings, mode=mode, bolt=bolt, client=client)
    log.info("Slack: %s, Web API at %s", mode.value, api_url)
    return SlackAdapter(
        mode=mode,
        core=core,
        bolt=bolt,
        messenger=messenger,
        session=session,
        reply_session=reply_session,
        background=background,
        routes=routes,
        socket_mode=socket_mode,
    )


def _bolt_app(
    settings: Settings, *, client: AsyncWebClient, oauth: AsyncOAuthSettings | None
) -> AsyncApp:
    logging.getLogger("slack_bolt.AsyncApp").addFilter(_same_token_warning)
    return AsyncApp(
        client=client,
        signing_secret=settings.slack_signing_secret or None,
        oauth_settings=oauth,
        # routes.py verifies every HTTP request itself, before parsing anything
        request_verification_enabled=False,
        # listeners ack, then hand the slow part to `Background`, so Bolt need not poll for it
        process_before_response=True,
    )


def _messenger(
    settings: Settings,
    *,
    mode: SlackMode,
    core: Core,
    client: AsyncWebClient,
    pacer: Pacer,
    oauth: AsyncOAuthSettings | None,
) -> SlackMessenger:
    """The messenger, with the bot token from settings, or each workspace's installation."""
    deps = core.deps
    tokens: TokenSource = StaticToken(settings.slack_bot_token)
    if oauth is not None and oauth.installation_store is not None:
        rotator = _token_rotation(oauth, client)
        tokens = InstalledTokens(oauth.installation_store, rotator, rotate_minutes=ROTATE_MINUTES)
    return SlackMessenger(
        client,
        tokens,
        conversations=deps.repo,
        clock=deps.clock,
        pacer=pacer,
        # Slack's 1-a-minute history limit binds commercially distributed apps (installed by
        # OAuth); a workspace's own app (one token) is exempt, and a 429 is honoured anyway.
        history_interval=HISTORY_INTERVAL if mode is SlackMode.OAUTH else 0.0,
    )


def _register_listeners(
    bolt: AsyncApp,
    *,
    core: Core,
    messenger: SlackMessenger,
    replies: ReplyDelivery,
    background: Background,
    oauth: AsyncOAuthSettings | None,
) -> actions.Clicks:
    """Register the click, command and event listeners (and the error counter) on Bolt."""
    deps = core.deps
    clicks = actions.Clicks(core=core, replies=replies, background=background)
    # Clicks first: Bolt tries listeners in order, and clicks are most of the traffic.
    clicks.register(bolt)
    commands.register(bolt, core=core, replies=replies, background=background)
    events.register(
        bolt,
        core=core,
        messenger=messenger,
        claims=deps.repo,
        clock=deps.clock,
        background=background,
        replica=replica_id(),
        installations=oauth.installation_store if oauth is not None else None,
    )
    _count_listener_errors(bolt, core)
    return clicks


def _routes(
    settings: Settings, *, bolt: AsyncApp, core: Core, clicks: actions.Clicks
) -> SlackRoutes | None:
    """The HTTP routes, where Slack reaches us over HTTP (not in Socket Mode)."""
    if not settings.slack_signing_secret:
        return None
    return SlackRoutes(
        bolt,
        signature=SignatureCheck(settings.slack_signing_secret),
        telemetry=core.deps.telemetry,
        oauth=bolt.oauth_flow,
        clicks=clicks,
    )


def _socket_mode(
    settings: Settings, *, mode: SlackMode, bolt: AsyncApp, client: AsyncWebClient
) -> AsyncSocketModeHandler | None:
    if mode is not SlackMode.SOCKET:
        return None
    return AsyncSocketModeHandler(bolt, settings.slack_app_token, web_client=client)


#: Where `mount` leaves the adapter on the aiohttp app (tests wait on `drain()` through it).
SLACK = web.AppKey("slack", SlackAdapter)


def _oauth_settings(settings: Settings, engine: AsyncEngine) -> AsyncOAuthSettings:
    """OAuth install, storing installations and states in BridgePulse's own database (tables
    created by migration 0003_slack)."""
    return AsyncOAuthSettings(
        client_id=settings.slack_client_id,
        client_secret=settings.slack_client_secret,
        scopes=list(SCOPES),
        installation_store=AsyncSQLAlchemyInstallationStore(
            client_id=settings.slack_client_id, engine=engine
        ),
        installation_store_bot_only=True,
        state_store=AsyncSQLAlchemyOAuthStateStore(expiration_seconds=STATE_SECONDS, engine=engine),
        install_path=INSTALL_PATH,
        redirect_uri_path=REDIRECT_PATH,
        token_rotation_expiration_minutes=ROTATE_MINUTES,
    )


def _token_rotation(oauth: AsyncOAuthSettings, client: AsyncWebClient) -> AsyncTokenRotator:
    """One token rotator for Bolt's requests and the messenger, calling Slack through our own
    client: Bolt's default one would ignore SLACK_API_URL, the retry handlers and the metrics."""
    rotator = AsyncTokenRotator(
        client_id=oauth.client_id, client_secret=oauth.client_secret, client=client
    )
    if isinstance(oauth.authorize, AsyncInstallationStoreAuthorize):
        oauth.authorize.token_rotator = rotator
    return rotator


def _same_token_warning(record: logging.LogRecord) -> bool:
    """Bolt reads SLACK_BOT_TOKEN itself and warns that the client's token wins over it; the
    client was built from that same setting, so the warning would only mislead an operator."""
    return record.getMessage() != warning_client_prioritized_and_token_skipped()


def _count_listener_errors(bolt: AsyncApp, core: Core) -> None:
    telemetry = core.deps.telemetry

    async def on_error(error: Exception) -> None:
        telemetry.count("errors", kind="slack_listener")
        log.error("Slack listener failed: %r", error, exc_info=error)

    bolt.error(on_error)
