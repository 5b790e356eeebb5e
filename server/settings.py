"""Settings from the environment (docs/design.md's runtime contract), validated once at start-up."""

from __future__ import annotations

import re
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Literal, TypeVar

from pydantic import Field, ValidationError, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.errors import ConfigError
from bot.privacy import DEFAULT_K, MAX_K, MIN_K

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./bridgepulse.db"
#: Used only in demo and test mode, where no real person's answers are stored.
INSECURE_DEV_SECRET = "bridgepulse-demo-secret-not-for-production"
_URL = re.compile(r"^(sqlite\+aiosqlite|postgresql\+asyncpg)://")
_GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.I)
#: Where `serve` listens without HOST: every address in production (behind a proxy), this
#: machine only in demo and test mode, whose Teams endpoint may run unauthenticated.
PUBLIC_HOST = "0.0.0.0"
LOOPBACK_HOST = "127.0.0.1"


class Mode(StrEnum):
    PRODUCTION = "production"
    DEMO = "demo"
    TEST = "test"


class TeamsMode(StrEnum):
    """How `/api/messages` runs; `teams_reason` says why."""

    AUTHENTICATED = "on"
    LOCAL = "on, unauthenticated"
    OFF = "off"


class DatabaseSettings(BaseSettings):
    """What `bridgepulse migrate` reads: the database and the log level, nothing else."""

    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True, frozen=True)

    database_url: str = Field(default=DEFAULT_DATABASE_URL, alias="DATABASE_URL")
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


_S = TypeVar("_S", bound=DatabaseSettings)


class Settings(DatabaseSettings):
    """Every setting, named by its environment variable; see the README's settings table."""

    mode: Mode = Field(default=Mode.PRODUCTION, alias="BRIDGEPULSE_ENV")
    port: int = Field(default=3000, ge=1, le=65535, alias="PORT")
    #: Empty means the mode's default (PUBLIC_HOST or LOOPBACK_HOST), filled in by validation.
    host: str = Field(default="", alias="HOST", validate_default=True)

    slack_bot_token: str = Field(default="", alias="SLACK_BOT_TOKEN")
    slack_signing_secret: str = Field(default="", alias="SLACK_SIGNING_SECRET")
    slack_app_token: str = Field(default="", alias="SLACK_APP_TOKEN")
    slack_client_id: str = Field(default="", alias="SLACK_CLIENT_ID")
    slack_client_secret: str = Field(default="", alias="SLACK_CLIENT_SECRET")
    slack_api_url: str = Field(default="https://slack.com/api/", alias="SLACK_API_URL")

    microsoft_app_id: str = Field(default="", alias="MICROSOFT_APP_ID")
    microsoft_app_password: str = Field(default="", alias="MICROSOFT_APP_PASSWORD")
    microsoft_app_tenant_id: str = Field(default="", alias="MICROSOFT_APP_TENANT_ID")
    microsoft_app_type: Literal["SingleTenant", "UserAssignedMSI", "MultiTenant"] = Field(
        default="SingleTenant", alias="MICROSOFT_APP_TYPE"
    )

    secret: str = Field(default="", alias="BRIDGEPULSE_SECRET")
    min_responses: int = Field(default=DEFAULT_K, alias="BRIDGEPULSE_MIN_RESPONSES")
    scheduler: Literal["on", "off"] = Field(default="on", alias="BRIDGEPULSE_SCHEDULER")
    question_sets: Path | None = Field(default=None, alias="BRIDGEPULSE_QUESTION_SETS")
    public_url: str = Field(default="", alias="BRIDGEPULSE_PUBLIC_URL")
    #: Platform user ids allowed workspace-wide commands besides the platform's own admins.
    admins: Annotated[frozenset[str], NoDecode] = Field(
        default=frozenset(), alias="BRIDGEPULSE_ADMINS"
    )

    @field_validator("host")
    @classmethod
    def _host_for_mode(cls, value: str, info: ValidationInfo) -> str:
        if value.strip():
            return value.strip()
        return PUBLIC_HOST if info.data.get("mode") is Mode.PRODUCTION else LOOPBACK_HOST

    @field_validator("admins", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        if isinstance(value, str):
            return frozenset(part.strip() for part in value.split(",") if part.strip())
        return value

    @field_validator(
        "microsoft_app_id", "microsoft_app_tenant_id", "microsoft_app_password", mode="before"
    )
    @classmethod
    def _stripped(cls, value: object) -> object:
        return value.strip() if isinstance(value, str) else value

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

    @property
    def is_production(self) -> bool:
        return self.mode is Mode.PRODUCTION

    @property
    def hashing_secret(self) -> str:
        return self.secret or INSECURE_DEV_SECRET

    @property
    def teams_auth(self) -> bool:
        return bool(self.microsoft_app_id)

    @property
    def teams(self) -> TeamsMode:
        """With an app id every activity's token is checked; without one, only demo and test
        mode answer at all (anyone could post activities and steer the bot's replies)."""
        if self.teams_auth:
            return TeamsMode.AUTHENTICATED
        return TeamsMode.OFF if self.is_production else TeamsMode.LOCAL

    @property
    def teams_reason(self) -> str:
        if self.teams is TeamsMode.AUTHENTICATED:
            return f"{self.microsoft_app_type} app {self.microsoft_app_id}"
        if self.teams is TeamsMode.LOCAL:
            return f"MICROSOFT_APP_ID is not set and BRIDGEPULSE_ENV is {self.mode.value}"
        return "MICROSOFT_APP_ID is not set"


_ALIASES = {name: f.alias or name for name, f in Settings.model_fields.items()}


def _validated(kind: type[_S], overrides: dict[str, object]) -> _S:
    try:
        return kind(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        first = exc.errors()[0]
        field = str(first["loc"][0]) if first["loc"] else "settings"
        name = _ALIASES.get(field, field)
        message = str(first["msg"]).removeprefix("Value error, ")
        raise ConfigError(f"{name}: {message}") from None


def load_settings(**overrides: object) -> Settings:
    """Read and validate the environment; raise ConfigError naming the setting to fix.

    Outside demo and test mode BridgePulse refuses to start without BRIDGEPULSE_SECRET, since
    respondent hashes made with a known key would not protect anyone.
    """
    settings = _validated(Settings, overrides)
    if settings.is_production and not settings.secret:
        raise ConfigError(
            "BRIDGEPULSE_SECRET is not set: set it to a long random string "
            "(e.g. `openssl rand -hex 32`); it keys the respondent hashes. "
            "Only BRIDGEPULSE_ENV=demo or test may run without it."
        )
    if settings.is_production and settings.secret == INSECURE_DEV_SECRET:
        raise ConfigError("BRIDGEPULSE_SECRET is the public demo secret: choose your own.")
    _check_teams(settings)
    return settings


def load_database_settings(**overrides: object) -> DatabaseSettings:
    """What `bridgepulse migrate` needs: DATABASE_URL (and the log level), no secret."""
    return _validated(DatabaseSettings, overrides)


def _check_teams(s: Settings) -> None:
    """Azure's bot registration, checked before anything listens (one line per problem)."""
    if not s.microsoft_app_id:
        return
    kind = s.microsoft_app_type
    if not _GUID.match(s.microsoft_app_id):
        raise ConfigError(
            f"MICROSOFT_APP_ID: {s.microsoft_app_id[:60]!r} is not a GUID; copy the "
            "Microsoft App ID from the Azure Bot resource's Configuration page"
        )
    if kind in ("SingleTenant", "UserAssignedMSI") and not s.microsoft_app_tenant_id:
        raise ConfigError(
            f"MICROSOFT_APP_TENANT_ID: required when MICROSOFT_APP_TYPE is {kind}; copy the "
            "App Tenant ID from the Azure Bot resource's Configuration page"
        )
    if s.microsoft_app_tenant_id and not _GUID.match(s.microsoft_app_tenant_id):
        raise ConfigError(
            f"MICROSOFT_APP_TENANT_ID: {s.microsoft_app_tenant_id[:60]!r} is not a GUID"
        )
    if kind in ("SingleTenant", "MultiTenant") and not s.microsoft_app_password:
        raise ConfigError(
            f"MICROSOFT_APP_PASSWORD: required when MICROSOFT_APP_TYPE is {kind}; create a "
            "client secret for the app (Azure Bot → Configuration → Manage Password)"
        )
