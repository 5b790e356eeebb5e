"""One replica in its own process, for the multi-process test:

    python -m tests.scheduling.replica_process config.json

For each configured (fake) moment it waits at a barrier until every replica is there, runs the
due steps once (all replicas at the same instant), waits until every replica is done, and
finally writes what it posted to the platform as JSON lines."""

from __future__ import annotations

import asyncio
import json
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from bot.domain import ChannelRef
from storage.engine import create_engine
from storage.repository import SqlRepository
from tests.scheduling.conftest import FakePlatform, make_replica
from tests.support.clock import FakeClock


async def run(config: dict[str, Any]) -> list[dict[str, str]]:
    engine = create_engine(config["url"], schema=config["schema"])
    clock = FakeClock()
    platform = FakePlatform(clock=clock, latency=0.002)
    platform.members_by_channel.update(config["members"])
    replica = make_replica(SqlRepository(engine), clock, platform, owner=config["owner"])
    barrier = Path(config["barrier"])
    try:
        for step, moment in enumerate(config["moments"]):
            clock.set(datetime.fromisoformat(moment))
            _arrive(barrier, f"start-{step}", config["owner"], config["replicas"])
            await replica.runner.run_due()
            # Nobody moves the (fake) clock on while another replica is still mid-step: a jump
            # of days would make that replica's claim lease look long expired, which real time
            # never does to a step that renews its lease as it works.
            _arrive(barrier, f"done-{step}", config["owner"], config["replicas"])
    finally:
        await engine.dispose()
    return [
        {
            "kind": d.kind,
            "to": d.to.channel_id if isinstance(d.to, ChannelRef) else d.to.user_id,
        }
        for d in platform.log
    ]


def _arrive(folder: Path, name: str, owner: str, replicas: int) -> None:
    """Wait until every replica has reached this point (files as a cross-process barrier);
    they then leave within one poll interval of each other, to race the next steps."""
    (folder / f"{name}.{owner}").touch()
    deadline = time.monotonic() + 90
    while len(list(folder.glob(f"{name}.*"))) < replicas:
        if time.monotonic() > deadline:
            raise TimeoutError(f"barrier {name}: not every replica arrived")
        time.sleep(0.005)  # noqa: ASYNC251 (the barrier blocks this replica on purpose)


def main(path: str) -> None:
    config = json.loads(Path(path).read_text())
    posted = asyncio.run(run(config))
    Path(config["out"]).write_text("".join(json.dumps(p) + "\n" for p in posted))


if __name__ == "__main__":
    main(sys.argv[1])
