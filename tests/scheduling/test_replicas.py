"""Several replicas on one database, every one with its scheduler on: each step happens once.

The replicas have their own engines (connection pools) and run truly concurrently against the
database; they share one fake platform, so a double post anywhere shows up in its log.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import text

from bot.core import Core
from bot.domain import Actor, ChannelRef, PersonRef
from storage.engine import create_engine
from storage.migrate import migrate
from storage.repository import SqlRepository
from tests.scheduling.conftest import FakePlatform, Replica, make_replica, run_until
from tests.support.chat import PLATFORM
from tests.support.clock import FakeClock
from tests.support.db import database

ROOT = Path(__file__).resolve().parents[2]

SUNDAY = datetime(2026, 11, 22, 12, tzinfo=UTC)
MONDAY_9 = datetime(2026, 11, 23, 9, tzinfo=UTC)
CLOSE = datetime(2026, 11, 26, 9, tzinfo=UTC)


async def pulse(core: Core, ref: ChannelRef, user: str, words: str) -> str:
    actor = Actor(PLATFORM, ref.workspace_id, user)
    reply = await core.command(actor=actor, channel=ref, text=words, name="pulse")
    return reply.card.text()


async def mixed_channels(
    core: Core, platform: FakePlatform, *, workspaces: int, channels: int, people: int = 4
) -> list[ChannelRef]:
    """`channels` channels per workspace, each with its admin and `people` members per side;
    the admin of each workspace's first channel subscribes to the digest."""
    refs = []
    for w in range(workspaces):
        for c in range(channels):
            ref = ChannelRef(PLATFORM, f"W{w}", f"C{w}-{c}")
            admin = f"admin-{ref.channel_id}"
            users = [f"{side}{i}-{ref.channel_id}" for side in ("m", "i") for i in range(people)]
            platform.members_by_channel[ref.channel_id] = [admin, *users]
            assert "Weekly pulse is on" in await pulse(core, ref, admin, "setup mon 09:00 UTC 3")
            for user in users:
                await pulse(core, ref, user, "join " + ("marketing" if user[0] == "m" else "it"))
            if c == 0:
                await pulse(core, ref, admin, "digest on")
            refs.append(ref)
    return refs


def assert_each_step_once(platform: FakePlatform, refs: list[ChannelRef], people: int) -> None:
    polls = Counter(d.to for d in platform.of_kind("poll"))
    summaries = Counter(d.to for d in platform.of_kind("summary"))
    assert polls == Counter(refs) and summaries == Counter(refs)
    reminders = Counter(d.to for d in platform.of_kind("reminder"))
    assert len(reminders) == len(refs) * 2 * people and set(reminders.values()) == {1}
    digests = Counter(d.to for d in platform.of_kind("digest"))
    admins = {PersonRef(PLATFORM, r.workspace_id, f"admin-{r.channel_id}") for r in refs}
    assert set(digests) <= admins and set(digests.values()) == {1}
    assert len(digests) == len({r.workspace_id for r in refs})


async def test_two_schedulers_on_one_database_post_each_step_once(
    two_repos: tuple[SqlRepository, SqlRepository], clock: FakeClock
) -> None:
    platform = FakePlatform(clock=clock, latency=0.002)
    repo_a, repo_b = two_repos
    a = make_replica(repo_a, clock, platform, owner="replica-a")
    b = make_replica(repo_b, clock, platform, owner="replica-b")
    clock.set(SUNDAY)
    refs = await mixed_channels(a.core, platform, workspaces=2, channels=6)
    await run_until(clock, CLOSE + timedelta(days=1), a, b)

    assert_each_step_once(platform, refs, people=4)
    async with repo_a.engine.connect() as conn:
        polls = (await conn.execute(text("SELECT channel_id, count(*) FROM poll GROUP BY 1"))).all()
        owners = (
            await conn.execute(text("SELECT DISTINCT claimed_by FROM step_claim WHERE step='open'"))
        ).all()
    assert len(polls) == len(refs) and {n for _, n in polls} == {1}
    assert {o for (o,) in owners} <= {"replica-a", "replica-b"}


async def test_many_wake_ups_at_once_still_open_one_poll_per_channel(
    two_repos: tuple[SqlRepository, SqlRepository], clock: FakeClock
) -> None:
    platform = FakePlatform(clock=clock, latency=0.005)
    replicas = [
        make_replica(repo, clock, platform, owner=f"replica-{n}-{i}")
        for n, repo in enumerate(two_repos)
        for i in range(3)
    ]
    clock.set(SUNDAY)
    refs = await mixed_channels(replicas[0].core, platform, workspaces=1, channels=10, people=1)
    clock.set(MONDAY_9)
    await asyncio.gather(*(r.runner.run_due() for r in replicas))
    assert Counter(d.to for d in platform.of_kind("poll")) == Counter(refs)


async def test_pulse_close_racing_the_scheduled_close_posts_one_summary(
    two_repos: tuple[SqlRepository, SqlRepository], clock: FakeClock
) -> None:
    platform = FakePlatform(clock=clock, latency=0.005)
    a = make_replica(two_repos[0], clock, platform, owner="replica-a")
    b = make_replica(two_repos[1], clock, platform, owner="replica-b")
    clock.set(SUNDAY)
    refs = await mixed_channels(a.core, platform, workspaces=1, channels=4, people=1)
    await run_until(clock, MONDAY_9 + timedelta(hours=1), a)
    clock.set(CLOSE)
    closes = [pulse(b.core, ref, f"admin-{ref.channel_id}", "close") for ref in refs]
    replies = await asyncio.gather(a.tick(), *closes)
    assert all(isinstance(r, str) and "Sorry" not in r for r in replies[1:])
    await run_until(clock, CLOSE + timedelta(hours=1), a, b)
    assert Counter(d.to for d in platform.of_kind("summary")) == Counter(refs)


async def test_a_manual_poll_still_open_is_closed_before_the_weeks_poll(
    replica: Replica, platform: FakePlatform, clock: FakeClock
) -> None:
    clock.set(SUNDAY)
    boss = replica.chat.person("boss")
    await boss.says("/pulse setup mon 09:00 UTC 3")
    opened = await boss.says("/pulse now")  # Sunday: it would stay open until Wednesday
    assert "Pulse #1 is open" in opened.card.text()
    await run_until(clock, MONDAY_9 + timedelta(minutes=1), replica)
    kinds = [(d.kind, d.at) for d in platform.log]
    assert kinds == [("poll", SUNDAY), ("summary", MONDAY_9), ("poll", MONDAY_9)]
    history = await replica.core.deps.repo.poll_history(channel_id=1, limit=5)
    assert [(h.poll.number, h.poll.is_open) for h in history] == [(1, False), (2, True)]


async def test_a_big_workspace_at_monday_nine_stays_bounded_and_loses_nothing(
    replica: Replica, platform: FakePlatform, clock: FakeClock
) -> None:
    clock.set(SUNDAY)
    refs = await mixed_channels(replica.core, platform, workspaces=1, channels=60, people=0)
    platform.latency = 0.002
    platform.await_company = True  # the first send waits until another one is under way
    refused: set[ChannelRef] = set()

    def rate_limited_once(to: object, _card: object) -> bool:
        # Every third channel's first post is refused (the messenger gave up on its 429s).
        if isinstance(to, ChannelRef) and int(to.channel_id.rsplit("-", 1)[1]) % 3 == 0:
            if to not in refused:
                refused.add(to)
                return True
        return False

    platform.refuse = rate_limited_once
    await run_until(clock, MONDAY_9 + timedelta(minutes=10), replica)
    assert len(refused) == 20
    assert Counter(d.to for d in platform.of_kind("poll")) == Counter(refs)
    in_flight = platform.max_in_flight
    assert 1 < in_flight <= 8, in_flight  # concurrent, within the runner's bound


async def test_replica_processes_racing_each_step_do_it_once(
    backend: str, tmp_path: Path, clock: FakeClock
) -> None:
    """Three OS processes, each a replica, run every step of the week at the same instant."""
    async with database(backend, tmp_path) as (url, schema):
        engine = create_engine(url, schema=schema)
        try:
            await migrate(engine)
            platform = FakePlatform(clock=clock)
            setup = make_replica(SqlRepository(engine), clock, platform, owner="setup")
            clock.set(SUNDAY)
            refs = await mixed_channels(setup.core, platform, workspaces=2, channels=8, people=2)
        finally:
            await engine.dispose()
        moments = [m.isoformat() for m in (MONDAY_9, CLOSE - timedelta(days=1), CLOSE)]
        config = {"url": url, "schema": schema, "members": platform.members_by_channel}
        posted = await race_processes(tmp_path, config | {"moments": moments}, n=3)
    channels = Counter(r.channel_id for r in refs)
    assert Counter(p["to"] for p in posted if p["kind"] == "poll") == channels
    assert Counter(p["to"] for p in posted if p["kind"] == "summary") == channels
    reminders = Counter(p["to"] for p in posted if p["kind"] == "reminder")
    assert len(reminders) == len(refs) * 4 and set(reminders.values()) == {1}
    digests = Counter(p["to"] for p in posted if p["kind"] == "digest")
    assert digests == Counter({"admin-C0-0": 1, "admin-C1-0": 1})


async def race_processes(tmp_path: Path, config: dict[str, object], *, n: int) -> list[dict]:
    # Every process imports first, then all run each moment's steps at the same instant.
    barrier = tmp_path / "barrier"
    barrier.mkdir()
    procs = []
    for i in range(n):
        path = tmp_path / f"replica-{i}.json"
        out = tmp_path / f"replica-{i}.out"
        mine = {"owner": f"p{i}", "barrier": str(barrier), "replicas": n, "out": str(out)}
        path.write_text(json.dumps(config | mine))
        procs.append(
            await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "tests.scheduling.replica_process",
                str(path),
                cwd=ROOT,
                stderr=asyncio.subprocess.PIPE,
            )
        )
    posted = []
    for i, proc in enumerate(procs):
        _, err = await asyncio.wait_for(proc.communicate(), timeout=120)
        assert proc.returncode == 0, err.decode()
        lines = (tmp_path / f"replica-{i}.out").read_text().splitlines()
        posted += [json.loads(line) for line in lines]
    return posted


async def test_moving_the_weekday_while_the_weeks_poll_is_open_keeps_one_poll_a_week(
    replica: Replica, platform: FakePlatform, clock: FakeClock
) -> None:
    clock.set(SUNDAY)
    boss = replica.chat.person("boss")
    await boss.says("/pulse setup mon 09:00 UTC 3")
    await run_until(clock, MONDAY_9 + timedelta(days=1), replica)
    moved = await boss.says("/pulse setup wed 10:00 UTC 3")
    assert "Pulse #1 is already open and keeps its closing time" in moved.card.text()
    await run_until(clock, MONDAY_9 + timedelta(days=10), replica)
    assert [(d.kind, d.at) for d in platform.log] == [
        ("poll", MONDAY_9),
        ("summary", CLOSE),  # Monday's poll keeps its closing time; no second poll that week
        ("poll", datetime(2026, 12, 2, 10, tzinfo=UTC)),
    ]
