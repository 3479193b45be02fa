"""`grokwatch doctor` against real parts: a real Redis, and the loopback fakes of the
Discord and Slack APIs (the same ones the transport tests use), reached over HTTP."""

from __future__ import annotations

import io
import socket
from collections.abc import AsyncIterator

import pytest
from cryptography.fernet import Fernet
from pydantic import SecretStr
from rich.console import Console

from bot.ops.doctor import Check, gather_checks, run_checks
from bot.settings import Settings
from bot.store import Store
from bot.store.keys import G_ANALYZE
from handlers.model import Subscription
from tests.discord_fake import FakeDiscord
from tests.slack_fake import FakeSlack

DISCORD_TOKEN = "MTIz.discord-secret-part.xyz789"
SLACK_BOT = "xoxb-slack-bot-secret-42"
SLACK_APP = "xapp-slack-app-secret-43"


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def by_name(checks: list[Check], name: str) -> list[Check]:
    return [c for c in checks if c.name == name]


@pytest.fixture
async def fake_discord() -> AsyncIterator[FakeDiscord]:
    async with FakeDiscord(token=DISCORD_TOKEN) as server:
        yield server


@pytest.fixture
async def fake_slack() -> AsyncIterator[FakeSlack]:
    server = FakeSlack(tokens={SLACK_BOT: "T1"})  # the token the fake issued
    await server.start()
    yield server
    await server.close()


@pytest.fixture
def tokens(settings: Settings, fake_discord: FakeDiscord, fake_slack: FakeSlack) -> Settings:
    return settings.model_copy(
        update={
            "discord_token": SecretStr(DISCORD_TOKEN),
            "discord_api_base": fake_discord.base,
            "slack_bot_token": SecretStr(SLACK_BOT),
            "slack_app_token": SecretStr(SLACK_APP),
            "slack_api_base": fake_slack.api,
        }
    )


async def test_working_tokens_are_confirmed_by_the_platforms(
    tokens: Settings, fake_discord: FakeDiscord, fake_slack: FakeSlack
) -> None:
    checks = await gather_checks(tokens, models=False)
    (discord,) = by_name(checks, "DISCORD_TOKEN")
    assert discord.ok and "logged in as grokwatch" in discord.detail
    (bot,) = by_name(checks, "SLACK_BOT_TOKEN")
    assert bot.ok and "grokwatch" in bot.detail and "T1" in bot.detail
    (app,) = by_name(checks, "SLACK_APP_TOKEN")
    assert app.ok and "Socket Mode" in app.detail
    # the platforms were asked, with each token where it belongs
    asked = [r for r in fake_discord.requests if r.path == "/users/@me"]
    assert len(asked) == 1
    assert [c.method for c in fake_slack.calls] == ["auth.test", "apps.connections.open"]


async def test_refused_tokens_say_what_to_do(
    tokens: Settings, fake_discord: FakeDiscord, fake_slack: FakeSlack
) -> None:
    fake_discord.fail("GET", "/users/@me", 401, body={"message": "401: Unauthorized", "code": 0})
    fake_slack.fail_next("auth.test", body={"ok": False, "error": "invalid_auth"})
    fake_slack.fail_next("apps.connections.open", body={"ok": False, "error": "not_allowed"})
    out = io.StringIO()
    ok = await run_checks(tokens, Console(file=out, width=200), models=False)
    assert not ok
    text = out.getvalue()
    assert "Discord refused it (401)" in text and "Developer Portal" in text
    assert "Slack refused it (invalid_auth)" in text and "OAuth & Permissions" in text
    assert "Slack refused it (not_allowed)" in text and "connections:write" in text
    for secret in (DISCORD_TOKEN, SLACK_BOT, SLACK_APP, "secret"):
        assert secret not in text


async def test_unreachable_platforms_are_named(settings: Settings) -> None:
    port = closed_port()
    s = settings.model_copy(
        update={
            "discord_token": SecretStr(DISCORD_TOKEN),
            "discord_api_base": f"http://127.0.0.1:{port}/api/v10",
            "slack_bot_token": SecretStr(SLACK_BOT),
            "slack_signing_secret": SecretStr("signing-secret"),
            "slack_api_base": f"http://127.0.0.1:{port}/api/",
        }
    )
    checks = await gather_checks(s, models=False)
    (discord,) = by_name(checks, "DISCORD_TOKEN")
    assert not discord.ok and discord.detail.startswith("cannot reach Discord at http://127.0.0.1")
    (slack,) = by_name(checks, "SLACK_BOT_TOKEN")
    assert not slack.ok and slack.detail.startswith("cannot reach Slack at http://127.0.0.1")
    (mode,) = by_name(checks, "Slack mode")
    assert mode.ok and "HTTP" in mode.detail
    (redis,) = by_name(checks, "Redis")
    assert redis.ok  # Redis itself is fine: the culprit is the platform


async def test_badly_shaped_tokens_are_not_sent(
    tokens: Settings, fake_discord: FakeDiscord, fake_slack: FakeSlack
) -> None:
    s = tokens.model_copy(
        update={
            "discord_token": SecretStr("not-a-token"),
            "slack_bot_token": SecretStr("xoxp-user-token"),
        }
    )
    checks = await gather_checks(s, models=False)
    assert "three dot-separated parts" in by_name(checks, "DISCORD_TOKEN")[0].detail
    assert by_name(checks, "SLACK_BOT_TOKEN")[0].detail == "must start with xoxb-"
    assert fake_discord.requests == [] and fake_slack.calls == []


async def test_offline_checks_shapes_only(tokens: Settings, fake_discord: FakeDiscord) -> None:
    checks = await gather_checks(tokens, online=False, models=False)
    assert by_name(checks, "DISCORD_TOKEN")[0].detail == "set (not checked: --offline)"
    assert fake_discord.requests == []


async def test_unreachable_redis_is_one_check(settings: Settings) -> None:
    s = settings.model_copy(update={"redis_url": f"redis://127.0.0.1:{closed_port()}/0"})
    checks = await gather_checks(s, models=False)
    (redis,) = by_name(checks, "Redis")
    assert not redis.ok and redis.detail.startswith("cannot reach REDIS_URL")
    assert "Traceback" not in redis.detail


async def test_redis_state_lag_dead_letters_and_feeds(settings: Settings) -> None:
    store = await Store.connect(
        redis_url=settings.redis_url, data_dir=settings.data_dir, key_prefix=settings.key_prefix
    )
    try:
        await store.check_schema()
        k = store.keys
        await store.streams.ensure_group(k.ingest_stream, G_ANALYZE)
        await store.streams.add_many(k.ingest_stream, [{"id": f"a{i}"} for i in range(3)])
        await store.streams.add_many(k.dead_letters, [{"entry": "1-0"}, {"entry": "2-0"}])
    finally:
        await store.close()
    checks = await gather_checks(settings, models=False)
    (schema,) = by_name(checks, "schema")
    assert schema.ok and schema.detail.startswith("version")
    (lag,) = by_name(checks, "stream lag")
    assert "analyze " in lag.detail and "analyze 0" not in lag.detail
    (dead,) = by_name(checks, "dead letters")
    assert dead.warn and dead.detail.startswith("2 entries") and "XRANGE" in dead.detail
    (feeds,) = by_name(checks, "feeds")
    assert feeds.detail == "0 active, 0 paused" and not feeds.warn
    (persistence,) = by_name(checks, "persistence")
    assert persistence.ok and persistence.detail
    (memory,) = by_name(checks, "memory")
    assert memory.ok and "MiB" in memory.detail


async def test_the_channels_that_track_something_are_reachable(
    tokens: Settings, fake_discord: FakeDiscord, fake_slack: FakeSlack
) -> None:
    store = await Store.connect(
        redis_url=tokens.redis_url, data_dir=tokens.data_dir, key_prefix=tokens.key_prefix
    )
    try:
        await store.check_schema()
        for channel in (
            "discord:1:111",
            "discord:1:222",
            "slack:T1:C1",
            "slack:T1:C2",
            "slack:T1:C3",
            "slack:T1:C4",
        ):
            await store.subscriptions.track(Subscription(channel, "grok"))
        await store.subscriptions.untrack("slack:T1:C4", "grok")  # tracks nothing now
    finally:
        await store.close()
    fake_discord.fail(
        "GET", "/channels/222", 403, body={"message": "Missing Access", "code": 50001}
    )
    fake_slack.channel_info["C2"] = {"is_member": False}
    fake_slack.channel_info["C3"] = {"missing": True}
    checks = await gather_checks(tokens, models=False)
    (discord,) = by_name(checks, "discord channels")
    assert not discord.ok and "discord:1:222 (403)" in discord.detail
    assert "discord:1:111" not in discord.detail and "View Channel" in discord.detail
    (slack,) = by_name(checks, "slack channels")
    assert not slack.ok and "/invite" in slack.detail
    assert "slack:T1:C2 (not a member)" in slack.detail
    assert "slack:T1:C3 (channel_not_found)" in slack.detail
    assert "C1" not in slack.detail and "C4" not in slack.detail
    asked = [c.args.get("channel") for c in fake_slack.calls if c.method == "conversations.info"]
    assert asked == ["C1", "C2", "C3"]
    # once the bot is let in everywhere, it says so
    fake_slack.channel_info.clear()
    checks = await gather_checks(tokens, models=False)
    (slack,) = by_name(checks, "slack channels")
    assert slack.ok and "3 channel(s)" in slack.detail


async def test_slack_oauth_mode_needs_no_bot_token(settings: Settings) -> None:
    s = settings.model_copy(
        update={
            "slack_bot_token": None,
            "slack_client_id": "111.222",
            "slack_client_secret": SecretStr("secret"),
            "slack_token_key": [SecretStr(Fernet.generate_key().decode())],
        }
    )
    assert s.slack_oauth
    checks = await gather_checks(s, online=False, models=False)
    slack = by_name(checks, "Slack")
    assert len(slack) == 1 and slack[0].ok and "OAuth mode" in slack[0].detail
    assert "/slack/install" in slack[0].detail
    assert by_name(checks, "SLACK_BOT_TOKEN") == []
