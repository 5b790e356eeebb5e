"""Microsoft Teams adapter: Bot Framework activities in, Adaptive Cards out (botbuilder stays here)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from types import SimpleNamespace

from aiohttp import web
from botbuilder.core import TurnContext
from botbuilder.integration.aiohttp import (
    CloudAdapter,
    ConfigurationBotFrameworkAuthentication,
)
from msrest.universal_http.requests import ClientRetryPolicy

from bot.core import Core
from bot.errors import ConfigError
from bot.ports import Clock, ConversationStore, Telemetry
from handlers.teams import routes
from handlers.teams.bot import BridgePulseBot
from handlers.teams.delivery import ReplyDelivery
from handlers.teams.messenger import TeamsMessenger
from handlers.teams.references import ConversationBook
from handlers.teams.retry import RetryPolicy
from server.settings import Settings, TeamsMode

log = logging.getLogger(__name__)


def register(
    app: web.Application,
    *,
    core: Core,
    store: ConversationStore,
    settings: Settings,
    clock: Clock,
    telemetry: Telemetry,
    auth_overrides: Mapping[str, str] | None = None,
) -> TeamsMessenger:
    """Mount `POST /api/messages` and return the messenger the core uses for Teams.

    `auth_overrides` sets Bot Framework authentication options such as
    TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL (tests point token validation at local keys).
    """
    if settings.teams is TeamsMode.OFF:  # the composition root does not call us then
        raise ConfigError("MICROSOFT_APP_ID: required for Teams outside demo and test mode")
    _fast_retry_policy()
    config = _credentials(settings)
    for name, value in (auth_overrides or {}).items():
        setattr(config, name, value)
    adapter = CloudAdapter(ConfigurationBotFrameworkAuthentication(config))
    adapter.on_turn_error = _on_turn_error(telemetry)
    book = ConversationBook(store, clock)
    retry = RetryPolicy(
        on_retry=lambda status: telemetry.count("teams_retries", status=str(status))
    )
    messenger = TeamsMessenger(adapter, book, app_id=settings.microsoft_app_id, retry=retry)
    bot = BridgePulseBot(core, book, ReplyDelivery(messenger))
    local = settings.teams is TeamsMode.LOCAL  # `serve`'s start-up line says so
    routes.register(app, adapter=adapter, bot=bot, local=local)
    return messenger


def _fast_retry_policy() -> None:
    """msrest builds a retry policy for every connector client (one per Teams turn) by testing
    999 status codes against a 502-item *list*: about 4 ms of CPU per turn. The same codes as
    a frozenset give the same policy at once."""
    ClientRetryPolicy.safe_codes = frozenset(ClientRetryPolicy.safe_codes)  # type: ignore[assignment]


def _credentials(settings: Settings) -> SimpleNamespace:
    """botbuilder's configuration object (load_settings checked the registration). Without an
    app id (demo and test only) authentication is off, which botbuilder allows only for its
    MultiTenant type: the others raise for the missing id."""
    kind = settings.microsoft_app_type if settings.teams_auth else "MultiTenant"
    return SimpleNamespace(
        APP_ID=settings.microsoft_app_id,
        APP_PASSWORD=settings.microsoft_app_password,
        APP_TYPE=kind,
        APP_TENANTID=settings.microsoft_app_tenant_id,
    )


def _on_turn_error(telemetry: Telemetry) -> Callable[[TurnContext, Exception], Awaitable[None]]:
    async def on_error(context: TurnContext, error: Exception) -> None:
        telemetry.count("errors", kind="teams_turn")
        log.error(
            "Teams %s turn failed",
            context.activity.type,
            exc_info=(type(error), error, error.__traceback__),
        )

    return on_error
