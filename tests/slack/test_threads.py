"""Threads and the bot's own access on Slack: a button on a follow-up alert (a message in
a story thread) and a mention inside a thread act on the channel; `/grok track` where the
bot cannot post (a private channel it is not in) is refused with what to do."""

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import urlencode

from handlers.texts import t as bot_text
from tests.slack.helpers import Env, texts

THREAD = "1710000000.000100"


async def test_untrack_pressed_in_a_story_thread_acts_on_the_channel(env: Env) -> None:
    await env.app.say("/grok track Grok", channel="slack:T1:C1")
    payload: dict[str, Any] = {
        "type": "block_actions",
        "team": {"id": "T1", "domain": "newsroom"},
        "user": {"id": "U1", "team_id": "T1"},
        "api_app_id": "A1",
        "trigger_id": "1.2.3",
        "container": {
            "type": "message",
            "channel_id": "C1",
            "message_ts": "1710000001.000200",
            "thread_ts": THREAD,
            "is_ephemeral": False,
        },
        "channel": {"id": "C1", "name": "general"},
        "message": {"ts": "1710000001.000200", "thread_ts": THREAD, "type": "message"},
        "response_url": env.fake.response_url(9),
        "actions": [
            {
                "type": "button",
                "action_id": "grok_untrack:0",
                "block_id": "b1",
                "value": "grok",
                "action_ts": str(time.time()),
                "text": {"type": "plain_text", "text": "Untrack Grok"},
            }
        ],
    }
    status, _, _ = await env.post(
        urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded"
    )
    assert status == 200
    await env.fake.wait_for(lambda: len(env.fake.responses) == 1)
    assert "Stopped tracking" in texts(env.fake.responses[0])
    assert await env.app.store.subscriptions.of_channel("slack:T1:C1") == []


async def test_track_by_mention_inside_a_thread_subscribes_the_channel(env: Env) -> None:
    event = {
        "type": "app_mention",
        "user": "U1",
        "text": "<@UBOT> track xAI",
        "ts": "1710000002.000300",
        "thread_ts": THREAD,
        "channel": "C1",
        "event_ts": "1710000002.000300",
    }
    assert await env.event(event) == 200
    await env.fake.wait_for(lambda: bool(env.fake.of("chat.postMessage")))
    assert env.fake.of("chat.postMessage")[0].args["thread_ts"] == THREAD
    subs = await env.app.store.subscriptions.of_channel("slack:T1:C1")
    assert [s.entity_id for s in subs] == ["xai"]


async def test_track_in_a_private_channel_the_bot_is_not_in_is_refused(env: Env) -> None:
    env.fake.channel_info["G7"] = {"is_private": True, "is_member": False}
    answer = await env.answer("track Grok", channel="G7")
    assert answer["response_type"] == "ephemeral"
    assert "/invite @grokwatch" in texts(answer)
    assert await env.app.store.subscriptions.of_channel("slack:T1:G7") == []
    assert env.fake.of("conversations.info")[0].args["channel"] == "G7"


async def test_track_in_a_public_channel_needs_no_invitation(env: Env) -> None:
    env.fake.channel_info["C5"] = {"is_private": False, "is_member": False}
    answer = await env.answer("track Grok", channel="C5")
    assert bot_text("en", "track_bot_missing", perms="x")[:20] not in texts(answer)
    assert len(await env.app.store.subscriptions.of_channel("slack:T1:C5")) == 1
