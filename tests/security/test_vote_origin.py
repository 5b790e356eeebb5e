"""Who may vote, in Slack (docs/design.md "Privacy → Who may vote"), black-box over signed HTTP to
the real server: a click counts only from the poll's own channel or from the reminder the bot
sent that person, only in the poll's workspace and platform, and an older click replayed
later never undoes a newer answer."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp.test_utils import TestServer

from bot.channels.steps import StepRunner
from bot.domain import ChannelRef
from demo import slack_client, teams_client
from demo.slack_api import FakeSlack, Message
from handlers.slack.app import SLACK
from server.app import build_application
from storage.repository import SqlRepository
from tests.slack import conftest as slack_fixtures
from tests.slack.conftest import SlackStack, slack_settings
from tests.support.clock import FakeClock
from tests.support.db import migrated_engine
from tests.support.slack import (
    ANSWER_WITHIN,
    TEAM,
    Answer,
    SlackPerson,
    SlackWorkspace,
    signed_headers,
)

fake_slack, stack = slack_fixtures.fake_slack, slack_fixtures.stack
ANOTHER_CHANNEL = "This button belongs to a pulse in another channel; answer it there."
ANOTHER_WORKSPACE = "This button belongs to a pulse in another workspace"


async def open_poll(stack: SlackStack, *people: str) -> tuple[Message, dict[str, SlackPerson]]:
    """A pulse open in the workspace's channel, with `people` on the IT side."""
    ws = stack.workspace
    boss = ws.person("UBOSS")
    # Friday: no scheduled opening falls in the days these tests move the clock through
    assert "Weekly pulse is on" in (await boss.types("/pulse setup fri 09:00 UTC 3")).text
    joined = {user: ws.person(user) for user in people}
    for person in joined.values():
        assert "IT" in (await person.types("/pulse join it")).text
    assert "is open until" in (await boss.types("/pulse now")).text
    return ws.poll_message(), joined


async def stored(stack: SlackStack) -> dict[str, dict[str, str]]:
    """Every stored answer of the workspace's open poll, by respondent hash."""
    repo: SqlRepository = stack.application.repo
    ws = stack.workspace
    channel = await repo.find_channel(ref=ChannelRef("slack", ws.team_id, ws.channel_id))
    assert channel is not None
    poll = await repo.open_poll(channel_id=channel.id)
    assert poll is not None
    found: dict[str, dict[str, str]] = {}
    for answer in await repo.answers(poll_id=poll.id):
        found.setdefault(answer.respondent, {})[answer.question_id] = answer.value
    return found


def click_body(
    ws: SlackWorkspace,
    user_id: str,
    message: Message,
    question: str,
    choice: str,
    *,
    channel_id: str | None = None,
    action_ts: str | None = None,
) -> tuple[bytes, str]:
    """A signed-to-be `block_actions` body for a click on `message` made in `channel_id` (the
    workspace's channel unless given), and its response_url."""
    action = slack_client.choose(message.blocks, f"q_{question}", choice)
    assert action is not None
    response_url = ws.fake.new_response_url()
    payload = slack_client.block_actions(
        ws.where(channel_id),
        user_id=user_id,
        action=action,
        response_url=response_url,
        message={"ts": message.ts, "text": message.text, "blocks": message.blocks},
    )
    if action_ts is not None:
        payload["actions"][0]["action_ts"] = action_ts
    return slack_client.interaction_body(payload), response_url


async def send(
    ws: SlackWorkspace, body: bytes, response_url: str, headers: dict[str, str] | None = None
) -> Answer:
    """POST the body (signed now, or with the given signature headers) and return the newest
    answer posted to its response_url after it."""
    key = response_url.rsplit("/", 1)[1]
    before = len(ws.fake.responses.get(key) or [])
    result = await ws.send(body, headers=headers)
    assert (result.status, result.text) == (200, "")
    async with asyncio.timeout(ANSWER_WITHIN):
        answers = await ws.fake.wait_for(
            lambda: (ws.fake.responses.get(key) or [])[before:] or None
        )
    return Answer(answers[-1])


async def test_a_poll_shared_into_another_channel_takes_no_votes_there(
    stack: SlackStack,
) -> None:
    poll, people = await open_poll(stack, "UANN")
    ws = stack.workspace
    ws.fake.channel(ws.team_id, "C-SHARED", name="random", members=["UANN"])
    body, url = click_body(ws, "UANN", poll, "trust", "4", channel_id="C-SHARED")
    refused = await send(ws, body, url)
    assert ANOTHER_CHANNEL in refused.text
    assert "Got it" not in refused.text and "Which team" not in refused.text
    assert await stored(stack) == {}
    # the same person, the same button, in the poll's own channel: counted
    assert "Got it" in (await people["UANN"].clicks(poll, "trust", 4)).text
    assert [a for a in (await stored(stack)).values()] == [{"trust": "4"}]


async def test_a_click_from_another_workspace_is_refused_and_not_kept_waiting(
    stack: SlackStack,
) -> None:
    poll, _ = await open_poll(stack, "UANN")
    ws = stack.workspace
    # Another workspace with the same app; its signed payload names the first one's poll.
    other = SlackWorkspace(ws.http, ws.server_url, ws.fake, team_id="T2", channel_id="C2")
    other.person("UEVE")
    body, url = click_body(other, "UEVE", poll, "trust", "1")
    refused = await send(other, body, url)
    assert ANOTHER_WORKSPACE in refused.text
    # refused outright: nothing stored, no "your answer is saved; which team are you in?"
    assert "Which team" not in refused.text and "saved" not in refused.text
    assert await stored(stack) == {}
    # and the person of the other workspace picking a side later revives nothing
    await other.people["UEVE"].types("/pulse join marketing")
    assert await stored(stack) == {}


async def test_a_teams_activity_naming_a_slack_poll_is_refused(stack: SlackStack) -> None:
    poll, _ = await open_poll(stack, "UANN")
    value = slack_client.choose(poll.blocks, "q_trust", "5")
    assert value is not None
    sender = teams_client.Account("29:mallory", "Mallory", "aad-mallory")
    activity = teams_client.activity(
        service_url="http://127.0.0.1:9/",  # never reached: the reply is the invoke's answer
        sender=sender.json(),
        # even a tenant id spelled like the Slack workspace's: another platform is elsewhere
        conversation=sender.personal("T1"),
        channel_data={},
        tenant="T1",
    )
    invoke = teams_client.card_invoke(
        activity,
        reply_to="1",
        action=teams_client.execute({"action": "vote", "value": value["value"]}),
    )
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{stack.workspace.server_url}/api/messages", json=invoke) as r:
            status = r.status
            answer: dict[str, Any] = await r.json() if status == 200 else {}
    assert await stored(stack) == {}
    assert status == 200
    assert ANOTHER_WORKSPACE in str(answer.get("value"))


async def test_the_reminder_buttons_count_for_the_person_reminded(
    stack: SlackStack, clock: FakeClock
) -> None:
    await open_poll(stack, "UANN")
    ws, fake, core = stack.workspace, stack.fake, stack.application.core
    cy = ws.person("UCY")  # a channel member without a side yet: not reminded
    clock.advance(days=2, minutes=1)  # a day before the close
    await StepRunner(core.deps, core.polls, core.digests).run_due()
    (reminder,) = fake.direct_messages(ws.team_id, "UANN")
    assert "closes soon" in "\n".join(slack_client.block_texts(reminder.blocks))
    assert fake.direct_messages(ws.team_id, "UCY") == []
    assert "IT" in (await cy.types("/pulse join it")).text

    dm = fake.dm_channel(ws.team_id, "UANN")
    body, url = click_body(ws, "UANN", reminder, "trust", "2", channel_id=dm)
    assert "Got it" in (await send(ws, body, url)).text
    assert [a for a in (await stored(stack)).values()] == [{"trust": "2"}]

    # Someone the bot did not remind, clicking the same buttons in their own direct messages
    # (a forwarded or forged reminder): refused.
    cy_dm = fake.dm_channel(ws.team_id, "UCY")
    body, url = click_body(ws, "UCY", reminder, "trust", "5", channel_id=cy_dm)
    assert ANOTHER_CHANNEL in (await send(ws, body, url)).text
    assert [a for a in (await stored(stack)).values()] == [{"trust": "2"}]


async def test_a_replayed_older_click_does_not_undo_a_newer_answer(stack: SlackStack) -> None:
    poll, _ = await open_poll(stack, "UANN")
    ws = stack.workspace
    older, older_url = click_body(ws, "UANN", poll, "trust", "5", action_ts="1700000000.000100")
    older_headers = signed_headers(older)  # the request as Slack signed it, kept by an attacker
    assert "Got it" in (await send(ws, older, older_url, older_headers)).text
    newer, newer_url = click_body(ws, "UANN", poll, "trust", "1", action_ts="1700000003.250000")
    assert "Changed" in (await send(ws, newer, newer_url)).text

    replayed = await send(ws, older, older_url, older_headers)  # within Slack's 5 minutes
    assert "your later answer stands" in replayed.text
    assert [a for a in (await stored(stack)).values()] == [{"trust": "1"}]


async def test_a_double_click_is_recorded_once(stack: SlackStack) -> None:
    poll, _ = await open_poll(stack, "UANN")
    ws = stack.workspace
    body, url = click_body(ws, "UANN", poll, "trust", "3", action_ts="1700000000.000001")
    headers = signed_headers(body)
    assert "Got it" in (await send(ws, body, url, headers)).text
    assert "already answered" in (await send(ws, body, url, headers)).text
    await stack.settle()
    assert [a for a in (await stored(stack)).values()] == [{"trust": "3"}]
    assert "1 person has answered so far" in "\n".join(slack_client.block_texts(poll.blocks))


async def test_socket_mode_clicks_count_only_in_the_authorised_workspace(
    tmp_path: Path, fake_slack: FakeSlack, clock: FakeClock
) -> None:
    """Through Bolt (Socket Mode) the workspace is the installation Bolt authorised: a click
    from it counts; a payload naming another team is refused and nothing is kept."""
    settings = slack_settings(
        fake_slack, SLACK_SIGNING_SECRET="", SLACK_APP_TOKEN=fake_slack.app_token
    )
    async with migrated_engine("sqlite", tmp_path) as engine:
        application = await build_application(settings, clock=clock, refresh_delay=0, engine=engine)
        server = TestServer(application.web)
        await server.start_server()  # connects the WebSocket
        try:
            async with aiohttp.ClientSession() as http:
                ws = SlackWorkspace(http, str(server.make_url("")).rstrip("/"), fake_slack)
                ann = ws.person("UANN")
                for person, text in ((ann, "/pulse join it"), (ann, "/pulse now")):
                    url = fake_slack.new_response_url()
                    fields = person.command_fields(text, response_url=url)
                    await fake_slack.send_envelope("slash_commands", fields)
                    await ws.answer(url)
                poll = ws.poll_message()
                other = SlackWorkspace(http, ws.server_url, fake_slack, team_id="T2")
                other.person("UEVE")
                for place, user, choice, expected in (
                    (other, "UEVE", "1", ANOTHER_WORKSPACE),
                    (ws, "UANN", "4", "Got it"),
                ):
                    url = fake_slack.new_response_url()
                    action = slack_client.choose(poll.blocks, "q_trust", choice)
                    assert action is not None
                    payload = slack_client.block_actions(
                        place.where(), user_id=user, action=action, response_url=url
                    )
                    await fake_slack.send_envelope("interactive", payload)
                    assert expected in (await place.answer(url)).text
                repo = application.repo
                found = await repo.find_channel(ref=ChannelRef("slack", TEAM, ws.channel_id))
                assert found is not None
                open_now = await repo.open_poll(channel_id=found.id)
                assert open_now is not None
                assert [
                    (a.question_id, a.value) for a in await repo.answers(poll_id=open_now.id)
                ] == [("trust", "4")]
                await application.web[SLACK].drain()
        finally:
            await server.close()
            await application.close()
