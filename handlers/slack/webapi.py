"""The Slack Web API client: one timed HTTP session, Slack's retry handlers, a base URL setting.

Every Web API call and file upload goes through one aiohttp session whose trace hooks time it
for Prometheus, so latency is measured wherever the call is made from (response_url posts, one
per click, use a plain session and are timed by `replies.ReplyDelivery` under the same names).
"""

from __future__ import annotations

import time
from types import SimpleNamespace

import aiohttp
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

from bot.ports import Telemetry
from handlers.slack.pacing import PacedRateLimitRetry, Pacer

#: Seconds one HTTP call to Slack may take before it counts as failed.
TIMEOUT = 20


def retry_handlers(pacer: Pacer | None = None) -> list[AsyncRetryHandler]:
    """429 → wait `Retry-After` and retry (with a pacer: the whole workspace waits, then goes
    at the pace Slack accepted); dropped connections and 500/503 → back off, retry."""
    return [
        PacedRateLimitRetry(pacer) if pacer else AsyncRateLimitErrorRetryHandler(max_retry_count=3),
        AsyncConnectionErrorRetryHandler(max_retry_count=2),
        AsyncServerErrorRetryHandler(max_retry_count=1),
    ]


def record_call(telemetry: Telemetry, *, method: str, started: float, status: str) -> None:
    """One call to Slack, in the metrics: its latency and its outcome, by method."""
    telemetry.observe("slack_api_seconds", time.perf_counter() - started, method=method)
    telemetry.count("slack_api_calls", method=method, status=status)


def timed_session(telemetry: Telemetry, *, api_url: str) -> aiohttp.ClientSession:
    """An aiohttp session that reports each request's latency, by Slack method, to telemetry."""

    def label(url: str) -> str:
        if url.startswith(api_url):
            return url[len(api_url) :].split("?", 1)[0][:40] or "unknown"
        return "file_upload"

    async def started(
        _session: aiohttp.ClientSession, ctx: SimpleNamespace, _params: object
    ) -> None:
        ctx.started = time.perf_counter()

    async def ended(
        _session: aiohttp.ClientSession, ctx: SimpleNamespace, params: aiohttp.TraceRequestEndParams
    ) -> None:
        status = str(params.response.status)
        record_call(telemetry, method=label(str(params.url)), started=ctx.started, status=status)

    async def failed(
        _session: aiohttp.ClientSession,
        ctx: SimpleNamespace,
        params: aiohttp.TraceRequestExceptionParams,
    ) -> None:
        method = label(str(params.url))
        record_call(telemetry, method=method, started=ctx.started, status="connection_error")

    trace = aiohttp.TraceConfig()
    trace.on_request_start.append(started)
    trace.on_request_end.append(ended)
    trace.on_request_exception.append(failed)
    return aiohttp.ClientSession(trace_configs=[trace])


def web_client(
    session: aiohttp.ClientSession,
    *,
    api_url: str,
    token: str | None = None,
    pacer: Pacer | None = None,
) -> AsyncWebClient:
    return AsyncWebClient(
        token=token,
        base_url=api_url,
        session=session,
        timeout=TIMEOUT,
        retry_handlers=retry_handlers(pacer),
    )
