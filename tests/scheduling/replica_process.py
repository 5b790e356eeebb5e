"""One replica in its own process, for the multi-process test:

    python -m tests.scheduling.replica_process config.json

For each configured (fake) moment it waits for that moment's shared start instant (the barrier
all replicas wait for), runs the due steps once, and finally writes what it posted to the
platform as JSON lines."""

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
    try:
        for moment, start in zip(config["moments"], config["starts"], strict=True):
            clock.set(datetime.fromisoformat(moment))
            time.sleep(max(0.0, start - time.time()))  # noqa: ASYNC251 (the barrier)
            await replica.runner.run_due()
    finally:
        await engine.dispose()
    return [
        {
            "kind": d.kind,
            "to": d.to.channel_id if isinstance(d.to, ChannelRef) else d.to.user_id,
        }
        for d in platform.log
    ]


def main(path: str) -> None:
    config = json.loads(Path(path).read_text())
    posted = asyncio.run(run(config))
    Path(config["out"]).write_text("".join(json.dumps(p) + "\n" for p in posted))


if __name__ == "__main__":
    main(sys.argv[1])
