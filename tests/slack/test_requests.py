"""Requests in: slash commands, signatures, events, mentions, buttons, App Home, Socket
Mode, permissions and the reply language."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from urllib.parse import urlencode

from pydantic import SecretStr

from bot.app import App
from bot.settings import Settings
from bot.transports.slack import SlackTransport
from bot.transports.slack.render import to_mrkdwn
from handlers.texts import t as bot_text
from nlp.pipeline import Analyzer
from tests.slack.helpers import (
    Env,
    sign,
    slack_settings,
    texts,
    write,
)
from tests.slack_fake import FakeSlack


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


def help_command(env: Env) -> str:
    """A `/grok help` slash command body, as Slack posts it."""
    return urlencode(
        {
            "command": "/grok",
            "text": "help",
            "team_id": "T1",
            "channel_id": "C1",
            "user_id": "U1",
            "response_url": env.fake.response_url(),
        }
    )


async def test_bad_signature_is_refused(env: Env) -> None:
    body = help_command(env)
    headers = sign(body, secret="not-the-secret")
    status, _, _ = await env.post(body, "application/x-www-form-urlencoded", headers)
    assert status == 401
    status, _, _ = await env.post(body, "application/x-www-form-urlencoded", {})
    assert status == 401
    await asyncio.sleep(0.2)
    assert env.fake.responses == []


async def test_stale_timestamp_is_refused(env: Env) -> None:
    body = help_command(env)
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
