"""The floor for the click benchmark: a bare Bolt app on aiohttp that verifies each request's
signature and only acknowledges block actions (no database, no reply).

    SLACK_SIGNING_SECRET=... SLACK_BOT_TOKEN=... SLACK_API_URL=... PORT=... python -m benchmarks.bare_bolt
"""

from __future__ import annotations

import logging
import os
import re
from typing import Any

from aiohttp import web
from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_sdk.web.async_client import AsyncWebClient


def build() -> web.Application:
    client = AsyncWebClient(
        token=os.environ["SLACK_BOT_TOKEN"], base_url=os.environ["SLACK_API_URL"]
    )
    bolt = AsyncApp(client=client, signing_secret=os.environ["SLACK_SIGNING_SECRET"])

    async def on_click(ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()

    bolt.block_action(re.compile(".+"))(on_click)
    app = bolt.web_app(path="/slack/events")

    async def healthz(_request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    app.router.add_get("/healthz", healthz)
    return app


def main() -> None:
    logging.basicConfig(level=logging.WARNING)
    web.run_app(
        build(),
        host=os.environ.get("HOST", "127.0.0.1"),
        port=int(os.environ["PORT"]),
        access_log=None,
        print=None,
    )


if __name__ == "__main__":
    main()
