"""Actions through the real core and repository (SQLite and PostgreSQL): a summary's next step
taken on ("Maya will try this"), declined for the next-best, answered "Done?" by its owner only,
listed by `pulse actions`, reported by the next summary, and a gap wide for 3 pulses escalating."""

from __future__ import annotations

from bot.actions.model import DECLINE, DONE, NOT_YET, TAKE
from bot.cards import Card
from bot.domain import Actor, ClickOrigin, Visibility
from bot.questions import default_question_set
from bot.reply import Reply
from tests.insight.conftest import Team, engineer, marketer, staffed, uniform
from tests.support.chat import PLATFORM, WORKSPACE, poll_actions

QSET = default_question_set()
#: trust far apart (a wide trust gap), levers apart, everything else middling
GAP = uniform(
    {"trust": "5", "priority": "4", "lever": "speed", "rotating": "4"},
    {"trust": "2", "priority": "4", "lever": "privacy", "rotating": "4"},
)


def offered(card: Card) -> tuple[int, str]:
    """The action id a summary's buttons carry, and the next step's text."""
    buttons = dict(poll_actions(card))
    assert set(buttons) >= {TAKE, DECLINE}, card.text()
    assert buttons[TAKE] == buttons[DECLINE]
    step = next(line for line in card.text().splitlines() if line.startswith("**Next step"))
    return int(buttons[TAKE]), step


async def click(
    team: Team,
    user: str,
    action: str,
    action_id: int,
    *,
    name: str = "",
    channel: str | None = None,
    workspace: str = WORKSPACE,
    direct: bool = False,
) -> Reply:
    where = ClickOrigin(PLATFORM, workspace, channel or team.chat.channel.channel_id, direct)
    return await team.chat.core.action(
        actor=Actor(PLATFORM, workspace, user, name),
        action=action,
        value=str(action_id),
        origin=where,
    )


async def listing(team: Team) -> str:
    return (await team.admin.says("/pulse actions")).card.text()


async def test_taking_the_next_step_on_names_the_person_once(team: Team) -> None:
    await staffed(team)
    action_id, step = offered(await team.week(GAP))
    assert "(pulse #1) · offered, nobody has taken it on yet" in await listing(team)
    first = await click(team, marketer(0), TAKE, action_id, name="Maya")
    assert first.visibility is Visibility.CHANNEL
    assert first.card.text().startswith("Maya will try this:")
    again = await click(team, marketer(0), TAKE, action_id, name="Maya")  # a double click
    assert again.visibility is Visibility.EPHEMERAL
    assert "You've already taken this on" in again.card.text()
    other = await click(team, engineer(1), TAKE, action_id, name="Omar")
    assert "Maya has already taken this on" in other.card.text()
    late_no = await click(team, engineer(1), DECLINE, action_id, name="Omar")
    assert "Maya has already taken this on" in late_no.card.text()
    listed = await listing(team)
    assert "(pulse #1) · Maya · taken on" in listed, listed
    assert "its effect shows from the next pulse on" in listed


async def test_declining_offers_the_next_best_and_it_is_not_repeated(team: Team) -> None:
    await staffed(team)
    card = await team.week(GAP)
    action_id, step = offered(card)
    reply = await click(team, engineer(0), DECLINE, action_id, name="Omar")
    assert reply.visibility is Visibility.CHANNEL
    text = reply.card.text()
    assert text.startswith("Not for us: Omar set aside")
    new_id = int(dict(poll_actions(reply.card))[TAKE])
    assert new_id != action_id
    new_step = next(line for line in text.splitlines() if line.startswith("**Next step"))
    assert new_step != step
    twice = await click(team, engineer(0), DECLINE, action_id, name="Omar")  # double click
    assert twice.visibility is Visibility.EPHEMERAL
    assert "was set aside" in twice.card.text() and "Offered in its place" in twice.card.text()
    late_yes = await click(team, marketer(0), TAKE, action_id, name="Maya")
    assert "can't be taken on" in late_yes.card.text()
    taken = await click(team, marketer(0), TAKE, new_id, name="Maya")
    assert taken.card.text().startswith("Maya will try this:")
    listed = await listing(team)
    assert "declined" in listed and "Maya · taken on" in listed
    # the same figures next week: neither the declined step nor its replacement comes back
    later = (await team.week(GAP)).text()
    assert step not in later and new_step not in later


async def test_clicks_count_only_in_the_summarys_channel(team: Team) -> None:
    await staffed(team)
    action_id, _ = offered(await team.week(GAP))
    shared = await click(team, marketer(0), TAKE, action_id, name="Maya", channel="C-OTHER")
    assert "another channel" in shared.card.text()
    assert shared.visibility is Visibility.EPHEMERAL
    foreign = await click(team, marketer(0), DECLINE, action_id, workspace="W-OTHER")
    assert "another workspace" in foreign.card.text()
    in_dm = await click(team, marketer(0), TAKE, action_id, direct=True, channel="D1")
    assert "another channel" in in_dm.card.text()
    forged = await click(team, marketer(0), TAKE, 10**9)
    assert "out of date" in forged.card.text()
    assert "offered, nobody has taken it on yet" in await listing(team)


async def test_done_is_answered_by_the_owner_in_their_messages_only(team: Team) -> None:
    await staffed(team)
    action_id, _ = offered(await team.week(GAP))
    await click(team, marketer(0), TAKE, action_id, name="Maya")
    in_channel = await click(team, marketer(0), DONE, action_id)
    assert "Only the person who took this on" in in_channel.card.text()
    someone_else = await click(team, engineer(0), DONE, action_id, direct=True, channel="D2")
    assert "Only the person who took this on" in someone_else.card.text()
    assert "· taken on" in await listing(team)
    not_yet = await click(team, marketer(0), NOT_YET, action_id, direct=True, channel="D1")
    assert "not yet" in not_yet.card.text()
    assert "Maya · not yet" in await listing(team)
    done = await click(team, marketer(0), DONE, action_id, direct=True, channel="D1")
    again = await click(team, marketer(0), DONE, action_id, direct=True, channel="D1")
    assert "marked done" in done.card.text() and again.card.text() == done.card.text()
    assert "Maya · done" in await listing(team)


async def test_the_next_summary_reports_the_action_against_its_baseline(team: Team) -> None:
    await staffed(team)
    action_id, _ = offered(await team.week(GAP))
    await click(team, marketer(0), TAKE, action_id, name="Maya")
    text = (await team.week(GAP)).text()
    assert "**Actions:**" in text
    line = next(line for line in text.splitlines() if "Maya" in line)
    assert "(pulse #1) · Maya · taken on" in line
    # the last nudge is this action: judged once, on the "Last nudge" line
    assert "see the last nudge's follow-up above" in line
    last = next(line for line in text.splitlines() if line.startswith("Last nudge (pulse #1)"))
    assert "no clear change yet" in last  # the same answers: nothing beyond chance
    # a pulse later the last nudge is another one: the action's own line judges it
    text = (await team.week(GAP)).text()
    line = next(line for line in text.splitlines() if "Maya" in line)
    assert "(pulse #1) · Maya · taken on — no clear change yet" in line, line


async def test_a_gap_wide_for_three_pulses_escalates(team: Team) -> None:
    """The third wide pulse in a row offers a stronger step, with its own buttons."""
    await staffed(team)
    cards = [await team.week(GAP) for _ in range(3)]
    assert all("Stronger next step" not in c.text() for c in cards[:2])
    assert "**Stronger next step — imperative" in cards[2].text(), cards[2].text()
    assert set(dict(poll_actions(cards[2]))) >= {TAKE, DECLINE}


def test_pulse_actions_is_a_command_in_help_and_in_the_teams_command_list() -> None:
    from bot.commands.help import help_card
    from bot.commands.parsing import Simple, parse_pulse, parse_text_command
    from handlers.teams.package import manifest

    assert parse_pulse("actions") == Simple("actions")
    assert parse_text_command("pulse actions") == Simple("actions")
    assert "`/pulse actions` — this channel's actions" in help_card().text()
    document = manifest(app_id="6f1c2a7e-2b9d-4c1e-9a53-0d7f4e8b1c22", website="https://x.test")
    pulse = next(
        c for c in document["bots"][0]["commandLists"][0]["commands"] if c["title"] == "pulse"
    )
    assert "actions" in pulse["description"].split(" | ")


async def test_forget_me_takes_the_person_off_the_actions_they_took_on(team: Team) -> None:
    """Taking a step on is not an answer, but it is a trace of the person: forget-me removes it
    (the action stays, owned by nobody, and nobody is asked "Done?" for it)."""
    await staffed(team)
    action_id, _ = offered(await team.week(GAP))
    await click(team, marketer(0), TAKE, action_id, name="Maya")
    assert "Maya · taken on" in await listing(team)
    maya = team.people[marketer(0)]
    forgotten = (await maya.says("/pulse forget-me")).card.text()
    assert "Your name is off the 1 next step you took on." in forgotten, forgotten
    listed = await listing(team)
    assert "Maya" not in listed and "taken on" in listed, listed
