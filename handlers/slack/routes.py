"""HTTP routes: `POST /slack/events` (verified, checked, then Bolt) and the OAuth install pages.

Order on `/slack/events`: the signature first (401 on anything forged, stale, missing or
tampered, before the body is even parsed), then `payloads.check` (4xx for what Slack never
sends), then a click goes straight to `Clicks` and everything else to Bolt. Nothing reaching
Slack is a 5xx: Slack shows "dispatch_failed" for a failed command and redelivers a failed
event, so a failure after the checks becomes a polite 200.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import time
from collections.abc import Awaitable, Callable

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.async_app import AsyncApp
from slack_bolt.oauth.async_oauth_flow import AsyncOAuthFlow
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse

from bot.core import SORRY
from bot.ports import Telemetry
from handlers.slack.listeners.actions import Clicks
from handlers.slack.listeners.commands import COMMANDS
from handlers.slack.payloads import Checked, Refused, check

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
INSTALL_PATH = "/slack/install"
REDIRECT_PATH = "/slack/oauth_redirect"
#: Slack's replay window for signed requests, in seconds.
MAX_AGE = 300


class SignatureCheck:
    """Slack's v0 request signature: HMAC-SHA256 over `v0:{timestamp}:{raw body bytes}`."""

    def __init__(self, signing_secret: str) -> None:
        self._key = signing_secret.encode("utf-8")

    def valid(self, raw: bytes, *, timestamp: str, signature: str) -> bool:
        if not (timestamp.isdigit() and len(timestamp) <= 12 and signature.isascii()):
            return False
        if abs(time.time() - int(timestamp)) > MAX_AGE:
            return False
        digest = hmac.new(self._key, b"v0:" + timestamp.encode() + b":" + raw, hashlib.sha256)
        return hmac.compare_digest(f"v0={digest.hexdigest()}", signature)


class SlackRoutes:
    def __init__(
        self,
        bolt: AsyncApp,
        *,
        signature: SignatureCheck,
        telemetry: Telemetry,
        oauth: AsyncOAuthFlow | None,
        clicks: Clicks,
    ) -> None:
        self._bolt = bolt
        self._clicks = clicks
        self._signature = signature
        self._telemetry = telemetry
        self._oauth = oauth

    def mount(self, app: web.Application) -> None:
        app.router.add_post(EVENTS_PATH, self._counted(EVENTS_PATH, self.events))
        if self._oauth is not None:
            app.router.add_get(INSTALL_PATH, self._counted(INSTALL_PATH, self.install))
            app.router.add_get(REDIRECT_PATH, self._counted(REDIRECT_PATH, self.oauth_redirect))

    async def events(self, request: web.Request) -> web.Response:
        raw = await request.read()
        if not self._signature.valid(
            raw,
            timestamp=request.headers.get("X-Slack-Request-Timestamp", ""),
            signature=request.headers.get("X-Slack-Signature", ""),
        ):
            return web.json_response({"error": "invalid signature"}, status=401)
        checked = check(raw, request.content_type)
        if isinstance(checked, Refused):
            return web.json_response({"error": checked.reason}, status=checked.status)
        if early := _answer_without_bolt(checked):
            return early
        if checked.kind == "interaction":
            # Slack sends clicks only from workspaces that have the app installed, signed;
            # Bolt's dispatch would add its authorisation and matching and decide nothing.
            self._clicks.take(checked.body)
            return web.Response(status=200)
        try:
            # A parsed body goes to Bolt in its dict form ("socket_mode" is Bolt's name for
            # that). Building the request reads fields too (a url_verification envelope with
            # `"authorizations": false` made it raise), so it is inside the net.
            bolt_request = AsyncBoltRequest(
                body=checked.body,
                query=request.query_string,
                headers=dict(request.headers),
                mode="socket_mode",
            )
            response = await self._bolt.async_dispatch(bolt_request)
        except Exception:  # Bolt catches most errors itself; this is the last net
            log.exception("Bolt failed on a %s", checked.kind)
            response = BoltResponse(status=500)
        return await to_aiohttp_response(_never_a_5xx(response, checked))

    async def install(self, request: web.Request) -> web.Response:
        assert self._oauth is not None
        return await to_aiohttp_response(await self._oauth.handle_installation(_bolt_get(request)))

    async def oauth_redirect(self, request: web.Request) -> web.Response:
        assert self._oauth is not None
        return await to_aiohttp_response(await self._oauth.handle_callback(_bolt_get(request)))

    def _counted(
        self, route: str, handler: Callable[[web.Request], Awaitable[web.Response]]
    ) -> Callable[[web.Request], Awaitable[web.Response]]:
        async def counted(request: web.Request) -> web.Response:
            try:
                response = await handler(request)
            except web.HTTPException as exc:  # e.g. 413 for a body over the size limit
                self._telemetry.count("http_requests", route=route, status=str(exc.status))
                raise
            self._telemetry.count("http_requests", route=route, status=str(response.status))
            return response

        return counted


def _answer_without_bolt(checked: Checked) -> web.Response | None:
    if checked.kind in ("ssl_check", "rate_limited"):
        return web.Response(status=200)
    command = re.sub(r"[^\w/-]", "", str(checked.body.get("command", "")))[:40]
    if checked.kind == "command" and command.lstrip("/") not in COMMANDS:
        listed = " and ".join(f"`/{c}`" for c in COMMANDS)
        return web.json_response(
            {
                "response_type": "ephemeral",
                "text": f"BridgePulse answers {listed}; `{command}` is not one of them.",
            }
        )
    return None


def _never_a_5xx(response: BoltResponse, checked: Checked) -> BoltResponse:
    if response.status == 404 and checked.kind == "event":
        return BoltResponse(status=200, body="")  # an event we do not act on: acknowledged
    if response.status < 500:
        return response
    if checked.kind == "command":
        return BoltResponse(
            status=200,
            body={"response_type": "ephemeral", "text": SORRY},
            headers={"content-type": "application/json"},
        )
    return BoltResponse(status=200, body="")


def _bolt_get(request: web.Request) -> AsyncBoltRequest:
    return AsyncBoltRequest(body="", query=request.query_string, headers=dict(request.headers))
