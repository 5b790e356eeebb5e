"""Hostile JSON on every endpoint that parses it: deep nesting is a 4xx, signed or not, never a
500 (a RecursionError escaping the parser), and nothing reaches the core or the platforms."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlencode

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

import handlers.teams as teams_adapter
from tests.simulator.conftest import Demo, demo  # noqa: F401 (fixture)
from tests.slack.conftest import SlackStack, fake_slack, stack  # noqa: F401 (fixtures)
from tests.support.clock import FakeClock
from tests.support.db import migrated_engine
from tests.support.slack import FORM
from tests.support.teams import Teams, running_connector, teams_settings
from tests.support.tokens import token_issuer

APP_ID = "6f1c2a7e-2b9d-4c1e-9a53-0d7f4e8b1c22"
#: Deeper than any parser's recursion limit (json: ~1,000 frames; orjson: 1,024 levels).
DEPTH = 100_000
#: Within orjson's limit, but deeper than a Python walk of the parsed value can go.
PARSEABLE_DEPTH = 1_000


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def teams_bodies(teams: Teams) -> dict[str, bytes]:
    channel = teams.team("Launch").channel("campaigns")
    ann = teams.person("ann")
    activity = json.dumps(teams.base(ann, channel.conversation(), channel.channel_data()))
    message = activity[:-1] + ', "type": "message", "value": '
    deep_object = '{"a": ' * PARSEABLE_DEPTH + "1" + "}" * PARSEABLE_DEPTH
    return {
        "bare brackets": nested(DEPTH).encode(),
        "nested value": (message + nested(DEPTH) + "}").encode(),
        "parseable nested value": (message + nested(PARSEABLE_DEPTH) + "}").encode(),
        "parseable nested channelData": (
            activity[:-1] + ', "type": "message", "channelData": ' + nested(PARSEABLE_DEPTH) + "}"
        ).encode(),
        "nested object value": (message + deep_object + "}").encode(),
        # parses and deserialises: was answered 200 before the depth limit
        "channelData nested 200 deep": (
            activity[:-1]
            + ', "type": "message", "text": "pulse help", "channelData": '
            + '{"a": ' * 200
            + "1"
            + "}" * 200
            + "}"
        ).encode(),
    }


async def post_raw(teams: Teams, body: bytes, headers: dict[str, str] | None = None) -> int:
    response = await teams.client.post(
        "/api/messages",
        data=body,
        headers={"Content-Type": "application/json", **(headers or {})},
    )
    return response.status


@pytest.fixture
async def local_teams(tmp_path: Path, clock: FakeClock) -> AsyncIterator[Teams]:
    async with running_connector() as connector, migrated_engine("sqlite", tmp_path) as engine:
        async with Teams.start(engine, connector, clock=clock) as teams:
            yield teams


async def test_teams_unauthenticated_hostile_json_is_a_4xx(local_teams: Teams) -> None:
    for name, body in teams_bodies(local_teams).items():
        status = await post_raw(local_teams, body)
        assert 400 <= status < 500, (name, status)
    assert local_teams.connector.requests == []
    ann = local_teams.person("ann")
    campaigns = local_teams.team("Launch").channel("campaigns")
    assert (await ann.says("pulse help", in_=campaigns)).status == 200  # still serving


async def test_teams_with_an_app_id_checks_the_bearer_before_parsing(
    tmp_path: Path, clock: FakeClock
) -> None:
    settings = teams_settings(
        microsoft_app_id=APP_ID,
        microsoft_app_password="secret",
        microsoft_app_tenant_id="72f988bf-86f1-41af-91ab-2d7cd011db47",
    )
    async with running_connector() as connector, migrated_engine("sqlite", tmp_path) as engine:
        async with Teams.start(engine, connector, clock=clock, settings=settings) as teams:
            garbled = (
                {},
                {"Authorization": "Bearer"},
                {"Authorization": "Basic YTpi"},
                {"Authorization": "Bearer not-a-jwt"},
            )
            for name, body in teams_bodies(teams).items():
                for headers in garbled:
                    assert await post_raw(teams, body, headers) == 401, (name, headers)
            assert connector[0].requests == []


async def test_teams_signed_hostile_json_is_a_4xx(tmp_path: Path, clock: FakeClock) -> None:
    settings = teams_settings(
        microsoft_app_id=APP_ID, microsoft_app_password="secret", microsoft_app_type="MultiTenant"
    )
    async with running_connector() as connector, migrated_engine("sqlite", tmp_path) as engine:
        async with Teams.start(engine, connector, clock=clock, settings=settings) as teams:
            with token_issuer() as issuer:
                web_app = web.Application()
                teams_adapter.register(
                    web_app,
                    core=teams.application.core,
                    store=teams.application.repo,
                    settings=settings,
                    clock=clock,
                    telemetry=teams.application.telemetry,
                    auth_overrides=issuer.overrides,
                )
                token = issuer.token(aud=APP_ID, serviceurl=teams.service_url)
                signed = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}
                async with TestClient(TestServer(web_app, host="127.0.0.1")) as client:
                    for name, body in teams_bodies(teams).items():
                        response = await client.post("/api/messages", data=body, headers=signed)
                        assert 400 <= response.status < 500, (name, response.status)
            assert connector[0].requests == []


# ---- Slack ---------------------------------------------------------------------------------


def _deep_click(depth: int) -> bytes:
    payload = (
        '{"type": "block_actions", "team": {"id": "T1"}, "user": {"id": "UEVE"}, '
        '"actions": [{"action_id": "help", "value": "x"}], "message": {"blocks": '
        + nested(depth)
        + "}}"
    )
    return urlencode({"payload": payload}).encode()


def _deep_event(depth: int) -> bytes:
    return (
        '{"type": "event_callback", "team_id": "T1", "event_id": "Ev1", '
        '"event": {"type": "app_home_opened", "user": "U1", "view": ' + nested(depth) + "}}"
    ).encode()


SLACK_BODIES = {
    "event nested": (_deep_event(DEPTH), "application/json"),
    "click nested": (_deep_click(DEPTH), FORM),
    # parseable (orjson takes 1,024 levels), yet no payload Slack sends nests like this
    "click nested within the parser's limit": (_deep_click(PARSEABLE_DEPTH // 2), FORM),
    "event nested within the parser's limit": (
        _deep_event(PARSEABLE_DEPTH // 2),
        "application/json",
    ),
    "url_verification nested": (
        ('{"type": "url_verification", "challenge": "c", "x": ' + nested(DEPTH) + "}").encode(),
        "application/json",
    ),
}


@pytest.mark.parametrize("backend", ["sqlite"])
@pytest.mark.parametrize("name", list(SLACK_BODIES))
async def test_slack_signed_hostile_json_is_a_4xx(stack: SlackStack, name: str) -> None:  # noqa: F811
    body, content_type = SLACK_BODIES[name]
    result = await stack.workspace.send(body, content_type=content_type)
    assert 400 <= result.status < 500, (result.status, result.text[:200])
    unsigned = await stack.workspace.send(body, content_type=content_type, headers={})
    assert unsigned.status == 401
    await stack.settle()
    assert [c.method for c in stack.fake.calls if c.method != "auth.test"] == []


# ---- the demo page -------------------------------------------------------------------------


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_the_demo_page_api_refuses_hostile_json(demo: Demo) -> None:  # noqa: F811
    async with aiohttp.ClientSession() as http:
        for name in ("state", "slack/command", "teams/say"):
            async with http.post(
                f"{demo.url}/_sim/api/{name}",
                data=nested(DEPTH),
                headers={"Content-Type": "application/json"},
            ) as response:
                assert response.status == 400, (name, response.status)
