"""The `/_sim` page: plain HTML, CSS and JavaScript served by the demo's own aiohttp app, and the
small JSON API behind it. Every action on the page is a real Slack request or Teams activity sent
by a simulated person over HTTP; the page only shows what the fakes recorded."""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from importlib import resources
from typing import Any

from aiohttp import web

from demo import slack_client, snapshot
from demo.personas import Persona, persona
from demo.snapshot import Said
from demo.timeline import Simulation
from demo.world import SLACK_CHANNEL, SLACK_TEAM, World, slack_user_id

log = logging.getLogger(__name__)
Json = dict[str, Any]
PATH = "/_sim"
STATIC = {"sim.css": "text/css", "sim.js": "text/javascript", "index.html": "text/html"}
MAX_TEXT = 500


class BadInput(Exception):
    """A request the page would never send: answered 400 with the reason, nothing changed."""


@dataclass
class PageState:
    first_monday: datetime
    seed: int
    you: str
    simulation: Simulation | None = None
    said: list[Said] = field(default_factory=list)
    moving: asyncio.Task[None] | None = None
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def mount(self, app: web.Application, world: World) -> None:
        self.simulation = Simulation(world, first_monday=self.first_monday, seed=self.seed)
        register(app, self)

    @property
    def sim(self) -> Simulation:
        assert self.simulation is not None
        return self.simulation

    def remember(
        self, person: Persona, platform: str, where: str, did: str, body: Json | None
    ) -> Said:
        self.sim.journal.observe()  # what the bot posted meanwhile comes first
        said = Said(
            f"s{next(self._ids)}",
            person.key,
            platform,
            where,
            did,
            self.sim.world.clock.now(),
            body,
        )
        self.sim.journal.stamp(("said", said.id))
        self.said.append(said)
        return said


def register(app: web.Application, state: PageState) -> None:
    app.router.add_get(PATH, _static("index.html"))
    app.router.add_get(PATH + "/", _static("index.html"))
    for name in ("sim.css", "sim.js"):
        app.router.add_get(f"{PATH}/static/{name}", _static(name))
    app.router.add_get(PATH + "/files/{file_id}", _file(state))
    routes: dict[str, Callable[[PageState, Json], Awaitable[Json]]] = {
        "state": _state,
        "as": _act_as,
        "slack/command": _slack_command,
        "slack/click": _slack_click,
        "slack/home": _slack_home,
        "teams/say": _teams_say,
        "teams/click": _teams_click,
        "time/close": _close_now,
        "time/next": _next_week,
    }
    for name, handler in routes.items():
        app.router.add_post(f"{PATH}/api/{name}", _json(state, handler))


def _static(name: str) -> Callable[[web.Request], Awaitable[web.Response]]:
    body = (resources.files("demo") / "static" / name).read_bytes()

    async def serve(_request: web.Request) -> web.Response:
        return web.Response(
            body=body,
            content_type=STATIC[name],
            charset="utf-8",
            headers={"Cache-Control": "no-store", "Content-Security-Policy": _CSP},
        )

    return serve


#: Nothing from anywhere else: the page works (and must work) with no network.
_CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)


def _file(state: PageState) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def serve(request: web.Request) -> web.Response:
        upload = state.sim.world.slack.files.get(request.match_info["file_id"])
        if upload is None or upload.content is None:
            return web.json_response({"error": "no such file"}, status=404)
        kind = "image/png" if upload.filename.endswith(".png") else "text/plain"
        return web.Response(body=upload.content, content_type=kind)

    return serve


def _json(
    state: PageState, handler: Callable[[PageState, Json], Awaitable[Json]]
) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def serve(request: web.Request) -> web.Response:
        try:
            body = await request.json() if request.can_read_body else {}
        except (ValueError, RecursionError):  # RecursionError: nested deeper than json parses
            return web.json_response({"error": "send a JSON object"}, status=400)
        if not isinstance(body, dict):
            return web.json_response({"error": "send a JSON object"}, status=400)
        try:
            return web.json_response(await handler(state, body))
        except BadInput as exc:
            return web.json_response({"error": str(exc)}, status=400)

    return serve


# ---- reading the request --------------------------------------------------------------------


def _person(body: Json) -> Persona:
    found = persona(str(body.get("person", "")))
    if found is None:
        raise BadInput("pick one of the simulated people")
    return found


def _text(body: Json, key: str = "text") -> str:
    text = body.get(key)
    if not isinstance(text, str) or not text.strip():
        raise BadInput(f"{key} is missing")
    if len(text) > MAX_TEXT:
        raise BadInput(f"{key} is longer than {MAX_TEXT} characters")
    return text.strip()


def _ready(state: PageState) -> None:
    if not state.sim.ready:
        raise BadInput("the simulated team is still being set up; a moment, please")


# ---- handlers -------------------------------------------------------------------------------


async def _state(state: PageState, body: Json) -> Json:
    viewer = persona(str(body.get("person", ""))) or persona(state.you)
    assert viewer is not None
    since = body.get("since")
    state.sim.journal.observe()
    if isinstance(since, int) and since == state.sim.journal.version and not body.get("force"):
        return {"version": since, "unchanged": True, **snapshot.clock(state.sim)}
    return snapshot.build(state.sim, viewer, state.said)


async def _act_as(state: PageState, body: Json) -> Json:
    person = _person(body)
    state.you = person.key
    # The page's person answers for themselves from now on; the others keep answering.
    state.sim.human = {person.key}
    return {"you": person.key}


async def _slack_command(state: PageState, body: Json) -> Json:
    _ready(state)
    person, text = _person(body), _text(body)
    if not text.startswith("/"):
        raise BadInput("Slack commands start with a slash: /alignment or /pulse …")
    _key, answer = await state.sim.world.slack_command(person, text)
    state.remember(person, "slack", "channel", text, answer)
    return {"ok": answer is not None}


async def _slack_click(state: PageState, body: Json) -> Json:
    _ready(state)
    person, reply = _person(body), body.get("reply")
    world = state.sim.world
    if isinstance(reply, str):
        shown, message = _shown_reply(state, person, reply)
    else:
        shown, message = None, _slack_message(world, str(body.get("channel")), str(body.get("ts")))
    action = _slack_action(
        message["blocks"], _text(body, "block_id"), _text(body, "action_id"), body.get("value")
    )
    before = len(world.slack.messages.get(str(message["channel"]), []))
    _key, answer = await world.slack_click(
        person, message=message, action=action, ephemeral=shown is not None
    )
    if answer is None and len(world.slack.messages.get(str(message["channel"]), [])) > before:
        state.sim.journal.observe()  # answered in the channel itself ("Maya will try this")
        return {"ok": True}
    if shown is not None and answer is not None and answer.get("replace_original"):
        shown.body = answer  # the answer replaces the prompt that was clicked
        return {"ok": True}
    where = "channel" if message["channel"] == SLACK_CHANNEL else "dm"
    state.remember(person, "slack", where, f"clicked {_label_of(action)}", answer)
    return {"ok": answer is not None}


def _shown_reply(state: PageState, person: Persona, reply: str) -> tuple[Said, Json]:
    """An answer only this person sees, with buttons ("which team are you in?"), and the
    message it stands in (ephemeral messages have no ts)."""
    said = next((s for s in state.said if s.id == reply and s.person == person.key), None)
    if said is None or said.body is None:
        raise BadInput("that answer is no longer shown")
    dm = state.sim.world.slack.dm_channel(SLACK_TEAM, slack_user_id(person))
    channel = SLACK_CHANNEL if said.where == "channel" else dm
    return said, {"channel": channel, "ts": "", "text": "", "blocks": said.body.get("blocks") or []}


def _slack_message(world: World, channel: str, ts: str) -> Json:
    found = next((m for m in world.slack.messages.get(channel, []) if m.ts == ts), None)
    if found is None:
        raise BadInput("no such message")
    return {"channel": channel, "ts": found.ts, "text": found.text, "blocks": found.blocks}


def _slack_action(blocks: list[Json], block_id: str, action_id: str, chosen: object) -> Json:
    """The click on an element that really is in the message (never one the page made up)."""
    block = slack_client.find_block(blocks, block_id)
    element = next(
        (e for e in (block or {}).get("elements", []) if e.get("action_id") == action_id), None
    )
    if block is None or element is None:
        raise BadInput("no such button in that message")
    if element.get("type") == "static_select":
        option = next((o for o in element.get("options", []) if o.get("value") == chosen), None)
        if option is None:
            raise BadInput("no such option")
        return slack_client.select_action(block_id, element, option)
    return slack_client.button_action(block_id, element)


def _label_of(action: Json) -> str:
    option = action.get("selected_option") or {}
    text = option.get("text") or action.get("text") or {}
    return f"“{text.get('text', '?')}”"


async def _slack_home(state: PageState, body: Json) -> Json:
    _ready(state)
    view = await state.sim.world.slack_home(_person(body))
    return {"ok": view is not None}


async def _teams_say(state: PageState, body: Json) -> Json:
    _ready(state)
    person, text = _person(body), _text(body)
    posted = await state.sim.world.teams_say(person, text, private=bool(body.get("private")))
    return {"ok": posted.status == 200}


async def _teams_click(state: PageState, body: Json) -> Json:
    _ready(state)
    person = _person(body)
    world = state.sim.world
    message = world.connector.messages.get(str(body.get("message", "")))
    data = body.get("data")
    if message is None or not isinstance(data, dict):
        raise BadInput("no such card")
    if not _offered(message.cards, data):
        raise BadInput("no such button on that card")
    posted = await world.teams_click(
        person, conversation_id=message.conversation_id, message_id=message.id, data=data
    )
    state.remember(
        person, "teams", message.id, str(body.get("title", "a button")), {"toast": posted.toast}
    )
    return {"ok": posted.status == 200}


def _offered(cards: list[Json], data: Json) -> bool:
    """Whether a card offers a button with this data (a choice set's value may be added)."""
    stack: list[Any] = list(cards)
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            own = item.get("data")
            if isinstance(own, dict) and all(data.get(k) == v for k, v in own.items()):
                return True
            stack += [v for v in item.values() if isinstance(v, list | dict)]
        elif isinstance(item, list):
            stack += item
    return False


async def _close_now(state: PageState, body: Json) -> Json:
    return _move(state, state.sim.close_now)


async def _next_week(state: PageState, body: Json) -> Json:
    return _move(state, state.sim.next_week)


def _move(state: PageState, move: Callable[[], Awaitable[None]]) -> Json:
    _ready(state)
    if state.moving is not None and not state.moving.done():
        raise BadInput("the simulation is busy; wait for it to finish")
    state.moving = asyncio.create_task(_logged(move()))
    return {"ok": True}


async def _logged(move: Awaitable[None]) -> None:
    try:
        await move
    except Exception:  # the page shows the simulation idle again; the log says why
        log.exception("demo: moving time failed")
