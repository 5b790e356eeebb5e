"""The digest's heatmap in Teams: inline in the card, within the activity size limit, a valid
Adaptive Card, over `pulse digest now` and the real scheduled step."""

from __future__ import annotations

import json

from bot.channels.steps import StepRunner
from bot.digest.heatmap_chart import render
from bot.digest.views import digest_card, fitted, picture_budget
from demo.teams_connector import Message
from handlers.teams.render import adaptive_card, attachment
from tests.insight.test_digest_heatmap import crowded
from tests.support.adaptive_cards import CardChecker
from tests.support.clock import FakeClock
from tests.support.teams import Person, Teams

#: Teams refuses a bot's activity over about 28 KB
ACTIVITY_BYTES = 28_000


async def three_pulses(teams: Teams, clock: FakeClock, *, steps: bool = False) -> Person:
    campaigns = teams.team("Launch").channel("campaigns")
    boss = teams.person("boss")
    marketing = [teams.person(f"marketing{i}") for i in range(3)]
    it = [teams.person(f"it{i}") for i in range(3)]
    campaigns.add(boss, *marketing, *it)
    await campaigns.install(by=boss)
    await boss.says("pulse setup", in_=campaigns)
    for person in marketing:
        await person.says("pulse join marketing", in_=campaigns)
    for person in it:
        await person.says("pulse join it", in_=campaigns)
    await boss.says("pulse digest on", in_=campaigns)
    core = teams.application.core
    for _ in range(3):
        await boss.says("pulse now", in_=campaigns)
        poll = campaigns.poll()
        for person in marketing + it:
            await person.clicks(poll, "trust", "5" if person in marketing else "4")
            await person.clicks(poll, "priority", "4")
        clock.advance(days=3)
        await boss.says("pulse close", in_=campaigns)
        if steps:
            await StepRunner(core.deps, core.polls, core.digests).run_due()
        clock.advance(days=4)
    return boss


def the_digest(boss: Person) -> Message:
    digests = [m for m in boss.private_chat() if "Your BridgePulse digest" in m.text]
    assert digests
    return digests[-1]


def assert_heatmap_inline(message: Message) -> None:
    """One channel's digest: the picture inline (Teams bots cannot attach files), in budget."""
    (card,) = message.cards
    images = [e for e in card["body"] if e["type"] == "Image"]
    assert [i["url"][:22] for i in images] == ["data:image/png;base64,"]
    assert images[0]["altText"].startswith("Heatmap of 1 channel by figure")
    assert len(json.dumps(message.activity).encode()) <= ACTIVITY_BYTES


async def test_digest_now_in_teams_carries_the_heatmap_inline(
    teams: Teams, clock: FakeClock, card_checker: CardChecker
) -> None:
    boss = await three_pulses(teams, clock)
    await boss.says_privately("pulse digest now")
    message = the_digest(boss)
    assert_heatmap_inline(message)
    assert "**campaigns** · pulse #3: **" in message.text  # no Slack "#" before the name
    assert "a gap of 1.0+ for 3 pulses, ⚑ escalated: trust · trust IT 4.0 (−1.0) ⚑" in message.text
    assert "priority both 4.0" in message.text
    card_checker.assert_valid(message.cards)


async def test_the_weekly_digest_step_in_teams_carries_the_heatmap(
    teams: Teams, clock: FakeClock, card_checker: CardChecker
) -> None:
    boss = await three_pulses(teams, clock, steps=True)
    message = the_digest(boss)
    assert_heatmap_inline(message)
    assert "pulse #3: **" in message.text
    card_checker.assert_valid(message.cards)


def test_a_forty_channel_digest_fits_one_teams_activity(card_checker: CardChecker) -> None:
    grid = fitted(crowded(60))
    picture = render(grid, picture_budget(digest_card(grid)))
    assert picture is not None and picture.rows >= 12, picture.rows  # ~14 in this worst case
    card = digest_card(grid, picture=picture)
    payload = attachment(card)
    size = len(json.dumps(payload).encode())
    assert size <= ACTIVITY_BYTES - 1_000, size  # room for the activity's own fields
    body = payload["content"]["body"]
    assert any(e["type"] == "Image" and e["url"].startswith("data:") for e in body)
    # Rows so long that 40 would not fit beside a picture: fewer are listed, the rest named.
    listed = sum("**#marketing-it-programme-" in e.get("text", "") for e in body)
    assert 20 <= listed < 40 and len(grid.rows) == listed and len(grid.more) == 60 - listed
    assert any(f"…and {60 - listed} more, in order: " in e.get("text", "") for e in body)
    card_checker.assert_valid([adaptive_card(card)])
