"""`POST /api/messages`: authenticate, parse and process one Bot Framework activity.

Our own route instead of `CloudAdapter.process`, which in botbuilder 4.17.1 serialises an
already-serialised invoke response and answers 500. Bad input gets a 4xx with a reason, a
failed authentication 401, and a failure inside the turn is logged by the adapter's
`on_turn_error`, never shown to the caller.
"""

from __future__ import annotations

import ipaddress
import logging
import re
from typing import Any
from urllib.parse import urlsplit

import orjson
from aiohttp import web
from botbuilder.core import Bot, serializer_helper
from botbuilder.integration.aiohttp import CloudAdapter
from botbuilder.schema import Activity

log = logging.getLogger(__name__)
PATH = "/api/messages"
#: Deepest JSON nesting accepted. Teams' own activities (an Adaptive Card in an attachment
#: included) stay far below; a deeper body is hostile, and deserialising it recursed until
#: RecursionError (a 500).
MAX_DEPTH = 64
#: A JWT's shape: three base64url parts. Anything else is refused before the body is read.
_BEARER = re.compile(r"Bearer [A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")
_MAX_TOKEN = 16_384


def register(app: web.Application, *, adapter: CloudAdapter, bot: Bot, local: bool) -> None:
    app.router.add_post(PATH, _handler(adapter, bot, local=local))


def _handler(adapter: CloudAdapter, bot: Bot, *, local: bool) -> Any:
    async def messages(request: web.Request) -> web.Response:
        header = request.headers.get("Authorization", "")
        if not local and not (len(header) < _MAX_TOKEN and _BEARER.fullmatch(header)):
            return _refuse(401, "unauthorized")  # no token, no parsing
        activity = await _activity(request)
        if isinstance(activity, web.Response):
            return activity
        if local and not _on_this_machine(activity.service_url):
            return _refuse(400, "local mode only answers a connector on this machine (serviceUrl)")
        try:
            auth = await adapter.bot_framework_authentication.authenticate_request(activity, header)
        except Exception as exc:  # every way a token can be missing, forged or expired
            log.warning("Teams request refused: %s: %s", type(exc).__name__, str(exc)[:200])
            return _refuse(401, "unauthorized")
        try:
            response = await adapter.process_activity(auth, activity, bot.on_turn)
        except Exception:  # outside the turn (connector set-up); inside, on_turn_error logs
            log.exception("Teams activity %s could not be processed", activity.type)
            return _refuse(503, "BridgePulse could not process this activity; try again")
        if response is None:
            return web.Response(status=200)
        body = response.body
        if hasattr(body, "serialize"):
            body = serializer_helper(body)
        return web.json_response(body, status=response.status or 200)

    return messages


async def _activity(request: web.Request) -> Activity | web.Response:
    if request.content_type != "application/json":
        return _refuse(415, "send the activity as application/json")
    try:
        body = orjson.loads(await request.read())  # refuses nesting past 1,024 levels
    except ValueError:  # orjson.JSONDecodeError
        return _refuse(400, "the body is not JSON")
    if not isinstance(body, dict):
        return _refuse(400, "the body is not an activity object")
    if _too_deep(body):
        return _refuse(400, f"the activity is nested deeper than {MAX_DEPTH} levels")
    try:
        activity: Activity = Activity().deserialize(body)
    except Exception:  # msrest raises several types for ill-typed fields
        return _refuse(400, "the activity has fields of the wrong type")
    missing = _missing(activity)
    if missing:
        return _refuse(400, f"the activity has no {missing}")
    return activity


def _too_deep(body: dict[str, Any]) -> bool:
    """Iterative, so that the check itself cannot overflow the stack."""
    stack: list[tuple[Any, int]] = [(body, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_DEPTH:
            return True
        children = value.values() if isinstance(value, dict) else value
        stack.extend((c, depth + 1) for c in children if isinstance(c, dict | list))
    return False


def _missing(activity: Activity) -> str | None:
    if not activity.type:
        return "type"
    if activity.conversation is None or not activity.conversation.id:
        return "conversation.id"
    if activity.from_property is None or not activity.from_property.id:
        return "from.id"
    if activity.recipient is None or not activity.recipient.id:
        return "recipient.id"
    if not activity.service_url or urlsplit(activity.service_url).scheme not in ("http", "https"):
        return "serviceUrl"
    return None


def _on_this_machine(service_url: str) -> bool:
    """Unauthenticated, the bot must not be steered into calling arbitrary hosts."""
    host = urlsplit(service_url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _refuse(status: int, reason: str) -> web.Response:
    return web.json_response({"error": reason}, status=status)
