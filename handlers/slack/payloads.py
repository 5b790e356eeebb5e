"""What Slack sends, checked before Bolt sees it, and read into the core's neutral types.

Bolt assumes well-formed payloads: some signed garbage makes it raise (a 500), and it reads a
form body containing the word "payload" anywhere as an interaction. `check` parses the body
once, refuses anything that is not a shape Slack sends with a 4xx, and hands Bolt the parsed
dict, so listeners can rely on the fields they read.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import accumulate
from typing import Any, Literal
from urllib.parse import parse_qsl

import orjson

from bot.domain import Actor, ChannelRef, ClickOrigin
from handlers.slack import PLATFORM
from handlers.slack.render import neutral_action

Kind = Literal["command", "interaction", "event", "url_verification", "ssl_check", "rate_limited"]
JsonDict = dict[str, Any]
#: Longest team, user, channel or event id accepted (Slack's are about a dozen characters).
_ID_CHARS = 64


@dataclass(frozen=True, slots=True)
class Checked:
    kind: Kind
    body: JsonDict


@dataclass(frozen=True, slots=True)
class Refused:
    status: int
    reason: str


def check(raw: bytes, content_type: str) -> Checked | Refused:
    """Classify and validate a verified request body."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return Refused(400, "body is not UTF-8")
    if content_type == "application/json" or text.lstrip().startswith("{"):
        return _check_json(text)
    form = _interaction_form(raw) or dict(parse_qsl(text, keep_blank_values=True))
    if "payload" in form:
        return _check_interaction(form["payload"])
    if "command" in form:
        return _check_command(form)
    if "ssl_check" in form:
        return Checked("ssl_check", form)
    return Refused(400, "not a Slack command, interaction or event")


def _interaction_form(raw: bytes) -> dict[str, str] | None:
    """The form body of every click, `payload=<percent-encoded JSON>`, decoded in C.

    A click's payload carries the whole poll message, and urllib's pure-Python unquoting of it
    was a fifth of the server's time per click. Percent-escapes become `\\xNN` escapes for
    `codecs.escape_decode`; that is exact because a form-encoded body has no backslash of its
    own (it would be `%5C`). Anything else (other fields, a stray backslash, a malformed
    escape, bytes that are not UTF-8) returns None and goes the ordinary way."""
    if not raw.startswith(b"payload=") or b"&" in raw or b"\\" in raw:
        return None
    escaped = raw[len(b"payload=") :].replace(b"+", b" ").replace(b"%", b"\\x")
    try:
        return {"payload": codecs.escape_decode(escaped)[0].decode("utf-8")}
    except (ValueError, UnicodeDecodeError):
        return None


#: Deepest JSON nesting accepted from Slack: its payloads (a whole poll message with its blocks
#: included) stay near ten levels; orjson alone accepts up to 1,024.
MAX_DEPTH = 64
_NOT_BRACKETS = re.compile(r"[^\[\]{}]+")
_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}


def _loads(text: str) -> Any:
    """orjson: a click's payload carries the whole poll message, and this is the hot path."""
    try:
        value = orjson.loads(text)
    except (ValueError, RecursionError):  # orjson.JSONDecodeError is a ValueError
        return None
    return None if _too_deep(text) else value


def _too_deep(text: str) -> bool:
    """Nested past MAX_DEPTH, counted on the brackets alone (a regex drops everything else, so
    the Python-level walk sees a few hundred characters). Brackets inside strings can only
    raise the count, never hide a deep body, and our own texts stay far below the limit."""
    brackets = _NOT_BRACKETS.sub("", text)
    if len(brackets) <= MAX_DEPTH:
        return False
    return max(accumulate(map(_STEP.__getitem__, brackets))) > MAX_DEPTH


def _check_json(text: str) -> Checked | Refused:
    body = _loads(text)
    if not isinstance(body, dict):
        return Refused(400, "body is not a JSON object")
    kind = body.get("type")
    if kind == "url_verification" and isinstance(body.get("challenge"), str):
        return Checked("url_verification", body)
    if kind == "app_rate_limited":
        return Checked("rate_limited", body)
    if kind != "event_callback":
        return Refused(400, "unsupported event envelope")
    event = body.get("event")
    if not (
        _ident(body.get("team_id"))
        and _ident(body.get("event_id"))
        and isinstance(event, dict)
        and isinstance(event.get("type"), str)
        and _optional(event, "user", str)
        and _optional(event, "tab", str)
        and _optional(body, "authorizations", list)
        and all(isinstance(a, dict) for a in body.get("authorizations") or [])
    ):
        return Refused(400, "malformed event")
    return Checked("event", body)


def _check_interaction(payload_text: str) -> Checked | Refused:
    payload = _loads(payload_text)
    if not isinstance(payload, dict):
        return Refused(400, "payload is not a JSON object")
    if payload.get("type") != "block_actions":
        return Refused(400, "unsupported interaction type")
    actions = payload.get("actions")
    if not (
        _has_id(payload.get("team"))
        and _has_id(payload.get("user"))
        and isinstance(actions, list)
        and 0 < len(actions) <= 25
        and all(_action_ok(a) for a in actions)
        and (payload.get("channel") is None or _has_id(payload.get("channel")))
        and _optional(payload, "container", dict)
        and _optional(payload, "response_url", str)
        and all(_optional(payload, k, dict) for k in ("message", "view", "enterprise"))
    ):
        return Refused(400, "malformed block_actions payload")
    return Checked("interaction", payload)


def _check_command(form: dict[str, str]) -> Checked | Refused:
    if not all(_ident(form.get(k)) for k in ("team_id", "user_id", "channel_id")):
        return Refused(400, "slash command without team, user or channel")
    if not form["command"].startswith("/") or not form.get("response_url"):
        return Refused(400, "malformed slash command")
    return Checked("command", form)


def _action_ok(action: Any) -> bool:
    if not isinstance(action, dict) or not _ident(action.get("action_id"), limit=255):
        return False
    selected = action.get("selected_option")
    return (
        _optional(action, "value", str)
        and _optional(action, "action_ts", str)
        and (
            selected is None
            or (isinstance(selected, dict) and isinstance(selected.get("value"), str))
        )
    )


def _ident(value: Any, *, limit: int = _ID_CHARS) -> bool:
    return isinstance(value, str) and 0 < len(value) <= limit


def _has_id(value: Any) -> bool:
    return isinstance(value, dict) and _ident(value.get("id"))


def _optional(holder: JsonDict, key: str, kind: type) -> bool:
    return holder.get(key) is None or isinstance(holder[key], kind)


# ---- reading checked payloads into the core's types ---------------------------------------


def command_source(command: JsonDict) -> tuple[Actor, ChannelRef]:
    team = str(command["team_id"])
    actor = Actor(PLATFORM, team, str(command["user_id"]), str(command.get("user_name", "")))
    return actor, ChannelRef(PLATFORM, team, str(command["channel_id"]))


def click_source(body: JsonDict) -> tuple[Actor, ChannelRef | None]:
    team = str(body["team"]["id"])
    user = body["user"]
    actor = Actor(PLATFORM, team, str(user["id"]), str(user.get("username") or ""))
    channel = body.get("channel")
    return actor, ChannelRef(PLATFORM, team, str(channel["id"])) if channel else None


def click_origin(body: JsonDict, action: JsonDict, *, team: str) -> ClickOrigin:
    """Where and when the click was made. `team` is the verified workspace: the signed
    payload's own, or the installation Bolt authorised when Bolt delivered it. A direct
    message is an `im` conversation, whose ids Slack starts with "D"; an app's message in one
    is the app's conversation with that person, the only other member."""
    channel = body.get("channel")
    channel_id = str(channel["id"]) if channel else None
    direct = channel_id is not None and channel_id.startswith("D")
    return ClickOrigin(PLATFORM, team, channel_id, direct, _action_time(action.get("action_ts")))


_ACTION_TS = re.compile(r"^(\d{1,12})(?:\.(\d{1,6}))?$")


def _action_time(stamp: Any) -> datetime | None:
    """Slack's `action_ts` ("1700000000.123456", seconds and microseconds), read exactly."""
    match = _ACTION_TS.match(stamp) if isinstance(stamp, str) else None
    if match is None:
        return None
    micros = int((match.group(2) or "0").ljust(6, "0"))
    return datetime.fromtimestamp(int(match.group(1)), UTC) + timedelta(microseconds=micros)


def clicked(action: JsonDict) -> tuple[str, str]:
    """The neutral (action, value) of a button or a static_select choice."""
    selected = action.get("selected_option") or {}
    value = action.get("value") or selected.get("value") or ""
    return neutral_action(str(action["action_id"])), str(value)


def clicked_in_ephemeral(body: JsonDict) -> bool:
    return bool((body.get("container") or {}).get("is_ephemeral"))
