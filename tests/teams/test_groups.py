"""On Teams a BRIDGEPULSE_ADMINS person maps the members of the team a command is typed in."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from demo.teams_connector import FakeTeamsConnector
from tests.support.adaptive_cards import CardChecker
from tests.support.clock import FakeClock
from tests.support.db import migrated_engine
from tests.support.teams import Teams, teams_settings


@pytest.fixture
async def teams(
    backend: str,
    tmp_path: Path,
    clock: FakeClock,
    connector: tuple[FakeTeamsConnector, str],
    card_checker: CardChecker,
) -> AsyncIterator[Teams]:
    """The server with `boss` (by their AAD object id) in BRIDGEPULSE_ADMINS."""
    settings = teams_settings(admins="aad-boss")
    async with migrated_engine(backend, tmp_path) as engine:
        async with Teams.start(engine, connector, clock=clock, settings=settings) as running:
            yield running
    card_checker.assert_valid(connector[0].cards())


async def test_the_members_of_this_team_count_for_the_mapped_side(teams: Teams) -> None:
    campaigns = teams.team("Launch").channel("campaigns")
    boss, chosen, newcomer = teams.person("boss"), teams.person("chosen"), teams.person("new")
    campaigns.add(boss, chosen, newcomer)
    await campaigns.install(by=boss)
    await boss.says("pulse setup", in_=campaigns)
    await chosen.says("pulse join marketing", in_=campaigns)

    await boss.says("pulse map our office it", in_=campaigns)
    assert "I couldn't find the group “our office”" in boss.last_private().text
    assert "Name this team, typed in one of the team's channels" in boss.last_private().text
    await boss.says("pulse map this team it", in_=campaigns)
    mapped = boss.last_private().text
    assert "Mapped **the members of campaigns** to **IT**: 2 members without a side" in mapped
    assert "1 member had a side already and keeps it" in mapped

    late = teams.person("late")
    campaigns.add(late)  # joined the team after the mapping
    await boss.says("pulse now", in_=campaigns)
    poll = campaigns.poll()
    for person in (newcomer, late):
        assert "Got it" in (await person.clicks(poll, "trust", "4")).toast
    await boss.says("pulse status", in_=campaigns)
    assert "marketing 0 · IT 2 · other 0" in boss.last_private().text

    await boss.says("pulse groups", in_=campaigns)
    assert "the members of campaigns" in boss.last_private().text
    await boss.says("pulse unmap this team", in_=campaigns)
    assert "Unmapped the members of campaigns" in boss.last_private().text


async def test_a_channel_founder_outside_bridgepulse_admins_cannot_map(teams: Teams) -> None:
    launch = teams.team("Side project").channel("launch")
    founder, colleague = teams.person("founder"), teams.person("colleague")
    launch.add(founder, colleague)
    await launch.install(by=founder)
    await founder.says("pulse setup", in_=launch)  # the channel is theirs to run
    await founder.says("pulse map this team it", in_=launch)
    refused = founder.last_private().text
    assert "pulse map changes sides for the whole workspace" in refused
    assert "only someone named in BridgePulse's BRIDGEPULSE_ADMINS setting" in refused
    assert "nothing changed" in refused
    await founder.says("pulse groups", in_=launch)
    assert "No group is mapped" in founder.last_private().text
