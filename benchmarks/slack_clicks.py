"""Poll clicks through the real Slack adapter: ack latency, answer latency, clicks per second.

    .venv/bin/python -m benchmarks.slack_clicks --people 60 --concurrency 20

Runs the real server (build_application, Bolt, SQLite in a temporary folder) against the fake
Slack Web API on loopback; every click is a signed block_actions request over HTTP. "ack" is
the time to Slack's HTTP 200, "answer" the time until the ephemeral confirmation reached the
click's response_url.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

import aiohttp
from aiohttp.test_utils import TestServer
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.app import build_application
from bot.settings import load_settings
from handlers.simulator.slack_api import FakeSlack
from handlers.slack.app import SLACK
from tests.support.db import migrated_engine
from tests.support.slack import SIGNING_SECRET, TEAM, SlackPerson, SlackWorkspace

QUESTIONS = (("trust", 4), ("priority", 3), ("lever", "speed"), ("imperative_1", 5))


async def run(people: int, concurrency: int, backend: str) -> None:
    fake = FakeSlack()
    fake.workspace(TEAM)
    await fake.start()
    with tempfile.TemporaryDirectory() as folder:
        async with migrated_engine(backend, Path(folder)) as engine:
            await measure(fake, engine, people, concurrency)
    await fake.close()
    print(f"  ({backend})")


async def measure(fake: FakeSlack, engine: AsyncEngine, people: int, concurrency: int) -> None:
    settings = load_settings(
        BRIDGEPULSE_ENV="test",
        SLACK_BOT_TOKEN=fake.workspace(TEAM).token,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=fake.api_url,
    )
    application = await build_application(settings, engine=engine)
    server = TestServer(application.web)
    await server.start_server()
    async with aiohttp.ClientSession() as http:
        ws = SlackWorkspace(http, str(server.make_url("")).rstrip("/"), fake)
        crowd = [ws.person(f"U{i:04d}") for i in range(people)]
        for n, person in enumerate(crowd):
            await person.types(f"/pulse join {'marketing' if n % 2 else 'it'}")
        await crowd[0].types("/pulse now")
        poll = ws.poll_message()
        acks: list[float] = []
        answers: list[float] = []
        gate = asyncio.Semaphore(concurrency)

        async def click(person: SlackPerson, question: str, choice: int | str) -> None:
            async with gate:
                started = time.perf_counter()
                await person.clicks(poll, question, choice)
                answers.append(time.perf_counter() - started)

        async def timed_ack(person: SlackPerson) -> None:
            body = person.action_body(
                {
                    "type": "button",
                    "block_id": "q_trust",
                    "action_id": "vote:q_trust:3",
                    "value": poll.blocks[3]["elements"][3]["value"],
                },
                response_url=fake.new_response_url(),
                message=poll,
            )
            started = time.perf_counter()
            result = await ws.send(body)
            acks.append(time.perf_counter() - started)
            assert result.status == 200

        began = time.perf_counter()
        await asyncio.gather(*(click(p, q, c) for p in crowd for q, c in QUESTIONS))
        elapsed = time.perf_counter() - began
        for person in crowd[: min(people, 50)]:
            await timed_ack(person)
        await application.web[SLACK].drain()
    await server.close()
    await application.close()
    clicks = people * len(QUESTIONS)
    print(f"{clicks} clicks by {people} people, {concurrency} at a time")
    print(f"  throughput: {clicks / elapsed:.0f} clicks/s (click → ephemeral answer)")
    print(f"  answer latency: {_summary(answers)}")
    print(f"  ack latency (one at a time): {_summary(acks)}")


def _summary(samples: list[float]) -> str:
    ms = sorted(1000 * s for s in samples)
    p95 = ms[int(0.95 * (len(ms) - 1))]
    return f"p50 {statistics.median(ms):.1f} ms, p95 {p95:.1f} ms, max {ms[-1]:.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--people", type=int, default=60)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--backend", choices=("sqlite", "postgres"), default="sqlite")
    args = parser.parse_args()
    asyncio.run(run(args.people, args.concurrency, args.backend))


if __name__ == "__main__":
    main()
