"""A local fake of the Slack Web API (aiohttp) that records every call and answers like Slack.

Tests, the offline demo and the benchmarks point the bot's `SLACK_API_URL` at it. It keeps the
workspaces, people, channels, messages, App Home views, uploaded files and `response_url` posts
it sees; it refuses a call whose token lacks the scope Slack requires (`missing_scope`), so a
manifest without the right scopes fails here as it would in Slack; it refuses invalid Block Kit
(`invalid_blocks`); it can rate-limit like Slack (HTTP 429 with `Retry-After`), it can be
told to fail the next calls (429, 500 or a dropped connection), and to hold its answers to a
method (the call done, the answer not yet sent), as a bot killed mid-call would leave things.
Messages keep their metadata, and `conversations.history` returns it.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import time
from collections import defaultdict, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar
from urllib.parse import parse_qsl

from aiohttp import web

from handlers.slack.app import SCOPES
from handlers.slack.render import block_problem

T = TypeVar("T")
Args = dict[str, Any]
FailureKind = Literal["ratelimited", "server_error", "disconnect"]

#: The bot scopes a workspace grants unless told otherwise (the ones manifest.yml declares).
DEFAULT_SCOPES = frozenset(SCOPES)
#: The scopes each method needs: any one of the set (Slack's `needed`); empty = none.
METHOD_SCOPES: dict[str, frozenset[str]] = {
    "auth.test": frozenset(),
    "chat.postMessage": frozenset({"chat:write"}),
    "chat.update": frozenset({"chat:write"}),
    "chat.postEphemeral": frozenset({"chat:write"}),
    "conversations.open": frozenset({"im:write"}),
    "conversations.members": frozenset(),  # channels:read, or groups:read for a private channel
    "conversations.history": frozenset(),  # channels:history, or groups:history when private
    "users.info": frozenset({"users:read"}),
    "usergroups.list": frozenset({"usergroups:read"}),
    "usergroups.users.list": frozenset({"usergroups:read"}),
    "views.publish": frozenset(),
    "files.getUploadURLExternal": frozenset({"files:write"}),
    "files.completeUploadExternal": frozenset({"files:write"}),
    "oauth.v2.access": frozenset(),
}
MAX_MESSAGE_BLOCKS = 50
MAX_VIEW_BLOCKS = 100


@dataclass
class FakeUser:
    id: str
    team_id: str
    name: str
    is_admin: bool = False
    is_owner: bool = False
    is_primary_owner: bool = False


@dataclass
class FakeChannel:
    id: str
    name: str
    is_private: bool = False
    is_im: bool = False
    members: list[str] = field(default_factory=list)


@dataclass
class FakeUserGroup:
    id: str
    handle: str
    name: str
    users: list[str] = field(default_factory=list)


@dataclass
class Message:
    """A message the bot posted; `edits` counts chat.update calls on it."""

    channel: str
    ts: str
    text: str
    blocks: list[dict[str, Any]]
    thread_ts: str | None = None
    files: list[dict[str, Any]] = field(default_factory=list)
    edits: int = 0
    #: Message metadata (`event_type`, `event_payload`) the bot attached, if any.
    metadata: dict[str, Any] | None = None


@dataclass
class Workspace:
    team_id: str
    name: str
    token: str
    bot_user_id: str
    bot_id: str
    scopes: set[str]
    #: Token rotation: the refresh token issued last, and when the current token expires.
    refresh_token: str = ""
    expires_at: float | None = None
    users: dict[str, FakeUser] = field(default_factory=dict)
    channels: dict[str, FakeChannel] = field(default_factory=dict)
    usergroups: dict[str, FakeUserGroup] = field(default_factory=dict)


@dataclass
class UploadedFile:
    id: str
    filename: str
    length: int
    alt_txt: str = ""
    content: bytes | None = None
    title: str = ""


@dataclass(frozen=True)
class ApiCall:
    """One Web API call as the fake saw it, with the HTTP status and Slack error it answered."""

    method: str
    args: Args
    team_id: str | None
    status: int
    error: str | None
    #: The scopes this call relied on (empty unless it succeeded).
    scopes: frozenset[str] = frozenset()
    #: The bearer token the call carried.
    token: str | None = None


@dataclass
class RateLimits:
    """Slack-like limits; None turns a limit off (the default, so tests run at full speed)."""

    #: Seconds between two chat.postMessage calls in one channel (Slack: about 1).
    per_channel_interval: float | None = None
    #: Web API calls per second per workspace, all methods together.
    workspace_per_second: float | None = None
    retry_after: int = 1
    #: conversations.history calls per minute per workspace, and messages per call: Slack's
    #: limits (1 and 15) for commercially distributed apps outside the Marketplace.
    history_per_minute: int | None = None
    history_max_items: int | None = None


class Hold:
    """Calls of one method are carried out and recorded, but not answered until `release()`:
    what a bot killed mid-call leaves behind (Slack did it; the bot never heard)."""

    def __init__(self, after: int = 0) -> None:
        self.released = asyncio.Event()
        #: Calls answered at once before holding starts; calls seen; calls waiting.
        self.after, self.seen, self.waiting = after, 0, 0

    def release(self) -> None:
        self.released.set()


@dataclass
class _Failure:
    kind: FailureKind
    method: str | None
    retry_after: int


class FakeSlack:
    """The fake: build it, add workspaces, people and channels, `await start()`, then point the
    bot at `api_url`. Everything it records is plain data for tests and the simulator page."""

    def __init__(
        self,
        *,
        rate_limits: RateLimits | None = None,
        app_id: str = "A0BRIDGEPULSE",
        client_id: str = "111.222",
        client_secret: str = "fake-client-secret",
        app_token: str = "xapp-1-A0BRIDGEPULSE-fake",
        token_lifetime: int | None = None,
    ) -> None:
        self.rate_limits = rate_limits or RateLimits()
        self.app_id, self.client_id, self.client_secret = app_id, client_id, client_secret
        self.app_token = app_token
        #: Token rotation on (manifest `token_rotation_enabled`): installs and refreshes hand
        #: out tokens that expire after this many seconds, with a refresh token.
        self.token_lifetime = token_lifetime
        #: Socket Mode: acknowledgements the bot sent back, by envelope id.
        self.socket_acks: dict[str, Args] = {}
        self._sockets: list[web.WebSocketResponse] = []
        self.workspaces: dict[str, Workspace] = {}
        self.calls: list[ApiCall] = []
        self.messages: dict[str, list[Message]] = defaultdict(list)
        self.ephemerals: list[Args] = []
        self.responses: dict[str, list[Args]] = defaultdict(list)
        self.views: dict[tuple[str, str], Args] = {}
        self.files: dict[str, UploadedFile] = {}
        self.url = ""
        self._ids = itertools.count(1)
        self._codes: dict[str, tuple[str, str]] = {}
        self._failures: deque[_Failure] = deque()
        self._holds: dict[str, Hold] = {}
        self._last_post: dict[tuple[str, str], float] = {}
        self._recent: dict[str, deque[float]] = defaultdict(deque)
        self._history_calls: dict[str, deque[float]] = defaultdict(deque)
        #: The clock of the per-minute history limit (tests move it on).
        self.monotonic: Callable[[], float] = time.monotonic
        self._last_ts = 0
        self._changed: asyncio.Condition | None = None
        self._used: set[str] = set()
        self._runner: web.AppRunner | None = None
        self.web = web.Application(client_max_size=8 * 1024 * 1024)
        self.web.router.add_post("/api/{method}", self._api)
        self.web.router.add_get("/api/{method}", self._api)
        self.web.router.add_post("/upload/{file_id}", self._upload)
        self.web.router.add_post("/response/{response_id}", self._response)
        self.web.router.add_get("/socket", self._socket)

    # ---- set-up ---------------------------------------------------------------------------

    def workspace(
        self,
        team_id: str = "T1",
        *,
        name: str = "",
        token: str | None = None,
        scopes: Iterable[str] = DEFAULT_SCOPES,
    ) -> Workspace:
        if team_id not in self.workspaces:
            self.workspaces[team_id] = Workspace(
                team_id=team_id,
                name=name or f"team-{team_id.lower()}",
                token=token or f"xoxb-{team_id}-fake",
                bot_user_id=f"UB{team_id}",
                bot_id=f"B{team_id}",
                scopes=set(scopes),
            )
        return self.workspaces[team_id]

    def user(self, team_id: str, user_id: str, *, admin: bool = False, name: str = "") -> FakeUser:
        ws = self.workspace(team_id)
        user = ws.users.get(user_id) or FakeUser(user_id, team_id, name or user_id.lower())
        user.is_admin = user.is_admin or admin
        ws.users[user_id] = user
        return user

    def channel(
        self,
        team_id: str,
        channel_id: str,
        *,
        name: str = "",
        private: bool = False,
        members: Iterable[str] = (),
        bot_is_member: bool = True,
    ) -> FakeChannel:
        ws = self.workspace(team_id)
        chan = ws.channels.get(channel_id) or FakeChannel(
            channel_id, name or channel_id.lower(), is_private=private
        )
        for member in (*members, *((ws.bot_user_id,) if bot_is_member else ())):
            if member not in chan.members:
                chan.members.append(member)
        ws.channels[channel_id] = chan
        return chan

    def usergroup(
        self, team_id: str, group_id: str, *, handle: str, users: Iterable[str], name: str = ""
    ) -> FakeUserGroup:
        """A user group (Slack's paid plans have them), e.g. `@it-team`."""
        group = FakeUserGroup(group_id, handle, name or handle, list(users))
        self.workspace(team_id).usergroups[group_id] = group
        return group

    def authorization_code(self, team_id: str, user_id: str) -> str:
        """A code as Slack's consent page would hand to /slack/oauth_redirect."""
        code = f"code-{next(self._ids)}"
        self._codes[code] = (team_id, user_id)
        return code

    def fail_next(
        self,
        kind: FailureKind,
        *,
        count: int = 1,
        method: str | None = None,
        retry_after: int = 0,
    ) -> None:
        """Answer the next `count` calls (of `method`, or any) with a 429, a 500 or a drop."""
        self._failures.extend(_Failure(kind, method, retry_after) for _ in range(count))

    def hold(self, method: str, *, after: int = 0) -> Hold:
        """Hold the answers to `method` calls made from now on, except the first `after`,
        until released."""
        self._holds[method] = Hold(after)
        return self._holds[method]

    def new_response_url(self) -> str:
        return f"{self.url}/response/r{next(self._ids)}"

    # ---- running --------------------------------------------------------------------------

    @property
    def api_url(self) -> str:
        return f"{self.url}/api/"

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        self._changed = asyncio.Condition()
        self._runner = web.AppRunner(self.web, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        bound = self._runner.addresses[0]
        self.url = f"http://{host}:{bound[1]}"
        return self.url

    async def close(self) -> None:
        for ws in self._sockets:
            await ws.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def wait_for(self, found: Callable[[], T | None]) -> T:
        """Wait until `found()` returns something, re-checked after every recorded request
        (bound it with `asyncio.timeout`)."""
        assert self._changed is not None, "start() the fake first"
        async with self._changed:
            while True:
                value = found()
                if value is not None:
                    return value
                await self._changed.wait()

    # ---- reading what was recorded -----------------------------------------------------------

    def calls_to(self, method: str) -> list[ApiCall]:
        return [c for c in self.calls if c.method == method]

    def channel_messages(self, channel_id: str) -> list[Message]:
        return self.messages[channel_id]

    def dm_channel(self, team_id: str, user_id: str) -> str:
        return f"D{team_id}{user_id}"

    def direct_messages(self, team_id: str, user_id: str) -> list[Message]:
        return self.messages[self.dm_channel(team_id, user_id)]

    # ---- HTTP handlers ------------------------------------------------------------------------

    async def _api(self, request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"]
        args = await _arguments(request)
        failure = self._take_failure(method)
        if failure is not None:
            return await self._fail(request, method, args, failure)
        token = _token(request, args, method)
        ws = next((w for w in self.workspaces.values() if w.token == token), None)
        self._used = set()
        status, body = 200, self._answer(ws, token, method, args)
        retry_after = body.pop("retry_after", self.rate_limits.retry_after)
        if body.get("error") == "ratelimited":
            status = 429
        used = frozenset(self._used) if body.get("ok") else frozenset()
        team = ws.team_id if ws else None
        call = ApiCall(method, args, team, status, body.get("error"), used, token)
        self.calls.append(call)
        await self._notify()
        hold = self._holds.get(method)
        if hold is not None:
            hold.seen += 1
        if hold is not None and hold.seen > hold.after and not hold.released.is_set():
            hold.waiting += 1
            await self._notify()
            await hold.released.wait()
        headers = {"Retry-After": str(retry_after)} if status == 429 else None
        return web.json_response(body, status=status, headers=headers)

    def _answer(self, ws: Workspace | None, token: str | None, method: str, args: Args) -> Args:
        if method == "oauth.v2.access":
            return self._oauth_access(args)
        if method == "apps.connections.open":
            return self._connections_open(token)
        handler = self._methods().get(method)
        if handler is None:
            return _error("unknown_method")
        if ws is None:
            return _error("invalid_auth")
        if ws.expires_at is not None and time.time() >= ws.expires_at:
            return _error("token_expired")
        if self._over_workspace_rate(ws):
            return _error("ratelimited")
        needed = METHOD_SCOPES.get(method, frozenset())
        if needed and not needed & ws.scopes:
            return {**_error("missing_scope"), "needed": ",".join(sorted(needed))}
        self._used |= needed & ws.scopes
        try:
            return handler(ws, args)
        except (KeyError, TypeError, ValueError):
            return _error("invalid_arguments")

    def _methods(self) -> dict[str, Callable[[Workspace, Args], Args]]:
        return {
            "auth.test": self._auth_test,
            "chat.postMessage": self._post_message,
            "chat.update": self._update,
            "chat.postEphemeral": self._post_ephemeral,
            "conversations.open": self._open,
            "conversations.members": self._members,
            "conversations.history": self._history,
            "users.info": self._users_info,
            "usergroups.list": self._usergroups,
            "usergroups.users.list": self._usergroup_users,
            "views.publish": self._views_publish,
            "files.getUploadURLExternal": self._upload_url,
            "files.completeUploadExternal": self._complete_upload,
        }

    async def _upload(self, request: web.Request) -> web.Response:
        upload = self.files.get(request.match_info["file_id"])
        if upload is None:
            return web.Response(status=404, text="not found")
        upload.content = await request.read()
        await self._notify()
        return web.Response(text=f"OK - {len(upload.content)}")

    async def _response(self, request: web.Request) -> web.Response:
        body = self.read_response(await request.read())
        if isinstance(body, str):
            return web.Response(status=400, text=body)
        self.responses[request.match_info["response_id"]].append(body)
        await self._notify()
        return web.Response(text="ok")

    @staticmethod
    def read_response(raw: bytes) -> Args | str:
        """A body posted to a response_url as Slack checks it: the message, or the error."""
        try:
            body = json.loads(raw)
        except ValueError:
            return "invalid_payload"
        if not isinstance(body, dict):
            return "invalid_payload"
        blocks = body.get("blocks")
        if blocks is not None and (error := _blocks_error(blocks, MAX_MESSAGE_BLOCKS)):
            return error
        return body

    # ---- methods ------------------------------------------------------------------------------

    def _auth_test(self, ws: Workspace, _args: Args) -> Args:
        return {
            "ok": True,
            "url": f"https://{ws.name}.slack.com/",
            "team": ws.name,
            "user": "bridgepulse",
            "team_id": ws.team_id,
            "user_id": ws.bot_user_id,
            "bot_id": ws.bot_id,
            "is_enterprise_install": False,
        }

    def _post_message(self, ws: Workspace, args: Args) -> Args:
        channel = self._postable(ws, str(args["channel"]))
        if isinstance(channel, dict):
            return channel
        blocks = args.get("blocks") or []
        if not args.get("text") and not blocks:
            return _error("no_text")
        if error := _blocks_error(blocks, MAX_MESSAGE_BLOCKS):
            return _error(error)
        if self._channel_limited(ws, channel.id):
            return _error("ratelimited")
        message = Message(
            channel.id, self._ts(), str(args.get("text", "")), blocks, args.get("thread_ts")
        )
        if isinstance(args.get("metadata"), dict):
            message.metadata = args["metadata"]
        self.messages[channel.id].append(message)
        return {"ok": True, "channel": channel.id, "ts": message.ts, "message": _shown(message)}

    def _update(self, ws: Workspace, args: Args) -> Args:
        message = self._find(str(args["channel"]), str(args["ts"]))
        if message is None:
            return _error("message_not_found")
        blocks = args.get("blocks") or []
        if error := _blocks_error(blocks, MAX_MESSAGE_BLOCKS):
            return _error(error)
        message.blocks, message.text = blocks, str(args.get("text", message.text))
        message.edits += 1
        return {"ok": True, "channel": message.channel, "ts": message.ts, "text": message.text}

    def _post_ephemeral(self, ws: Workspace, args: Args) -> Args:
        channel = self._postable(ws, str(args["channel"]))
        if isinstance(channel, dict):
            return channel
        if str(args["user"]) not in ws.users:
            return _error("user_not_found")
        if error := _blocks_error(args.get("blocks") or [], MAX_MESSAGE_BLOCKS):
            return _error(error)
        self.ephemerals.append({**args, "channel": channel.id})
        return {"ok": True, "message_ts": self._ts()}

    def _open(self, ws: Workspace, args: Args) -> Args:
        users = str(args["users"]).split(",")
        if len(users) != 1 or users[0] not in ws.users:
            return _error("user_not_found")
        dm = self.dm_channel(ws.team_id, users[0])
        ws.channels.setdefault(
            dm, FakeChannel(dm, dm, is_im=True, members=[users[0], ws.bot_user_id])
        )
        return {"ok": True, "channel": {"id": dm}}

    def _members(self, ws: Workspace, args: Args) -> Args:
        channel = ws.channels.get(str(args["channel"]))
        if channel is None:
            return _error("channel_not_found")
        scope = "groups:read" if channel.is_private else "channels:read"
        if scope not in ws.scopes:
            return {**_error("missing_scope"), "needed": scope}
        self._used.add(scope)
        if channel.is_private and ws.bot_user_id not in channel.members:
            return _error("channel_not_found")
        start = int(args.get("cursor") or 0)
        limit = max(1, min(int(args.get("limit") or 100), 1000))
        page = channel.members[start : start + limit]
        more = start + limit < len(channel.members)
        return {
            "ok": True,
            "members": page,
            "response_metadata": {"next_cursor": str(start + limit) if more else ""},
        }

    def _history(self, ws: Workspace, args: Args) -> Args:
        """conversations.history: newest first, from `oldest` on, with metadata on request."""
        channel = ws.channels.get(str(args["channel"]))
        if channel is None:
            return _error("channel_not_found")
        scope = "groups:history" if channel.is_private else "channels:history"
        if scope not in ws.scopes:
            return {**_error("missing_scope"), "needed": scope}
        if ws.bot_user_id not in channel.members:
            return _error("channel_not_found" if channel.is_private else "not_in_channel")
        self._used.add(scope)
        if (wait := self._history_wait(ws)) is not None:
            return {**_error("ratelimited"), "retry_after": wait}
        oldest, latest = float(args.get("oldest") or 0), float(args.get("latest") or "inf")
        inclusive = str(args.get("inclusive", "")).lower() in ("1", "true")
        found = [
            m
            for m in reversed(self.messages.get(channel.id, []))
            if (oldest <= float(m.ts) <= latest if inclusive else oldest < float(m.ts) < latest)
        ]
        start = int(args.get("cursor") or 0)
        most = self.rate_limits.history_max_items or 999
        limit = max(1, min(int(args.get("limit") or 100), most))
        page = found[start : start + limit]
        metadata = str(args.get("include_all_metadata", "")).lower() in ("1", "true")
        return {
            "ok": True,
            "messages": [
                {
                    **_shown(m),
                    "bot_id": ws.bot_id,
                    **({"metadata": m.metadata} if metadata and m.metadata else {}),
                }
                for m in page
            ],
            "has_more": start + limit < len(found),
            "response_metadata": {
                "next_cursor": str(start + limit) if start + limit < len(found) else ""
            },
        }

    def _users_info(self, ws: Workspace, args: Args) -> Args:
        user = ws.users.get(str(args["user"]))
        if user is None:
            return _error("user_not_found")
        return {
            "ok": True,
            "user": {
                "id": user.id,
                "team_id": user.team_id,
                "name": user.name,
                "real_name": user.name,
                # people are called by their first name, as most set their display name
                "profile": {"real_name": user.name, "display_name": user.name.split(" ")[0]},
                "is_admin": user.is_admin,
                "is_owner": user.is_owner,
                "is_primary_owner": user.is_primary_owner,
                "is_bot": False,
            },
        }

    def _usergroups(self, ws: Workspace, _args: Args) -> Args:
        groups = [
            {"id": g.id, "team_id": ws.team_id, "handle": g.handle, "name": g.name}
            for g in ws.usergroups.values()
        ]
        return {"ok": True, "usergroups": groups}

    def _usergroup_users(self, ws: Workspace, args: Args) -> Args:
        group = ws.usergroups.get(str(args.get("usergroup", "")))
        if group is None:
            return _error("no_such_subteam")
        return {"ok": True, "users": list(group.users)}

    def _views_publish(self, ws: Workspace, args: Args) -> Args:
        user_id, view = str(args["user_id"]), args["view"]
        if user_id not in ws.users:
            return _error("user_not_found")
        if not isinstance(view, dict) or view.get("type") != "home":
            return _error("invalid_arguments")
        if error := _blocks_error(view.get("blocks") or [], MAX_VIEW_BLOCKS):
            return _error(error)
        self.views[(ws.team_id, user_id)] = view
        return {"ok": True, "view": {"id": f"V{next(self._ids)}", **view}}

    def _upload_url(self, ws: Workspace, args: Args) -> Args:
        file_id = f"F{next(self._ids)}"
        self.files[file_id] = UploadedFile(
            file_id, str(args["filename"]), int(args["length"]), str(args.get("alt_txt") or "")
        )
        return {"ok": True, "file_id": file_id, "upload_url": f"{self.url}/upload/{file_id}"}

    def _complete_upload(self, ws: Workspace, args: Args) -> Args:
        shared: list[dict[str, Any]] = []
        for item in args["files"]:
            upload = self.files.get(str(item["id"]))
            if upload is None or upload.content is None:
                return _error("file_not_found")
            upload.title = str(item.get("title") or upload.filename)
            shared.append({"id": upload.id, "name": upload.filename, "title": upload.title})
        channel_id = args.get("channel_id")
        if channel_id:
            channel = self._postable(ws, str(channel_id))
            if isinstance(channel, dict):
                return channel
            text = str(args.get("initial_comment") or "")
            message = Message(channel.id, self._ts(), text, [], args.get("thread_ts"), shared)
            self.messages[channel.id].append(message)
        return {"ok": True, "files": shared}

    def _oauth_access(self, args: Args) -> Args:
        if (args.get("client_id"), args.get("client_secret")) != (
            self.client_id,
            self.client_secret,
        ):
            return _error("invalid_client_id")
        grant = self._codes.pop(str(args.get("code")), None)
        if args.get("grant_type") == "refresh_token":
            return self._refresh(str(args.get("refresh_token") or ""))
        if grant is None:
            return _error("invalid_code")
        team_id, user_id = grant
        ws = self.workspace(team_id)
        self.user(team_id, user_id)
        return {
            **self._new_token(ws, "installed"),
            "app_id": self.app_id,
            "authed_user": {"id": user_id},
            "scope": ",".join(sorted(ws.scopes)),
            "bot_user_id": ws.bot_user_id,
            "team": {"id": team_id, "name": ws.name},
            "enterprise": None,
            "is_enterprise_install": False,
        }

    def _refresh(self, refresh_token: str) -> Args:
        """oauth.v2.access with grant_type=refresh_token: a new bot token and expiry."""
        ws = next(
            (
                w
                for w in self.workspaces.values()
                if refresh_token and w.refresh_token == refresh_token
            ),
            None,
        )
        if ws is None:
            return _error("invalid_refresh_token")
        return {
            **self._new_token(ws, "refreshed"),
            "app_id": self.app_id,
            "scope": ",".join(sorted(ws.scopes)),
            "bot_user_id": ws.bot_user_id,
            "team": {"id": ws.team_id, "name": ws.name},
        }

    def _new_token(self, ws: Workspace, how: str) -> Args:
        """A new bot token for `ws` (the old one stops working), expiring with rotation on."""
        n = next(self._ids)
        answer: Args = {"ok": True, "token_type": "bot"}
        if self.token_lifetime is None:
            ws.token = f"xoxb-{ws.team_id}-{how}-{n}"
            return {**answer, "access_token": ws.token}
        ws.token = f"xoxe.xoxb-{ws.team_id}-{how}-{n}"
        ws.refresh_token = f"xoxe-1-{ws.team_id}-{n}"
        ws.expires_at = time.time() + self.token_lifetime
        return {
            **answer,
            "access_token": ws.token,
            "refresh_token": ws.refresh_token,
            "expires_in": self.token_lifetime,
        }

    def _connections_open(self, token: str | None) -> Args:
        if token != self.app_token:
            return _error("invalid_auth")
        return {"ok": True, "url": f"{self.url.replace('http', 'ws', 1)}/socket"}

    # ---- Socket Mode ---------------------------------------------------------------------------

    async def send_envelope(self, kind: str, payload: Args, *, retry_attempt: int = 0) -> str:
        """Push an envelope (`slash_commands`, `interactive`, `events_api`) to the connected
        bot; returns its envelope id (its acknowledgement lands in `socket_acks`)."""
        assert self._sockets, "no Socket Mode connection"
        envelope_id = f"env-{next(self._ids)}"
        await self._sockets[-1].send_json(
            {
                "envelope_id": envelope_id,
                "type": kind,
                "payload": payload,
                "accepts_response_payload": kind != "events_api",
                "retry_attempt": retry_attempt,
                "retry_reason": "timeout" if retry_attempt else "",
            }
        )
        return envelope_id

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self._sockets.append(ws)
        await self._notify()
        await ws.send_json({"type": "hello", "num_connections": len(self._sockets)})
        async for frame in ws:
            if frame.type != web.WSMsgType.TEXT:
                continue
            ack = json.loads(frame.data)
            if isinstance(ack, dict) and "envelope_id" in ack:
                self.socket_acks[str(ack["envelope_id"])] = ack
                await self._notify()
        self._sockets.remove(ws)
        return ws

    # ---- helpers ------------------------------------------------------------------------------

    def _postable(self, ws: Workspace, channel_id: str) -> FakeChannel | Args:
        """The channel a message may go to, or Slack's error."""
        if channel_id in ws.users:  # a user id posts to the app's DM with that person
            channel_id = self._open(ws, {"users": channel_id})["channel"]["id"]
        channel = ws.channels.get(channel_id)
        if channel is None:
            return _error("channel_not_found")
        if ws.bot_user_id in channel.members:
            return channel
        if channel.is_private:
            return _error("channel_not_found")
        if "chat:write.public" not in ws.scopes:
            return _error("not_in_channel")
        self._used.add("chat:write.public")
        return channel

    def _find(self, channel: str, ts: str) -> Message | None:
        return next((m for m in self.messages.get(channel, []) if m.ts == ts), None)

    def _ts(self) -> str:
        """Slack's message ts: its wall-clock time in microseconds, unique per message."""
        self._last_ts = max(int(time.time() * 1_000_000), self._last_ts + 1)
        return f"{self._last_ts // 1_000_000}.{self._last_ts % 1_000_000:06d}"

    def _history_wait(self, ws: Workspace) -> int | None:
        """Seconds until `ws` may read history again (Retry-After), or None: it may now."""
        allowed = self.rate_limits.history_per_minute
        if allowed is None:
            return None
        now, calls = self.monotonic(), self._history_calls[ws.team_id]
        while calls and now - calls[0] >= 60.0:
            calls.popleft()
        if len(calls) >= allowed:
            return max(1, int(60.0 - (now - calls[0])) + 1)
        calls.append(now)
        return None

    def _channel_limited(self, ws: Workspace, channel: str) -> bool:
        interval = self.rate_limits.per_channel_interval
        if interval is None:
            return False
        now, key = time.monotonic(), (ws.team_id, channel)
        if now - self._last_post.get(key, -interval) < interval:
            return True
        self._last_post[key] = now
        return False

    def _over_workspace_rate(self, ws: Workspace) -> bool:
        rate = self.rate_limits.workspace_per_second
        if rate is None:
            return False
        now, recent = time.monotonic(), self._recent[ws.team_id]
        while recent and now - recent[0] >= 1.0:
            recent.popleft()
        if len(recent) >= rate:
            return True
        recent.append(now)
        return False

    def _take_failure(self, method: str) -> _Failure | None:
        for failure in self._failures:
            if failure.method in (None, method):
                self._failures.remove(failure)
                return failure
        return None

    async def _fail(
        self, request: web.Request, method: str, args: Args, failure: _Failure
    ) -> web.StreamResponse:
        status = {"ratelimited": 429, "server_error": 500, "disconnect": 0}[failure.kind]
        self.calls.append(ApiCall(method, args, None, status, failure.kind))
        await self._notify()
        if failure.kind == "disconnect":
            if request.transport is not None:
                request.transport.close()
            return web.Response(status=500)  # never sent: the connection is gone
        headers = {"Retry-After": str(failure.retry_after)} if status == 429 else None
        return web.json_response(_error(failure.kind), status=status, headers=headers)

    async def _notify(self) -> None:
        if self._changed is not None:
            async with self._changed:
                self._changed.notify_all()


def _token(request: web.Request, args: Args, method: str) -> str | None:
    """The caller's token; for oauth.v2.access, the client credentials go into `args`."""
    header = request.headers.get("Authorization", "")
    if method == "oauth.v2.access" and header.startswith("Basic "):
        decoded = base64.b64decode(header[6:]).decode("utf-8", "replace")
        args["client_id"], _, args["client_secret"] = decoded.partition(":")
        return None
    if header.startswith("Bearer "):
        return header.removeprefix("Bearer ")
    token = args.get("token")
    return str(token) if token else None


async def _arguments(request: web.Request) -> Args:
    """Query string, form body and JSON body together, as Slack accepts any of them."""
    args: Args = dict(request.query)
    raw = await request.read()
    if raw:
        if request.content_type == "application/json":
            try:
                body = json.loads(raw)
            except ValueError:
                body = None
            if isinstance(body, dict):
                args.update(body)
        else:
            args.update(parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True))
    for key in ("blocks", "view", "files", "metadata"):
        if isinstance(args.get(key), str):
            try:
                args[key] = json.loads(args[key])
            except ValueError:
                args[key] = None
    return args


def _blocks_error(blocks: Any, limit: int) -> str | None:
    """Slack's `invalid_blocks`: not a list, more than `limit` blocks, or a block Slack refuses."""
    if not isinstance(blocks, list) or len(blocks) > limit:
        return "invalid_blocks"
    if not all(isinstance(b, dict) for b in blocks) or block_problem(blocks) is not None:
        return "invalid_blocks"
    return None


def _shown(message: Message) -> Args:
    return {"type": "message", "ts": message.ts, "text": message.text, "blocks": message.blocks}


def _error(code: str) -> Args:
    return {"ok": False, "error": code}
