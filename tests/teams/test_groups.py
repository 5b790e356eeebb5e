"""On Teams an admin maps the members of the team a command is typed in to a side."""

from __future__ import annotations

from tests.support.teams import Teams


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
