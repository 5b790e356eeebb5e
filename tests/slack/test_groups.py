"""Admins map a Slack user group to a side: its members count for that side without a prompt."""

from __future__ import annotations

from tests.slack.conftest import SlackStack
from tests.support.slack import TEAM


async def test_a_mapped_user_group_gives_its_members_a_side(stack: SlackStack) -> None:
    ws, fake = stack.workspace, stack.fake
    boss = ws.person("UBOSS", admin=True)  # mapping is for workspace admins
    chosen, newcomer, outsider = (ws.person(u) for u in ("UCHOSE", "UNEW", "UOUT"))
    fake.usergroup(TEAM, "S1", handle="it-team", users=["UBOSS", "UCHOSE", "UNEW"])
    await boss.types("/pulse setup")
    await chosen.types("/pulse join marketing")

    mapped = (await boss.types("/pulse map @it-team it")).text
    assert "Mapped *@it-team* to *IT*: 2 members without a side now count for IT" in mapped
    assert "1 member had a side already and keeps it" in mapped
    assert "`/pulse groups`" not in mapped and "a side someone chose always wins" in mapped
    assert "Groups mapped to sides" in (await outsider.types("/pulse groups")).text

    fake.usergroup(TEAM, "S1", handle="it-team", users=["UBOSS", "UCHOSE", "UNEW", "ULATE"])
    late = ws.person("ULATE")
    await boss.types("/pulse now")
    answer = await late.clicks(ws.poll_message(), "trust", 4)  # joined the group after mapping
    assert "Got it: *Trust* — 4 · Agree" in answer.text and "Which team" not in answer.text
    answer = await newcomer.clicks(ws.poll_message(), "trust", 2)
    assert "Got it: *Trust* — 2 · Disagree" in answer.text
    assert "Which team are you in?" in (await outsider.clicks(ws.poll_message(), "trust", 3)).text
    status = (await boss.types("/pulse status")).text
    assert "marketing 0 · IT 2 · other 0 · 1 waiting to pick a team" in status

    assert "Unmapped @it-team" in (await boss.types("/pulse unmap it-team")).text
    assert "No group is mapped" in (await boss.types("/pulse groups")).text
    assert "was not mapped" in (await boss.types("/pulse unmap <!subteam^S1|@it-team>")).text


async def test_mapping_is_for_workspace_admins_and_says_what_is_wrong(stack: SlackStack) -> None:
    ws, fake = stack.workspace, stack.fake
    boss, owner = ws.person("UBOSS", admin=True), ws.person("UOWNER")
    fake.user(TEAM, "UOWNER").is_owner = True
    founder = ws.person("UFOUNDER")
    fake.channel(TEAM, "C2", name="side-project", members=["UFOUNDER"])
    await founder.types("/pulse setup", channel_id="C2")  # a fresh channel: theirs to run
    for command in ("/pulse map @it-team it", "/pulse unmap @it-team"):
        refused = (await founder.types(command, channel_id="C2")).text
        assert "changes sides for the whole workspace" in refused, command
        assert "only a workspace admin or owner, or someone named in" in refused
        assert "BRIDGEPULSE_ADMINS" in refused and "nothing changed" in refused
    fake.usergroup(TEAM, "S2", handle="owners", users=["UOWNER"])
    assert "No group is mapped" in (await founder.types("/pulse groups", channel_id="C2")).text
    assert "Mapped *@owners*" in (await owner.types("/pulse map @owners other")).text
    assert "Unmapped @owners" in (await owner.types("/pulse unmap @owners")).text
    assert "Name a group and a side" in (await boss.types("/pulse map @it-team")).text
    unknown = (await boss.types("/pulse map @nobody it")).text
    assert "I couldn't find the group “@nobody”" in unknown and "by its handle" in unknown
    fake.workspace(TEAM).scopes.discard("usergroups:read")  # installed before the scope existed
    fake.usergroup(TEAM, "S1", handle="it-team", users=["UBOSS"])
    missing = (await boss.types("/pulse map @it-team it")).text
    assert "grant `usergroups:read`" in missing and "Sorry" not in missing
    assert "No group is mapped" in (await boss.types("/pulse groups")).text
