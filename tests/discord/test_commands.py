"""Interactions: real INTERACTION_CREATE payloads dispatched through discord.py's command
tree (defer first, follow-up, autocomplete, permission refusal, buttons), and the reply
language."""

from __future__ import annotations

import asyncio
import itertools
from pathlib import Path
from typing import Any

import discord

from bot.app import App
from bot.transports.discord.render import render
from handlers.reply import Button, Reply
from handlers.texts import t as bot_text
from tests.discord.helpers import (
    CHANNEL,
    GUILD,
    TARGET,
    assert_within_limits,
    ingest_article,
    transport_of,
)
from tests.discord_fake import APP_ID, FakeDiscord, Recorded, user_json

# ------------------------------------------------------------- interactions
_ids = itertools.count(500)
MANAGE_CHANNELS = discord.Permissions(manage_channels=True).value
MEMBER = discord.Permissions(view_channel=True, send_messages=True).value


def interaction(
    itype: int,
    data: dict[str, Any],
    *,
    permissions: int = MANAGE_CHANNELS,
    locale: str = "en-US",
) -> dict[str, Any]:
    """An INTERACTION_CREATE payload as the gateway sends it for a guild channel."""
    n = next(_ids)
    return {
        "id": str(10_000 + n),
        "application_id": str(APP_ID),
        "type": itype,
        "token": f"token-{n}",
        "version": 1,
        "guild_id": str(GUILD),
        "channel_id": str(CHANNEL),
        "channel": {
            "id": str(CHANNEL),
            "type": 0,
            "guild_id": str(GUILD),
            "name": "news",
            "position": 0,
            "permission_overwrites": [],
            "nsfw": False,
            "parent_id": None,
            "rate_limit_per_user": 0,
            "topic": None,
            "last_message_id": None,
            "flags": 0,
        },
        "member": {
            "user": user_json(42, "alice"),
            "roles": [],
            "joined_at": "2024-01-01T00:00:00.000000+00:00",
            "deaf": False,
            "mute": False,
            "flags": 0,
            "pending": False,
            "nick": None,
            "avatar": None,
            "premium_since": None,
            "permissions": str(permissions),
        },
        "locale": locale,
        "guild_locale": "en-US",
        "app_permissions": str(discord.Permissions.all().value),
        "entitlements": [],
        "authorizing_integration_owners": {"0": str(GUILD)},
        "context": 0,
        "attachment_size_limit": 8_388_608,
        "data": data,
    }


def slash(sub: str, **options: str) -> dict[str, Any]:
    return {
        "id": "1100",
        "name": "grok",
        "type": 1,
        "options": [
            {
                "name": sub,
                "type": 1,
                "options": [{"name": k, "type": 3, "value": v} for k, v in options.items()],
            }
        ],
    }


async def dispatch(
    app: App, fake: FakeDiscord, payload: dict[str, Any], *, until: str
) -> list[Recorded]:
    """Hand the payload to discord.py as the gateway would; wait for the request `until`."""
    client = transport_of(app).client
    client._connection.parse_interaction_create(payload)  # type: ignore[arg-type]
    token = payload["token"]
    for _ in range(200):
        mine = [r for r in fake.requests if token in r.path]
        if any(until in r.path and r.method == "POST" for r in mine):
            return mine
        await asyncio.sleep(0.025)
    raise AssertionError(f"no {until} request; saw {[r.path for r in fake.requests[-5:]]}")


async def test_a_slash_command_is_deferred_then_answered(dapp: App, fake: FakeDiscord) -> None:
    reqs = await dispatch(
        dapp, fake, interaction(2, slash("track", entity="Elon Musk")), until="/webhooks/"
    )
    assert reqs[0].path.endswith("/callback") and reqs[0].body["type"] == 5  # deferred first
    assert not (reqs[0].body.get("data") or {}).get("flags", 0) & 64  # public
    follow = next(r for r in reqs if "/webhooks/" in r.path)
    assert follow.query.get("wait") in {"1", "true"}
    assert_within_limits(follow.body)
    assert "elon-musk" in follow.body["embeds"][0]["description"]
    subs = await dapp.store.subscriptions.of_channel(TARGET)
    assert [(s.entity_id, s.added_by) for s in subs] == [("elon-musk", "discord:42")]


async def test_autocomplete_offers_entity_names(dapp: App, fake: FakeDiscord) -> None:
    data = slash("track")
    data["options"][0]["options"] = [{"name": "entity", "type": 3, "value": "elo", "focused": True}]
    reqs = await dispatch(dapp, fake, interaction(4, data), until="/callback")
    body = reqs[0].body
    assert body["type"] == 8
    names = [c["name"] for c in body["data"]["choices"]]
    assert "Elon Musk" in names and len(names) <= 25


async def test_track_without_manage_channels_is_refused_privately(
    dapp: App, fake: FakeDiscord
) -> None:
    reqs = await dispatch(
        dapp,
        fake,
        interaction(2, slash("track", entity="Grok"), permissions=MEMBER),
        until="/webhooks/",
    )
    assert reqs[0].body["type"] == 5 and reqs[0].body["data"]["flags"] & 64
    follow = next(r for r in reqs if "/webhooks/" in r.path)
    assert follow.body["flags"] & 64  # ephemeral
    assert "manage this channel" in follow.body["embeds"][0]["description"]
    assert await dapp.store.subscriptions.of_channel(TARGET) == []


async def test_reading_commands_are_open_and_french_users_get_french(
    dapp: App, fake: FakeDiscord
) -> None:
    reqs = await dispatch(
        dapp,
        fake,
        interaction(2, slash("tracked"), permissions=MEMBER, locale="fr"),
        until="/webhooks/",
    )
    follow = next(r for r in reqs if "/webhooks/" in r.path)
    assert not follow.body.get("flags", 0) & 64
    assert follow.body["embeds"][0]["description"] == bot_text("fr", "tracked_none")


async def test_an_error_after_a_public_defer_is_sent_privately(
    dapp: App, fake: FakeDiscord
) -> None:
    reqs = await dispatch(
        dapp, fake, interaction(2, slash("mentions", entity="Qwxzzq")), until="/webhooks/"
    )
    deleted = [r for r in fake.requests if r.method == "DELETE" and r.path.endswith("/@original")]
    assert len(deleted) == 1  # the public "thinking…" is removed ...
    follow = next(r for r in reqs if r.method == "POST" and "/webhooks/" in r.path)
    assert follow.body["flags"] & 64  # ... and the error is ephemeral


async def test_the_untrack_button_runs_untrack_with_the_permission_check(
    dapp: App, fake: FakeDiscord
) -> None:
    await dapp.say("/grok track Grok", channel=TARGET)
    alert = Reply(text="alert", kind="alert", buttons=[Button("Untrack Grok", "untrack", "grok")])
    await transport_of(dapp).send(TARGET, alert)
    message = {**fake.messages[CHANNEL][-1], "guild_id": str(GUILD)}  # as Discord stored it
    press = {"custom_id": "grok:untrack:grok", "component_type": 2}

    refused = interaction(3, press, permissions=MEMBER)
    refused["message"] = message
    reqs = await dispatch(dapp, fake, refused, until="/webhooks/")
    assert reqs[0].body["type"] == 5 and reqs[0].body["data"]["flags"] & 64
    assert [s.entity_id for s in await dapp.store.subscriptions.of_channel(TARGET)] == ["grok"]

    allowed = interaction(3, press)
    allowed["message"] = message
    reqs = await dispatch(dapp, fake, allowed, until="/webhooks/")
    follow = next(r for r in reqs if "/webhooks/" in r.path)
    assert follow.body["flags"] & 64
    assert await dapp.store.subscriptions.of_channel(TARGET) == []


def test_render_gives_the_fake_what_discord_accepts() -> None:
    # the JSON discord.py will send for a reply is the JSON the limits test checks
    body = {
        "embeds": [e.to_dict() for e in render(Reply(text="x"))[0]["embeds"]],
        "allowed_mentions": {"parse": []},
    }
    assert_within_limits(body)


# ------------------------------------------------------------- reply language
FRENCH_QUESTION = "Quand xAI a-t-elle été fondée ?"


async def first_embed(app: App, fake: FakeDiscord, sub: str, **options: str) -> dict[str, Any]:
    """`/grok <sub>` from a member whose Discord is in English: its answer's first embed."""
    payload = interaction(2, slash(sub, **options), permissions=MEMBER, locale="en-US")
    reqs = await dispatch(app, fake, payload, until="/webhooks/")
    follow = next(r for r in reqs if r.method == "POST" and "/webhooks/" in r.path)
    embed: dict[str, Any] = follow.body["embeds"][0]
    return embed


async def test_a_french_question_from_an_english_client_is_answered_in_french(
    dapp: App, fake: FakeDiscord, tmp_path: Path
) -> None:
    # the client says en-US, the words say French: dispatch decides, the bot's words are French
    await ingest_article(dapp, tmp_path)
    embed = await first_embed(dapp, fake, "ask", question=FRENCH_QUESTION)
    # "Réponse: <the question>", not "Answer: ..."
    assert embed["title"] == f"{bot_text('fr', 'ask_title')}: {FRENCH_QUESTION}", embed
    assert "Grok-1" in embed["description"]  # the answer itself, cited


async def test_french_words_decide_the_language_of_the_commands_own_texts(
    dapp: App, fake: FakeDiscord
) -> None:
    # /grok search writes its own words in the request's language (no detection of its own)
    query = "les poids du modèle publiés par la société"
    embed = await first_embed(dapp, fake, "search", query=query)
    assert embed["description"] == bot_text("fr", "search_none", query=query)
    english = "weights released by the company"
    embed = await first_embed(dapp, fake, "search", query=english)
    assert embed["description"] == bot_text("en", "search_none", query=english)
