"""The `/_sim` page's API: what a person does there reaches BridgePulse as real Slack requests and
Teams activities, what they see is what the fakes recorded, and bad input changes nothing."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import aiohttp
import pytest

from demo import slack_client, teams_client
from demo.world import SLACK_CHANNEL, TEAMS_CHANNEL
from tests.simulator.conftest import Demo

Json = dict[str, Any]


async def call(demo: Demo, name: str, body: object) -> tuple[int, Json]:
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{demo.url}/_sim/api/{name}", json=body) as response:
            return response.status, await response.json()


async def seen_by(demo: Demo, person: str) -> Json:
    status, state = await call(demo, "state", {"person": person})
    assert status == 200
    return state


def slack_poll(state: Json) -> Json:
    polls = [
        m
        for m in state["slack"]["messages"]
        if m["kind"] == "bot" and any(slack_client.is_vote_block(b) for b in m["blocks"])
    ]
    return polls[-1]


def teams_poll(state: Json) -> Json:
    polls = [p for p in state["teams"]["posts"] if teams_client.question_rows(p.get("cards", []))]
    return polls[-1]


def button(message: Json, block_id: str, label: str) -> Json:
    block = slack_client.find_block(message["blocks"], block_id)
    assert block is not None
    found = next(e for e in block["elements"] if e["text"]["text"] == label)
    return {"block_id": block_id, "action_id": found["action_id"]}


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_the_page_loads_offline_and_acts_through_the_real_routes(demo: Demo) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{demo.url}/_sim") as response:
            page = await response.text()
            policy = response.headers["Content-Security-Policy"]
        for name in ("sim.js", "sim.css"):
            async with http.get(f"{demo.url}/_sim/static/{name}") as response:
                assert response.status == 200
    assert "default-src 'self'" in policy and "script-src 'self'" in policy
    assert not re.search(r"(src|href)=\"(https?:)?//", page), "nothing is fetched from the internet"
    assert TEAMS_CHANNEL.name in page

    state = await seen_by(demo, "maya")
    assert len(state["people"]) == 18 and state["week"] == 2 and state["poll_open"]
    poll = slack_poll(state)
    assert "Weekly pulse #2" in slack_client.block_texts(poll["blocks"])[0]

    action = button(poll, "q_trust", "4")
    body = {"person": "maya", "channel": poll["channel"], "ts": poll["id"], **action}
    assert await call(demo, "slack/click", body) == (200, {"ok": True})
    lever = slack_client.find_block(poll["blocks"], "q_lever")
    assert lever is not None
    select = lever["elements"][0]
    option = next(o for o in select["options"] if o["value"].endswith(":customer_data"))
    choose = {"block_id": "q_lever", "action_id": select["action_id"], "value": option["value"]}
    assert (await call(demo, "slack/click", body | choose))[0] == 200
    assert (await call(demo, "slack/command", {"person": "maya", "text": "/alignment"}))[0] == 200

    mine = [m for m in (await seen_by(demo, "maya"))["slack"]["messages"] if m["kind"] != "bot"]
    assert [m["did"] for m in mine] == [
        "clicked “4”",
        "clicked “Customer data access”",
        "/alignment",
    ]
    assert "Got it: *Trust* — 4 · Agree." in mine[0]["blocks"][0]["text"]["text"]
    assert "Got it: *Lever* — Customer data access." in mine[1]["blocks"][0]["text"]["text"]
    score = " ".join(slack_client.block_texts(mine[2]["blocks"]))
    assert re.search(r"Alignment in #campaign-launch: \d+/100", score)
    assert "figures appear when it closes" in score  # pulse #2 is open: no "so far" yet
    others = (await seen_by(demo, "ravi"))["slack"]["messages"]
    assert all(m["kind"] == "bot" for m in others), "ephemeral answers are only for Maya"

    card = teams_poll(state)
    data = teams_client.choose(card["cards"], "q_trust", "5")
    click = {"person": "maya", "message": card["id"], "data": data, "title": "clicked “5”"}
    assert await call(demo, "teams/click", click) == (200, {"ok": True})
    said = {"person": "maya", "text": "alignment", "private": False}
    assert await call(demo, "teams/say", said) == (200, {"ok": True})
    assert await call(demo, "slack/home", {"person": "maya"}) == (200, {"ok": True})
    state = await seen_by(demo, "maya")
    clicked = next(p for p in state["teams"]["posts"] if p["id"] == card["id"])
    assert clicked["toasts"][0]["text"].startswith("Got it: Trust — 5 · Strongly agree.")
    typed = [p for p in state["teams"]["posts"] if p["kind"] == "typed"][-1]
    assert (typed["from"], typed["text"]) == ("Maya Chen", "alignment")
    assert "private chat" in typed["replies"][0]["text"]
    private = " ".join(
        t for m in state["teams"]["chat"] for c in m.get("cards", []) for t in _texts(c)
    )
    assert re.search(r"Alignment in #?Web relaunch: \d+/100", private)
    assert state["slack"]["home"]["blocks"][0]["text"]["text"] == "BridgePulse"

    assert await call(demo, "time/close", {}) == (200, {"ok": True})
    await _idle(demo)
    state = await seen_by(demo, "ravi")
    assert not state["poll_open"]
    charts = [  # Slack draws the summary's chart itself: its blocks reach the page
        b
        for m in state["slack"]["messages"]
        if m["kind"] == "bot"
        for b in m["blocks"]
        if b["type"] == "data_visualization"
    ]
    assert [c["chart"]["type"] for c in charts[-2:]] == ["line", "line"]
    headlines = [slack_client.block_texts(m["blocks"])[:1] for m in state["slack"]["messages"]]
    assert any(re.match(r"Pulse #2 in #campaign-launch", h[0]) for h in headlines if h)


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_a_button_in_an_answer_only_you_see_replaces_that_answer(demo: Demo) -> None:
    forgot = {"person": "maya", "text": "/pulse forget-me"}
    assert (await call(demo, "slack/command", forgot))[0] == 200
    poll = slack_poll(await seen_by(demo, "maya"))
    click = {"person": "maya", "channel": poll["channel"], "ts": poll["id"]}
    assert (await call(demo, "slack/click", click | button(poll, "q_trust", "3")))[0] == 200
    prompt = [m for m in (await seen_by(demo, "maya"))["slack"]["messages"] if m["kind"] != "bot"][
        -1
    ]
    assert "Which team are you in?" in " ".join(slack_client.block_texts(prompt["blocks"]))
    join = button({"blocks": prompt["blocks"]}, "join_side", "Marketing")
    assert await call(demo, "slack/click", {"person": "maya", "reply": prompt["id"], **join}) == (
        200,
        {"ok": True},
    )
    mine = [m for m in (await seen_by(demo, "maya"))["slack"]["messages"] if m["kind"] != "bot"]
    assert mine[-1]["id"] == prompt["id"], "the prompt was replaced, not followed"
    assert "Marketing" in " ".join(slack_client.block_texts(mine[-1]["blocks"]))
    assert "Which team are you in?" not in " ".join(slack_client.block_texts(mine[-1]["blocks"]))


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_bad_input_gets_a_clear_message_and_changes_nothing(demo: Demo) -> None:
    world = demo.world
    before = (len(world.slack.calls), len(world.connector.requests), len(world.typed))
    state = await seen_by(demo, "maya")
    poll, card = slack_poll(state), teams_poll(state)
    where = {"person": "maya", "channel": SLACK_CHANNEL, "ts": poll["id"]}
    refused: list[tuple[str, object, str]] = [
        ("slack/command", ["not", "an", "object"], "send a JSON object"),
        ("slack/command", {"person": "mallory", "text": "/alignment"}, "pick one of"),
        ("slack/command", {"person": "maya", "text": "alignment"}, "start with a slash"),
        ("slack/command", {"person": "maya", "text": "/pulse " + "x" * 600}, "longer than 500"),
        ("slack/click", where | {"ts": "1.0", **button(poll, "q_trust", "4")}, "no such message"),
        (
            "slack/click",
            where | {"block_id": "q_trust", "action_id": "vote:q_x:9"},
            "no such button",
        ),
        ("slack/click", where | {"block_id": "q_lever", "action_id": "x", "value": "1"}, "no such"),
        ("teams/click", {"person": "maya", "message": "nope", "data": {}}, "no such card"),
        (
            "teams/click",
            {
                "person": "maya",
                "message": card["id"],
                "data": {"action": "vote", "value": "1:trust:5"},
            },
            "no such button on that card",
        ),
        ("teams/say", {"person": "maya", "text": "  "}, "text is missing"),
    ]
    for name, body, reason in refused:
        status, answer = await call(demo, name, body)
        assert status == 400 and reason in answer["error"], (name, status, answer)
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{demo.url}/_sim/api/state", data=b"{not json") as response:
            assert response.status == 400
        async with http.get(f"{demo.url}/_sim/files/F0") as response:
            assert response.status == 404
    assert (len(world.slack.calls), len(world.connector.requests), len(world.typed)) == before
    assert await call(demo, "time/close", {}) == (200, {"ok": True})
    status, answer = await call(demo, "time/next", {})
    assert status == 400 and "busy" in answer["error"]
    await _idle(demo)


async def _idle(demo: Demo) -> None:
    if demo.page.moving is not None:
        await asyncio.wait_for(demo.page.moving, 60)


def _texts(card: Json) -> list[str]:
    return [str(e.get("text", "")) for e in card.get("body", []) if e.get("type") == "TextBlock"]
