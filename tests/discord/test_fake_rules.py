"""The fake Discord API refuses what the real one refuses: these requests, made with
discord.py's own HTTP client, break one published rule each and must fail, while the
bot's own traffic (every other Discord test) passes the same checks."""

from __future__ import annotations

from typing import Any

import discord
import pytest
from discord.http import Route

from bot.app import App
from tests.discord.helpers import CHANNEL, transport_of
from tests.discord_fake import FakeDiscord


def _embed(**extra: Any) -> dict[str, Any]:
    return {"title": "t", "description": "d", **extra}


def _button(custom_id: str) -> dict[str, Any]:
    return {
        "type": 1,
        "components": [{"type": 2, "style": 2, "label": "x", "custom_id": custom_id}],
    }


BAD_MESSAGES = {
    "26 fields": ({"embeds": [_embed(fields=[{"name": "n", "value": "v"}] * 26)]}, "fields"),
    "a 257-char title": ({"embeds": [_embed(title="t" * 257)]}, "title"),
    "a 4097-char description": ({"embeds": [_embed(description="d" * 4097)]}, "description"),
    "11 embeds": ({"embeds": [_embed()] * 11}, "embeds"),
    "6001 characters": (
        {"embeds": [_embed(description="d" * 4000), _embed(description="e" * 2000)]},
        "6000",
    ),
    "a 1025-char field": (
        {"embeds": [_embed(fields=[{"name": "n", "value": "v" * 1025}])]},
        "value",
    ),
    "a 101-char custom id": ({"content": "x", "components": [_button("g" * 101)]}, "custom_id"),
    "6 action rows": (
        {"content": "x", "components": [_button(f"b{i}") for i in range(6)]},
        "components",
    ),
    "a ping allowed twice": (
        {"content": "x", "allowed_mentions": {"parse": ["roles"], "roles": ["1"]}},
        "mutually exclusive",
    ),
    "nothing to show": ({}, "empty message"),
}


@pytest.mark.parametrize("name", sorted(BAD_MESSAGES))
async def test_a_message_breaking_a_limit_is_refused(
    dapp: App, fake: FakeDiscord, name: str
) -> None:
    body, where = BAD_MESSAGES[name]
    http = transport_of(dapp).client.http
    route = Route("POST", "/channels/{channel_id}/messages", channel_id=CHANNEL)
    with pytest.raises(discord.HTTPException) as caught:
        await http.request(route, json=body)
    assert caught.value.status == 400
    assert caught.value.code in (50035, 0)
    assert where in caught.value.text
    assert fake.sent_messages() == []


async def test_a_valid_message_passes(dapp: App, fake: FakeDiscord) -> None:
    http = transport_of(dapp).client.http
    route = Route("POST", "/channels/{channel_id}/messages", channel_id=CHANNEL)
    body = {
        "embeds": [_embed(fields=[{"name": "n", "value": "v"}] * 25)],
        "components": [_button("grok:untrack:x")],
    }
    message = await http.request(route, json=body)
    assert message["embeds"][0]["title"] == "t"
    assert len(fake.sent_messages()) == 1


@pytest.mark.parametrize("duration", [10081, 30, 0])
async def test_a_thread_with_an_unknown_archive_duration_is_refused(
    dapp: App, fake: FakeDiscord, duration: int
) -> None:
    http = transport_of(dapp).client.http
    with pytest.raises(discord.HTTPException) as caught:
        await http.start_thread_with_message(
            CHANNEL, 5, name="story", auto_archive_duration=duration
        )
    assert caught.value.status == 400 and caught.value.code == 50035
    assert "auto_archive_duration" in caught.value.text
    assert fake.threads == {}


async def test_a_thread_name_over_100_characters_is_refused(dapp: App, fake: FakeDiscord) -> None:
    http = transport_of(dapp).client.http
    with pytest.raises(discord.HTTPException) as caught:
        await http.start_thread_with_message(CHANNEL, 5, name="n" * 101, auto_archive_duration=60)
    assert caught.value.status == 400 and "name" in caught.value.text


async def test_a_wrong_bot_token_is_refused(fake: FakeDiscord) -> None:
    http = discord.http.HTTPClient(discord.utils.MISSING)
    saved = Route.BASE
    Route.BASE = fake.base
    try:
        with pytest.raises(discord.LoginFailure):
            await http.static_login("not-the-token")
    finally:
        Route.BASE = saved
        await http.close()
    assert fake.requests[-1].status == 401


async def test_a_message_to_a_forum_channel_is_refused(dapp: App, fake: FakeDiscord) -> None:
    fake.channel_types[CHANNEL] = 15
    http = transport_of(dapp).client.http
    route = Route("POST", "/channels/{channel_id}/messages", channel_id=CHANNEL)
    with pytest.raises(discord.HTTPException) as caught:
        await http.request(route, json={"content": "hello"})
    assert caught.value.status == 400 and caught.value.code == 50008


async def test_a_command_tree_breaking_the_naming_rules_is_refused(
    dapp: App, fake: FakeDiscord
) -> None:
    http = transport_of(dapp).client.http
    bad = [
        {"name": "Grok", "description": "d", "type": 1},
        {"name": "ok", "description": "", "type": 1},
    ]
    with pytest.raises(discord.HTTPException) as caught:
        await http.bulk_upsert_global_commands(900000000000000001, bad)
    assert caught.value.status == 400
    assert "0.name" in caught.value.text and "1.description" in caught.value.text
