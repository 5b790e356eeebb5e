"""Slack token rotation for multi-workspace installs: a bot token about to expire is refreshed
(oauth.v2.access, grant_type=refresh_token) before it is used, the new one is stored, and the
Web API call carries it — on a request Bolt handles and on a post the scheduler makes."""

from __future__ import annotations

import re
import time
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from slack_sdk.oauth.installation_store import Bot

from bot.cards import simple
from bot.domain import ChannelRef
from demo.slack_api import FakeSlack
from handlers.slack.app import SLACK
from handlers.slack.messenger import InstalledTokens
from server.app import build_application
from tests.slack.conftest import slack_settings
from tests.support.clock import FakeClock
from tests.support.db import migrated_engine
from tests.support.slack import SlackWorkspace

pytestmark = pytest.mark.filterwarnings("ignore:BasicAuth is deprecated:DeprecationWarning")
TWELVE_HOURS = 12 * 3600


@pytest.fixture
async def rotating_slack() -> AsyncIterator[FakeSlack]:
    fake = FakeSlack(token_lifetime=TWELVE_HOURS)
    fake.workspace("T2", name="acme")
    await fake.start()
    yield fake
    await fake.close()


async def install(http: aiohttp.ClientSession, url: str, fake: FakeSlack) -> None:
    async with http.get(f"{url}/slack/install", allow_redirects=False) as page:
        state = re.search(r"state=([\w-]+)", await page.text())
        cookie = "; ".join(f"{k}={v.value}" for k, v in page.cookies.items())
    assert state is not None
    code = fake.authorization_code("T2", "UINSTALLER")
    async with http.get(
        f"{url}/slack/oauth_redirect",
        params={"code": code, "state": state.group(1)},
        headers={"Cookie": cookie},
    ) as done:
        assert done.status == 200, await done.text()


async def test_an_expiring_token_is_refreshed_stored_and_used(
    backend: str, tmp_path: Path, rotating_slack: FakeSlack, clock: FakeClock
) -> None:
    fake = rotating_slack
    settings = slack_settings(
        fake,
        SLACK_BOT_TOKEN="",
        SLACK_CLIENT_ID=fake.client_id,
        SLACK_CLIENT_SECRET=fake.client_secret,
    )
    async with migrated_engine(backend, tmp_path) as engine:
        application = await build_application(settings, clock=clock, refresh_delay=0, engine=engine)
        server = TestServer(application.web)
        await server.start_server()
        try:
            url = str(server.make_url("")).rstrip("/")
            adapter = application.web[SLACK]
            tokens = adapter.messenger._tokens
            assert isinstance(tokens, InstalledTokens)
            store = tokens._store
            async with aiohttp.ClientSession() as http:
                await install(http, url, fake)
                installed = await store.async_find_bot(enterprise_id=None, team_id="T2")
                assert installed is not None and installed.bot_refresh_token
                assert installed.bot_token == fake.workspaces["T2"].token
                assert installed.bot_token_expires_at is not None
                assert installed.bot_token_expires_at > time.time() + TWELVE_HOURS - 60

                # 12 h later: the token expires in a minute
                await store.async_save_bot(about_to_expire(installed))
                acme = SlackWorkspace(http, url, fake, team_id="T2", channel_id="C9")
                opened = await acme.person("UBOSS").types("/pulse now")
                assert "Pulse #1 is open" in opened.text
                (refresh,) = fake.calls_to("oauth.v2.access")[1:]
                assert refresh.args["grant_type"] == "refresh_token"
                assert refresh.args["refresh_token"] == installed.bot_refresh_token
                new = fake.workspaces["T2"].token
                assert new != installed.bot_token
                post = fake.calls_to("chat.postMessage")[-1]
                assert post.error is None and post.token == new  # the poll went with it
                stored = await store.async_find_bot(enterprise_id=None, team_id="T2")
                assert stored is not None and stored.bot_token == new
                assert stored.bot_refresh_token == fake.workspaces["T2"].refresh_token

                # the scheduler's posts come with no request: the messenger refreshes too
                await store.async_save_bot(about_to_expire(stored))
                to = ChannelRef("slack", "T2", "C9")
                await adapter.messenger.post(to=to, card=simple("Reminder"))
                newer = fake.workspaces["T2"].token
                assert newer not in (new, installed.bot_token)
                assert fake.calls_to("chat.postMessage")[-1].token == newer
                assert len(fake.calls_to("oauth.v2.access")) == 3  # install + two refreshes
                again = await store.async_find_bot(enterprise_id=None, team_id="T2")
                assert again is not None and again.bot_token == newer
                await adapter.messenger.post(to=to, card=simple("Later"))
                assert len(fake.calls_to("oauth.v2.access")) == 3, "a fresh token is kept"
        finally:
            await server.close()
            await application.close()


def about_to_expire(bot: Bot) -> Bot:
    copy = Bot(**bot.to_dict_for_copying())
    copy.bot_token_expires_at = int(time.time()) + 60
    return copy
