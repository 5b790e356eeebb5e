"""Teams fixtures: the fake connector on loopback and the real server wired to it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from demo.teams_connector import FakeTeamsConnector
from tests.support.adaptive_cards import CardChecker
from tests.support.clock import FakeClock
from tests.support.db import migrated_engine
from tests.support.markers import assert_rendered
from tests.support.teams import Teams, running_connector


@pytest.fixture(scope="session")
def card_checker() -> CardChecker:
    return CardChecker.install()


@pytest.fixture
async def connector() -> AsyncIterator[tuple[FakeTeamsConnector, str]]:
    async with running_connector() as running:
        yield running


@pytest.fixture
async def teams(
    backend: str,
    tmp_path: Path,
    clock: FakeClock,
    connector: tuple[FakeTeamsConnector, str],
    card_checker: CardChecker,
) -> AsyncIterator[Teams]:
    """The server on SQLite or PostgreSQL; every card it sent is validated at the end."""
    async with migrated_engine(backend, tmp_path) as engine:
        async with Teams.start(engine, connector, clock=clock) as running:
            yield running
    card_checker.assert_valid(connector[0].cards())
    # every activity (text, summary, card) the tests made Teams show
    assert_rendered([r.body for r in connector[0].requests])
