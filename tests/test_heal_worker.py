"""`grokwatch worker --stage deliver` delivers to every configured chat platform: a real
worker process, with a Slack or a Discord token and the API base of the loopback fake,
posts the alert another process queued, once, records it as delivered, and only sends
(it opens no Socket Mode connection and publishes no slash commands: that is `run`'s)."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import Callable
from pathlib import Path

from bot.settings import Settings
from tests.conftest import ChatBot
from tests.discord_fake import FakeDiscord
from tests.heal_helpers import article, until
from tests.slack.helpers import SECRET
from tests.slack_fake import FakeSlack

GROKWATCH = [sys.executable, "-m", "bot.cli"]
ROOT = Path(__file__).resolve().parent.parent


def worker_env(settings: Settings, redis_url: str, tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DISCORD", "SLACK", "REDIS_URL", "GROKWATCH"))
    }
    env.update(
        REDIS_URL=redis_url,
        GROKWATCH_KEY_PREFIX=settings.key_prefix,
        GROKWATCH_DATA_DIR=str(tmp_path / "worker"),
        GROKWATCH_RECLAIM_IDLE_MS="0",
        PYTHONPATH=str(ROOT),
        **extra,
    )
    return env


async def deliver_with_a_worker(
    env: dict[str, str], posted: Callable[[], bool], testbot: ChatBot, channel: str
) -> None:
    """Run `worker --stage deliver` until `posted()` and the delivery is recorded."""
    proc = await asyncio.create_subprocess_exec(
        *GROKWATCH,
        "worker",
        "--stage",
        "deliver",
        env=env,
        cwd=ROOT,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        await until(lambda: posted() or proc.returncode is not None, "the alert posted", 120)
        assert proc.returncode is None, "the worker exited"

        async def recorded() -> bool:
            return await testbot.app.store.delivery.delivered_count(channel) == 1

        await until(recorded, "the delivery recorded by the worker")
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGTERM)
        _, err = await asyncio.wait_for(proc.communicate(), timeout=60)
    assert proc.returncode == 0, err.decode()


async def queue(testbot: ChatBot, tmp_path: Path, channel: str) -> None:
    """Another process (this one, console only) queues an alert for `channel`."""
    assert (await testbot.say("/grok track Grok", channel=channel)).kind == "info"
    outcomes = await testbot.app.ingest([article(tmp_path, 0)])
    assert [a.channel for a in outcomes[0].alerts] == [channel]
    assert "slack" not in testbot.app.transports and "discord" not in testbot.app.transports


async def test_worker_delivers_to_slack(
    testbot: ChatBot, settings: Settings, redis_url: str, tmp_path: Path
) -> None:
    await queue(testbot, tmp_path, "slack:T1:C1")
    fake = FakeSlack()
    await fake.start()
    try:
        env = worker_env(
            settings,
            redis_url,
            tmp_path,
            SLACK_BOT_TOKEN="xoxb-test-token",
            SLACK_SIGNING_SECRET=SECRET,
            GROKWATCH_SLACK_API_BASE=fake.api,
            GROKWATCH_SLACK_MIN_INTERVAL="0",
        )
        await deliver_with_a_worker(
            env, lambda: bool(fake.of("chat.postMessage")), testbot, "slack:T1:C1"
        )
        posts = fake.of("chat.postMessage")
        assert [p.args["channel"] for p in posts] == ["C1"]
        assert "Grok, épisode 0" in str(posts[0].args["blocks"])
        assert fake.of("apps.connections.open", ok_only=False) == []  # send-only
    finally:
        await fake.close()


async def test_worker_delivers_to_discord(
    testbot: ChatBot, settings: Settings, redis_url: str, tmp_path: Path
) -> None:
    await queue(testbot, tmp_path, "discord:1:2")
    async with FakeDiscord() as fake:
        env = worker_env(
            settings,
            redis_url,
            tmp_path,
            DISCORD_TOKEN="fake-token",
            GROKWATCH_DISCORD_API_BASE=fake.base,
            GROKWATCH_DISCORD_CHANNEL_INTERVAL="0",
        )
        await deliver_with_a_worker(env, lambda: bool(fake.posts()), testbot, "discord:1:2")
        posts = fake.posts()
        assert [p.path for p in posts] == ["/channels/2/messages"]
        assert "Grok, épisode 0" in str(posts[0].body["embeds"])
        assert [r for r in fake.requests if r.method == "PUT"] == []  # no command publishing
