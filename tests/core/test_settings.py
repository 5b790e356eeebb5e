"""Settings are validated at start-up and name the variable to fix."""

from __future__ import annotations

import pytest

from bot.errors import ConfigError
from server.settings import INSECURE_DEV_SECRET, Mode, load_settings


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "BRIDGEPULSE_ENV",
        "BRIDGEPULSE_SECRET",
        "DATABASE_URL",
        "BRIDGEPULSE_MIN_RESPONSES",
        "BRIDGEPULSE_SCHEDULER",
        "PORT",
    ):
        monkeypatch.delenv(name, raising=False)


def test_defaults_match_the_runtime_contract(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BRIDGEPULSE_ENV", "demo")
    s = load_settings()
    assert s.database_url == "sqlite+aiosqlite:///./bridgepulse.db"
    assert (s.port, s.min_responses, s.scheduler) == (3000, 5, "on")
    assert s.slack_api_url == "https://slack.com/api/"
    assert s.mode is Mode.DEMO and s.hashing_secret == INSECURE_DEV_SECRET


def test_production_refuses_to_start_without_a_secret() -> None:
    with pytest.raises(ConfigError, match="BRIDGEPULSE_SECRET is not set"):
        load_settings()


def test_production_refuses_the_public_demo_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BRIDGEPULSE_SECRET", INSECURE_DEV_SECRET)
    with pytest.raises(ConfigError, match="public demo secret"):
        load_settings()


def test_environment_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BRIDGEPULSE_SECRET", "s3cret")
    monkeypatch.setenv("BRIDGEPULSE_MIN_RESPONSES", "7")
    monkeypatch.setenv("BRIDGEPULSE_SCHEDULER", "OFF")
    monkeypatch.setenv("PORT", "8080")
    s = load_settings()
    assert (s.min_responses, s.scheduler, s.port, s.hashing_secret) == (7, "off", 8080, "s3cret")


@pytest.mark.parametrize(
    ("name", "value", "fragment"),
    [
        ("DATABASE_URL", "mysql://x", "DATABASE_URL"),
        ("BRIDGEPULSE_MIN_RESPONSES", "2", "BRIDGEPULSE_MIN_RESPONSES: must be from 3 to 25"),
        ("BRIDGEPULSE_MIN_RESPONSES", "26", "BRIDGEPULSE_MIN_RESPONSES"),
        ("BRIDGEPULSE_SCHEDULER", "maybe", "BRIDGEPULSE_SCHEDULER"),
        ("PORT", "http", "PORT"),
    ],
)
def test_bad_values_name_the_variable(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, fragment: str
) -> None:
    monkeypatch.setenv("BRIDGEPULSE_ENV", "test")
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=fragment):
        load_settings()
