"""Threads and forums on Discord: a command or button inside a thread acts on its parent
channel's subscriptions; `/grok track` in a forum post, or where the bot lacks a
permission it needs for alerts, is refused with what to do — real INTERACTION_CREATE
payloads through discord.py, against the strict fake API."""

from __future__ import annotations

from typing import Any

import discord

from bot.app import App
from handlers.reply import Button, Reply
from handlers.texts import t as bot_text
from tests.discord.helpers import CHANNEL, GUILD, TARGET, transport_of
from tests.discord.test_commands import dispatch, interaction, slash
from tests.discord_fake import FakeDiscord

THREAD = 4444
FORUM, POST = 5555, 6666


def in_thread(
    payload: dict[str, Any], thread: int = THREAD, parent: int = CHANNEL
) -> dict[str, Any]:
    """The payload as Discord sends it from a public thread of `parent`."""
    payload["channel_id"] = str(thread)
    payload["channel"] = {
        "id": str(thread),
        "type": 11,
        "guild_id": str(GUILD),
        "parent_id": str(parent),
        "name": "Grok-1 weights",
        "owner_id": "900000000000000002",
        "message_count": 3,
        "member_count": 2,
        "rate_limit_per_user": 0,
        "flags": 0,
        "thread_metadata": {
            "archived": False,
            "auto_archive_duration": 10080,
            "archive_timestamp": "2024-03-17T12:00:00.000000+00:00",
            "locked": False,
        },
    }
    return payload


def follow_up(reqs: list[Any]) -> dict[str, Any]:
    return next(r for r in reqs if r.method == "POST" and "/webhooks/" in r.path).body


async def test_untrack_pressed_on_a_follow_up_alert_in_a_story_thread(
    dapp: App, fake: FakeDiscord
) -> None:
    await dapp.say("/grok track Grok", channel=TARGET)
    alert = Reply(text="alert", kind="alert", buttons=[Button("Untrack Grok", "untrack", "grok")])
    await transport_of(dapp).send(TARGET, alert)
    message = {**fake.messages[CHANNEL][-1], "guild_id": str(GUILD), "channel_id": str(THREAD)}
    press = in_thread(interaction(3, {"custom_id": "grok:untrack:grok", "component_type": 2}))
    press["message"] = message
    reqs = await dispatch(dapp, fake, press, until="/webhooks/")
    text = follow_up(reqs)["embeds"][0]["description"]
    assert text == bot_text("en", "untracked", name="Grok", id="grok")
    assert await dapp.store.subscriptions.of_channel(TARGET) == []


async def test_tracked_in_a_thread_lists_the_parent_channels(dapp: App, fake: FakeDiscord) -> None:
    await dapp.say("/grok track xAI", channel=TARGET)
    reqs = await dispatch(
        dapp, fake, in_thread(interaction(2, slash("tracked"))), until="/webhooks/"
    )
    fields = follow_up(reqs)["embeds"][0]["fields"]
    assert [f["name"] for f in fields] == ["xAI"]


async def test_track_in_a_thread_subscribes_the_parent(dapp: App, fake: FakeDiscord) -> None:
    payload = in_thread(interaction(2, slash("track", entity="Grok")))
    await dispatch(dapp, fake, payload, until="/webhooks/")
    assert [s.entity_id for s in await dapp.store.subscriptions.of_channel(TARGET)] == ["grok"]
    assert await dapp.store.subscriptions.of_channel(f"{TARGET}:{THREAD}") == []


async def test_track_in_a_forum_post_is_refused(dapp: App, fake: FakeDiscord) -> None:
    fake.channel_types[FORUM] = 15
    payload = in_thread(interaction(2, slash("track", entity="Grok")), thread=POST, parent=FORUM)
    reqs = await dispatch(dapp, fake, payload, until="/webhooks/")
    body = follow_up(reqs)
    assert body["embeds"][0]["description"] == bot_text("en", "track_forum")
    assert body["flags"] & 64
    assert await dapp.store.subscriptions.of_channel(f"discord:{GUILD}:{FORUM}") == []
    assert any(r.method == "GET" and r.path == f"/channels/{FORUM}" for r in fake.requests)


async def test_track_where_the_bot_cannot_post_is_refused_naming_what_it_lacks(
    dapp: App, fake: FakeDiscord
) -> None:
    payload = interaction(2, slash("track", entity="Grok"))
    payload["app_permissions"] = str(
        discord.Permissions(view_channel=True, read_message_history=True).value
    )
    reqs = await dispatch(dapp, fake, payload, until="/webhooks/")
    text = follow_up(reqs)["embeds"][0]["description"]
    assert "Send Messages" in text and "Embed Links" in text and "Create Public Threads" in text
    assert "View Channel" not in text
    assert await dapp.store.subscriptions.of_channel(TARGET) == []
