"""Who may vote, in Teams (docs/design.md "Privacy → Who may vote"), through the real Bot Framework
adapter over HTTP: card clicks count only from the poll's channel or the reminder the bot
sent that person, and the later click by the activity's timestamp wins."""

from __future__ import annotations

from typing import Any

from bot.channels.steps import StepRunner
from bot.domain import ChannelRef
from demo import teams_client
from demo.teams_connector import Message
from tests.support.clock import FakeClock
from tests.support.teams import TENANT, Channel, Person, Posted, Teams, button_data
from tests.teams import conftest as teams_fixtures

teams, connector, card_checker = (
    teams_fixtures.teams,
    teams_fixtures.connector,
    teams_fixtures.card_checker,
)
ANOTHER_CHANNEL = "This button belongs to a pulse in another channel; answer it there."


async def open_poll(teams: Teams, *names: str) -> tuple[Channel, Message, list[Person]]:
    """A pulse open in a channel, with `names` on the IT side."""
    campaigns = teams.team("Launch").channel("campaigns")
    boss = teams.person("boss")
    people = [teams.person(n) for n in names]
    campaigns.add(boss, *people)
    assert (await campaigns.install(by=boss)).status == 200
    # Friday: no scheduled opening falls in the days these tests move the clock through
    await boss.says("pulse setup fri 09:00 UTC 3", in_=campaigns)
    for person in people:
        assert (await person.says("pulse join it", in_=campaigns)).status == 200
    await boss.says("pulse now", in_=campaigns)
    return campaigns, campaigns.poll(), people


async def stored(teams: Teams, channel: Channel) -> list[dict[str, str]]:
    """The stored answers of the channel's open poll, one dict per respondent."""
    repo = teams.application.repo
    found = await repo.find_channel(ref=ChannelRef("teams", TENANT, channel.id))
    assert found is not None
    poll = await repo.open_poll(channel_id=found.id)
    assert poll is not None
    mine: dict[str, dict[str, str]] = {}
    for answer in await repo.answers(poll_id=poll.id):
        mine.setdefault(answer.respondent, {})[answer.question_id] = answer.value
    return list(mine.values())


async def click_at(
    teams: Teams,
    person: Person,
    card: Message,
    question: str,
    title: str,
    *,
    timestamp: str,
    conversation_id: str | None = None,
    submit: bool = False,
) -> Posted:
    """A click on the card with the activity timestamp Teams gave it, made in the card's own
    conversation unless `conversation_id` names another."""
    data = button_data(card, question, title)
    conversation, channel_data = teams_client.card_conversation(
        conversation_id or card.conversation_id, card.id, TENANT
    )
    activity: dict[str, Any] = teams.base(person, conversation, channel_data)
    activity["timestamp"] = timestamp
    if submit:
        sent = teams_client.card_submit(activity, reply_to=card.id, data=data)
    else:
        sent = teams_client.card_invoke(
            activity, reply_to=card.id, action=teams_client.execute(data)
        )
    return await teams.post(sent)


async def test_a_replayed_older_click_does_not_undo_a_newer_answer(teams: Teams) -> None:
    campaigns, poll, (ann,) = await open_poll(teams, "ann")
    newer = await click_at(teams, ann, poll, "trust", "4", timestamp="2026-11-23T08:05:00.500Z")
    assert "Got it" in newer.toast
    older = await click_at(teams, ann, poll, "trust", "2", timestamp="2026-11-23T08:04:59.000Z")
    assert "your later answer stands" in older.toast
    assert await stored(teams, campaigns) == [{"trust": "4"}]
    # the same from a client that sends Action.Submit: the older message changes nothing
    await click_at(
        teams, ann, poll, "trust", "1", timestamp="2026-11-23T08:05:00.100Z", submit=True
    )
    await teams.settle()
    assert await stored(teams, campaigns) == [{"trust": "4"}]


async def test_a_card_clicked_in_another_channel_takes_no_vote(teams: Teams) -> None:
    campaigns, poll, (ann,) = await open_poll(teams, "ann")
    elsewhere = teams.team("Launch").channel("random")
    refused = await click_at(
        teams,
        ann,
        poll,
        "trust",
        "4",
        timestamp=teams_client.TIMESTAMP,
        conversation_id=elsewhere.id,
    )
    assert ANOTHER_CHANNEL in refused.toast
    assert await stored(teams, campaigns) == []


async def test_the_reminder_buttons_count_for_the_person_reminded(
    teams: Teams, clock: FakeClock
) -> None:
    campaigns, _, (ann,) = await open_poll(teams, "ann")
    core = teams.application.core
    clock.advance(days=2, minutes=1)  # a day before the close
    await StepRunner(core.deps, core.polls, core.digests).run_due()
    reminder = ann.last_private()
    assert "closes soon" in reminder.text
    answered = await ann.clicks(reminder, "trust", "5")
    assert "Got it" in answered.toast
    assert await stored(teams, campaigns) == [{"trust": "5"}]
