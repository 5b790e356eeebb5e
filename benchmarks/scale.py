"""Scale of the data: `/alignment`, a 500-channel digest and every channel's weekly summary over
10,000 channels × 52 weekly polls × 12 respondents × 4 answers, on SQLite and PostgreSQL.

    python -m benchmarks.scale --backend sqlite|postgres [--channels N] [--reuse]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import time
from collections.abc import Sequence
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from benchmarks.dataset import WORKSPACE_SIZE, Shape, load_postgres, load_sqlite, member_id
from benchmarks.stats import BenchResult, percentile
from bot.cards import Card
from bot.context import Deps
from bot.core import Core
from bot.domain import Actor, ChannelRef, Destination, PersonRef
from bot.privacy import RespondentHasher
from bot.questions import QuestionSets
from bot.views.summary import summary_card
from storage.engine import create_engine
from storage.migrate import migrate
from storage.repository import SqlRepository

DATA = Path(__file__).parent / ".data"
PG_ADMIN = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
PG_DB = "bp_bench_scale"
MANAGER = "UMANAGER"


class MembershipMessenger:
    """The platform side of a digest: everyone in `channel_members`, plus the manager everywhere."""

    def __init__(self, respondents: int) -> None:
        self._respondents = respondents
        self.sent: list[Card] = []

    async def post(self, *, to: Destination, card: Card) -> str:
        self.sent.append(card)
        return "ts"

    async def update(self, *, to: ChannelRef, message_ref: str, card: Card) -> None:
        return None

    async def members(self, *, channel: ChannelRef) -> Sequence[str]:
        index = int(channel.channel_id[1:])
        return [MANAGER, *(member_id(index, p) for p in range(self._respondents))]

    async def is_admin(self, *, actor: Actor, channel: ChannelRef) -> bool:
        return False


def _remove_sqlite(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


async def prepare(backend: str, shape: Shape, *, reuse: bool) -> tuple[str, float | None]:
    """A loaded database for `shape`; returns its URL and the load time (None when reused)."""
    marker = DATA / f"{backend}-shape.json"
    wanted = json.dumps(shape.__dict__)
    if backend == "sqlite":
        DATA.mkdir(exist_ok=True)
        path = DATA / "scale.db"
        url = f"sqlite+aiosqlite:///{path}"
        if reuse and path.exists() and marker.exists() and marker.read_text() == wanted:
            return url, None
        await asyncio.to_thread(_remove_sqlite, path)
        engine = create_engine(url)
        await migrate(engine)
        await engine.dispose()
        started = time.perf_counter()
        await asyncio.to_thread(load_sqlite, str(path), shape)
    else:
        url = PG_ADMIN.rsplit("/", 1)[0] + f"/{PG_DB}"
        if reuse and marker.exists() and marker.read_text() == wanted:
            return url, None
        admin = create_engine(PG_ADMIN)
        async with admin.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{PG_DB}" WITH (FORCE)'))
            await conn.execute(text(f'CREATE DATABASE "{PG_DB}"'))
        await admin.dispose()
        engine = create_engine(url)
        await migrate(engine)
        started = time.perf_counter()
        await load_postgres(engine, shape)
        await engine.dispose()
    DATA.mkdir(exist_ok=True)
    marker.write_text(wanted)
    return url, time.perf_counter() - started


async def plans(engine: AsyncEngine, backend: str, channel_id: int, poll_id: int) -> list[str]:
    """Query plans of the hot reads, for BENCHMARKS.md."""
    queries = {
        "poll history (trend)": f"SELECT * FROM poll WHERE channel_id = {channel_id} "
        "ORDER BY number DESC LIMIT 12",
        "answers of the open poll": "SELECT respondent, side, question_id, value FROM answer "
        f"WHERE poll_id = {poll_id}",
        "channels of a workspace": "SELECT * FROM channel JOIN workspace ON workspace.id = "
        "channel.workspace_id WHERE workspace.platform = 'slack' AND "
        "workspace.external_id = 'T0000'",
    }
    prefix = "EXPLAIN QUERY PLAN " if backend == "sqlite" else "EXPLAIN (ANALYZE, COSTS OFF) "
    out = []
    async with engine.connect() as conn:
        for name, sql in queries.items():
            rows = (await conn.execute(text(prefix + sql))).all()
            lines = [str(r[-1]) for r in rows]
            out.append(f"{name}:\n    " + "\n    ".join(lines))
    return out


async def measure(backend: str, shape: Shape, *, reuse: bool, samples: int) -> BenchResult:
    result = BenchResult(
        "scale", backend, command=f"python -m benchmarks.scale --backend {backend}"
    )
    print(
        f"scale/{backend}: {shape.channels} channels × {shape.polls} polls × "
        f"{shape.respondents} respondents × 4 answers = {shape.answers:,} answers",
        flush=True,
    )
    url, load_seconds = await prepare(backend, shape, reuse=reuse)
    if load_seconds is not None:
        result.notes.append(
            f"generated and loaded {shape.answers:,} answers in {load_seconds:.0f} s"
        )
        print(f"  loaded in {load_seconds:.0f} s", flush=True)
    engine = create_engine(url)
    repo = SqlRepository(engine)
    messenger = MembershipMessenger(shape.respondents)
    deps = Deps(
        repo=repo,
        hasher=RespondentHasher("bench"),
        question_sets=QuestionSets.load(),
        k=5,
        messengers={"slack": messenger},
    )
    core = Core(deps)
    rng = random.Random(1)
    workspaces = (shape.channels + WORKSPACE_SIZE - 1) // WORKSPACE_SIZE

    async def alignment(index: int) -> float:
        ref = ChannelRef("slack", f"T{index // WORKSPACE_SIZE:04d}", f"C{index:05d}")
        started = time.perf_counter()
        reply = await core.command(
            actor=Actor("slack", ref.workspace_id, "U1"), channel=ref, text="", name="alignment"
        )
        elapsed = time.perf_counter() - started
        assert "/100" in reply.card.text() or "not enough" in reply.card.text(), reply.card.text()
        return elapsed

    for _ in range(50):  # warm the pool and caches
        await alignment(rng.randrange(shape.channels))
    latencies = [await alignment(rng.randrange(shape.channels)) for _ in range(samples)]
    p50, p99 = percentile(latencies, 50) * 1000, percentile(latencies, 99) * 1000
    result.add(
        "/alignment (score + 12-week trend), p99",
        p99,
        "ms",
        "< 20 ms",
        p99 < 20,
        f"p50 {p50:.1f} ms, {samples} random channels, sequential",
    )

    digest_times = []
    for w in range(min(5, workspaces)):
        person = PersonRef("slack", f"T{w:04d}", MANAGER)
        started = time.perf_counter()
        card = await core.digests.digest(person)
        digest_times.append(time.perf_counter() - started)
        assert card.text().count("#team-") == min(WORKSPACE_SIZE, shape.channels), card.text()[:200]
    worst = max(digest_times)
    result.add(
        f"digest over {min(WORKSPACE_SIZE, shape.channels)} channels, worst of {len(digest_times)}",
        worst,
        "s",
        "< 1 s",
        worst < 1,
        f"median {sorted(digest_times)[len(digest_times) // 2]:.2f} s",
    )

    started = time.perf_counter()
    computed = await all_summaries(core, shape)
    total = time.perf_counter() - started
    result.add(
        f"weekly summaries of all {computed} channels",
        total,
        "s",
        "< 10 s",
        total < 10,
        "result of the newest poll from its answers + 12-poll trend + summary card",
    )

    first = await repo.get_channel(channel_id=1)
    assert first is not None
    open_poll = await repo.open_poll(channel_id=first.id)
    assert open_poll is not None
    result.notes += await plans(engine, backend, first.id, open_poll.id)
    await engine.dispose()
    return result


async def all_summaries(core: Core, shape: Shape) -> int:
    """Compute every channel's weekly summary as a mass close would, 500 channels per batch."""
    channels = await core.deps.repo.scheduled_channels()
    done = 0
    for start in range(0, len(channels), WORKSPACE_SIZE):
        batch = channels[start : start + WORKSPACE_SIZE]
        reports = await core.results.reports(batch)
        for channel in batch:
            report = reports[channel.id]
            poll = report.points[-1].poll
            summary_card(poll, report, core.results.question_set(poll), channel_name=channel.name)
            done += 1
    return done


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=("sqlite", "postgres"), required=True)
    parser.add_argument("--channels", type=int, default=10_000)
    parser.add_argument("--polls", type=int, default=52)
    parser.add_argument("--respondents", type=int, default=12)
    parser.add_argument("--samples", type=int, default=1000)
    parser.add_argument("--reuse", action="store_true", help="reuse a loaded dataset of this shape")
    args = parser.parse_args()
    shape = Shape(args.channels, args.polls, args.respondents)
    result = asyncio.run(measure(args.backend, shape, reuse=args.reuse, samples=args.samples))
    print(f"  wrote {result.save()}")


if __name__ == "__main__":
    main()
