"""Who may reach POST /api/messages: nobody without an app id in production (Teams off, 404),
anyone on this machine in demo and test mode (which then listen on loopback only), and a
correctly signed Azure registration otherwise."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from botbuilder.integration.aiohttp import ConfigurationServiceClientCredentialFactory
from botframework.connector.auth import (
    ManagedIdentityServiceClientCredentialsFactory,
    PasswordServiceClientCredentialFactory,
)

from bot.errors import ConfigError
from demo import teams_client
from demo.teams_client import Account, TeamsChannel
from handlers.teams import _credentials
from server.app import build_application
from server.settings import Settings, TeamsMode, load_settings
from tests.support.clock import FakeClock
from tests.support.db import migrated_engine
from tests.support.teams import running_connector

APP_ID = "6f1c2a7e-2b9d-4c1e-9a53-0d7f4e8b1c22"
TENANT_ID = "72f988bf-86f1-41af-91ab-2d7cd011db47"
SECRET = "a-production-secret"


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("BRIDGEPULSE_ENV", "HOST", "BRIDGEPULSE_SECRET", "BRIDGEPULSE_ADMINS"):
        monkeypatch.delenv(name, raising=False)
    for name in ("ID", "PASSWORD", "TENANT_ID", "TYPE"):
        monkeypatch.delenv(f"MICROSOFT_APP_{name}", raising=False)


def forged_activity(service_url: str) -> dict[str, Any]:
    """A made-up Teams user in a made-up team, replies steered to a connector of our choosing."""
    channel = TeamsChannel("tenant-x", "19:t@thread.tacv2", "Launch", "19:c@thread.tacv2", "c")
    sent = teams_client.activity(
        service_url=service_url,
        sender=Account("29:mallory", "Mallory", "aad-mallory").json(),
        conversation=channel.conversation(),
        channel_data=channel.channel_data(),
        tenant="tenant-x",
    )
    return sent | {"type": "message", "text": "pulse join it"}


@asynccontextmanager
async def assembled(
    settings: Settings, tmp_path: Path, clock: FakeClock
) -> AsyncIterator[TestClient[Any, Any]]:
    """The application `serve` builds for these settings, answering over HTTP."""
    async with migrated_engine("sqlite", tmp_path) as engine:
        application = await build_application(settings, clock=clock, engine=engine)
        async with TestClient(TestServer(application.web)) as client:
            yield client
        await application.close()


async def test_production_without_an_app_id_has_no_teams_endpoint(
    tmp_path: Path, clock: FakeClock
) -> None:
    settings = load_settings(BRIDGEPULSE_SECRET=SECRET)
    assert settings.teams is TeamsMode.OFF
    async with (
        running_connector() as (connector, url),
        assembled(settings, tmp_path, clock) as client,
    ):
        response = await client.post("/api/messages", json=forged_activity(url))
        assert response.status == 404
        assert (await client.get("/healthz")).status == 200  # the server itself runs
    assert connector.requests == []


@pytest.mark.parametrize("mode", ["demo", "test"])
async def test_demo_and_test_mode_answer_teams_unauthenticated(
    tmp_path: Path, clock: FakeClock, mode: str
) -> None:
    settings = load_settings(BRIDGEPULSE_ENV=mode)
    assert settings.teams is TeamsMode.LOCAL
    async with (
        running_connector() as (connector, url),
        assembled(settings, tmp_path, clock) as client,
    ):
        help_me = forged_activity(url) | {"text": "pulse help"}
        assert (await client.post("/api/messages", json=help_me)).status == 200
    assert any("BridgePulse commands" in m.text for m in connector.messages.values())


async def test_production_with_an_app_id_refuses_an_unsigned_activity(
    tmp_path: Path, clock: FakeClock
) -> None:
    settings = load_settings(
        BRIDGEPULSE_SECRET=SECRET,
        MICROSOFT_APP_ID=APP_ID,
        MICROSOFT_APP_PASSWORD="client-secret",
        MICROSOFT_APP_TENANT_ID=TENANT_ID,
    )
    assert settings.teams is TeamsMode.AUTHENTICATED
    async with (
        running_connector() as (connector, url),
        assembled(settings, tmp_path, clock) as client,
    ):
        assert (await client.post("/api/messages", json=forged_activity(url))).status == 401
    assert connector.requests == []


@pytest.mark.parametrize(
    ("env", "host"),
    [
        ({"BRIDGEPULSE_SECRET": SECRET}, "0.0.0.0"),
        ({"BRIDGEPULSE_ENV": "demo"}, "127.0.0.1"),
        ({"BRIDGEPULSE_ENV": "test"}, "127.0.0.1"),
        ({"BRIDGEPULSE_ENV": "demo", "HOST": "0.0.0.0"}, "0.0.0.0"),
        ({"BRIDGEPULSE_ENV": "test", "HOST": " 10.0.0.5 "}, "10.0.0.5"),
        ({"BRIDGEPULSE_SECRET": SECRET, "HOST": "127.0.0.1"}, "127.0.0.1"),
    ],
)
def test_the_listen_address_is_loopback_unless_production_or_an_explicit_host(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], host: str
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert load_settings().host == host


def test_register_refuses_an_unauthenticated_endpoint_in_production() -> None:
    from aiohttp import web

    from handlers import teams

    settings = load_settings(BRIDGEPULSE_SECRET=SECRET)
    with pytest.raises(ConfigError, match="MICROSOFT_APP_ID"):
        teams.register(
            web.Application(),
            core=None,  # type: ignore[arg-type]
            store=None,  # type: ignore[arg-type]
            settings=settings,
            clock=None,  # type: ignore[arg-type]
            telemetry=None,  # type: ignore[arg-type]
        )


@pytest.mark.parametrize(
    ("kind", "inner", "tenant"),
    [
        ("SingleTenant", PasswordServiceClientCredentialFactory, TENANT_ID),
        ("MultiTenant", PasswordServiceClientCredentialFactory, None),
        ("UserAssignedMSI", ManagedIdentityServiceClientCredentialsFactory, None),
    ],
)
def test_botbuilder_receives_the_app_type_and_tenant(kind: str, inner: type, tenant: str) -> None:
    settings = load_settings(
        BRIDGEPULSE_SECRET=SECRET,
        MICROSOFT_APP_ID=APP_ID,
        MICROSOFT_APP_PASSWORD="client-secret",
        MICROSOFT_APP_TENANT_ID=TENANT_ID,
        MICROSOFT_APP_TYPE=kind,
    )
    factory = ConfigurationServiceClientCredentialFactory(_credentials(settings))
    assert isinstance(factory._inner, inner)
    if isinstance(factory._inner, PasswordServiceClientCredentialFactory):
        assert factory._inner.tenant_id == tenant
        assert factory._inner.app_id == APP_ID
