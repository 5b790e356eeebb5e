"""Hostile and broken input: forged signatures, signed garbage, retries, Slack API failures.

Each case gets a 401 / 4xx or a polite answer, changes nothing, and leaves the bot working.
"""

from __future__ import annotations

import json
import time
from urllib.parse import urlencode

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from bot.core import SORRY
from bot.domain import ChannelRef
from server.app import build_application
from tests.slack.conftest import SlackStack, slack_settings
from tests.support.clock import FakeClock
from tests.support.slack import FORM, SlackWorkspace, signed_headers


async def nothing_happened(stack: SlackStack) -> None:
    """No Slack call, no reply, no channel in the database."""
    await stack.settle()
    assert stack.fake.calls == [] and not stack.fake.responses
    ref = ChannelRef("slack", stack.workspace.team_id, stack.workspace.channel_id)
    assert await stack.application.repo.find_channel(ref=ref) is None


async def still_works(stack: SlackStack) -> None:
    answer = await stack.workspace.person("UCHECK").types("/pulse help")
    assert "BridgePulse commands" in answer.text


# ---- signature: checked before anything ----------------------------------------------------


def _command(stack: SlackStack) -> bytes:
    url = stack.fake.new_response_url()
    return stack.workspace.person("UEVE").command_body("/pulse setup", response_url=url)


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param(lambda body: signed_headers(body, secret="not-the-secret"), id="forged"),
        pytest.param(lambda body: signed_headers(body, at=int(time.time()) - 301), id="stale"),
        pytest.param(lambda body: signed_headers(body, at=int(time.time()) + 301), id="future"),
        pytest.param(lambda body: {}, id="missing"),
        pytest.param(
            lambda body: {**signed_headers(body), "X-Slack-Request-Timestamp": "soon"},
            id="non-numeric timestamp",
        ),
        pytest.param(
            lambda body: {**signed_headers(body), "X-Slack-Signature": "v0=00"}, id="wrong digest"
        ),
        pytest.param(lambda body: signed_headers(body + b"&text=now"), id="tampered"),
    ],
)
async def test_a_bad_signature_is_401_and_changes_nothing(stack: SlackStack, headers) -> None:  # type: ignore[no-untyped-def]
    body = _command(stack)
    result = await stack.workspace.send(body, headers=headers(body))
    assert result.status == 401
    await nothing_happened(stack)
    await still_works(stack)


# ---- signed garbage ------------------------------------------------------------------------

DEEP = "[" * 100_000 + "]" * 100_000


def _payload(obj: object) -> bytes:
    return urlencode({"payload": json.dumps(obj)}).encode()


def _actions(**overrides: object) -> dict[str, object]:
    base: dict[str, object] = {
        "type": "block_actions",
        "team": {"id": "T1"},
        "user": {"id": "UEVE"},
        "response_url": "http://127.0.0.1:9/nowhere",
        "actions": [{"action_id": "vote:q_trust:0", "value": "1:trust:3"}],
    }
    return {**base, **overrides}


GARBAGE = {
    "empty body": (b"", FORM),
    "form that is nothing Slack sends": (b"hello=world", FORM),
    "payload not JSON": (b"payload=%7Bnot+json", FORM),
    "payload a JSON list": (_payload([1, 2, 3]), FORM),
    "payload nested too deep": (urlencode({"payload": DEEP}).encode(), FORM),
    "interaction type we never asked for": (_payload({"type": "view_submission"}), FORM),
    "block_actions with a team list": (_payload(_actions(team=[1])), FORM),
    "block_actions without actions": (_payload(_actions(actions=[])), FORM),
    "block_actions with a numeric action_id": (
        _payload(_actions(actions=[{"action_id": 7, "value": "x"}])),
        FORM,
    ),
    "block_actions with a dict value": (
        _payload(_actions(actions=[{"action_id": "vote", "value": {"a": 1}}])),
        FORM,
    ),
    "JSON body not JSON": (b"{oops", "application/json"),
    "JSON body a list": (b"[1, 2]", "application/json"),
    "JSON envelope of an unknown type": (b'{"type": "mystery"}', "application/json"),
    "event with authorizations as a number": (
        json.dumps(
            {
                "type": "event_callback",
                "team_id": "T1",
                "event_id": "Ev1",
                "authorizations": 5,
                "event": {"type": "app_home_opened", "user": "U1"},
            }
        ).encode(),
        "application/json",
    ),
    "event without an event": (
        b'{"type": "event_callback", "team_id": "T1", "event_id": "Ev1"}',
        "application/json",
    ),
    "not UTF-8": (b"command=%2Fpulse&text=\xff\xfe", FORM),
    "slash command without a response_url": (
        urlencode(
            {"command": "/pulse", "team_id": "T1", "user_id": "U", "channel_id": "C1"}
        ).encode(),
        FORM,
    ),
}


@pytest.mark.parametrize("name", list(GARBAGE))
async def test_signed_garbage_is_a_4xx_and_changes_nothing(stack: SlackStack, name: str) -> None:
    body, content_type = GARBAGE[name]
    result = await stack.workspace.send(body, content_type=content_type)
    assert 400 <= result.status < 500, (result.status, result.text)
    assert "Traceback" not in result.text
    await nothing_happened(stack)
    await still_works(stack)


async def test_an_unknown_command_gets_a_polite_answer(stack: SlackStack) -> None:
    body = stack.workspace.person("UEVE").command_body("/deploy prod", response_url="http://x/")
    result = await stack.workspace.send(body)
    assert result.status == 200
    assert "BridgePulse answers `/alignment` and `/pulse`" in json.loads(result.text)["text"]
    await nothing_happened(stack)


async def test_unknown_action_and_out_of_range_values_are_refused_politely(
    stack: SlackStack,
) -> None:
    ws = stack.workspace
    boss = ws.person("UBOSS")
    await boss.types("/pulse now")
    poll = ws.poll_message()
    before = await stack.application.repo.answers(poll_id=1)
    eve = ws.person("UEVE")
    poll_id = poll.blocks[3]["elements"][0]["value"].split(":")[0]
    for action in (
        {"type": "button", "block_id": "x", "action_id": "launch:x:0", "value": "now"},
        {
            "type": "button",
            "block_id": "q_trust",
            "action_id": "vote:q_trust:9",
            "value": f"{poll_id}:trust:9",
        },
        {
            "type": "button",
            "block_id": "q_trust",
            "action_id": "vote:q_trust:0",
            "value": f"{poll_id}:nosuch:3",
        },
        {
            "type": "button",
            "block_id": "q_trust",
            "action_id": "vote:q_trust:0",
            "value": "999999:trust:3",
        },
        {
            "type": "button",
            "block_id": "q_trust",
            "action_id": "vote:q_trust:0",
            "value": "garbage",
        },
        {
            "type": "static_select",
            "block_id": "q_lever",
            "action_id": "vote:q_lever:select",
            "selected_option": {
                "text": {"type": "plain_text", "text": "x"},
                "value": f"{poll_id}:lever:moon",
            },
        },
        {
            "type": "button",
            "block_id": "join_side",
            "action_id": "join:join_side:0",
            "value": "finance",
        },
    ):
        answer = await eve.acts(action, message=poll)
        assert "out of date or not one of mine; nothing was recorded" in answer.text
    assert await stack.application.repo.answers(poll_id=1) == before == []


async def test_a_megabyte_of_text_gets_a_polite_answer(stack: SlackStack) -> None:
    answer = await stack.workspace.person("UEVE").types("/pulse " + "x" * 1_000_000)
    assert "too long" in answer.text
    huge = await stack.workspace.send(b"command=%2Fpulse&text=" + b"x" * 2_000_000)
    assert huge.status == 413
    await still_works(stack)


async def test_the_word_payload_in_a_command_is_just_text(stack: SlackStack) -> None:
    # Plain Bolt reads any form body containing "payload" as an interaction and drops it.
    answer = await stack.workspace.person("UEVE").types("/pulse join payload")
    assert "Say which side you are on" in answer.text and "payload" in answer.text


async def test_events_we_do_not_handle_and_url_verification(stack: SlackStack) -> None:
    event = {
        "type": "event_callback",
        "team_id": "T1",
        "event_id": "Ev0001",
        "event": {"type": "message", "user": "U1", "text": "hi"},
    }
    result = await stack.workspace.send(json.dumps(event).encode(), content_type="application/json")
    assert result.status == 200
    challenge = {"type": "url_verification", "challenge": "c-123", "token": "t"}
    result = await stack.workspace.send(
        json.dumps(challenge).encode(), content_type="application/json"
    )
    assert result.status == 200 and "c-123" in result.text


# ---- retries: Slack's redeliveries, double clicks --------------------------------------------


async def test_an_event_redelivered_to_another_replica_has_no_second_effect(
    stack: SlackStack, clock: FakeClock
) -> None:
    ws, fake = stack.workspace, stack.fake
    alice = ws.person("UALICE")
    await alice.opens_home(event_id="Ev42")
    assert len(fake.calls_to("views.publish")) == 1

    retry = alice.home_event(event_id="Ev42")
    headers = {
        **signed_headers(retry),
        "X-Slack-Retry-Num": "1",
        "X-Slack-Retry-Reason": "http_timeout",
    }
    first = await ws.send(retry, content_type="application/json", headers=headers)
    assert first.status == 200

    # A second replica on the same database gets the next redelivery.
    replica = await build_application(
        slack_settings(fake), clock=clock, refresh_delay=0.0, engine=stack.application.repo.engine
    )
    server = TestServer(replica.web)
    await server.start_server()
    try:
        async with aiohttp.ClientSession() as http:
            other = SlackWorkspace(http, str(server.make_url("")).rstrip("/"), fake)
            headers = {**signed_headers(retry), "X-Slack-Retry-Num": "2"}
            again = await other.send(retry, content_type="application/json", headers=headers)
            assert again.status == 200
    finally:
        await server.close()
        await replica.core.polls.drain()
        await replica.on_close[0]()
    await stack.settle()
    assert len(fake.calls_to("views.publish")) == 1
    await alice.opens_home()  # a new event is handled again
    assert len(fake.calls_to("views.publish")) == 2


async def test_a_double_click_records_one_answer(stack: SlackStack) -> None:
    ws = stack.workspace
    await ws.person("UBOSS").types("/pulse now")
    alice = ws.person("UALICE")
    await alice.types("/pulse join it")
    poll = ws.poll_message()
    first = await alice.clicks(poll, "trust", 4)
    second = await alice.clicks(poll, "trust", 4)
    assert "Got it" in first.text and "already answered" in second.text
    assert len(await stack.application.repo.answers(poll_id=1)) == 1


# ---- the Slack Web API failing ---------------------------------------------------------------


@pytest.mark.parametrize("kind", ["ratelimited", "server_error", "disconnect"])
async def test_a_failed_web_api_call_is_retried(stack: SlackStack, kind: str) -> None:
    fake = stack.fake
    fake.fail_next(kind, method="chat.postMessage")  # type: ignore[arg-type]
    opened = await stack.workspace.person("UBOSS").types("/pulse now")
    assert "Pulse #1 is open" in opened.text
    posts = fake.calls_to("chat.postMessage")
    assert [c.error for c in posts] == [kind, None]
    assert len(stack.workspace.messages()) == 1


async def test_slack_down_gets_an_apology_and_the_next_try_completes(stack: SlackStack) -> None:
    fake, ws = stack.fake, stack.workspace
    boss = ws.person("UBOSS")
    fake.fail_next("server_error", count=2, method="chat.postMessage")
    failed = await boss.types("/pulse now")
    assert SORRY in failed.text
    assert ws.messages() == []
    retried = await boss.types("/pulse now")
    assert "Pulse #1 is already open" in retried.text
    assert len(ws.messages()) == 1 and ws.poll_message()
    await still_works(stack)


async def test_rate_limits_per_channel_are_waited_out(stack: SlackStack, clock: FakeClock) -> None:
    fake, ws = stack.fake, stack.workspace
    fake.rate_limits.per_channel_interval = 1.0
    boss = ws.person("UBOSS")
    await boss.types("/pulse now")
    clock.advance(hours=1)
    await boss.types("/pulse close")  # the summary follows the poll's post within a second
    await stack.settle()
    posts = fake.calls_to("chat.postMessage")
    assert [c.status for c in posts].count(429) >= 1
    assert len(ws.messages()) == 2
