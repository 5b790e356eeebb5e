"""How Slack is set up: settings → mode, OAuth install for many workspaces, Socket Mode, metrics."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from bot.errors import ConfigError
from demo.slack_api import FakeSlack
from handlers.slack.app import SLACK, SlackMode, slack_mode
from server.app import Application, build_application
from tests.slack.conftest import SlackStack, slack_settings
from tests.support.clock import FakeClock
from tests.support.db import migrated_engine
from tests.support.slack import ANSWER_WITHIN, SlackWorkspace

# ---- settings → mode -------------------------------------------------------------------------

NO_SLACK = {"SLACK_BOT_TOKEN": "", "SLACK_SIGNING_SECRET": ""}


def test_settings_choose_the_mode(fake_slack: FakeSlack) -> None:
    def mode(**env: str) -> SlackMode:
        return slack_mode(slack_settings(fake_slack, **{**NO_SLACK, **env}))

    assert mode() is SlackMode.OFF
    assert mode(SLACK_BOT_TOKEN="xoxb-1", SLACK_SIGNING_SECRET="s") is SlackMode.SINGLE
    assert (
        mode(SLACK_CLIENT_ID="1.2", SLACK_CLIENT_SECRET="c", SLACK_SIGNING_SECRET="s")
        is SlackMode.OAUTH
    )
    assert mode(SLACK_APP_TOKEN="xapp-1", SLACK_BOT_TOKEN="xoxb-1") is SlackMode.SOCKET


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"SLACK_BOT_TOKEN": "xoxb-1"}, "SLACK_SIGNING_SECRET: required for Slack over HTTP"),
        ({"SLACK_SIGNING_SECRET": "s"}, "SLACK_BOT_TOKEN: required for Slack"),
        ({"SLACK_BOT_TOKEN": "xoxp-user", "SLACK_SIGNING_SECRET": "s"}, "starting with xoxb-"),
        ({"SLACK_CLIENT_ID": "1.2", "SLACK_SIGNING_SECRET": "s"}, "SLACK_CLIENT_SECRET: required"),
        (
            {"SLACK_CLIENT_ID": "1.2", "SLACK_CLIENT_SECRET": "c"},
            "SLACK_SIGNING_SECRET: required for OAuth install",
        ),
        ({"SLACK_APP_TOKEN": "xapp-1"}, "SLACK_BOT_TOKEN: required for Socket Mode"),
        ({"SLACK_APP_TOKEN": "xoxb-1", "SLACK_BOT_TOKEN": "xoxb-1"}, "starting with xapp-"),
    ],
)
def test_an_incomplete_slack_setup_names_the_setting(
    fake_slack: FakeSlack, env: dict[str, str], message: str
) -> None:
    settings = slack_settings(fake_slack, **{**NO_SLACK, **env})
    with pytest.raises(ConfigError, match=re.escape(message)):
        slack_mode(settings)


# ---- metrics ---------------------------------------------------------------------------------


async def test_metrics_count_requests_votes_errors_and_time_slack_calls(stack: SlackStack) -> None:
    ws, fake = stack.workspace, stack.fake
    boss = ws.person("UBOSS")
    await boss.types("/pulse join it")
    await boss.types("/pulse now")
    await boss.clicks(ws.poll_message(), "trust", 4)
    await ws.send(b"forged", headers={})
    fake.fail_next("server_error", count=2, method="chat.postMessage")
    await ws.person("UOTHER").types("/pulse digest now")  # conversations.open ok, post fails
    await stack.settle()
    metrics = await stack.metrics()
    assert 'bridgepulse_http_requests_total{route="/slack/events",status="200"} 4.0' in metrics
    assert 'bridgepulse_http_requests_total{route="/slack/events",status="401"} 1.0' in metrics
    assert 'bridgepulse_votes_total{outcome="created"} 1.0' in metrics
    assert 'bridgepulse_errors_total{kind="internal"} 1.0' in metrics
    assert 'bridgepulse_slack_api_seconds_count{method="chat.postMessage"}' in metrics
    assert (
        'bridgepulse_slack_api_calls_total{method="chat.postMessage",status="500"} 2.0' in metrics
    )
    assert 'bridgepulse_slack_api_seconds_count{method="response_url"}' in metrics


# ---- OAuth install: many workspaces ----------------------------------------------------------


@pytest.fixture
async def oauth_app(
    backend: str, tmp_path: Path, fake_slack: FakeSlack, clock: FakeClock
) -> AsyncIterator[tuple[Application, str]]:
    settings = slack_settings(
        fake_slack,
        SLACK_BOT_TOKEN="",
        SLACK_CLIENT_ID=fake_slack.client_id,
        SLACK_CLIENT_SECRET=fake_slack.client_secret,
    )
    async with migrated_engine(backend, tmp_path) as engine:
        application = await build_application(settings, clock=clock, refresh_delay=0, engine=engine)
        server = TestServer(application.web)
        await server.start_server()
        yield application, str(server.make_url("")).rstrip("/")
        await server.close()
        await application.close()


@pytest.mark.filterwarnings("ignore:BasicAuth is deprecated:DeprecationWarning")  # slack_sdk's
async def test_install_in_a_second_workspace_and_use_it(
    oauth_app: tuple[Application, str], fake_slack: FakeSlack
) -> None:
    application, url = oauth_app
    fake_slack.workspace("T2", name="acme")
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{url}/slack/install", allow_redirects=False) as page:
            assert page.status == 200
            html = await page.text()
            # The state cookie is Secure: a browser sends it back over https; here, by hand.
            cookie = "; ".join(f"{k}={v.value}" for k, v in page.cookies.items())
        state = re.search(r"state=([\w-]+)", html)
        assert state and "slack.com/oauth/v2/authorize" in html and "commands" in html
        code = fake_slack.authorization_code("T2", "UINSTALLER")
        async with http.get(
            f"{url}/slack/oauth_redirect",
            params={"code": code, "state": state.group(1)},
            headers={"Cookie": cookie},
        ) as done:
            assert done.status == 200, await done.text()
        assert fake_slack.calls_to("oauth.v2.access")[-1].error is None

        acme = SlackWorkspace(http, url, fake_slack, team_id="T2", channel_id="C9")
        boss = acme.person("UBOSS")
        opened = await boss.types("/pulse now")
        assert "Pulse #1 is open" in opened.text
        assert acme.poll_message()
        post = fake_slack.calls_to("chat.postMessage")[-1]
        assert post.team_id == "T2"  # posted with the token T2's installation stored

        stranger = SlackWorkspace(http, url, fake_slack, team_id="T404", channel_id="C1")
        refused = await stranger.person("U1").types("/pulse help")
        assert "install this app" in refused.text.lower()

        uninstalled = {
            "type": "event_callback",
            "team_id": "T2",
            "event_id": "EvUninstall",
            "event": {"type": "app_uninstalled"},
        }
        result = await acme.send(json.dumps(uninstalled).encode(), content_type="application/json")
        assert result.status == 200
        await application.web[SLACK].drain()
        gone = await boss.types("/pulse help")
        assert "install this app" in gone.text.lower()


async def test_a_forged_oauth_redirect_installs_nothing(
    oauth_app: tuple[Application, str], fake_slack: FakeSlack
) -> None:
    _, url = oauth_app
    code = fake_slack.authorization_code("T3", "U3")
    async with aiohttp.ClientSession() as http:
        async with http.get(
            f"{url}/slack/oauth_redirect", params={"code": code, "state": "made-up"}
        ) as done:
            assert done.status == 400
    assert fake_slack.calls_to("oauth.v2.access") == []


# ---- Socket Mode -----------------------------------------------------------------------------


async def test_socket_mode_answers_commands_and_events_over_the_websocket(
    tmp_path: Path, fake_slack: FakeSlack, clock: FakeClock
) -> None:
    settings = slack_settings(
        fake_slack, SLACK_SIGNING_SECRET="", SLACK_APP_TOKEN=fake_slack.app_token
    )
    async with migrated_engine("sqlite", tmp_path) as engine:
        application = await build_application(settings, clock=clock, refresh_delay=0, engine=engine)
        server = TestServer(application.web)
        await server.start_server()  # runs on_startup: connects the WebSocket
        try:
            async with aiohttp.ClientSession() as http:
                base = str(server.make_url("")).rstrip("/")
                async with http.post(f"{base}/slack/events", data=b"x") as not_mounted:
                    assert not_mounted.status in (404, 405)
                ws = SlackWorkspace(http, base, fake_slack)
                boss = ws.person("UBOSS")
                response_url = fake_slack.new_response_url()
                command = boss.command_fields("/pulse now", response_url=response_url)
                envelope = await fake_slack.send_envelope("slash_commands", command)
                answer = await ws.answer(response_url)
                assert "Pulse #1 is open" in answer.text and ws.poll_message()
                assert envelope in fake_slack.socket_acks

                event = boss.home_event_fields(event_id="EvS1")
                first = await fake_slack.send_envelope("events_api", event)
                again = await fake_slack.send_envelope("events_api", event, retry_attempt=1)
                async with asyncio.timeout(ANSWER_WITHIN):
                    await fake_slack.wait_for(
                        lambda: {first, again} <= fake_slack.socket_acks.keys() or None
                    )
                await application.web[SLACK].drain()
        finally:
            await server.close()
            await application.close()
    assert len(fake_slack.calls_to("views.publish")) == 1  # the redelivery did nothing
