"""Alerts out: posted once with blocks, rate limits, server errors, pausing and resume,
no duplicate after a crash, threads."""

from __future__ import annotations

import asyncio
import itertools
from pathlib import Path
from typing import Any

import pytest

from bot.app import App
from bot.settings import Settings
from bot.transports import DeliveryError, create_transport
from bot.transports.slack import SlackTransport
from handlers.reply import Reply
from nlp.pipeline import Analyzer
from tests.slack.helpers import (
    SECRET,
    Env,
    queue_alert,
    slack_settings,
    texts,
)
from tests.slack_fake import FakeSlack


async def test_alert_is_posted_once_with_blocks(env: Env, tmp_path: Path) -> None:
    await queue_alert(env, tmp_path)
    await env.app.deliver_pending()
    posts = env.fake.of("chat.postMessage")
    assert len(posts) == 1
    args = posts[0].args
    assert args["channel"] == "C1" and args["unfurl_links"] is False
    assert args["blocks"] and "xAI ouvre le code de Grok" in texts(args["blocks"])
    assert args["metadata"]["event_type"] == "grokwatch_alert"
    assert any(
        el["action_id"].startswith("grok_untrack")
        for b in args["blocks"]
        if b["type"] == "actions"
        for el in b["elements"]
    )
    assert await env.app.store.delivery.delivered_count("slack:T1:C1") == 1
    await env.app.deliver_pending()
    assert len(env.fake.of("chat.postMessage")) == 1
    # the intent mark written before posting expires instead of piling up
    marks = await env.app.store.client.keys(env.app.store.keys.sending("slack:T1:C1", "*"))
    assert len(marks) == 1 and 0 < await env.app.store.client.ttl(marks[0]) <= 7 * 86400


async def test_rate_limit_waits_retry_after_then_delivers_once(env: Env, tmp_path: Path) -> None:
    await queue_alert(env, tmp_path)
    env.fake.fail_next(
        "chat.postMessage", 429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "1"}
    )
    await env.app.deliver_pending(retries_within=5)
    tries = env.fake.of("chat.postMessage", ok_only=False)
    assert [c.status for c in tries] == [429, 200]
    assert tries[1].at - tries[0].at >= 1.0  # waited as Slack asked
    assert len(env.fake.messages["C1"]) == 1


async def test_server_error_is_retried(env: Env, tmp_path: Path) -> None:
    await queue_alert(env, tmp_path)
    env.fake.fail_next("chat.postMessage", 500, {"ok": False, "error": "internal_error"})
    await env.app.deliver_pending()
    # the SDK does not re-post blindly: the engine defers it, and looks before posting again
    assert [c.status for c in env.fake.of("chat.postMessage", ok_only=False)] == [500]
    assert await env.app.store.retries.waiting("slack") == 1
    await env.app.deliver_pending(retries_within=2)
    assert [c.status for c in env.fake.of("chat.postMessage", ok_only=False)] == [500, 200]
    assert env.fake.of("conversations.history")  # the guard looked for the first try
    assert len(env.fake.messages["C1"]) == 1


async def test_lasting_rate_limit_defers_the_alert(env: Env, tmp_path: Path) -> None:
    await queue_alert(env, tmp_path)
    env.fake.fail_next(
        "chat.postMessage",
        429,
        {"ok": False, "error": "ratelimited"},
        {"Retry-After": "0"},
        times=4,
    )
    await env.app.pipeline.workers["deliver:slack"].run_once()
    assert await env.app.pipeline.workers["deliver:slack"].pending() == 0
    assert await env.app.store.retries.waiting("slack") == 1  # kept for its next try
    assert not await env.app.store.delivery.is_paused("slack:T1:C1")
    await env.app.deliver_pending(retries_within=5)  # tried until Slack takes it, once
    assert [c.status for c in env.fake.of("chat.postMessage", ok_only=False)] == [429] * 4 + [200]
    assert len(env.fake.messages["C1"]) == 1


async def test_channel_not_found_pauses_then_resume_requeues(env: Env, tmp_path: Path) -> None:
    await queue_alert(env, tmp_path)
    env.fake.fail_next("chat.postMessage", 200, {"ok": False, "error": "channel_not_found"})
    await env.app.deliver_pending()
    assert await env.app.store.delivery.is_paused("slack:T1:C1")
    assert "C1" not in env.fake.messages
    parked = await env.app.store.delivery.parked_count("slack:T1:C1")
    assert parked == 1
    # the next command anywhere in workspace T1 says so, in its footer
    answer = await env.answer("tracked", channel="C2")
    footer = [b for b in answer["blocks"] if b["type"] == "context"]
    assert footer and "paused" in texts(footer) and "/grok resume" in texts(footer)
    # /grok resume in the channel re-queues the kept alert
    answer = await env.answer("resume", channel="C1", n=2)
    assert "1 kept alert" in texts(answer)
    await env.app.deliver_pending()
    assert len(env.fake.messages["C1"]) == 1


async def test_not_in_channel_is_permanent_other_errors_are_not(env: Env) -> None:
    t = env.transport
    env.fake.fail_next("chat.postMessage", 200, {"ok": False, "error": "not_in_channel"})
    with pytest.raises(DeliveryError) as info:
        await t.send("slack:T1:C1", Reply(text="hello", kind="alert"))
    assert info.value.permanent and "invite" in str(info.value)
    env.fake.fail_next("chat.postMessage", 200, {"ok": False, "error": "msg_too_long"})
    with pytest.raises(DeliveryError) as info:
        await t.send("slack:T1:C1", Reply(text="hello again", kind="alert"))
    assert not info.value.permanent


async def test_no_duplicate_after_a_crash_between_post_and_record(
    env: Env, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    await queue_alert(env, tmp_path)
    store = env.app.store.delivery
    real_mark = store.mark_delivered
    crashed = []

    async def crash_once(channel: str, article_id: str) -> None:
        if not crashed:
            crashed.append(article_id)
            raise RuntimeError("the process died right after chat.postMessage")
        await real_mark(channel, article_id)

    monkeypatch.setattr(store, "mark_delivered", crash_once)
    await env.app.pipeline.workers["deliver:slack"].run_once()
    assert crashed and len(env.fake.messages["C1"]) == 1
    assert await env.app.pipeline.workers["deliver:slack"].pending() == 1
    await env.app.deliver_pending()  # reclaimed and retried
    assert len(env.fake.messages["C1"]) == 1  # found in the history, not posted again
    assert env.fake.of("conversations.history")
    assert await store.delivered_count("slack:T1:C1") == 1
    assert await env.app.pipeline.workers["deliver:slack"].pending() == 0


async def test_no_duplicate_after_a_crash_before_the_ack(env: Env, tmp_path: Path) -> None:
    await queue_alert(env, tmp_path)
    worker = env.app.pipeline.workers["deliver:slack"]
    k = env.app.store.keys
    batch = await env.app.store.streams.read(k.outbox("slack"), worker.group, "doomed")
    await env.app.pipeline.deliver("slack", batch)  # posted and recorded, never acknowledged
    assert await worker.pending() == 1
    await env.app.deliver_pending()
    assert len(env.fake.messages["C1"]) == 1 and await worker.pending() == 0


async def test_follow_ups_of_a_story_go_in_its_thread(env: Env) -> None:
    t = env.transport
    await t.send("slack:T1:C1", Reply(text="first", title="Grok-1", kind="alert", thread_key="s1"))
    await t.send(
        "slack:T1:C1", Reply(text="second", title="Grok-1.5", kind="alert", thread_key="s1")
    )
    await t.send("slack:T1:C1", Reply(text="other", title="Other", kind="alert", thread_key="s2"))
    first, second, other = env.fake.messages["C1"]
    assert "thread_ts" not in first and second["thread_ts"] == first["ts"]
    assert "thread_ts" not in other
    assert await env.app.thread_ref("slack:T1:C1", "s1") == first["ts"]


async def test_a_deleted_thread_parent_falls_back_to_the_channel(env: Env) -> None:
    t = env.transport
    await t.send("slack:T1:C1", Reply(text="first", title="A", kind="alert", thread_key="s1"))
    env.fake.fail_next("chat.postMessage", 200, {"ok": False, "error": "thread_not_found"})
    await t.send("slack:T1:C1", Reply(text="second", title="B", kind="alert", thread_key="s1"))
    first, second = env.fake.messages["C1"]
    assert "thread_ts" not in second and "second" in texts(second["blocks"])
    assert first["ts"] != second["ts"]


async def test_threads_can_be_turned_off(
    settings: Settings, fake: FakeSlack, analyzer: Analyzer
) -> None:
    s = slack_settings(settings, fake, slack_threads=False)
    async with App(s, analyzer=analyzer, platforms=["slack"]) as app:
        t = app.transports["slack"]
        await t.send("slack:T1:C1", Reply(text="a", title="A", kind="alert", thread_key="s1"))
        await t.send("slack:T1:C1", Reply(text="b", title="B", kind="alert", thread_key="s1"))
        assert all("thread_ts" not in m for m in fake.messages["C1"])


async def test_posts_to_a_channel_are_paced(
    settings: Settings, fake: FakeSlack, analyzer: Analyzer
) -> None:
    s = slack_settings(settings, fake, slack_min_interval=0.4)
    async with App(s, analyzer=analyzer, platforms=["slack"]) as app:
        t = app.transports["slack"]
        await asyncio.gather(
            *(t.send("slack:T1:C1", Reply(text=f"n{i}", kind="alert")) for i in range(3)),
            t.send("slack:T1:C9", Reply(text="elsewhere", kind="alert")),
        )
        at = [c.at for c in fake.of("chat.postMessage") if c.args["channel"] == "C1"]
        assert len(at) == 3 and all(b - a >= 0.35 for a, b in itertools.pairwise(at))
        other = next(c.at for c in fake.of("chat.postMessage") if c.args["channel"] == "C9")
        assert other - at[0] < 0.35  # another channel does not wait


async def test_charts_are_uploaded_as_files(env: Env, tmp_path: Path) -> None:
    chart = tmp_path / "chart.png"
    chart.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 64)
    await env.transport.send("slack:T1:C1", Reply(text="mentions", title="Timeline", image=chart))
    assert env.fake.of("files.getUploadURLExternal") and env.fake.of("upload")
    done = env.fake.of("files.completeUploadExternal")
    assert done and done[0].args.get("channel_id") == "C1"


async def test_create_transport_builds_it_from_settings(
    settings: Settings, fake: FakeSlack, testbot: Any
) -> None:
    transport = create_transport("slack", slack_settings(settings, fake), testbot.app)
    assert isinstance(transport, SlackTransport) and transport.name == "slack"
    assert "slack" in slack_settings(settings, fake).configured_transports()


async def test_tokens_never_reach_the_logs(env: Env, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("DEBUG")
    await env.answer("help")
    env.fake.fail_next("chat.postMessage", 200, {"ok": False, "error": "msg_too_long"})
    with pytest.raises(DeliveryError):
        await env.transport.send("slack:T1:C1", Reply(text="x", kind="alert"))
    assert "xoxb-test-token" not in caplog.text and SECRET not in caplog.text
