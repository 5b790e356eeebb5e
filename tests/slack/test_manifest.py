"""manifest.yml: valid against Slack's schema, and declaring exactly the commands, events,
scopes and request URLs the code uses."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft7Validator
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse

from bot.cards import simple
from bot.domain import ChannelRef
from handlers.slack.app import SCOPES
from handlers.slack.listeners.commands import COMMANDS
from handlers.slack.listeners.events import EVENTS
from tests.slack.conftest import SlackStack
from tests.support.slack import TEAM

ROOT = Path(__file__).resolve().parents[2]
MANIFEST = ROOT / "manifest.yml"
#: Slack's published schema, kept in the repository (tests/schemas/README.md: source, licence).
SCHEMA = ROOT / "tests" / "schemas" / "slack-app-manifest.schema.json"


def manifest() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(MANIFEST.read_text("utf-8"))
    return loaded


def declared_commands() -> set[str]:
    return {c["command"] for c in manifest()["features"]["slash_commands"]}


def declared_events() -> set[str]:
    return set(manifest()["settings"]["event_subscriptions"]["bot_events"])


def declared_scopes() -> set[str]:
    return set(manifest()["oauth_config"]["scopes"]["bot"])


def test_the_manifest_is_valid_against_slacks_schema() -> None:
    validator = Draft7Validator(json.loads(SCHEMA.read_text("utf-8")))
    errors = [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
        for e in validator.iter_errors(manifest())
    ]
    assert errors == []


def test_every_request_url_ends_in_slack_events() -> None:
    m = manifest()
    urls = [c["url"] for c in m["features"]["slash_commands"]]
    urls += [m["settings"]["event_subscriptions"]["request_url"]]
    urls += [m["settings"]["interactivity"]["request_url"]]
    assert urls and all(u.startswith("https://") and u.endswith("/slack/events") for u in urls)
    assert m["settings"]["interactivity"]["is_enabled"] is True
    assert all(u.endswith("/slack/oauth_redirect") for u in m["oauth_config"]["redirect_urls"])
    assert m["features"]["app_home"]["home_tab_enabled"] is True


def _probes() -> dict[str, dict[str, Any]]:
    """One request per declared command, event, and a click."""
    probes: dict[str, dict[str, Any]] = {
        name: {"command": name, "team_id": TEAM, "user_id": "U1", "channel_id": "C1", "text": ""}
        for name in declared_commands()
    }
    for event in declared_events():
        probes[event] = {
            "type": "event_callback",
            "team_id": TEAM,
            "event_id": f"Ev-{event}",
            "event": {"type": event, "user": "U1", "tab": "home"},
        }
    probes["block_actions"] = {
        "type": "block_actions",
        "team": {"id": TEAM},
        "user": {"id": "U1"},
        "actions": [{"action_id": "vote:q_trust:0", "value": "1:trust:3"}],
    }
    return probes


async def test_declared_commands_and_events_match_the_listeners_exactly(stack: SlackStack) -> None:
    assert declared_commands() == {f"/{c}" for c in COMMANDS}
    assert declared_events() == set(EVENTS)
    probes = {
        name: AsyncBoltRequest(body=body, mode="socket_mode") for name, body in _probes().items()
    }
    # Bolt has no public listing of listeners; its list is read here to check both directions.
    listeners = stack.adapter.bolt._async_listeners
    unmatched_probes = []
    for name, request in probes.items():
        if not [
            x
            for x in listeners
            if await x.async_matches(req=request, resp=BoltResponse(status=200))
        ]:
            unmatched_probes.append(name)
    undeclared = []
    for listener in listeners:
        if not [
            n
            for n, r in probes.items()
            if await listener.async_matches(req=r, resp=BoltResponse(status=200))
        ]:
            undeclared.append(listener.ack_function.__name__)
    assert unmatched_probes == [], "declared in manifest.yml but no listener"
    assert undeclared == [], "a listener for something manifest.yml does not declare"


async def test_the_manifest_scopes_are_exactly_the_scopes_the_bot_uses(stack: SlackStack) -> None:
    """Granted only the manifest's scopes, a week touching every Web API path succeeds, and
    every declared scope was needed by some call."""
    assert declared_scopes() == set(SCOPES)
    fake, ws = stack.fake, stack.workspace
    fake.workspace(TEAM).scopes = declared_scopes()
    boss = ws.person("UBOSS")
    admin = ws.person("UADMIN", admin=True)
    fake.channel(TEAM, "C2", name="launch", members=["UBOSS", "UADMIN"], bot_is_member=False)
    fake.channel(TEAM, "G1", name="secret-launch", private=True, members=["UBOSS"])
    await boss.types("/pulse setup", channel_id="G1")
    await boss.types("/pulse setup", channel_id="C2")
    opened = await admin.types("/pulse now", channel_id="C2")  # users.info: is an admin
    assert "Pulse #1 is open" in opened.text
    assert fake.channel_messages("C2"), "posted in a public channel BridgePulse is not in"
    await boss.types("/pulse digest now")
    await boss.types("/pulse export", channel_id="C2")
    await boss.opens_home()
    fake.usergroup(TEAM, "S1", handle="it-team", users=["UADMIN"])
    mapped = await admin.types("/pulse map @it-team it", channel_id="C2")  # usergroups.*
    assert "Mapped *@it-team* to *IT*" in mapped.text
    # Recovery after a crash reads the bot's own recent posts back (tests/faults).
    messenger = stack.adapter.messenger
    for channel in ("G1", ws.channel_id):
        to = ChannelRef("slack", TEAM, channel)
        ts = await messenger.post_marked(to=to, card=simple("probe"), marker=f"poll:{channel}")
        assert await messenger.find_marked(to=to, marker=f"poll:{channel}") == ts
    await stack.settle()
    assert [c for c in fake.calls if c.error == "missing_scope"] == []
    used = {"commands"} | {scope for call in fake.calls for scope in call.scopes}
    assert used == declared_scopes()
