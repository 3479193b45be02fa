"""Delivery through a misbehaving Slack (the loopback fake, on cue), on a real Redis: an
outage loses nothing and posts nothing twice, a 500 answered after the post is not posted
again, a rate-limited channel holds up no other, a refused message goes to the dead
letters and comes back on replay, and an alert failing past the age limit is given up."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.app import App
from bot.ops.metrics import Metrics
from bot.pipeline.delivery import Deliverer
from bot.settings import Settings
from bot.transports.slack import SlackTransport
from nlp.pipeline import Analyzer
from tests.slack.helpers import Env, slack_settings, texts
from tests.slack_fake import FakeSlack
from tests.test_pipeline import GROK_FR

ROOT = Path(__file__).resolve().parents[2]
DOWN = {"ok": False, "error": "service_unavailable"}


async def alerts(env: Env, tmp_path: Path, channels: list[str], n: int) -> list[str]:
    """Track Grok in `channels`, ingest `n` articles about it: n alerts a channel. Their
    titles, in ingest order."""
    for channel in channels:
        assert (await env.app.say("/grok track Grok", channel=f"slack:T1:{channel}")).kind == "info"
    titles = []
    for i in range(n):
        title = f"xAI ouvre le code de Grok, épisode {i}"
        text = (
            GROK_FR.replace("xAI ouvre le code de Grok", title).replace(
                "grok-ouvert", f"grok-ouvert-{i}"
            )
            + f"Suite numéro {i} du feuilleton.\n"
        )
        path = tmp_path / f"a{i}.md"
        path.write_text(text, encoding="utf-8")
        outcomes = await env.app.ingest([str(path)])
        assert len(outcomes[0].alerts) == len(channels)
        titles.append(title)
    return titles


def posted_titles(fake: FakeSlack, channel: str, titles: list[str]) -> list[str]:
    """Which of `titles` the messages posted to `channel` carry, in posting order."""
    return [t for m in fake.messages.get(channel, []) for t in titles if t in texts(m)]


async def test_an_outage_loses_nothing_and_posts_nothing_twice(env: Env, tmp_path: Path) -> None:
    titles = await alerts(env, tmp_path, ["C1", "C2", "C3"], 3)
    env.fake.fail_next("chat.postMessage", 503, DOWN, times=12)  # Slack down for a while
    await env.app.deliver_pending()
    assert not env.fake.messages  # nothing got through ...
    assert await env.app.store.retries.waiting("slack") == 9  # ... and nothing is lost
    await env.app.deliver_pending(retries_within=30)  # until Slack is back and all is out
    for channel in ("C1", "C2", "C3"):
        got = posted_titles(env.fake, channel, titles)
        assert got == titles, channel  # each alert once, none lost, in order
        assert await env.app.store.delivery.delivered_count(f"slack:T1:{channel}") == 3
    assert await env.app.store.retries.waiting("slack") == 0
    assert await env.app.store.retries.dead_count() == 0
    assert await env.app.pipeline.workers["deliver:slack"].pending() == 0
    # every failed try was tried again only after a look for the earlier post
    assert (
        len(env.fake.of("conversations.history")) + len(env.fake.of("conversations.replies")) >= 9
    )


async def test_a_500_after_the_post_is_not_posted_again(env: Env, tmp_path: Path) -> None:
    await alerts(env, tmp_path, ["C1"], 1)
    env.fake.fail_next("chat.postMessage", 500, DOWN, after=True)
    await env.app.deliver_pending()
    assert len(env.fake.messages["C1"]) == 1  # Slack posted it, then answered 500
    await env.app.deliver_pending(retries_within=5)
    assert len(env.fake.messages["C1"]) == 1  # found in the history: not posted twice
    assert len(env.fake.of("chat.postMessage", ok_only=False)) == 1
    assert await env.app.store.delivery.delivered_count("slack:T1:C1") == 1
    assert await env.app.store.retries.waiting("slack") == 0


async def test_a_rate_limited_channel_holds_up_no_other(env: Env, tmp_path: Path) -> None:
    await alerts(env, tmp_path, ["C1", "C2"], 2)
    env.fake.fail_next(
        "chat.postMessage",
        429,
        {"ok": False, "error": "ratelimited"},
        {"Retry-After": "30"},
        times=10,
        channel="C1",
    )
    before = time.time()
    await env.app.deliver_pending()
    assert len(env.fake.messages.get("C2", [])) == 2  # the other channel is served at once
    assert "C1" not in env.fake.messages
    slack = env.app.pipeline.workers["deliver:slack"]
    assert isinstance(slack, Deliverer) and slack.rate_per_s == env.app.settings.delivery_rate_per_s
    # C1 is tried once, then both its alerts wait, in order, for the time Slack asked for
    assert len(env.fake.of("chat.postMessage", ok_only=False)) == 3
    assert await env.app.store.retries.waiting("slack") == 2
    due = await env.app.store.retries.next_due("slack")
    assert due is not None and due >= before + 29
    await env.app.deliver_pending()  # nothing is due: C1 is not hammered
    assert len(env.fake.of("chat.postMessage", ok_only=False)) == 3


async def test_a_refused_message_is_dead_lettered_then_replayed(env: Env, tmp_path: Path) -> None:
    await alerts(env, tmp_path, ["C1"], 1)
    env.fake.fail_next("chat.postMessage", 200, {"ok": False, "error": "invalid_blocks"})
    await env.app.deliver_pending(retries_within=2)
    assert "C1" not in env.fake.messages
    assert await env.app.store.retries.waiting("slack") == 0  # not retried: it cannot pass
    (letter,) = await env.app.store.retries.dead_letters()
    assert "invalid_blocks" in letter.reason and letter.fields["channel"] == "slack:T1:C1"
    assert await env.app.pipeline.workers["deliver:slack"].pending() == 0
    shown = await Metrics(env.app.store, env.app.pipeline.workers, ["slack"]).render()
    assert "grokwatch_dead_letters 1" in shown.splitlines()
    assert 'grokwatch_alerts_waiting_retry{platform="slack"} 0' in shown.splitlines()
    # fixed (here: Slack takes it now): put back, delivered once
    assert await env.app.store.retries.replay() == 1
    await env.app.deliver_pending()
    assert len(env.fake.messages["C1"]) == 1
    assert await env.app.store.retries.dead_count() == 0


@pytest.fixture
async def short_lived(
    settings: Settings, fake: FakeSlack, analyzer: Analyzer
) -> AsyncIterator[Env]:
    """The bot with an age limit of about a second."""
    s = slack_settings(settings, fake, delivery_max_age_h=0.3 / 3600)
    async with App(s, analyzer=analyzer, platforms=["slack"]) as app:
        transport = app.transports["slack"]
        assert isinstance(transport, SlackTransport)
        yield Env(app, transport, fake)


async def test_an_alert_failing_past_the_age_limit_is_given_up(
    short_lived: Env, tmp_path: Path
) -> None:
    env = short_lived
    await alerts(env, tmp_path, ["C1"], 1)
    env.fake.fail_next("chat.postMessage", 503, DOWN, times=1000)
    await env.app.deliver_pending(retries_within=10)
    assert await env.app.store.retries.waiting("slack") == 0
    (letter,) = await env.app.store.retries.dead_letters()
    assert letter.reason.startswith("still failing after")
    assert len(env.fake.of("chat.postMessage", ok_only=False)) >= 2  # tried, more than once


async def test_the_dead_letters_command(env: Env, tmp_path: Path) -> None:
    await alerts(env, tmp_path, ["C1"], 1)
    env.fake.fail_next("chat.postMessage", 200, {"ok": False, "error": "invalid_blocks"})
    await env.app.deliver_pending()
    s = env.app.settings
    cmd_env = {
        "PATH": "/usr/bin:/bin",
        "REDIS_URL": s.redis_url or "",
        "GROKWATCH_DATA_DIR": str(s.data_dir),
        "GROKWATCH_KEY_PREFIX": s.key_prefix,
    }

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "bot.cli", "dead-letters", *args],
            env=cmd_env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )

    listed = cli("list", "--json")
    assert listed.returncode == 0, listed.stderr
    (row,) = json.loads(listed.stdout)
    assert row["stage"] == "deliver:slack" and "invalid_blocks" in row["reason"]
    wrong = cli("shuffle")
    assert wrong.returncode == 2 and "list, replay or drop" in wrong.stderr
    replayed = cli("replay", row["id"])
    assert replayed.returncode == 0 and "1 dead letter(s) put back" in replayed.stdout
    await env.app.deliver_pending()
    assert len(env.fake.messages["C1"]) == 1
    assert cli("list").stdout.strip() == "no dead letters"
    assert cli("drop").stdout.strip() == "0 dead letter(s) dropped"


async def test_a_refused_token_holds_alerts_instead_of_dropping_them(
    env: Env, tmp_path: Path
) -> None:
    await alerts(env, tmp_path, ["C1"], 1)
    env.fake.fail_next("chat.postMessage", 200, {"ok": False, "error": "token_revoked"})
    await env.app.deliver_pending()
    assert await env.app.store.retries.dead_count() == 0  # no message is at fault
    assert await env.app.store.retries.waiting("slack") == 1
    await env.app.deliver_pending(retries_within=2)  # the token works again
    assert len(env.fake.messages["C1"]) == 1


async def test_a_long_queue_waits_in_redis_at_the_channels_pace(env: Env, tmp_path: Path) -> None:
    titles = await alerts(env, tmp_path, ["C1"], 5)
    worker = env.app.pipeline.workers["deliver:slack"]
    assert isinstance(worker, Deliverer)
    worker.queue_max, worker.pace_s = 2, 0.5  # a channel paced at one post per 0.5 s
    before = time.time()
    await worker.run_once()
    assert posted_titles(env.fake, "C1", titles) == titles[:2]  # what fits the queue
    assert await env.app.store.retries.waiting("slack") == 3  # the rest, in Redis ...
    due = await env.app.store.retries.next_due("slack")
    assert due is not None and due >= before + 0.9  # ... until the queue has gone out
    assert await worker.pending() == 0
    await env.app.deliver_pending(retries_within=10)
    assert posted_titles(env.fake, "C1", titles) == titles  # all of them, in order
    assert await env.app.store.retries.waiting("slack") == 0
