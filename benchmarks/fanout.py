"""Fan-out: 1,000 channels' weekly polls fall due at once, against a fake Slack that enforces
about one message per second per channel and a workspace-wide rate, answering HTTP 429 with
`Retry-After` when pushed.

    python -m benchmarks.fanout --backend sqlite|postgres [--channels 1000] [--rate 20]

`bridgepulse serve` runs in its own process; its scheduler finds every poll due when it starts.
Counted from the fake: each channel must get exactly one poll (zero lost, zero duplicated),
and the time from the first post attempt to the last accepted post must be within 20% of the
least the workspace limit allows (channels / rate).
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import text

from benchmarks.processes import (
    CpuLoad,
    bridgepulse,
    fresh_database,
    load_average,
    serve_env,
    server,
)
from benchmarks.stats import BenchResult
from demo.slack_api import FakeSlack, RateLimits, Workspace
from storage.engine import create_engine
from tests.support.due import due_channels
from tests.support.slack import SIGNING_SECRET, TEAM


class TimedSlack(FakeSlack):
    """The fake, noting when each chat.postMessage was tried and when one was accepted."""

    def __init__(self, rate_limits: RateLimits) -> None:
        super().__init__(rate_limits=rate_limits)
        self.tried: list[float] = []
        self.accepted: list[float] = []

    def _post_message(self, ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
        self.tried.append(time.monotonic())
        answer = super()._post_message(ws, args)
        if answer.get("ok"):
            self.accepted.append(time.monotonic())
        return answer

    def _over_workspace_rate(self, ws: Workspace) -> bool:
        limited = super()._over_workspace_rate(ws)
        if limited:
            self.tried.append(time.monotonic())
        return limited


async def recorded(url: str) -> int:
    engine = create_engine(url)
    async with engine.connect() as conn:
        found = await conn.execute(text("SELECT count(*) FROM poll WHERE message_ref IS NOT NULL"))
        count = int(found.scalar_one())
    await engine.dispose()
    return count


async def run(backend: str, channels: int, rate: float, limit_seconds: float) -> BenchResult:
    result = BenchResult(
        "fanout",
        backend,
        command=f"python -m benchmarks.fanout --backend {backend} --channels {channels} "
        f"--rate {rate:g}",
    )
    fake = TimedSlack(RateLimits(per_channel_interval=1.0, workspace_per_second=rate))
    fake.workspace(TEAM)
    await fake.start()
    cpu = CpuLoad()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        async with fresh_database(backend, folder, "bp_bench_fanout") as url:
            ids = await due_channels(url, channels, team=TEAM)
            for channel in ids:
                fake.channel(TEAM, channel)
            env = serve_env(url, fake.api_url, fake.workspace(TEAM).token, SIGNING_SECRET)
            async with server(bridgepulse("serve"), env, log=folder / "serve.log") as srv:
                async with asyncio.timeout(limit_seconds):
                    while len(fake.accepted) < channels or await recorded(url) < channels:  # noqa: ASYNC110
                        await asyncio.sleep(0.5)  # another process's database: look again
                await asyncio.sleep(2)  # anything still coming would be a duplicate
                rss = srv.peak_rss_mb()
    await fake.close()
    posts = {c: len([m for m in fake.channel_messages(c) if m.blocks]) for c in ids}
    lost = sum(1 for n in posts.values() if n == 0)
    duplicated = sum(n - 1 for n in posts.values() if n > 1)
    elapsed = fake.accepted[-1] - fake.tried[0]
    least = channels / rate
    refused = sum(1 for c in fake.calls_to("chat.postMessage") if c.status == 429)
    start = fake.tried[0]
    per_second = [0] * (int(elapsed) + 1)
    for moment in fake.accepted:
        per_second[int(moment - start)] += 1
    result.notes.append(f"polls accepted in each second: {per_second}")
    result.add("polls lost", float(lost), "", "= 0", lost == 0, f"{channels} channels due at once")
    result.add("polls duplicated", float(duplicated), "", "= 0", duplicated == 0)
    result.add(
        "fan-out time vs the limit's minimum",
        elapsed / least,
        "×",
        "≤ 1.2",
        elapsed <= 1.2 * least,
        f"{elapsed:.1f} s for {channels} polls; minimum {least:.0f} s at {rate:g} messages/s "
        f"per workspace and 1/s per channel; {refused} posts answered 429",
    )
    result.notes.append(f"server peak RSS during the fan-out {rss:.0f} MB")
    result.notes.append(
        f"machine CPU busy {cpu.busy_percent():.0f}% during the run; {load_average()}"
    )
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=("sqlite", "postgres"), required=True)
    parser.add_argument("--channels", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=20.0, help="workspace messages per second")
    args = parser.parse_args()
    limit = 5 * args.channels / args.rate + 60
    result = asyncio.run(run(args.backend, args.channels, args.rate, limit))
    print(f"  wrote {result.save()}")


if __name__ == "__main__":
    main()
