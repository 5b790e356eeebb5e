"""Who may map groups to sides: workspace-wide commands need a workspace admin, never merely
whoever set up a channel (signed Slack requests and Teams activities against the real server)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from demo.slack_api import FakeSlack
from server.app import build_application
from server.settings import load_settings
from tests.slack.conftest import SlackStack, slack_settings
from tests.support.clock import FakeClock
from tests.support.db import migrated_engine
from tests.support.slack import TEAM, SlackWorkspace
from tests.support.teams import TENANT, Teams, running_connector, teams_settings

#: A Slack member and a Teams person (AAD object id) named in BRIDGEPULSE_ADMINS.
LISTED = "ULISTED,aad-listed"


@pytest.fixture
async def slack(
    backend: str, tmp_path: Path, fake_slack: FakeSlack, clock: FakeClock
) -> AsyncIterator[SlackStack]:
    settings = slack_settings(fake_slack, BRIDGEPULSE_ADMINS=LISTED)
    async with migrated_engine(backend, tmp_path) as engine:
        application = await build_application(
            settings, clock=clock, refresh_delay=0.0, engine=engine
        )
        server = TestServer(application.web)
        await server.start_server()
        async with aiohttp.ClientSession() as http:
            workspace = SlackWorkspace(http, str(server.make_url("")).rstrip("/"), fake_slack)
            yield SlackStack(application, fake_slack, workspace, server)
            await server.close()
            await application.close()


@pytest.fixture
async def fake_slack() -> AsyncIterator[FakeSlack]:
    fake = FakeSlack()
    fake.workspace(TEAM)
    await fake.start()
    yield fake
    await fake.close()


@pytest.fixture
async def teams(backend: str, tmp_path: Path, clock: FakeClock) -> AsyncIterator[Teams]:
    async with running_connector() as connector, migrated_engine(backend, tmp_path) as engine:
        settings = teams_settings(admins=LISTED)
        async with Teams.start(engine, connector, clock=clock, settings=settings) as running:
            yield running


async def _slack_mappings(stack: SlackStack) -> list[str]:
    found = await stack.application.repo.group_sides(platform="slack", workspace_id=TEAM)
    return [m.group.label for m in found]


async def test_slack_founder_of_a_fresh_channel_cannot_remap_a_group(slack: SlackStack) -> None:
    ws, fake = slack.workspace, slack.fake
    member = ws.person("UMEMBER")
    fake.usergroup(TEAM, "S1", handle="it-team", users=["UMEMBER"])
    founder = ws.person("UFOUNDER")  # an ordinary member, not a workspace admin
    fake.channel(TEAM, "CNEW", name="my-new-channel", members=["UFOUNDER"])
    assert "Weekly pulse is on" in (await founder.types("/pulse setup", channel_id="CNEW")).text

    refused = (await founder.types("/pulse map @it-team it", channel_id="CNEW")).text
    assert "only a workspace admin or owner, or someone named in" in refused
    assert "nothing changed" in refused and "Mapped" not in refused
    assert await _slack_mappings(slack) == []
    boss = ws.person("UBOSS")
    await boss.types("/pulse setup")
    await boss.types("/pulse now")
    prompt = await member.clicks(ws.poll_message(), "trust", 4)
    assert "Which team are you in?" in prompt.text  # the group gave them no side


async def test_slack_workspace_admin_and_a_listed_person_may_map(slack: SlackStack) -> None:
    ws, fake = slack.workspace, slack.fake
    fake.usergroup(TEAM, "S1", handle="it-team", users=["UMEMBER"])
    fake.usergroup(TEAM, "S2", handle="marketing", users=["UOTHER"])
    admin, listed = ws.person("UADMIN", admin=True), ws.person("ULISTED")
    await ws.person("UFOUNDER").types("/pulse setup")  # the channel is somebody else's
    assert "Mapped *@it-team* to *IT*" in (await admin.types("/pulse map @it-team it")).text
    mapped = (await listed.types("/pulse map @marketing marketing")).text
    assert "Mapped *@marketing* to *Marketing*" in mapped
    assert await _slack_mappings(slack) == ["@it-team", "@marketing"]


async def test_teams_listed_person_may_map_and_a_channel_creator_may_not(teams: Teams) -> None:
    channel = teams.team("Launch").channel("campaigns")
    creator, listed = teams.person("creator"), teams.person("listed")
    channel.add(creator, listed)
    await channel.install(by=creator)
    await creator.says("pulse setup", in_=channel)

    await creator.says("pulse map this team it", in_=channel)
    refused = creator.last_private().text
    assert "only someone named in BridgePulse's BRIDGEPULSE_ADMINS" in refused
    assert "nothing changed" in refused
    repo = teams.application.repo
    assert await repo.group_sides(platform="teams", workspace_id=TENANT) == []

    await listed.says("pulse map this team it", in_=channel)
    assert "Mapped **the members of campaigns** to **IT**" in listed.last_private().text
    await creator.says("pulse unmap this team", in_=channel)
    assert "nothing changed" in creator.last_private().text
    assert len(await repo.group_sides(platform="teams", workspace_id=TENANT)) == 1


def test_bridgepulse_admins_is_a_comma_separated_list(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BRIDGEPULSE_ENV", "test")
    monkeypatch.delenv("BRIDGEPULSE_ADMINS", raising=False)
    assert load_settings().admins == frozenset()
    monkeypatch.setenv("BRIDGEPULSE_ADMINS", " U0ADMIN, 8f2c-aad-id ,,")
    assert load_settings().admins == {"U0ADMIN", "8f2c-aad-id"}
