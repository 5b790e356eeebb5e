"""Scale of the data: `/alignment`, a 500-channel digest and every channel's weekly summary over
10,000 channels × 52 weekly polls × 12 respondents × 4 answers, on SQLite and PostgreSQL.

    python -m benchmarks.scale --backend sqlite|postgres [--channels N] [--reuse] [--cold]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from benchmarks.dataset import (
    FORMAT,
    START,
    WORKSPACE_SIZE,
    Shape,
    load_postgres,
    load_sqlite,
    member_id,
)
from benchmarks.stats import NO_TARGET, BenchResult, percentile
from bot.cards import Card
from bot.context import Deps
from bot.core import Core
from bot.domain import Actor, AnswerRecord, Channel, ChannelRef, Destination, PersonRef
from bot.nudges.rules import REPEAT_DAYS
from bot.ports import NudgeRecord
from bot.privacy import RespondentHasher
from bot.questions import QuestionSets
from bot.score.trends import TREND_POLLS, ScoreReport
from bot.summary.service import draft, needs_answers
from server.heap import settle_after_startup
from storage.engine import create_engine, is_postgres
from storage.migrate import migrate
from storage.repository import SqlRepository

DATA = Path(__file__).parent / ".data"
PG_ADMIN = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
PG_DB = "bp_bench_scale"
MANAGER = "UMANAGER"
#: Channels closed through the scheduler's own (write-heavy, exactly-once) close step.
CLOSE_SAMPLE = 200
CLOSE_AT = START + timedelta(days=7 * 51 + 3)


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


def _remove_sqlite(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


async def _upgrade(url: str) -> None:
    engine = create_engine(url)
    try:
        await migrate(engine)
    finally:
        await engine.dispose()


async def prepare(backend: str, shape: Shape, *, reuse: bool) -> tuple[str, float | None]:
    """A loaded database for `shape`; returns its URL and the load time (None when reused)."""
    marker = DATA / f"{backend}-shape.json"
    wanted = json.dumps({**shape.__dict__, "format": FORMAT})
    if backend == "sqlite":
        DATA.mkdir(exist_ok=True)
        path = DATA / "scale.db"
        url = f"sqlite+aiosqlite:///{path}"
        if reuse and path.exists() and marker.exists() and marker.read_text() == wanted:
            await _upgrade(url)  # a dataset loaded before a migration gets its new tables
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
            await _upgrade(url)
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


async def measure(
    backend: str, shape: Shape, *, reuse: bool, samples: int, cold: bool
) -> BenchResult:
    result = BenchResult(
        "scale",
        backend,
        command=f"python -m benchmarks.scale --backend {backend}" + (" --cold" if cold else ""),
    )
    print(
        f"scale/{backend}: {shape.channels} channels × {shape.polls} polls × "
        f"{shape.respondents} respondents × 4 answers = {shape.answers:,} answers",
        flush=True,
    )
    url = await _loaded(result, backend, shape, reuse=reuse)
    engine = create_engine(url)
    await reset_week(engine)
    if cold:
        result.notes.append(await evict(engine))
    result.notes.append(await cache_note(engine))
    repo = SqlRepository(engine)
    core = _core(repo, shape)
    settle_after_startup()  # as `bridgepulse serve` does after start-up (see server/app.py)
    await _alignment(result, core, shape, samples=samples)
    await _digests(result, core, shape)
    await _close_step(result, core, repo)
    await close_in_bulk(core)
    await _summaries(result, core)
    await reset_week(engine)
    result.notes += await _first_plans(engine, backend, repo)
    await engine.dispose()
    return result


async def _loaded(result: BenchResult, backend: str, shape: Shape, *, reuse: bool) -> str:
    """The loaded database's URL; how long the load took goes in the notes."""
    url, load_seconds = await prepare(backend, shape, reuse=reuse)
    if load_seconds is not None:
        result.notes.append(
            f"generated and loaded {shape.answers:,} answers in {load_seconds:.0f} s"
        )
        print(f"  loaded in {load_seconds:.0f} s", flush=True)
    return url


def _core(repo: SqlRepository, shape: Shape) -> Core:
    messenger = MembershipMessenger(shape.respondents)
    deps = Deps(
        repo=repo,
        hasher=RespondentHasher("bench"),
        question_sets=QuestionSets.load(),
        k=5,
        messengers={"slack": messenger},
    )
    return Core(deps)


async def _alignment(result: BenchResult, core: Core, shape: Shape, *, samples: int) -> None:
    """`/alignment` in random channels, one after another, after 50 to warm up."""
    rng = random.Random(1)

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


async def _digests(result: BenchResult, core: Core, shape: Shape) -> None:
    """The manager's digest of each of the first five workspaces (500 channels each)."""
    workspaces = (shape.channels + WORKSPACE_SIZE - 1) // WORKSPACE_SIZE
    digest_times = []
    for w in range(min(5, workspaces)):
        person = PersonRef("slack", f"T{w:04d}", MANAGER)
        started = time.perf_counter()
        card = await core.digests.digest(person)
        digest_times.append(time.perf_counter() - started)
        listed = min(WORKSPACE_SIZE, shape.channels - w * WORKSPACE_SIZE)
        assert f"{listed} channels, widest gaps held" in card.text(), card.text()[:300]
    worst = max(digest_times)
    result.add(
        f"digest over {min(WORKSPACE_SIZE, shape.channels)} channels, worst of {len(digest_times)}",
        worst,
        "s",
        "< 1 s",
        worst < 1,
        f"median {sorted(digest_times)[len(digest_times) // 2]:.2f} s",
    )


async def _close_step(result: BenchResult, core: Core, repo: SqlRepository) -> None:
    """The scheduler's close step over `CLOSE_SAMPLE` channels."""
    sample = (await repo.scheduled_channels())[:CLOSE_SAMPLE]
    started = time.perf_counter()
    durations = await production_close(core, sample)
    seconds = time.perf_counter() - started
    result.add(
        f"scheduler close step, {len(durations)} channels",
        len(durations) / seconds,
        "channels/s",
        NO_TARGET,
        True,
        f"PollService.close as the scheduler runs it, 8 at a time: claim, result, summary with "
        f"nudge and chart, delivery records, post to an in-memory platform; p50 "
        f"{percentile(durations, 50) * 1000:.0f} ms per channel",
    )


async def _summaries(result: BenchResult, core: Core) -> None:
    """Every channel's weekly summary, once the week's polls are closed."""
    started = time.perf_counter()
    computed = await all_summaries(core)
    total = time.perf_counter() - started
    result.add(
        f"weekly summaries of all {computed} channels computed",
        total,
        "s",
        "< 10 s",
        total < 10,
        "after the week's polls closed: each channel's summary (12-pulse trend, widest gap, "
        "nudge and follow-up, study comparison) from batched reads, 500 channels a batch",
    )


async def _first_plans(engine: AsyncEngine, backend: str, repo: SqlRepository) -> list[str]:
    """The hot reads' query plans, for the first channel and its open poll."""
    first = await repo.get_channel(channel_id=1)
    assert first is not None
    open_poll = await repo.open_poll(channel_id=first.id)
    assert open_poll is not None
    return await plans(engine, backend, first.id, open_poll.id)


async def cache_note(engine: AsyncEngine) -> str:
    """How much of the database the OS could have cached when the run began: the figures
    depend on it (this machine hands cached pages back to its host within minutes)."""
    async with engine.connect() as conn:
        if is_postgres(engine):
            size = (
                await conn.execute(text("SELECT pg_database_size(current_database())"))
            ).scalar()
        else:
            pages = (await conn.execute(text("PRAGMA page_count"))).scalar()
            page = (await conn.execute(text("PRAGMA page_size"))).scalar()
            size = int(pages or 0) * int(page or 0)
    meminfo = await asyncio.to_thread(Path("/proc/meminfo").read_text)
    cached_kb = next(
        int(line.split()[1]) for line in meminfo.splitlines() if line.startswith("Cached:")
    )
    return (
        f"at the start: database {int(size or 0) / 2**30:.1f} GiB, the machine's page cache "
        f"{cached_kb / 2**20:.1f} GiB (a run right after the load or another run finds more of "
        "it cached than one after other work)"
    )


async def evict(engine: AsyncEngine) -> str:
    """Drop the database's files from the OS page cache, so `/alignment` reads what it needs
    from disk: the worst case, a server whose cache holds none of this data."""
    if is_postgres(engine):
        async with engine.connect() as conn:
            found = await conn.execute(
                text(
                    "SELECT current_setting('data_directory') || '/base/' || oid "
                    "FROM pg_database WHERE datname = current_database()"
                )
            )
            folder = Path(str(found.scalar()))
        # its shared buffers stay: emptying them needs a restart of the server
        where = "files of this PostgreSQL database (its shared buffers stay)"
    else:
        folder, where = DATA, "files of the SQLite database and its WAL"
    try:
        files = await asyncio.to_thread(_evict_files, folder)
    except PermissionError as exc:
        return f"--cold: could not evict {where} from the page cache ({exc})"
    return f"--cold: {files} {where} evicted from the OS page cache before the run"


def _evict_files(folder: Path) -> int:
    count = 0
    for path in folder.iterdir():
        if not path.is_file():
            continue
        fd = os.open(path, os.O_RDONLY)
        try:
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(fd)
        count += 1
    return count


async def reset_week(engine: AsyncEngine) -> None:
    """Reopen every channel's newest poll and forget what closing it wrote, so runs repeat."""
    async with engine.begin() as conn:
        await conn.execute(
            text(
                "UPDATE poll SET closed_at = NULL, result = NULL, score = NULL, finished_at = NULL "
                "WHERE id IN (SELECT max(id) FROM poll GROUP BY channel_id)"
            )
        )
        for table in ("nudge", "poll_disclosure", "step_claim", "step_delivery"):
            await conn.execute(text(f"DELETE FROM {table}"))


async def production_close(core: Core, channels: Sequence[Channel]) -> list[float]:
    """Close each channel's open poll with the scheduler's own step, 8 at a time."""
    repo, queue, durations = core.deps.repo, list(channels), []

    async def worker() -> None:
        while queue:
            channel = queue.pop()
            started = time.perf_counter()
            poll = await repo.open_poll(channel_id=channel.id)
            if poll is not None and await core.polls.close(poll):
                durations.append(time.perf_counter() - started)

    await asyncio.gather(*(worker() for _ in range(8)))
    return durations


async def close_in_bulk(core: Core) -> None:
    """Untimed set-up: close every still-open newest poll and store its result."""
    repo, results = core.deps.repo, core.results
    channels = await repo.scheduled_channels()
    for start in range(0, len(channels), WORKSPACE_SIZE):
        batch = channels[start : start + WORKSPACE_SIZE]
        polls = [p for c in batch if (p := await repo.open_poll(channel_id=c.id)) is not None]
        answers = await repo.answers_of_polls(poll_ids=[p.id for p in polls])
        for poll in polls:
            await repo.mark_closed(poll_id=poll.id, closed_at=CLOSE_AT)
            await repo.store_result(poll_id=poll.id, result=results.score(poll, answers[poll.id]))


@dataclass
class SummaryReads:
    """What one batch of summaries is drafted from."""

    reports: dict[int, ScoreReport]
    answers: dict[int, list[AnswerRecord]]
    nudges: dict[int, list[NudgeRecord]]


async def summary_reads(core: Core, batch: Sequence[Channel]) -> SummaryReads:
    """A batch's trends (13 pulses), nudges of the last four weeks, and the newest polls'
    answers where their stored result lacks the study comparison's counts (older results)."""
    deps = core.deps
    reports = await core.results.reports(batch, polls=TREND_POLLS + 1)
    stale = [r.points[-1].poll.id for r in reports.values() if needs_answers(r.points[-1].result)]
    answers = await deps.repo.answers_of_polls(poll_ids=stale) if stale else {}
    since = CLOSE_AT - timedelta(days=REPEAT_DAYS)
    nudges = await deps.repo.nudges_since_many(channel_ids=[c.id for c in batch], since=since)
    return SummaryReads(reports, answers, nudges)


async def all_summaries(core: Core) -> int:
    """Every channel's summary of its newest (closed) poll, from batched reads and the same
    pure `draft` the close step uses; the next batch is read while this one is drafted."""
    deps, results = core.deps, core.results
    channels = await deps.repo.scheduled_channels()
    batches = [channels[s : s + WORKSPACE_SIZE] for s in range(0, len(channels), WORKSPACE_SIZE)]
    done = 0
    reading = asyncio.create_task(summary_reads(core, batches[0])) if batches else None
    for i, batch in enumerate(batches):
        assert reading is not None
        reads = await reading
        if i + 1 < len(batches):
            reading = asyncio.create_task(summary_reads(core, batches[i + 1]))
        for n, channel in enumerate(batch):
            report = reads.reports[channel.id]
            poll = report.points[-1].poll
            summary, _record = draft(
                channel,
                poll,
                report,
                reads.answers.get(poll.id),
                results.question_set(poll),
                nudges=reads.nudges[channel.id],
                channel_label=deps.channel_label(channel),
                k=deps.k,
                now=CLOSE_AT,
            )
            assert summary.result.participation.total > 0
            assert summary.comparisons or not summary.result.published
            done += 1
            if n % 50 == 49:  # let the next batch's reads go on between drafts
                await asyncio.sleep(0)
    return done


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=("sqlite", "postgres"), required=True)
    parser.add_argument("--channels", type=int, default=10_000)
    parser.add_argument("--polls", type=int, default=52)
    parser.add_argument("--respondents", type=int, default=12)
    parser.add_argument("--samples", type=int, default=1000)
    parser.add_argument("--reuse", action="store_true", help="reuse a loaded dataset of this shape")
    parser.add_argument(
        "--cold", action="store_true", help="evict the database from the OS page cache first"
    )
    args = parser.parse_args()
    shape = Shape(args.channels, args.polls, args.respondents)
    result = asyncio.run(
        measure(args.backend, shape, reuse=args.reuse, samples=args.samples, cold=args.cold)
    )
    print(f"  wrote {result.save()}")


if __name__ == "__main__":
    main()
