"""The Slack transport end to end: signed requests in Slack's real formats sent to the
app's HTTP endpoint (real slack-bolt verifying them), answers and alerts going out through
the real slack_sdk client to a loopback fake of Slack's Web API, on a real Redis and the
real pipeline."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import itertools
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
import pytest
from pydantic import SecretStr

from bot.app import App
from bot.settings import Settings
from bot.transports import DeliveryError, create_transport
from bot.transports.slack import SlackTransport
from bot.transports.slack.render import to_mrkdwn
from handlers.reply import Reply
from handlers.texts import t as bot_text
from nlp.pipeline import Analyzer
from tests.slack_fake import FakeSlack

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"

GROK_FR = """---
title: xAI ouvre le code de Grok
source: Le Veilleur Tech
date: 2024-03-17
url: https://example.org/veilleur/grok-ouvert
lang: fr
---
La start-up xAI d'Elon Musk a publié dimanche les poids de Grok-1 sous licence Apache 2.0.
Le modèle compte 314 milliards de paramètres.
"""


def sign(body: str, timestamp: int | None = None, secret: str = SECRET) -> dict[str, str]:
    """Slack's v0 request signature, computed the way Slack documents it."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    base = f"v0:{ts}:{body}".encode()
    digest = hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={digest}"}


@dataclass
class Env:
    app: App
    transport: SlackTransport
    fake: FakeSlack

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.transport.port}/slack/events"

    async def post(
        self, body: str, content_type: str, headers: dict[str, str] | None = None
    ) -> tuple[int, str, float]:
        hdrs = {"Content-Type": content_type, **(headers if headers is not None else sign(body))}
        start = time.monotonic()
        async with (
            aiohttp.ClientSession() as session,
            session.post(self.endpoint, data=body.encode(), headers=hdrs) as resp,
        ):
            return resp.status, await resp.text(), time.monotonic() - start

    async def command(
        self, text: str, *, user: str = "U1", channel: str = "C1", team: str = "T1", n: int = 1
    ) -> tuple[int, str, float]:
        body = urlencode(
            {
                "token": "legacy-unused",
                "team_id": team,
                "team_domain": "newsroom",
                "channel_id": channel,
                "channel_name": "general",
                "user_id": user,
                "user_name": "someone",
                "command": "/grok",
                "text": text,
                "api_app_id": "A1",
                "response_url": self.fake.response_url(n),
                "trigger_id": "13345224609.738474920.8088930838d88f008e0",
            }
        )
        return await self.post(body, "application/x-www-form-urlencoded")

    async def answer(self, text: str, **kw: Any) -> dict[str, Any]:
        """Run a slash command; the first message its response_url received."""
        before = len(self.fake.responses)
        status, _, _ = await self.command(text, **kw)
        assert status == 200
        await self.fake.wait_for(lambda: len(self.fake.responses) > before)
        return self.fake.responses[before]

    async def event(self, event: dict[str, Any], team: str = "T1") -> int:
        body = json.dumps(
            {
                "token": "legacy-unused",
                "team_id": team,
                "api_app_id": "A1",
                "event": event,
                "type": "event_callback",
                "event_id": f"Ev{time.time_ns()}",
                "event_time": int(time.time()),
                "authorizations": [{"team_id": team, "user_id": "UBOT", "is_bot": True}],
            }
        )
        status, _, _ = await self.post(body, "application/json")
        return status

    async def press(
        self, action_id: str, value: str, *, user: str = "U1", view: bool = False
    ) -> int:
        payload: dict[str, Any] = {
            "type": "block_actions",
            "team": {"id": "T1", "domain": "newsroom"},
            "user": {"id": user, "team_id": "T1"},
            "api_app_id": "A1",
            "trigger_id": "1.2.3",
            "actions": [
                {
                    "type": "button",
                    "action_id": action_id,
                    "block_id": "b1",
                    "value": value,
                    "action_ts": str(time.time()),
                    "text": {"type": "plain_text", "text": "Untrack"},
                }
            ],
        }
        if view:
            payload["container"] = {"type": "view", "view_id": "V1"}
            payload["view"] = {"id": "V1", "type": "home"}
        else:
            payload["container"] = {"type": "message", "channel_id": "C1", "message_ts": "1.1"}
            payload["channel"] = {"id": "C1", "name": "general"}
            payload["response_url"] = self.fake.response_url(9)
        body = urlencode({"payload": json.dumps(payload)})
        status, _, _ = await self.post(body, "application/x-www-form-urlencoded")
        return status


def slack_settings(settings: Settings, fake: FakeSlack, **extra: Any) -> Settings:
    return settings.model_copy(
        update={
            "slack_bot_token": SecretStr("xoxb-test-token"),
            "slack_signing_secret": SecretStr(SECRET),
            "slack_api_base": fake.api,
            "slack_http_host": "127.0.0.1",
            "slack_http_port": 0,
            "slack_min_interval": 0.0,
            **extra,
        }
    )


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlack]:
    server = FakeSlack(
        users={"U1": {"is_admin": True}, "U3": {"locale": "fr-FR", "is_owner": True}}
    )
    await server.start()
    yield server
    await server.close()


@pytest.fixture
async def env(settings: Settings, fake: FakeSlack, analyzer: Analyzer) -> AsyncIterator[Env]:
    s = slack_settings(settings, fake)
    async with App(s, analyzer=analyzer, platforms=["slack"]) as app:
        transport = app.transports["slack"]
        assert isinstance(transport, SlackTransport)
        yield Env(app, transport, fake)


def texts(message: dict[str, Any]) -> str:
    return json.dumps(message, ensure_ascii=False)


# ------------------------------------------------------------------ requests in
async def test_slash_command_is_acked_at_once_then_answered(env: Env) -> None:
    status, _, elapsed = await env.command("track Elon Musk")
    assert status == 200 and elapsed < 3.0  # Slack's 3-second rule
    await env.fake.wait_for(lambda: len(env.fake.responses) == 1)
    answer = env.fake.responses[0]
    assert answer["response_type"] == "in_channel"
    assert "Elon Musk" in texts(answer) and answer["blocks"]
    subs = await env.app.store.subscriptions.of_channel("slack:T1:C1")
    assert [s.entity_id for s in subs] == ["elon-musk"]
    assert subs[0].added_by == "slack:U1"


async def test_help_is_generated_from_the_registry(env: Env) -> None:
    answer = await env.answer("help")
    assert "/grok track" in texts(answer) and "/grok tracked" in texts(answer)


async def test_bad_signature_is_refused(env: Env) -> None:
    body = urlencode(
        {
            "command": "/grok",
            "text": "help",
            "team_id": "T1",
            "channel_id": "C1",
            "user_id": "U1",
            "response_url": env.fake.response_url(),
        }
    )
    headers = sign(body, secret="not-the-secret")
    status, _, _ = await env.post(body, "application/x-www-form-urlencoded", headers)
    assert status == 401
    status, _, _ = await env.post(body, "application/x-www-form-urlencoded", {})
    assert status == 401
    await asyncio.sleep(0.2)
    assert env.fake.responses == []


async def test_stale_timestamp_is_refused(env: Env) -> None:
    body = urlencode(
        {
            "command": "/grok",
            "text": "help",
            "team_id": "T1",
            "channel_id": "C1",
            "user_id": "U1",
            "response_url": env.fake.response_url(),
        }
    )
    stale = int(time.time()) - 6 * 60  # correctly signed, but six minutes old
    status, _, _ = await env.post(body, "application/x-www-form-urlencoded", sign(body, stale))
    assert status == 401
    fresh = int(time.time()) - 60
    status, _, _ = await env.post(body, "application/x-www-form-urlencoded", sign(body, fresh))
    assert status == 200


async def test_url_verification_challenge(env: Env) -> None:
    body = json.dumps({"type": "url_verification", "challenge": "3eZbrw1aB", "token": "x"})
    status, text, _ = await env.post(body, "application/json")
    assert status == 200 and "3eZbrw1aB" in text


async def test_members_may_read_but_not_change_tracking(env: Env) -> None:
    answer = await env.answer("track Grok", user="U2")
    assert answer["response_type"] == "ephemeral"
    assert "Only people who may manage" in texts(answer)
    assert await env.app.store.subscriptions.of_channel("slack:T1:C1") == []
    answer = await env.answer("tracked", user="U2", n=2)
    assert answer["response_type"] == "in_channel" and "Nothing is tracked" in texts(answer)


async def test_a_user_group_may_be_allowed(
    settings: Settings, fake: FakeSlack, analyzer: Analyzer
) -> None:
    fake.usergroups = {"S1": ("newsdesk", ["U2"])}
    s = slack_settings(settings, fake, slack_admin_group="newsdesk")
    async with App(s, analyzer=analyzer, platforms=["slack"]) as app:
        transport = app.transports["slack"]
        assert isinstance(transport, SlackTransport)
        e = Env(app, transport, fake)
        assert "Now tracking" in texts(await e.answer("track Grok", user="U2"))
        assert "Only people" in texts(await e.answer("track xAI", user="U4", n=2))
        # the group's members are cached: one lookup for both commands
        assert len(fake.of("usergroups.users.list")) == 1


async def test_errors_are_ephemeral_and_say_what_to_do(env: Env) -> None:
    answer = await env.answer("trak Grok")
    assert answer["response_type"] == "ephemeral"
    assert "Did you mean `/grok track`" in texts(answer)


async def test_french_locale_gets_french_texts(env: Env) -> None:
    answer = await env.answer("trak Grok", user="U3")
    assert "n'existe pas" in texts(answer)


async def test_a_french_command_gets_french_texts(env: Env) -> None:
    answer = await env.answer("trak les poids du modèle publiés par la société")
    assert "n'existe pas" in texts(answer)


FRENCH_QUESTION = "Quand xAI a-t-elle été fondée ?"


async def test_a_french_question_from_an_english_locale_is_answered_in_french(
    env: Env, tmp_path: Path
) -> None:
    # U1's Slack is in en-US; the words are French: dispatch decides, the bot's words are French
    outcomes = await env.app.ingest([write(tmp_path)])
    assert [o.status for o in outcomes] == ["new"]
    answer = await env.answer(f"ask {FRENCH_QUESTION}")
    header = next(b for b in answer["blocks"] if b["type"] == "header")
    assert header["text"]["text"] == f"{bot_text('fr', 'ask_title')}: {FRENCH_QUESTION}"
    assert "Grok-1" in texts(answer)


async def test_french_words_decide_the_language_of_the_commands_own_texts(env: Env) -> None:
    query = "les poids du modèle publiés par la société"
    answer = await env.answer(f"search {query}")
    assert answer["blocks"][0]["text"]["text"] == to_mrkdwn(
        bot_text("fr", "search_none", query=query)
    )
    english = "weights released by the company"
    answer = await env.answer(f"search {english}", n=2)
    assert answer["blocks"][0]["text"]["text"] == to_mrkdwn(
        bot_text("en", "search_none", query=english)
    )


async def test_app_mention_is_answered_in_thread(env: Env) -> None:
    await env.app.say("/grok track Grok", channel="slack:T1:C1")
    status = await env.event(
        {
            "type": "app_mention",
            "user": "U1",
            "text": "<@UBOT> tracked",
            "ts": "1710000000.000100",
            "channel": "C1",
            "event_ts": "1710000000.000100",
        }
    )
    assert status == 200
    await env.fake.wait_for(lambda: bool(env.fake.of("chat.postMessage")))
    post = env.fake.of("chat.postMessage")[0].args
    assert post["channel"] == "C1" and post["thread_ts"] == "1710000000.000100"
    assert "Grok" in texts(post["blocks"])


async def test_untrack_button_runs_untrack_with_the_permission_check(env: Env) -> None:
    await env.app.say("/grok track Grok", channel="slack:T1:C1")
    assert await env.press("grok_untrack:0", "grok", user="U2") == 200  # a member: refused
    await env.fake.wait_for(lambda: len(env.fake.responses) == 1)
    assert "Only people" in texts(env.fake.responses[0])
    assert len(await env.app.store.subscriptions.of_channel("slack:T1:C1")) == 1
    assert await env.press("grok_untrack:0", "grok", user="U1") == 200  # an admin
    await env.fake.wait_for(lambda: len(env.fake.responses) == 2)
    answer = env.fake.responses[1]
    assert answer["response_type"] == "ephemeral" and "Stopped tracking" in texts(answer)
    assert await env.app.store.subscriptions.of_channel("slack:T1:C1") == []


async def test_app_home_lists_what_the_users_channels_track(env: Env) -> None:
    env.fake.user_channels = {"U1": ["C1", "C2", "C3"]}
    await env.app.say("/grok track Grok", channel="slack:T1:C1")
    await env.app.say("/grok track xAI", channel="slack:T1:C2")
    await env.app.say("/grok track OpenAI", channel="slack:T9:C3")  # another workspace
    status = await env.event(
        {"type": "app_home_opened", "user": "U1", "channel": "D1", "tab": "home"}
    )
    assert status == 200
    await env.fake.wait_for(lambda: bool(env.fake.of("views.publish")))
    view = env.fake.of("views.publish")[0].args["view"]
    shown = texts(view)
    assert view["type"] == "home" and "<#C1>" in shown and "<#C2>" in shown
    assert "Grok" in shown and "xAI" in shown and "OpenAI" not in shown
    buttons = [el for b in view["blocks"] if b["type"] == "actions" for el in b["elements"]]
    untrack_grok = next(b for b in buttons if json.loads(b["value"]) == {"c": "C1", "v": "grok"})
    assert await env.press(untrack_grok["action_id"], untrack_grok["value"], view=True) == 200
    await env.fake.wait_for(lambda: len(env.fake.of("views.publish")) == 2)
    assert await env.app.store.subscriptions.of_channel("slack:T1:C1") == []
    assert "Stopped tracking" in texts(env.fake.of("views.publish")[1].args["view"])


async def test_socket_mode_receives_commands_without_an_http_server(
    settings: Settings, fake: FakeSlack, analyzer: Analyzer
) -> None:
    s = slack_settings(settings, fake, slack_app_token=SecretStr("xapp-test-token"))
    async with App(s, analyzer=analyzer, platforms=["slack"]) as app:
        transport = app.transports["slack"]
        assert isinstance(transport, SlackTransport) and transport.port is None
        await fake.wait_for(lambda: fake.socket_connected)
        assert fake.of("apps.connections.open")
        await fake.envelopes.put(
            {
                "envelope_id": "env-1",
                "type": "slash_commands",
                "accepts_response_payload": True,
                "payload": {
                    "team_id": "T1",
                    "channel_id": "C1",
                    "user_id": "U1",
                    "command": "/grok",
                    "text": "track Grok",
                    "response_url": fake.response_url(),
                    "trigger_id": "1.2.3",
                },
            }
        )
        await fake.wait_for(lambda: any(a.get("envelope_id") == "env-1" for a in fake.socket_acks))
        await fake.wait_for(lambda: len(fake.responses) == 1)
        assert "Now tracking" in texts(fake.responses[0])
        assert [x.entity_id for x in await app.store.subscriptions.of_channel("slack:T1:C1")] == [
            "grok"
        ]


# ------------------------------------------------------------------ alerts out
def write(tmp_path: Path, name: str = "grok.md", text: str = GROK_FR) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


async def queue_alert(env: Env, tmp_path: Path) -> None:
    reply = await env.app.say("/grok track Grok", channel="slack:T1:C1")
    assert reply.kind == "info"
    outcomes = await env.app.ingest([write(tmp_path)])
    assert [a.channel for a in outcomes[0].alerts] == ["slack:T1:C1"]


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
    await env.app.deliver_pending()
    tries = env.fake.of("chat.postMessage", ok_only=False)
    assert [c.status for c in tries] == [429, 200]
    assert tries[1].at - tries[0].at >= 1.0  # waited as Slack asked
    assert len(env.fake.messages["C1"]) == 1


async def test_server_error_is_retried(env: Env, tmp_path: Path) -> None:
    await queue_alert(env, tmp_path)
    env.fake.fail_next("chat.postMessage", 500, {"ok": False, "error": "internal_error"})
    await env.app.deliver_pending()
    assert [c.status for c in env.fake.of("chat.postMessage", ok_only=False)] == [500, 200]
    assert len(env.fake.messages["C1"]) == 1


async def test_lasting_rate_limit_leaves_the_alert_pending(env: Env, tmp_path: Path) -> None:
    await queue_alert(env, tmp_path)
    env.fake.fail_next(
        "chat.postMessage",
        429,
        {"ok": False, "error": "ratelimited"},
        {"Retry-After": "0"},
        times=4,
    )
    await env.app.pipeline.workers["deliver:slack"].run_once()
    assert await env.app.pipeline.workers["deliver:slack"].pending() == 1
    assert not await env.app.store.delivery.is_paused("slack:T1:C1")
    await env.app.deliver_pending()  # reclaimed: delivered once, not twice
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
