"""What the `/_sim` page shows one person: the channels, their direct messages, their App Home and
what BridgePulse answered only to them, as the raw payloads the fakes recorded (the page renders
Block Kit and Adaptive Cards itself)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from demo.personas import Persona
from demo.timeline import Simulation
from demo.transcript import happenings
from demo.world import SLACK_CHANNEL, SLACK_CHANNEL_NAME, SLACK_TEAM, TEAMS_CHANNEL, slack_user_id

Json = dict[str, Any]


@dataclass
class Said:
    """What the person at the page did, and what BridgePulse answered only to them."""

    id: str
    person: str
    platform: str
    #: Slack: "channel" or "dm"; Teams: the message id the click was on.
    where: str
    did: str
    at: datetime
    body: Json | None


#: The page shows this many of the latest happenings.
FEED_LINES = 40


def when(at: datetime) -> str:
    return f"{at:%a %d %b, %H:%M}"


def clock(sim: Simulation) -> Json:
    now = sim.world.clock.now()
    return {
        "now": f"{now:%a %d %b %Y · %H:%M} UTC",
        "week": sim.week,
        "poll_open": sim.poll_open,
        "doing": sim.doing,
        "ready": sim.ready,
        "problem": sim.problem,
    }


def build(sim: Simulation, viewer: Persona, said: list[Said]) -> Json:
    mine = [s for s in said if s.person == viewer.key]
    return {
        "version": sim.journal.version,
        **clock(sim),
        "you": viewer.key,
        "people": [
            {
                "key": p.key,
                "name": p.name,
                "title": p.title,
                "side": p.side.value,
                "manager": p.manager,
            }
            for p in sim.world.people
        ],
        "feed": [
            {
                "at": when(h.at),
                "where": h.where,
                "platform": h.platform,
                "text": h.text,
                "detail": list(h.detail),
            }
            for h in happenings(sim.journal.entries, sim.story)[-FEED_LINES:]
        ],
        "slack": _slack(sim, viewer, mine),
        "teams": _teams(sim, viewer, mine),
    }


# ---- Slack ----------------------------------------------------------------------------------


def _slack(sim: Simulation, viewer: Persona, mine: list[Said]) -> Json:
    world = sim.world
    dm = world.slack.dm_channel(SLACK_TEAM, slack_user_id(viewer))
    view = world.slack.views.get((SLACK_TEAM, slack_user_id(viewer)))
    return {
        "channel": {"id": SLACK_CHANNEL, "name": SLACK_CHANNEL_NAME},
        "messages": _sorted(
            [*_slack_messages(sim, SLACK_CHANNEL), *_ephemerals(sim, mine, "channel")]
        ),
        "dm": _sorted([*_slack_messages(sim, dm), *_ephemerals(sim, mine, "dm")]),
        "home": view,
    }


def _slack_messages(sim: Simulation, channel: str) -> list[Json]:
    found = []
    for message in sim.world.slack.messages.get(channel, []):
        at = sim.journal.stamp(("slack", channel, message.ts))
        found.append(
            {
                "kind": "bot",
                "id": message.ts,
                "channel": channel,
                "at": when(at),
                "order": sim.journal.order(("slack", channel, message.ts)),
                "text": message.text,
                "blocks": message.blocks,
                "files": [_file(sim, f) for f in message.files],
                "edited": message.edits > 0,
            }
        )
    return found


def _file(sim: Simulation, shared: Json) -> Json:
    upload = sim.world.slack.files.get(str(shared.get("id")))
    name = upload.filename if upload else str(shared.get("name", ""))
    return {
        "id": shared.get("id"),
        "name": name,
        "title": shared.get("title") or name,
        "alt": upload.alt_txt if upload else "",
        "url": f"/_sim/files/{shared.get('id')}",
        "image": name.endswith(".png"),
    }


def _ephemerals(sim: Simulation, mine: list[Said], where: str) -> list[Json]:
    return [
        {
            "kind": "ephemeral",
            "id": s.id,
            "at": when(s.at),
            "order": sim.journal.order(("said", s.id)),
            "did": s.did,
            "text": (s.body or {}).get("text", ""),
            "blocks": (s.body or {}).get("blocks") or [],
            "failed": s.body is None,
        }
        for s in mine
        if s.platform == "slack" and s.where == where
    ]


# ---- Teams ----------------------------------------------------------------------------------


def _teams(sim: Simulation, viewer: Persona, mine: list[Said]) -> Json:
    toasts: dict[str, list[Json]] = {}
    for s in mine:
        if s.platform == "teams":
            toasts.setdefault(s.where, []).append(
                {"did": s.did, "at": when(s.at), "text": (s.body or {}).get("toast", "")}
            )
    return {
        "team": TEAMS_CHANNEL.team_name,
        "channel": {"id": TEAMS_CHANNEL.id, "name": TEAMS_CHANNEL.name},
        "posts": _teams_posts(sim, toasts),
        "chat": _teams_chat(sim, viewer, toasts),
    }


def _teams_posts(sim: Simulation, toasts: dict[str, list[Json]]) -> list[Json]:
    """The channel: the bot's posts and what people typed, each with its thread of replies."""
    world = sim.world
    names = {p.key: p.name for p in world.people}
    posts: list[Json] = []
    replies: list[Json] = []
    for message in world.connector.messages.values():
        channel, _, thread = message.conversation_id.partition(";messageid=")
        if channel == TEAMS_CHANNEL.id:
            item = _teams_message(sim, message.id, message.activity, toasts)
            (replies if thread else posts).append({**item, "thread": thread})
    for typed in world.typed:
        channel, _, thread = typed.conversation.partition(";messageid=")
        if channel == TEAMS_CHANNEL.id:
            posts.append(_typed(sim, typed.id, names.get(typed.person, "?"), typed.text, thread))
    for post in posts:
        thread = post.get("thread") or ""
        post["replies"] = _sorted(r for r in replies if thread and r["thread"] == thread)
    return _sorted(posts)


def _teams_chat(sim: Simulation, viewer: Persona, toasts: dict[str, list[Json]]) -> list[Json]:
    """The viewer's 1:1 chat with the bot: what it sent there and what they wrote."""
    world = sim.world
    chats = set(world.teams_private_chat(viewer))
    chat = [
        _teams_message(sim, m.id, m.activity, toasts)
        for m in world.connector.messages.values()
        if m.conversation_id in chats
    ]
    chat += [
        _typed(sim, t.id, viewer.name, t.text, "")
        for t in world.typed
        if t.person == viewer.key and t.conversation in chats
    ]
    return _sorted(chat)


def _teams_message(
    sim: Simulation, ident: str, activity: Json, toasts: dict[str, list[Json]]
) -> Json:
    key = ("teams", ident)
    return {
        "kind": "bot",
        "id": ident,
        "at": when(sim.journal.stamp(key)),
        "order": sim.journal.order(key),
        "from": "BridgePulse",
        "text": activity.get("text") or "",
        "cards": [
            a.get("content") or {}
            for a in activity.get("attachments") or []
            if a.get("contentType") == "application/vnd.microsoft.card.adaptive"
        ],
        "toasts": toasts.get(ident, []),
    }


def _typed(sim: Simulation, ident: str, name: str, text: str, thread: str) -> Json:
    key = ("typed", ident)
    return {
        "kind": "typed",
        "id": ident,
        "at": when(sim.journal.stamp(key)),
        "order": sim.journal.order(key),
        "from": name,
        "text": text,
        "thread": thread,
        "toasts": [],
    }


def _sorted(items: Iterable[Json]) -> list[Json]:
    return sorted(items, key=lambda item: int(item["order"]))
