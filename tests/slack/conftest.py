"""The real server (build_application + Bolt) on SQLite or PostgreSQL, a fake Slack Web API,
and a chat driver that sends signed requests to the server over HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from demo.slack_api import FakeSlack
from handlers.slack.app import SLACK, SlackAdapter
from server.app import Application, build_application
from server.settings import Settings, load_settings
from tests.support.clock import FakeClock
from tests.support.db import migrated_engine
from tests.support.markers import assert_rendered
from tests.support.slack import SIGNING_SECRET, TEAM, SlackWorkspace


@dataclass
class SlackStack:
    application: Application
    fake: FakeSlack
    workspace: SlackWorkspace
    server: TestServer

    @property
    def adapter(self) -> SlackAdapter:
        return self.application.web[SLACK]

    async def settle(self) -> None:
        """Wait until every acknowledged request and every poll refresh has finished."""
        await self.adapter.drain()
        await self.application.core.polls.drain()

    async def metrics(self) -> str:
        async with self.workspace.http.get(f"{self.workspace.server_url}/metrics") as response:
            return await response.text()


def slack_settings(fake: FakeSlack, **overrides: str) -> Settings:
    values = {
        "BRIDGEPULSE_ENV": "test",
        "BRIDGEPULSE_MIN_RESPONSES": "3",
        "SLACK_BOT_TOKEN": fake.workspace(TEAM).token,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": fake.api_url,
        **overrides,
    }
    return load_settings(**{k: v for k, v in values.items() if v is not None})


@pytest.fixture
async def fake_slack() -> AsyncIterator[FakeSlack]:
    fake = FakeSlack()
    fake.workspace(TEAM)
    await fake.start()
    yield fake
    await fake.close()
    # every message, update, App Home view and response_url body the tests made Slack show
    assert_rendered([[c.args for c in fake.calls], list(fake.responses.values())])


@pytest.fixture
async def stack(
    backend: str, tmp_path: Path, fake_slack: FakeSlack, clock: FakeClock
) -> AsyncIterator[SlackStack]:
    async with migrated_engine(backend, tmp_path) as engine:
        application = await build_application(
            slack_settings(fake_slack), clock=clock, refresh_delay=0.0, engine=engine
        )
        server = TestServer(application.web)
        await server.start_server()
        async with aiohttp.ClientSession() as http:
            workspace = SlackWorkspace(http, str(server.make_url("")).rstrip("/"), fake_slack)
            yield SlackStack(application, fake_slack, workspace, server)
            await server.close()
            await application.close()
