"""A week of pulses in a Teams channel, through the real Bot Framework adapter and the fake connector."""

from __future__ import annotations

import json
import re

from bot.domain import ChannelRef
from bot.questions import default_question_set
from bot.score.scoring import compute_result
from tests.support.clock import FakeClock
from tests.support.teams import TENANT, Channel, Person, Teams, button_data


async def setup_channel(teams: Teams) -> tuple[Channel, Person]:
    campaigns = teams.team("Launch").channel("campaigns")
    boss = teams.person("boss")
    campaigns.add(boss)
    assert (await campaigns.install(by=boss)).status == 200
    return campaigns, boss


async def join(teams: Teams, channel: Channel, side: str, count: int) -> list[Person]:
    people = [teams.person(f"{side}{i}") for i in range(count)]
    channel.add(*people)
    for person in people:
        assert (await person.says(f"pulse join {side}", in_=channel)).status == 200
    return people


async def test_a_week_in_a_teams_channel(teams: Teams, clock: FakeClock) -> None:
    campaigns, boss = await setup_channel(teams)
    welcome = campaigns.posts()[0].text
    assert "BridgePulse commands" in welcome and "pulse setup" in welcome

    await boss.says("pulse setup mon 09:00 Europe/Berlin 3", in_=campaigns)
    setup = boss.last_private().text
    assert "private chat" in campaigns.messages()[-1].text
    assert "Weekly pulse is on: every Monday at 09:00 (Europe/Berlin), open 3 days" in setup

    marketing = await join(teams, campaigns, "marketing", 3)
    it = await join(teams, campaigns, "it", 3)
    # `pulse join` is private: the answer goes to the 1:1 chat, the thread gets a note only
    assert "You are on the **Marketing** side" in marketing[0].last_private().text
    assert all("Marketing" not in m.text for m in campaigns.messages() if m.reply_to)

    await boss.says("pulse now", in_=campaigns)
    poll = campaigns.poll()
    sets = [e for c in poll.cards for e in c["body"] if e["type"] == "ActionSet"]
    ids = ["q_trust", "q_priority", "q_lever", "q_imperative_1", "q_mirror"]
    assert [s["id"] for s in sets] == ids
    assert [len(s["actions"]) for s in sets] == [5, 5, 6, 5, 5]

    # marketing thinks IT rates the partnership 3 (IT: 2); IT thinks marketing rates it 2 (4)
    plan = {
        "trust": ("5", "4"),
        "priority": ("4", "2"),
        "imperative_1": ("4", "4"),
        "mirror": ("3", "2"),
    }
    for person in marketing:
        for question, (m_value, _) in plan.items():
            assert "Got it" in (await person.clicks(poll, question, m_value)).toast
        await person.clicks(poll, "lever", "Customer data access")
    for person in it:
        for question, (_, it_value) in plan.items():
            await person.clicks(poll, question, it_value)
        lever = "Privacy & security" if person is it[0] else "Customer data access"
        await person.clicks(poll, "lever", lever)
    changed = await it[0].clicks(poll, "lever", "Customer data access")
    assert "Changed: Lever is now Customer data access." in changed.toast

    await teams.settle()
    assert "6 people have answered so far" in poll.text  # the card was updated in place
    assert "marketing0" not in poll.text.lower()

    repo = teams.application.repo
    open_poll = await repo.open_poll(channel_id=(await _channel_id(teams, campaigns)))
    assert open_poll is not None
    answers = await repo.answers(poll_id=open_poll.id)
    expected = compute_result(answers, question_set=default_question_set(), poll_number=1, k=3)
    assert expected.score is not None

    await boss.says("alignment", in_=campaigns)
    # 3 + 3 answers meet k = 3, but "so far" figures wait for k more per side (differencing guard)
    so_far = boss.last_private().text
    assert "its figures appear when it closes" in so_far and "/100" not in so_far
    assert "private chat" in campaigns.messages()[-1].text

    stale_vote = button_data(poll, "trust", "1")
    clock.advance(days=3)
    await boss.says("pulse close", in_=campaigns)
    await teams.settle()
    summary = campaigns.posts()[-1].text
    assert f"{expected.score}/100" in summary and "marketing 3 · IT 3" in summary
    assert "data:image/png;base64," in json.dumps(campaigns.posts()[-1].activity), "the chart"
    assert "chart not shown" not in summary
    assert "Marketing thinks IT rates this partnership 3.0 — IT's own answer is 2.0" in summary
    assert "IT underestimates marketing by 2.0 points" in summary
    assert "closed" in poll.text
    late = await marketing[0].invokes(
        poll, {"type": "Action.Execute", "verb": "vote", "data": stale_vote}
    )
    assert late.status == 200 and "closed, so that click was not recorded" in late.toast
    await boss.says("alignment", in_=campaigns)
    after = boss.last_private().text
    assert f"{expected.score}/100" in after and "so far" not in after
    assert re.search(r"\d+/100", after)

    await boss.says("pulse export", in_=campaigns)
    export = boss.last_private().text
    assert "Export of campaigns: 1 closed pulse (1 with figures)" in export  # no Slack "#"
    assert "pulse,opened,closed,status,respondents\\_marketing" in export  # CSV as literal text
    assert f",published,3,3,0,{expected.score}," in export


async def _channel_id(teams: Teams, channel: Channel) -> int:
    found = await teams.application.repo.find_channel(ref=ChannelRef("teams", TENANT, channel.id))
    assert found is not None
    return found.id
