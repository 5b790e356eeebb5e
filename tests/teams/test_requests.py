"""What reaches POST /api/messages: authentication on and off, malformed activities, odd clicks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

import handlers.teams as teams_adapter
from bot.domain import Actor, ChannelRef, Side
from tests.support.clock import FakeClock
from tests.support.db import migrated_engine
from tests.support.teams import TENANT, Teams, button_data, running_connector, teams_settings
from tests.support.tokens import token_issuer


async def channel_known(teams: Teams) -> bool:
    found = await teams.application.repo.find_channel(
        ref=ChannelRef("teams", TENANT, "19:campaigns@thread.tacv2")
    )
    return found is not None


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_with_an_app_id_unauthenticated_requests_are_refused(
    backend: str, tmp_path: Path, clock: FakeClock
) -> None:
    settings = teams_settings(
        microsoft_app_id="00000000-0000-0000-0000-000000000b07",
        microsoft_app_password="not-used",
        microsoft_app_tenant_id="72f988bf-86f1-41af-91ab-2d7cd011db47",
    )
    async with running_connector() as connector, migrated_engine(backend, tmp_path) as engine:
        async with Teams.start(engine, connector, clock=clock, settings=settings) as teams:
            campaigns = teams.team("Launch").channel("campaigns")
            ann = teams.person("ann")
            assert (await ann.says("pulse join it", in_=campaigns)).status == 401
            forged = {"Authorization": "Bearer eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJtZSJ9.c2ln"}
            activity = teams.base(ann, campaigns.conversation(), campaigns.channel_data())
            activity |= {"type": "message", "text": "pulse join it"}
            for headers in (forged, {"Authorization": "Basic YTpi"}, {"Authorization": "Bearer"}):
                assert (await teams.post(activity, headers=headers)).status == 401
            assert not await channel_known(teams)  # nothing reached the core
            assert connector[0].requests == []  # and nothing was sent anywhere


async def test_without_an_app_id_local_mode_only_answers_a_local_connector(teams: Teams) -> None:
    campaigns = teams.team("Launch").channel("campaigns")
    ann = teams.person("ann")
    activity = teams.base(ann, campaigns.conversation(), campaigns.channel_data())
    activity |= {"type": "message", "text": "pulse help", "serviceUrl": "https://example.org/"}
    refused = await teams.post(activity)
    assert refused.status == 400 and "serviceUrl" in refused.body["error"]
    assert (await ann.says("pulse help", in_=campaigns)).status == 200
    assert "BridgePulse commands" in ann.last_private().text


MALFORMED: list[Any] = [
    [],
    "just text",
    {"text": "no type"},
    {"type": "message"},
    {"type": "message", "conversation": {"id": "c"}, "from": {"id": "u"}},
    {"type": "message", "conversation": "not an object", "from": {"id": "u"}},
    {"type": 5, "id": {"nested": True}},
]


async def test_malformed_activities_get_a_4xx_never_a_5xx(teams: Teams) -> None:
    for body in MALFORMED:
        response = await teams.client.post("/api/messages", json=body)
        assert 400 <= response.status < 500, (body, response.status)
    for raw, kind in (("{not json", "application/json"), ("a=b", "text/plain")):
        response = await teams.client.post(
            "/api/messages", data=raw, headers={"Content-Type": kind}
        )
        assert response.status in (400, 415)
    assert teams.connector.requests == []


async def test_odd_but_well_formed_activities_are_answered_quietly(teams: Teams) -> None:
    campaigns = teams.team("Launch").channel("campaigns")
    ann = teams.person("ann")
    base = teams.base(ann, campaigns.conversation(), campaigns.channel_data())
    odd = [
        base | {"type": "typing"},
        base | {"type": "messageReaction", "reactionsAdded": [{"type": "like"}]},
        base | {"type": "invoke", "name": "task/fetch", "value": {}},
        base | {"type": "invoke", "name": "adaptiveCard/action", "value": "nonsense"},
        base | {"type": "invoke", "name": "adaptiveCard/action", "value": {"action": {}}},
        base | {"type": "message", "value": {"action": "vote", "value": "9999:trust:4"}},
        base | {"type": "message", "text": "<at>BridgePulse</at> " + "pulse " * 400},
    ]
    for activity in odd:
        assert (await teams.post(activity)).status == 200, activity["type"]
    stale = await teams.post(odd[4])
    assert "out of date" in stale.body["value"]


async def test_commands_in_a_personal_chat_are_answered_there(teams: Teams) -> None:
    ann = teams.person("ann")
    await ann.says_privately("pulse join it")
    assert "You are on the **IT** side" in ann.last_private().text
    await ann.says_privately("what is this")
    assert "I don't know the word “what”" in ann.last_private().text
    assert teams.connector.made("POST", "/v3/conversations/a:personal-ann/activities")


async def test_command_hints_are_in_teams_form_and_fit_the_subscription(teams: Teams) -> None:
    boss = teams.person("boss")
    await boss.says_privately("pulse digest now")
    assert "\npulse digest on sends it every week." in boss.last_private().text
    await boss.says_privately("pulse digest on")
    await boss.says_privately("pulse digest now")
    again = boss.last_private().text
    assert "Sent: your digest" in again and "digest on" not in again
    assert "You get it every week; pulse digest off stops that." in again
    await boss.says_privately("pulse digest weekly")
    assert "Use pulse digest on, pulse digest off" in boss.last_private().text
    assert "/pulse" not in boss.last_private().text


async def test_a_click_from_someone_without_a_side_asks_them_privately(teams: Teams) -> None:
    campaigns = teams.team("Launch").channel("campaigns")
    boss, newcomer = teams.person("boss"), teams.person("newcomer")
    await campaigns.install(by=boss)
    await boss.says("pulse now", in_=campaigns)
    poll = campaigns.poll()
    answer = await newcomer.clicks(poll, "trust", "4")
    assert "private message" in answer.toast
    ask = newcomer.last_private()
    assert "Which team are you in?" in ask.text
    joined = await newcomer.clicks(ask, "join_side", "Marketing")
    assert "Marketing" in joined.toast and "Your 1 waiting answer now counts." in joined.toast
    # no channel message says anything about the newcomer's side or answer
    assert all("Marketing" not in m.text for m in campaigns.messages() if m.reply_to)


async def test_action_submit_clicks_count_like_execute_clicks(teams: Teams) -> None:
    campaigns = teams.team("Launch").channel("campaigns")
    boss = teams.person("boss")
    await campaigns.install(by=boss)
    await boss.says("pulse join it", in_=campaigns)
    await boss.says("pulse now", in_=campaigns)
    poll = campaigns.poll()
    assert (await boss.submits(poll, "trust", "2")).status == 200
    assert "Got it: **Trust** — 2 · Disagree." in boss.last_private().text
    await teams.settle()
    assert "1 person has answered so far" in poll.text
    again = await boss.invokes(
        poll, {"type": "Action.Execute", "verb": "vote", "data": button_data(poll, "trust", "2")}
    )
    assert "already answered" in again.toast  # a double click changes nothing


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_with_an_app_id_a_correctly_signed_token_is_accepted(
    backend: str, tmp_path: Path, clock: FakeClock
) -> None:
    app_id = "6f1c2a7e-2b9d-4c1e-9a53-0d7f4e8b1c22"
    settings = teams_settings(
        microsoft_app_id=app_id, microsoft_app_password="not-used", microsoft_app_type="MultiTenant"
    )
    async with running_connector() as connector, migrated_engine(backend, tmp_path) as engine:
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
                client = TestClient(TestServer(web_app, host="127.0.0.1"))
                await client.start_server()
                try:
                    campaigns = teams.team("Launch").channel("campaigns")
                    ann = teams.person("ann")
                    activity = teams.base(ann, campaigns.conversation(), campaigns.channel_data())
                    activity |= {"type": "message", "text": "pulse join it"}

                    async def status(token: str) -> int:
                        headers = {"Authorization": f"Bearer {token}"}
                        response = await client.post(
                            "/api/messages", json=activity, headers=headers
                        )
                        return response.status

                    good = issuer.token(aud=app_id, serviceurl=teams.service_url)
                    wrong_audience = issuer.token(aud="someone-else", serviceurl=teams.service_url)
                    wrong_service = issuer.token(aud=app_id, serviceurl="http://127.0.0.1:1/")
                    foreign = issuer.token(aud=app_id, serviceurl=teams.service_url, foreign=True)
                    for token in (wrong_audience, wrong_service, foreign):
                        assert await status(token) == 401
                    hasher = teams.application.core.deps.hasher
                    respondent = hasher.of(Actor("teams", TENANT, ann.aad_id))
                    assert await teams.application.repo.side_of(respondent=respondent) is None
                    assert await status(good) == 200
                    assert await teams.application.repo.side_of(respondent=respondent) is Side.IT
                finally:
                    await client.close()
