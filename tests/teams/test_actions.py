"""Actions in Teams through the real Bot Framework adapter and the fake connector: the summary
card's "We'll try this" / "Not for us" (Action.Execute and Action.Submit), the owner's "Done?"
card in their 1:1 chat, `pulse actions`, a click from another channel refused, a double click
changing nothing. Every card sent is checked with the Adaptive Cards SDK (the fixture)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from bot.channels.steps import StepRunner
from demo import teams_client
from demo.teams_connector import Message
from tests.support.clock import FakeClock
from tests.support.teams import TENANT, Channel, Person, Posted, Teams

#: the first scheduled opening after the clock's start (Mon 23 Nov 08:00) for `fri 09:00`
FRIDAY_9 = datetime(2026, 11, 27, 9, tzinfo=UTC)


async def summary(teams: Teams) -> tuple[Channel, dict[str, Person], Message]:
    """A pulse with a wide trust gap and low trust, closed: its summary card."""
    campaigns = teams.team("Launch").channel("campaigns")
    boss = teams.person("boss")
    campaigns.add(boss)
    await campaigns.install(by=boss)
    await boss.says("pulse setup fri 09:00 UTC 3", in_=campaigns)
    people = {"boss": boss}
    for side, names in (("marketing", ("maya", "mkt1", "mkt2")), ("it", ("omar", "it1", "it2"))):
        for name in names:
            people[name] = teams.person(name)
            campaigns.add(people[name])
            await people[name].says(f"pulse join {side}", in_=campaigns)
    await boss.says("pulse now", in_=campaigns)
    poll = campaigns.poll()
    for name, person in people.items():
        if name != "boss":
            await person.clicks(poll, "trust", "4" if name in ("maya", "mkt1", "mkt2") else "1")
    await boss.says("pulse close", in_=campaigns)
    await teams.settle()
    cards = [m for m in campaigns.posts() if _data(m, "We'll try this") is not None]
    assert cards, "the summary carries no action buttons"
    return campaigns, people, cards[-1]


def _data(card: Message, title: str) -> dict[str, Any] | None:
    return teams_client.button_data(card.cards, "action-", title) or teams_client.button_data(
        card.cards, "done-", title
    )


async def click(person: Person, card: Message, title: str, *, submit: bool = False) -> Posted:
    data = _data(card, title)
    assert data is not None, f"no {title!r} button"
    if not submit:
        return await person.invokes(card, teams_client.execute(data))
    conversation, channel_data = teams_client.card_conversation(
        card.conversation_id, card.id, TENANT
    )
    activity = person.teams.base(person, conversation, channel_data)
    return await person.teams.post(teams_client.card_submit(activity, reply_to=card.id, data=data))


async def listed(people: dict[str, Person], channel: Channel) -> str:
    await people["boss"].says("pulse actions", in_=channel)
    return people["boss"].last_private().text


async def test_we_will_try_this_from_a_card_and_a_double_click(teams: Teams) -> None:
    campaigns, people, card = await summary(teams)
    before = len(campaigns.messages())
    taken = await click(people["maya"], card, "We'll try this")
    assert taken.status == 200 and taken.toast.startswith("Maya will try this:")
    await teams.settle()
    said = [m.text for m in campaigns.messages()[before:]]
    assert len(said) == 1 and "Maya will try this:" in said[0], said
    again = await click(people["maya"], card, "We'll try this")
    assert "You've already taken this on" in again.toast
    no = await click(people["omar"], card, "Not for us")
    assert "Maya has already taken this on" in no.toast
    await teams.settle()
    assert len(campaigns.messages()) == before + 1
    assert "Maya · taken on" in await listed(people, campaigns)


async def test_not_for_us_as_action_submit_offers_the_next_best_in_the_channel(
    teams: Teams,
) -> None:
    campaigns, people, card = await summary(teams)
    before = len(campaigns.messages())
    await click(people["omar"], card, "Not for us", submit=True)
    await teams.settle()
    (offered,) = campaigns.messages()[before:]
    assert "Not for us: Omar set aside" in offered.text and "another next step" in offered.text
    assert _data(offered, "We'll try this") != _data(card, "We'll try this")
    taken = await click(people["maya"], offered, "We'll try this")
    assert taken.toast.startswith("Maya will try this:")
    text = await listed(people, campaigns)
    assert "declined" in text and "Maya · taken on" in text


async def test_a_click_from_another_channel_is_refused(teams: Teams) -> None:
    campaigns, people, card = await summary(teams)
    other = teams.team("Launch").channel("random")
    data = _data(card, "We'll try this")
    assert data is not None
    maya = people["maya"]
    activity = teams.base(maya, other.conversation(teams_client.next_id()), other.channel_data())
    posted = await teams.post(
        teams_client.card_invoke(activity, reply_to=card.id, action=teams_client.execute(data))
    )
    assert "another channel" in posted.toast
    assert "offered, nobody has taken it on yet" in await listed(people, campaigns)


async def test_the_owner_answers_done_in_their_chat_once_asked(
    teams: Teams, clock: FakeClock
) -> None:
    campaigns, people, card = await summary(teams)
    await click(people["maya"], card, "We'll try this")
    clock.set(FRIDAY_9)
    core = teams.application.core
    await StepRunner(core.deps, core.polls, core.digests).run_due()
    await StepRunner(core.deps, core.polls, core.digests).run_due()  # a restart: asked once
    asks = [m for m in people["maya"].private_chat() if "Done?" in m.text]
    assert len(asks) == 1
    (ask,) = asks
    assert "Only the person" in (await click(people["omar"], ask, "Yes")).toast
    answered = await click(people["maya"], ask, "Not yet")
    assert "Noted: not yet" in answered.toast
    assert "Maya · not yet" in await listed(people, campaigns)
