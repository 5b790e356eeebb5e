"""Settings are validated at start-up and name the variable to fix."""

from __future__ import annotations

import pytest

from bot.errors import ConfigError
from server.settings import INSECURE_DEV_SECRET, Mode, load_database_settings, load_settings


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "BRIDGEPULSE_ENV",
        "BRIDGEPULSE_SECRET",
        "DATABASE_URL",
        "BRIDGEPULSE_MIN_RESPONSES",
        "BRIDGEPULSE_SCHEDULER",
        "BRIDGEPULSE_ADMINS",
        "PORT",
        "HOST",
        "MICROSOFT_APP_ID",
        "MICROSOFT_APP_PASSWORD",
        "MICROSOFT_APP_TENANT_ID",
        "MICROSOFT_APP_TYPE",
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


APP_ID = "6f1c2a7e-2b9d-4c1e-9a53-0d7f4e8b1c22"
TENANT_ID = "72f988bf-86f1-41af-91ab-2d7cd011db47"


def test_teams_defaults_to_a_single_tenant_registration(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BRIDGEPULSE_SECRET", "s3cret")
    assert load_settings().microsoft_app_type == "SingleTenant"
    monkeypatch.setenv("MICROSOFT_APP_ID", APP_ID)
    monkeypatch.setenv("MICROSOFT_APP_PASSWORD", "client-secret")
    monkeypatch.setenv("MICROSOFT_APP_TENANT_ID", TENANT_ID)
    s = load_settings()
    assert (s.microsoft_app_id, s.microsoft_app_tenant_id) == (APP_ID, TENANT_ID)


@pytest.mark.parametrize(
    ("env", "line"),
    [
        (
            {"MICROSOFT_APP_ID": "not-a-guid"},
            "MICROSOFT_APP_ID: 'not-a-guid' is not a GUID; copy the Microsoft App ID from the "
            "Azure Bot resource's Configuration page",
        ),
        (
            {"MICROSOFT_APP_ID": APP_ID, "MICROSOFT_APP_PASSWORD": "p"},
            "MICROSOFT_APP_TENANT_ID: required when MICROSOFT_APP_TYPE is SingleTenant; copy the "
            "App Tenant ID from the Azure Bot resource's Configuration page",
        ),
        (
            {"MICROSOFT_APP_ID": APP_ID, "MICROSOFT_APP_TYPE": "UserAssignedMSI"},
            "MICROSOFT_APP_TENANT_ID: required when MICROSOFT_APP_TYPE is UserAssignedMSI; copy "
            "the App Tenant ID from the Azure Bot resource's Configuration page",
        ),
        (
            {"MICROSOFT_APP_ID": APP_ID, "MICROSOFT_APP_TENANT_ID": "contoso"},
            "MICROSOFT_APP_TENANT_ID: 'contoso' is not a GUID",
        ),
        (
            {"MICROSOFT_APP_ID": APP_ID, "MICROSOFT_APP_TENANT_ID": TENANT_ID},
            "MICROSOFT_APP_PASSWORD: required when MICROSOFT_APP_TYPE is SingleTenant; create a "
            "client secret for the app (Azure Bot → Configuration → Manage Password)",
        ),
        (
            {"MICROSOFT_APP_ID": APP_ID, "MICROSOFT_APP_TYPE": "MultiTenant"},
            "MICROSOFT_APP_PASSWORD: required when MICROSOFT_APP_TYPE is MultiTenant; create a "
            "client secret for the app (Azure Bot → Configuration → Manage Password)",
        ),
    ],
)
def test_an_incomplete_azure_registration_is_one_line(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], line: str
) -> None:
    monkeypatch.setenv("BRIDGEPULSE_SECRET", "s3cret")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as raised:
        load_settings()
    assert str(raised.value) == line


def test_a_managed_identity_needs_no_password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BRIDGEPULSE_SECRET", "s3cret")
    monkeypatch.setenv("MICROSOFT_APP_TYPE", "UserAssignedMSI")
    monkeypatch.setenv("MICROSOFT_APP_ID", APP_ID)
    monkeypatch.setenv("MICROSOFT_APP_TENANT_ID", TENANT_ID)
    assert load_settings().microsoft_app_password == ""


def test_admins_are_a_comma_separated_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BRIDGEPULSE_ENV", "test")
    assert load_settings().admins == frozenset()
    monkeypatch.setenv("BRIDGEPULSE_ADMINS", " U123, 29:abc ,,U123")
    assert load_settings().admins == frozenset({"U123", "29:abc"})


def test_migrate_reads_only_the_database(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BRIDGEPULSE_MIN_RESPONSES", "1")  # wrong, but not migrate's business
    monkeypatch.setenv("DATABASE_URL", "sqlite+aiosqlite:///x.db")
    assert load_database_settings().database_url == "sqlite+aiosqlite:///x.db"
    monkeypatch.setenv("DATABASE_URL", "mysql://x")
    with pytest.raises(ConfigError, match="^DATABASE_URL: driver 'mysql' is not supported"):
        load_database_settings()
