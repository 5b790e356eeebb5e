"""A local Bot Framework connector: the REST paths the Teams SDK calls, recorded, with rosters.

Point an activity's ``serviceUrl`` at this server and the real bot sends its replies, proactive
posts, card updates and 1:1 chats here. It answers like the Teams connector does (ids for new
activities and conversations, paged rosters) and can fail on purpose: the next N requests with
429 + Retry-After, 412, 502 or 504, or 403 for good when the bot is removed or blocked.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from demo.plaintext import teams_lines

Json = dict[str, Any]
ADAPTIVE_CARD = "application/vnd.microsoft.card.adaptive"


@dataclass
class Request:
    """One request the bot made, as the connector saw it."""

    method: str
    path: str
    conversation_id: str
    activity_id: str | None
    body: Any
    status: int


@dataclass
class Failure:
    status: int
    times: int
    retry_after: float | None = None
    path_contains: str = ""


@dataclass
class Message:
    """A message as it now stands in a conversation (updates replace it in place)."""

    id: str
    conversation_id: str
    activity: Json
    reply_to: str | None = None
    versions: int = 1

    @property
    def cards(self) -> list[Json]:
        return [
            a.get("content") or {}
            for a in self.activity.get("attachments") or []
            if a.get("contentType") == ADAPTIVE_CARD
        ]

    @property
    def text(self) -> str:
        """Everything a person would read: the text and every TextBlock, Fact and button."""
        return "\n".join(teams_lines(self.activity, markup=True))


@dataclass
class FakeTeamsConnector:
    """The connector's state: conversations, rosters, every request, and failures to inject."""

    requests: list[Request] = field(default_factory=list)
    messages: dict[str, Message] = field(default_factory=dict)
    rosters: dict[str, list[Json]] = field(default_factory=dict)
    #: 1:1 chats opened by the bot: member id → conversation id.
    chats: dict[str, str] = field(default_factory=dict)
    #: Conversation or member ids that answer 403 (bot removed from the team, or blocked).
    blocked: set[str] = field(default_factory=set)
    failures: list[Failure] = field(default_factory=list)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1000))

    def app(self) -> web.Application:
        app = web.Application(middlewares=[self._inject_failures])
        base = "/v3/conversations"
        app.router.add_post(base, self._create_conversation)
        app.router.add_post(base + "/{cid}/activities", self._send)
        app.router.add_post(base + "/{cid}/activities/{aid}", self._send)
        app.router.add_put(base + "/{cid}/activities/{aid}", self._update)
        app.router.add_delete(base + "/{cid}/activities/{aid}", self._delete)
        app.router.add_get(base + "/{cid}/members", self._members)
        app.router.add_get(base + "/{cid}/pagedmembers", self._paged_members)
        app.router.add_get(base + "/{cid}/members/{mid}", self._member)
        return app

    # --- what tests and the simulator set up ---------------------------------------------

    def fail_next(
        self, status: int, *, times: int = 1, retry_after: float | None = None, path: str = ""
    ) -> None:
        """Answer the next `times` requests (whose path contains `path`) with `status`."""
        self.failures.append(Failure(status, times, retry_after, path))

    def set_roster(self, conversation_id: str, members: list[Json]) -> None:
        self.rosters[conversation_id] = members

    # --- what they read back --------------------------------------------------------------

    def in_conversation(self, conversation_id: str) -> list[Message]:
        return [m for m in self.messages.values() if m.conversation_id == conversation_id]

    def chat_with(self, member_id: str) -> list[Message]:
        """Messages in the bot's 1:1 chat with a member (empty if none was opened)."""
        chat = self.chats.get(member_id)
        return self.in_conversation(chat) if chat else []

    def made(self, method: str, path_contains: str = "") -> list[Request]:
        return [r for r in self.requests if r.method == method and path_contains in r.path]

    def cards(self) -> list[Json]:
        """Every Adaptive Card the bot sent or updated to, in order."""
        found = []
        for r in self.requests:
            if r.method in ("POST", "PUT") and isinstance(r.body, dict):
                found += [
                    a.get("content") or {}
                    for a in r.body.get("attachments") or []
                    if a.get("contentType") == ADAPTIVE_CARD
                ]
        return found

    # --- the connector --------------------------------------------------------------------

    @web.middleware
    async def _inject_failures(
        self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        cid = request.match_info.get("cid", "")
        failure = next((f for f in self.failures if f.path_contains in request.path), None)
        status, headers = 0, {}
        if failure is not None:
            status = failure.status
            failure.times -= 1
            if failure.times <= 0:
                self.failures.remove(failure)
            if failure.retry_after is not None:
                headers["Retry-After"] = f"{failure.retry_after:g}"
        elif cid in self.blocked:
            status = 403
        if status:
            await self._record(request, status)
            error = {"error": {"code": f"Http{status}", "message": "injected by the fake"}}
            return web.json_response(error, status=status, headers=headers)
        return await handler(request)

    async def _record(self, request: web.Request, status: int) -> Any:
        raw = await request.read()
        body = json.loads(raw) if raw else None
        self.requests.append(
            Request(
                request.method,
                request.path,
                request.match_info.get("cid", ""),
                request.match_info.get("aid"),
                body,
                status,
            )
        )
        return body

    def _new_id(self) -> str:
        return str(next(self._ids))

    async def _create_conversation(self, request: web.Request) -> web.Response:
        body = await request.json()
        members = body.get("members") or []
        member = str(members[0].get("id")) if members and isinstance(members[0], dict) else ""
        if not member or member in self.blocked:
            await self._record(request, 403 if member else 400)
            return web.json_response(
                {"error": {"code": "Forbidden"}}, status=403 if member else 400
            )
        await self._record(request, 201)
        chat = self.chats.setdefault(member, f"a:chat-{member}")
        return web.json_response({"id": chat, "activityId": self._new_id()}, status=201)

    async def _send(self, request: web.Request) -> web.Response:
        activity = await self._record(request, 201)
        if not isinstance(activity, dict):
            return web.json_response({"error": {"code": "BadArgument"}}, status=400)
        message = Message(
            self._new_id(),
            request.match_info["cid"],
            activity,
            reply_to=request.match_info.get("aid"),
        )
        self.messages[message.id] = message
        return web.json_response({"id": message.id}, status=201)

    async def _update(self, request: web.Request) -> web.Response:
        activity_id = request.match_info["aid"]
        known = self.messages.get(activity_id)
        activity = await self._record(request, 200 if known else 404)
        if known is None or not isinstance(activity, dict):
            return web.json_response({"error": {"code": "ActivityNotFound"}}, status=404)
        known.activity = activity
        known.versions += 1
        return web.json_response({"id": activity_id})

    async def _delete(self, request: web.Request) -> web.Response:
        await self._record(request, 200)
        self.messages.pop(request.match_info["aid"], None)
        return web.Response(status=200)

    async def _members(self, request: web.Request) -> web.Response:
        await self._record(request, 200)
        return web.json_response(self.rosters.get(request.match_info["cid"], []))

    async def _paged_members(self, request: web.Request) -> web.Response:
        await self._record(request, 200)
        roster = self.rosters.get(request.match_info["cid"], [])
        size = max(1, min(int(request.query.get("pageSize", "50") or 50), 500))
        start = int(request.query.get("continuationToken", "0") or 0)
        page: Json = {"members": roster[start : start + size]}
        if start + size < len(roster):
            page["continuationToken"] = str(start + size)
        return web.json_response(page)

    async def _member(self, request: web.Request) -> web.Response:
        await self._record(request, 200)
        wanted = request.match_info["mid"]
        roster = self.rosters.get(request.match_info["cid"], [])
        found = next((m for m in roster if wanted in (m.get("id"), m.get("aadObjectId"))), None)
        if found is None:
            return web.json_response({"error": {"code": "MemberNotFound"}}, status=404)
        return web.json_response(found)
