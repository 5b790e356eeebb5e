"""The demo's world for tests: the real server, the fakes and the simulated team, on SQLite or
PostgreSQL, with the `/_sim` page mounted."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from demo.launch import first_monday
from demo.page import PageState
from demo.timeline import SETUP_BEFORE, Simulation
from demo.world import DemoClock, World, running_world
from server.settings import load_settings
from tests.support.db import migrated_engine

SEED = 7


@dataclass
class Demo:
    world: World
    page: PageState

    @property
    def simulation(self) -> Simulation:
        return self.page.sim

    @property
    def url(self) -> str:
        return self.world.server_url


@pytest.fixture
async def demo(backend: str, tmp_path: Path) -> AsyncIterator[Demo]:
    """Set up, one week played, and the next one open up to Wednesday noon (as `make demo`
    leaves it after a one-week history); the page acts as Maya."""
    monday = first_monday(1)
    clock = DemoClock(monday - SETUP_BEFORE)
    state = PageState(first_monday=monday, seed=SEED, you="maya")
    async with migrated_engine(backend, tmp_path) as engine:
        settings = load_settings(mode="demo")
        async with running_world(settings, clock=clock, engine=engine, mount=state.mount) as world:
            simulation = state.sim
            await simulation.setup()
            await simulation.play_week()
            simulation.human = {"maya"}
            await simulation.next_week()
            simulation.ready = True
            yield Demo(world, state)
