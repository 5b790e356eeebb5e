"""Shared fixtures: database backends (SQLite and PostgreSQL), a fixed clock, the core in a chat."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from hypothesis import settings as hypothesis_settings

from bot.core import Core
from storage.repository import SqlRepository
from tests.support.chat import Chat, RecordingMessenger, deps_for_tests
from tests.support.clock import FakeClock
from tests.support.db import BACKENDS, migrated_engine

os.environ.setdefault("BRIDGEPULSE_ENV", "test")

# Property tests judge what holds, not how fast: a busy CI machine must not fail them on time.
hypothesis_settings.register_profile("bridgepulse", deadline=None)
hypothesis_settings.load_profile("bridgepulse")


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
async def repo(backend: str, tmp_path: Path) -> AsyncIterator[SqlRepository]:
    async with migrated_engine(backend, tmp_path) as engine:
        yield SqlRepository(engine)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def messenger() -> RecordingMessenger:
    return RecordingMessenger()


@pytest.fixture
async def core(
    repo: SqlRepository, clock: FakeClock, messenger: RecordingMessenger
) -> AsyncIterator[Core]:
    core = Core(deps_for_tests(repo, messenger, clock))
    yield core
    await core.polls.drain()


@pytest.fixture
def chat(core: Core, messenger: RecordingMessenger) -> Chat:
    return Chat(core, messenger)
