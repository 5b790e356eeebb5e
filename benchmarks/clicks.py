"""Vote clicks under load: `bridgepulse serve` beside a bare Bolt app, in the same run.

    python -m benchmarks.clicks --backend sqlite|postgres [--clients 16] [--people 1000]

Both servers run in their own processes against the fake Slack Web API (in this process, which
also generates the load). Every click is a correctly signed `block_actions` request from one of
`clients` concurrent clients, each sending its next click when the previous one is done. For the
bare app a click is done at its HTTP 200; for BridgePulse when the person's ephemeral answer
reached the click's `response_url` (the vote is stored by then). Before the server starts the
database gets `--channels` scheduled channels (default 10,000), so the server's peak resident
memory is measured with them scheduled and under the vote load. After the run every click must
be counted exactly once: one stored answer per (person, question) with the value clicked, one
answer per click, and `bridgepulse_votes_total{outcome="created"}` equal to the clicks.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import re
import tempfile
import time
from collections.abc import Awaitable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
from sqlalchemy import insert, text

from benchmarks.processes import (
    CpuLoad,
    Server,
    bridgepulse,
    fresh_database,
    load_average,
    serve_env,
    server,
)
from benchmarks.stats import BenchResult, percentile
from demo.slack_api import FakeSlack
from storage.engine import create_engine
from storage.repository import CHANNEL, WORKSPACE
from tests.support.slack import FORM, SIGNING_SECRET, TEAM, SlackWorkspace, signed_headers

CHOICES = {"trust": "4", "priority": "2", "lever": "speed"}
ROTATING = "3"


class TrackingSlack(FakeSlack):
    """The fake Slack, plus a future per response_url so a client learns of its answer at once.

    An awaited answer is only kept during the run and checked (JSON, Block Kit) by
    `check_answers` after it: Slack's own checks do not run on the server's machine, and here
    they would take the CPUs the server is measured on (a second answer to the same url, which
    nobody awaits any more, is checked at once as usual and counts against exactly-once).
    """

    def __init__(self) -> None:
        super().__init__()
        self.waiting: dict[str, asyncio.Future[None]] = {}
        self.unchecked: list[tuple[str, bytes]] = []

    def expect(self, response_url: str) -> asyncio.Future[None]:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.waiting[response_url.rsplit("/", 1)[1]] = future
        return future

    async def _response(self, request: web.Request) -> web.Response:
        key = request.match_info["response_id"]
        future = self.waiting.pop(key, None)
        if future is None:
            return await super()._response(request)
        self.unchecked.append((key, await request.read()))
        future.set_result(None)
        return web.Response(text="ok")

    def check_answers(self) -> list[str]:
        """Check and store every answer kept during the run; the problems found."""
        problems = []
        for key, raw in self.unchecked:
            body = self.read_response(raw)
            if isinstance(body, str):
                problems.append(f"{key}: {body}")
            else:
                self.responses[key].append(body)
        self.unchecked.clear()
        return problems


@dataclass
class Click:
    user: str
    question: str
    value: str
    response_url: str
    body: bytes
    headers: dict[str, str]


@dataclass
class Run:
    seconds: float = 0.0
    acks: list[float] = field(default_factory=list)
    answers: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    server_cpu: float = 0.0
    driver_cpu: float = 0.0  # this process: the load generator and the fake Slack

    @property
    def done(self) -> int:
        return len(self.answers) or len(self.acks)

    @property
    def rate(self) -> float:
        return self.done / self.seconds if self.seconds else 0.0


def vote_actions(blocks: list[dict[str, Any]]) -> dict[str, dict[str, dict[str, Any]]]:
    """question id → choice → the action Slack would send for it."""
    found: dict[str, dict[str, dict[str, Any]]] = {}
    for block in blocks:
        block_id = str(block.get("block_id", ""))
        if block.get("type") != "actions" or not block_id.startswith("q_"):
            continue
        question = block_id[2:]
        for element in block["elements"]:
            if element["type"] == "static_select":
                for option in element["options"]:
                    choice = option["value"].rsplit(":", 1)[1]
                    found.setdefault(question, {})[choice] = {
                        "type": "static_select",
                        "block_id": block_id,
                        "action_id": element["action_id"],
                        "selected_option": option,
                    }
            else:
                found.setdefault(question, {})[element["text"]["text"]] = {
                    "type": "button",
                    "block_id": block_id,
                    "action_id": element["action_id"],
                    "text": element["text"],
                    "value": element.get("value", ""),
                }
    return found


def make_clicks(ws: SlackWorkspace, users: list[str], blocks: list[dict[str, Any]]) -> list[Click]:
    """One click per (person, question), signed now (valid for Slack's 5-minute window)."""
    actions = vote_actions(blocks)
    message = ws.poll_message()
    clicks = []
    for user in users:
        person = ws.people.get(user) or ws.person(user)
        for question, options in actions.items():
            value = CHOICES.get(question, ROTATING)
            url = ws.fake.new_response_url()
            body = person.action_body(options[value], response_url=url, message=message)
            headers = {"Content-Type": FORM, **signed_headers(body)}
            clicks.append(Click(user, question, value, url, body, headers))
    return clicks


async def drive(url: str, clicks: list[Click], *, clients: int, fake: TrackingSlack | None) -> Run:
    """Send every click from `clients` concurrent clients; with `fake`, wait for each answer."""
    run = Run()
    queue = iter(clicks)
    # The load generator's own garbage collections (its heap grows with every round's clicks
    # and answers) would stall it and slow later rounds; the server is measured, not it.
    gc.collect()
    gc.freeze()
    connector = aiohttp.TCPConnector(limit=clients)
    async with aiohttp.ClientSession(connector=connector) as http:

        async def client() -> None:
            for click in queue:
                answered = fake.expect(click.response_url) if fake else None
                started = time.perf_counter()
                async with http.post(url, data=click.body, headers=click.headers) as response:
                    await response.read()
                    run.statuses[response.status] = run.statuses.get(response.status, 0) + 1
                run.acks.append(time.perf_counter() - started)
                if answered is not None:
                    await asyncio.wait_for(answered, 30)
                    run.answers.append(time.perf_counter() - started)

        began = time.perf_counter()
        await asyncio.gather(*(client() for _ in range(clients)))
        run.seconds = time.perf_counter() - began
    return run


async def seed_channels(url: str, channels: int) -> None:
    """`channels` channels with a weekly pulse, next opening a week away (so nothing is due)."""
    if channels <= 0:
        return
    engine = create_engine(url)
    now = datetime.now(UTC)
    async with engine.begin() as conn:
        await conn.execute(
            insert(WORKSPACE),
            [{"platform": "slack", "external_id": f"TS{w}", "created_at": now} for w in range(20)],
        )
        base = (await conn.execute(text("SELECT min(id) FROM workspace"))).scalar_one()
        await conn.execute(
            insert(CHANNEL),
            [
                {
                    "workspace_id": base + c % 20,
                    "external_id": f"CS{c}",
                    "name": f"seeded-{c}",
                    "question_set": "default",
                    "schedule_weekday": now.weekday(),
                    "schedule_time": "09:00",
                    "schedule_timezone": "UTC",
                    "schedule_open_days": 3,
                    "paused": False,
                    "next_open_at": now + timedelta(days=7),
                    "created_at": now,
                    "updated_at": now,
                }
                for c in range(channels)
            ],
        )
    await engine.dispose()


async def counted_answers(url: str) -> dict[tuple[str, str], str]:
    """Stored answers of the benchmark's poll: (respondent hash, question) → value."""
    engine = create_engine(url)
    async with engine.connect() as conn:
        rows = (
            await conn.execute(
                text(
                    "SELECT a.respondent, a.question_id, a.value FROM answer a "
                    "JOIN poll p ON p.id = a.poll_id JOIN channel c ON c.id = p.channel_id "
                    "WHERE c.external_id = 'C1'"
                )
            )
        ).all()
    await engine.dispose()
    return {(r[0], r[1]): r[2] for r in rows}


async def server_metrics(server_url: str) -> tuple[int, str]:
    """New votes the server counted, and where its time per click went (its own histograms)."""
    async with aiohttp.ClientSession() as http, http.get(f"{server_url}/metrics") as response:
        body = await response.text()
    match = re.search(r'bridgepulse_votes_total\{outcome="created"\} ([0-9.e+]+)', body)
    core = _mean_ms(body, "bridgepulse_core_seconds", 'what="action"')
    reply = _mean_ms(body, "bridgepulse_slack_api_seconds", 'method="response_url"')
    where = f"server means over all clicks: vote {core:.1f} ms, reply post {reply:.1f} ms"
    return (int(float(match.group(1))) if match else 0), where


def _mean_ms(metrics: str, name: str, label: str) -> float:
    def total(suffix: str) -> float:
        found = re.search(rf"{name}_{suffix}\{{[^}}]*{label}[^}}]*\}} ([0-9.e+]+)", metrics)
        return float(found.group(1)) if found else 0.0

    count = total("count")
    return 1000 * total("sum") / count if count else 0.0


def bare_bolt(fake: TrackingSlack, folder: Path) -> AbstractAsyncContextManager[Server]:
    env = {
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_BOT_TOKEN": fake.workspace(TEAM).token,
        "SLACK_API_URL": fake.api_url,
    }
    argv = [*bridgepulse()[:1], "-m", "benchmarks.bare_bolt"]
    return server(argv, env, log=folder / "bare.log")


async def setup_poll(srv: Server, fake: TrackingSlack, users: list[str]) -> SlackWorkspace:
    async with aiohttp.ClientSession() as http:
        ws = SlackWorkspace(http, srv.url, fake)
        admin = ws.person("UADMIN", admin=True)
        gate = asyncio.Semaphore(16)

        async def join(n: int, user: str) -> None:
            async with gate:
                side = "marketing" if n % 2 else "it"
                answer = await ws.person(user).types(f"/pulse join {side}")
                assert "marketing" in answer.text.lower() or "it" in answer.text.lower()

        await asyncio.gather(*(join(n, u) for n, u in enumerate(users)))
        opened = await admin.types("/pulse now")
        assert "open" in opened.text.lower(), opened.text
        await fake.wait_for(lambda: fake.channel_messages("C1") or None)
    return ws


async def _busy(process: Server, work: Awaitable[Run]) -> Run:
    """Run `work`, noting how busy the server process was meanwhile (CPU seconds per second):
    near 100% means the server was the bottleneck, lower that it waited (for the load
    generator in this process, or for CPUs other work was using)."""
    cpu, mine, began = process.cpu_seconds(), time.process_time(), time.perf_counter()
    run = await work
    wall = time.perf_counter() - began
    run.server_cpu = (process.cpu_seconds() - cpu) / wall
    run.driver_cpu = (time.process_time() - mine) / wall
    return run


async def _profiler(srv: Server, profile: str | None) -> asyncio.subprocess.Process | None:
    """py-spy sampling the server during the timed run (`--profile out.txt`, collapsed stacks)."""
    if not profile:
        return None
    return await asyncio.create_subprocess_exec(
        "py-spy", "record", "-p", str(srv.process.pid), "-o", profile, "-f", "raw", "-r", "200"
    )


@dataclass
class Outcome:
    """What the timed rounds left behind, read while the servers still ran."""

    bots: list[Run]
    floors: list[Run]
    clicks: list[Click]
    blocks: list[dict[str, Any]]
    problems: list[str]  # answers Slack would refuse
    stored: dict[tuple[str, str], str]
    created: int  # new votes the server counted
    where: str  # where the server's time per click went
    rss: float


async def run(
    backend: str,
    clients: int,
    people: int,
    channels: int,
    *,
    rounds: int,
    profile: str | None = None,
) -> BenchResult:
    result = BenchResult(
        "clicks",
        backend,
        command=f"python -m benchmarks.clicks --backend {backend} --clients {clients} "
        f"--people {people} --channels {channels} --rounds {rounds}",
    )
    fake = TrackingSlack()
    fake.workspace(TEAM)
    fake.channel(TEAM, "C1", name="campaigns")
    await fake.start()
    crowds = [[f"U{r}-{i:05d}" for i in range(people)] for r in range(rounds)]
    warm = [f"W{i:05d}" for i in range(clients * 5)]
    cpu = CpuLoad()
    with tempfile.TemporaryDirectory() as tmp:
        outcome = await _served(
            backend,
            fake,
            Path(tmp),
            crowds,
            warm,
            channels=channels,
            clients=clients,
            profile=profile,
        )
    await fake.close()
    busy = cpu.busy_percent()
    _report(result, outcome.bots, outcome.floors, clients)
    result.notes.append(outcome.where)
    expected = (sum(map(len, crowds)) + len(warm)) * len(vote_actions(outcome.blocks))
    _report_once(result, outcome, fake, expected=expected)
    result.add(
        f"server peak RSS, {channels:,} channels scheduled, under the vote load",
        outcome.rss,
        "MB",
        "< 250 MB",
        outcome.rss < 250,
        "VmHWM of the `bridgepulse serve` process",
    )
    result.notes.append(f"machine CPU busy {busy:.0f}% during the run; {load_average()}")
    return result


async def _served(
    backend: str,
    fake: TrackingSlack,
    folder: Path,
    crowds: list[list[str]],
    warm: list[str],
    *,
    channels: int,
    clients: int,
    profile: str | None,
) -> Outcome:
    """Start both servers on a fresh database with `channels` seeded, run the rounds, and read
    what they stored and counted before the servers stop."""
    async with fresh_database(backend, folder, "bp_bench_clicks") as url:
        await seed_channels(url, channels)
        env = serve_env(url, fake.api_url, fake.workspace(TEAM).token, SIGNING_SECRET)
        async with (
            server(bridgepulse("serve"), env, log=folder / "serve.log") as srv,
            bare_bolt(fake, folder) as bare,
        ):
            ws = await setup_poll(srv, fake, [u for crowd in crowds for u in crowd] + warm)
            blocks = ws.poll_message().blocks
            bots, floors, clicks = await _rounds(
                srv, bare, fake, ws, blocks, crowds, warm, clients=clients, profile=profile
            )
            problems = fake.check_answers()
            stored = await counted_answers(url)
            created, where = await server_metrics(srv.url)
            rss = srv.peak_rss_mb()
    return Outcome(bots, floors, clicks, blocks, problems, stored, created, where, rss)


async def _rounds(
    srv: Server,
    bare: Server,
    fake: TrackingSlack,
    ws: SlackWorkspace,
    blocks: list[dict[str, Any]],
    crowds: list[list[str]],
    warm: list[str],
    *,
    clients: int,
    profile: str | None,
) -> tuple[list[Run], list[Run], list[Click]]:
    """A warm-up, then one timed round per crowd on each server: (BridgePulse's runs, bare
    Bolt's runs, every timed click)."""
    events, floor_url = f"{srv.url}/slack/events", f"{bare.url}/slack/events"
    warmup = make_clicks(ws, warm, blocks)
    await drive(events, warmup, clients=clients, fake=fake)
    await drive(floor_url, warmup, clients=clients, fake=None)
    bots: list[Run] = []
    floors: list[Run] = []
    clicks: list[Click] = []
    for crowd in crowds:  # alternate, so both meet the same machine load
        round_clicks = make_clicks(ws, crowd, blocks)
        floors.append(await _busy(bare, drive(floor_url, round_clicks, clients=clients, fake=None)))
        spy = await _profiler(srv, profile if not bots else None)
        bots.append(await _busy(srv, drive(events, round_clicks, clients=clients, fake=fake)))
        if spy is not None:
            spy.send_signal(2)
            await spy.wait()
        clicks += round_clicks
    return bots, floors, clicks


def _report_once(
    result: BenchResult, outcome: Outcome, fake: TrackingSlack, *, expected: int
) -> None:
    """Every click counted exactly once: stored, counted, answered and acknowledged once."""
    bots, clicks, problems = outcome.bots, outcome.clicks, outcome.problems
    statuses = {200: sum(b.statuses.get(200, 0) for b in bots)}
    once = (
        not problems
        and len(outcome.stored) == expected
        and outcome.created == expected
        and all(len(fake.responses[c.response_url.rsplit("/", 1)[1]]) == 1 for c in clicks)
        and statuses == {200: len(clicks)} == {200: sum(sum(b.statuses.values()) for b in bots)}
    )
    result.add(
        "every click counted exactly once",
        float(len(outcome.stored)),
        "answers",
        f"= {expected} clicks",
        once,
        f"{outcome.created} counted as new votes; one answer per click; every click HTTP 200; "
        f"{len(problems)} answers Slack would refuse" + (f" ({problems[0]})" if problems else ""),
    )


def _report(result: BenchResult, bots: list[Run], floors: list[Run], clients: int) -> None:
    ratios = sorted(b.rate / f.rate for b, f in zip(bots, floors, strict=True))
    ratio = ratios[len(ratios) // 2]
    p99s = sorted(percentile(b.answers, 99) * 1000 for b in bots)
    p99 = p99s[len(p99s) // 2]
    answers = [a for b in bots for a in b.answers]
    acks = [a for b in bots for a in b.acks]
    clicks = sum(b.done for b in bots)
    result.add(
        f"throughput vs bare Bolt ({clients} clients), median of {len(bots)} rounds",
        ratio,
        "×",
        "≥ 0.7",
        ratio >= 0.7,
        "rounds "
        + ", ".join(f"{b.rate:.0f}/{f.rate:.0f}" for b, f in zip(bots, floors, strict=True))
        + f" (BridgePulse clicks answered/s / bare Bolt acks/s); ratios {ratios[0]:.2f}–"
        f"{ratios[-1]:.2f}; {clicks} clicks; server CPU busy "
        + ", ".join(
            f"{b.server_cpu:.0%}/{f.server_cpu:.0%}" for b, f in zip(bots, floors, strict=True)
        )
        + f"; server CPU per click {_cpu_ms(bots):.2f} ms / {_cpu_ms(floors):.2f} ms"
        + "; load generator busy "
        + ", ".join(
            f"{b.driver_cpu:.0%}/{f.driver_cpu:.0%}" for b, f in zip(bots, floors, strict=True)
        ),
    )
    result.add(
        f"click → answer latency, p99 (median of {len(bots)} rounds)",
        p99,
        "ms",
        "< 50 ms",
        p99 < 50,
        f"rounds {', '.join(f'{v:.0f}' for v in p99s)} ms; all clicks p50 "
        f"{percentile(answers, 50) * 1000:.1f} ms; ack p50 {percentile(acks, 50) * 1000:.1f} ms, "
        f"p99 {percentile(acks, 99) * 1000:.1f} ms; bare Bolt ack p99 "
        f"{percentile([a for f in floors for a in f.acks], 99) * 1000:.1f} ms",
    )


def _cpu_ms(runs: list[Run]) -> float:
    """The server's CPU milliseconds per click over the rounds: steadier than a rate when the
    machine is shared, since the CPUs other work takes are not counted."""
    return 1000 * sum(r.server_cpu * r.seconds for r in runs) / sum(r.done for r in runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=("sqlite", "postgres"), required=True)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--people", type=int, default=500, help="people per round")
    parser.add_argument("--channels", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--profile", help="write py-spy's collapsed stacks of the server here")
    args = parser.parse_args()
    result = asyncio.run(
        run(
            args.backend,
            args.clients,
            args.people,
            args.channels,
            rounds=args.rounds,
            profile=args.profile,
        )
    )
    print(f"  wrote {result.save()}")


if __name__ == "__main__":
    main()
