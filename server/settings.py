"""Settings from the environment (DESIGN.md's runtime contract), validated once at start-up."""

from __future__ import annotations

import re
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.errors import ConfigError
from bot.privacy import DEFAULT_K, MAX_K, MIN_K

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./bridgepulse.db"
#: Used only in demo and test mode, where no real person's answers are stored.
INSECURE_DEV_SECRET = "bridgepulse-demo-secret-not-for-production"
_URL = re.compile(r"^(sqlite\+aiosqlite|postgresql\+asyncpg)://")


class Mode(StrEnum):
    PRODUCTION = "production"
    DEMO = "demo"
    TEST = "test"


class Settings(BaseSettings):
    """Every setting, named by its environment variable; see the README's settings table."""

    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True, frozen=True)

    mode: Mode = Field(default=Mode.PRODUCTION, alias="BRIDGEPULSE_ENV")
    database_url: str = Field(default=DEFAULT_DATABASE_URL, alias="DATABASE_URL")
    port: int = Field(default=3000, ge=1, le=65535, alias="PORT")
    host: str = Field(default="0.0.0.0", alias="HOST")

    slack_bot_token: str = Field(default="", alias="SLACK_BOT_TOKEN")
    slack_signing_secret: str = Field(default="", alias="SLACK_SIGNING_SECRET")
    slack_app_token: str = Field(default="", alias="SLACK_APP_TOKEN")
    slack_client_id: str = Field(default="", alias="SLACK_CLIENT_ID")
    slack_client_secret: str = Field(default="", alias="SLACK_CLIENT_SECRET")
    slack_api_url: str = Field(default="https://slack.com/api/", alias="SLACK_API_URL")

    microsoft_app_id: str = Field(default="", alias="MICROSOFT_APP_ID")
    microsoft_app_password: str = Field(default="", alias="MICROSOFT_APP_PASSWORD")
    microsoft_app_tenant_id: str = Field(default="", alias="MICROSOFT_APP_TENANT_ID")
    microsoft_app_type: Literal["MultiTenant", "SingleTenant", "UserAssignedMSI"] = Field(
        default="MultiTenant", alias="MICROSOFT_APP_TYPE"
    )

    secret: str = Field(default="", alias="BRIDGEPULSE_SECRET")
    min_responses: int = Field(default=DEFAULT_K, alias="BRIDGEPULSE_MIN_RESPONSES")
    scheduler: Literal["on", "off"] = Field(default="on", alias="BRIDGEPULSE_SCHEDULER")
    question_sets: Path | None = Field(default=None, alias="BRIDGEPULSE_QUESTION_SETS")
    public_url: str = Field(default="", alias="BRIDGEPULSE_PUBLIC_URL")
    #: Platform user ids that may run workspace-wide commands (Slack U…, Teams AAD object ids).
    admins: Annotated[frozenset[str], NoDecode] = Field(
        default=frozenset(), alias="BRIDGEPULSE_ADMINS"
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        default="INFO", alias="BRIDGEPULSE_LOG_LEVEL"
    )

    @field_validator("database_url")
    @classmethod
    def _known_driver(cls, value: str) -> str:
        if _URL.match(value):
            return value
        examples = "use sqlite+aiosqlite:///path.db or postgresql+asyncpg://user@host:5432/db"
        if "://" not in value:
            raise ValueError(f"cannot parse {value[:60]!r}; {examples}")
        driver = value.split("://", 1)[0][:40]
        raise ValueError(f"driver {driver!r} is not supported; {examples}")

    @field_validator("min_responses")
    @classmethod
    def _k_in_range(cls, value: int) -> int:
        if not MIN_K <= value <= MAX_K:
            raise ValueError(f"must be from {MIN_K} to {MAX_K} (privacy: never below {MIN_K})")
        return value

    @field_validator("scheduler", mode="before")
    @classmethod
    def _on_off(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("admins", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        if isinstance(value, str):
            return frozenset(part.strip() for part in value.split(",") if part.strip())
        return value

    @property
    def is_production(self) -> bool:
        return self.mode is Mode.PRODUCTION

    @property
    def hashing_secret(self) -> str:
        return self.secret or INSECURE_DEV_SECRET

    @property
    def teams_auth(self) -> bool:
        return bool(self.microsoft_app_id)


_ALIASES = {name: f.alias or name for name, f in Settings.model_fields.items()}


def load_settings(**overrides: object) -> Settings:
    """Read and validate the environment; raise ConfigError naming the setting to fix.

    Outside demo and test mode BridgePulse refuses to start without BRIDGEPULSE_SECRET, since
    respondent hashes made with a known key would not protect anyone.
    """
    try:
        settings = Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        first = exc.errors()[0]
        field = str(first["loc"][0]) if first["loc"] else "settings"
        name = _ALIASES.get(field, field)
        message = str(first["msg"]).removeprefix("Value error, ")
        raise ConfigError(f"{name}: {message}") from None
    if settings.is_production and not settings.secret:
        raise ConfigError(
            "BRIDGEPULSE_SECRET is not set: set it to a long random string "
            "(e.g. `openssl rand -hex 32`); it keys the respondent hashes. "
            "Only BRIDGEPULSE_ENV=demo or test may run without it."
        )
    if settings.is_production and settings.secret == INSECURE_DEV_SECRET:
        raise ConfigError("BRIDGEPULSE_SECRET is the public demo secret: choose your own.")
    return settings
