"""The Discord transport against a loopback fake of Discord's REST API, with the real
discord.py pointed at it, the real pipeline and a real Redis.

Alerts: delivery, splitting, 429 with retry_after, 5xx and network retries, 403/404 pausing,
no duplicate after a crash mid-delivery, threads. Interactions: real INTERACTION_CREATE
payloads dispatched through discord.py's command tree (defer first, follow-up, autocomplete,
permission refusal, buttons).
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import discord
import pytest
from pydantic import SecretStr

from bot.app import App
from bot.settings import Settings, SettingsError
from bot.transports.base import DeliveryError
from bot.transports.discord import DiscordTransport
from bot.transports.discord.render import render
from handlers.reply import Button, Field, Reply
from handlers.texts import t as bot_text
from nlp.pipeline import Analyzer
from tests.discord_fake import APP_ID, FakeDiscord, Recorded, user_json

GUILD, CHANNEL, OTHER = 1, 2, 3
TARGET = f"discord:{GUILD}:{CHANNEL}"

ARTICLE = """---
title: "xAI publie les poids de Grok-1 @everyone"
source: Le Quotidien des Tests
date: 2024-03-17
url: https://example.org/tests/grok-poids
lang: fr
---
La société xAI a mis en ligne dimanche les poids du modèle Grok-1, sous licence Apache 2.0.
Les développeurs peuvent désormais l'étudier et le modifier.
"""


@pytest.fixture(autouse=True)
def restore_api_base() -> Iterator[None]:
    """The transport points discord.py at the fake through Route.BASE; put it back."""
    saved = discord.http.Route.BASE
    yield
    discord.http.Route.BASE = saved


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    async with FakeDiscord() as server:
        yield server


@pytest.fixture
def dsettings(settings: Settings, fake: FakeDiscord) -> Settings:
    return settings.model_copy(
        update={
            "discord_token": SecretStr("fake-token"),
            "discord_api_base": fake.base,
            "discord_channel_interval": 0.0,
            "discord_dev_guild": 77,
        }
    )


@pytest.fixture
async def dapp(dsettings: Settings, analyzer: Analyzer) -> AsyncIterator[App]:
    """The whole bot with the Discord transport (REST only: no gateway in tests)."""
    app = App(dsettings, analyzer=analyzer)
    transport = DiscordTransport(dsettings, app, gateway=False, backoff=0.01)
    app.transports["discord"] = transport
    async with app:
        yield app


def transport_of(app: App) -> DiscordTransport:
    t = app.transports["discord"]
    assert isinstance(t, DiscordTransport)
    return t


async def ingest_article(
    app: App, tmp_path: Path, name: str = "grok.md", text: str = ARTICLE
) -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    outcomes = await app.ingest([str(path)])
    assert [o.status for o in outcomes] == ["new"]


def embed_total(embed: dict[str, Any]) -> int:
    n = len(embed.get("title", "")) + len(embed.get("description", ""))
    n += len(embed.get("footer", {}).get("text", ""))
    n += sum(len(f["name"]) + len(f["value"]) for f in embed.get("fields", []))
    return n


def assert_within_limits(body: dict[str, Any]) -> None:
    embeds = body["embeds"]
    assert 1 <= len(embeds) <= 10
    assert sum(embed_total(e) for e in embeds) <= 6000
    for e in embeds:
        assert len(e.get("title", "")) <= 256
        assert len(e.get("description", "")) <= 4096
        assert len(e.get("fields", [])) <= 25
        assert len(e.get("footer", {}).get("text", "")) <= 2048
        for f in e.get("fields", []):
            assert 1 <= len(f["name"]) <= 256 and 1 <= len(f["value"]) <= 1024
    assert body["allowed_mentions"] == {"parse": []}


# ------------------------------------------------------------------ start-up
async def test_start_logs_in_and_syncs_commands_globally_and_to_the_dev_guild(
    dapp: App, fake: FakeDiscord
) -> None:
    puts = [r for r in fake.requests if r.method == "PUT"]
    assert [r.path for r in puts] == [
        f"/applications/{APP_ID}/commands",
        f"/applications/{APP_ID}/guilds/77/commands",
    ]
    grok = next(c for c in puts[0].body if c["name"] == "grok")
    subs = {o["name"] for o in grok["options"]}
    assert {"track", "untrack", "tracked", "mentions", "search", "help", "resume"} <= subs
    assert grok["description_localizations"]["fr"]
    assert grok["contexts"] == [0]  # guilds only
    auth = [r for r in fake.requests if r.path == "/users/@me"]
    assert auth, "logged in through the fake"


async def test_a_refused_token_says_what_to_fix(
    dsettings: Settings, analyzer: Analyzer, fake: FakeDiscord
) -> None:
    fake.fail("GET", "/users/@me", 401, body={"message": "401: Unauthorized", "code": 0})
    app = App(dsettings, analyzer=analyzer)
    app.transports["discord"] = DiscordTransport(dsettings, app, gateway=False)
    with pytest.raises(SettingsError, match="DISCORD_TOKEN was refused"):
        async with app:
            pass


# ------------------------------------------------------------------ alerts
async def test_alert_is_posted_as_an_embed_without_mentions(
    dapp: App, fake: FakeDiscord, tmp_path: Path
) -> None:
    reply = await dapp.say("/grok track Grok", channel=TARGET)
    assert reply.kind == "info", reply.text
    await ingest_article(dapp, tmp_path)
    await dapp.deliver_pending()
    posts = fake.posts(f"/channels/{CHANNEL}/messages")
    assert len(posts) == 1
    body = posts[0].body
    assert_within_limits(body)
    embed = body["embeds"][0]
    assert "xAI publie les poids de Grok-1" in embed["title"]
    assert "@everyone" not in embed["title"]  # defanged: a zero-width space after the @
    assert embed["url"] == "https://example.org/tests/grok-poids"
    names = [f["name"] for f in embed["fields"]]
    assert names[:3] == ["Outlet", "Date", "Language"]
    assert any("Le Quotidien des Tests" in f["value"] for f in embed["fields"])
    assert any(f["name"] == "Grok" and "Grok-1" in f["value"] for f in embed["fields"])
    assert body["nonce"] and body["enforce_nonce"] is True
    # the Untrack button is a persistent custom id
    button = body["components"][0]["components"][0]
    assert button["custom_id"] == "grok:untrack:grok" and button["style"] == 4
    assert await dapp.store.delivery.delivered_count(TARGET) == 1
    await dapp.deliver_pending()
    assert len(fake.posts(f"/channels/{CHANNEL}/messages")) == 1  # once


async def test_a_long_reply_is_split_over_embeds_and_messages(dapp: App, fake: FakeDiscord) -> None:
    words = " ".join(f"mot{i}" for i in range(2000))  # ~10,000 characters
    reply = Reply(
        text=words,
        title="T" * 400,
        fields=[Field(f"field {i}", f"value {i} " * 40) for i in range(40)],
        footer="f" * 3000,
    )
    await transport_of(dapp).send(TARGET, reply)
    posts = fake.posts(f"/channels/{CHANNEL}/messages")
    assert len(posts) >= 2
    for p in posts:
        assert_within_limits(p.body)
    embeds = [e for p in posts for e in p.body["embeds"]]
    text = "".join(e.get("description", "") for e in embeds)
    assert "mot0 " in text and "mot1999" in text  # nothing lost
    assert sum(len(e.get("fields", [])) for e in embeds) >= 40
    assert len({p.body["nonce"] for p in posts}) == len(posts)


async def test_429_is_waited_out_and_retried(dapp: App, fake: FakeDiscord) -> None:
    fake.fail(
        "POST",
        f"/channels/{CHANNEL}/messages",
        429,
        body={"message": "You are being rate limited.", "retry_after": 0.4, "global": False},
    )
    start = time.monotonic()
    await transport_of(dapp).send(TARGET, Reply(text="hello", title="t"))
    assert time.monotonic() - start >= 0.4
    posts = fake.posts(f"/channels/{CHANNEL}/messages")
    assert [p.status for p in posts] == [429, 200]
    assert len(fake.sent_messages()) == 1


async def test_500_twice_then_ok_is_delivered_once(dapp: App, fake: FakeDiscord) -> None:
    # discord.py retries 500/502/504 itself (after 1 s, then 3 s)
    fake.fail("POST", f"/channels/{CHANNEL}/messages", 500, times=2)
    await transport_of(dapp).send(TARGET, Reply(text="hello"))
    assert [p.status for p in fake.posts(f"/channels/{CHANNEL}/messages")] == [500, 500, 200]
    assert len(fake.sent_messages()) == 1


async def test_503_and_network_errors_are_retried_with_backoff(
    dapp: App, fake: FakeDiscord
) -> None:
    fake.fail("POST", f"/channels/{CHANNEL}/messages", 503, times=2)
    await transport_of(dapp).send(TARGET, Reply(text="hello"))
    assert [p.status for p in fake.posts(f"/channels/{CHANNEL}/messages")] == [503, 503, 200]
    assert len(fake.sent_messages()) == 1


async def test_network_error_becomes_a_transient_delivery_error(dapp: App) -> None:
    # the network goes away after start-up: every try is refused; retried later
    transport = transport_of(dapp)
    transport.retries = 2
    discord.http.Route.BASE = "http://127.0.0.1:9/api/v10"  # nobody listens there
    with pytest.raises(DeliveryError) as err:
        await transport.send(TARGET, Reply(text="hello"))
    assert not err.value.permanent and "network error" in str(err.value)
    assert "after 3 tries" in str(err.value)


async def test_persistent_5xx_leaves_the_alert_pending(
    dapp: App, fake: FakeDiscord, tmp_path: Path
) -> None:
    await dapp.say("/grok track Grok", channel=TARGET)
    fake.fail("POST", f"/channels/{CHANNEL}/messages", 503, times=4)  # 1 try + 3 retries
    await ingest_article(dapp, tmp_path)
    await dapp.pipeline.drain(["analyze", "fanout"])
    await dapp.pipeline.workers["deliver:discord"].run_once()
    assert await dapp.pipeline.workers["deliver:discord"].pending() == 1
    assert not await dapp.store.delivery.is_paused(TARGET)
    await dapp.deliver_pending()  # Discord is back
    assert len(fake.sent_messages()) == 1
    assert await dapp.pipeline.workers["deliver:discord"].pending() == 0


async def test_403_pauses_the_channel_and_resume_requeues_the_alert(
    dapp: App, fake: FakeDiscord, tmp_path: Path
) -> None:
    await dapp.say("/grok track Grok", channel=TARGET)
    fake.forbidden_channels.add(CHANNEL)
    await ingest_article(dapp, tmp_path)
    await dapp.deliver_pending()
    assert await dapp.store.delivery.is_paused(TARGET)
    assert fake.sent_messages() == []
    reason = (await dapp.store.delivery.paused_channels(f"discord:{GUILD}"))[TARGET]
    assert "lost access" in reason and "403" in reason
    # the next command anywhere in the guild says so
    other = await dapp.say("/grok tracked", channel=f"discord:{GUILD}:{OTHER}")
    assert other.footer and "403" in other.footer and str(CHANNEL) in other.footer
    # access is back; /grok resume sends the kept alert
    fake.forbidden_channels.clear()
    resumed = await dapp.say("/grok resume", channel=TARGET)
    assert "1" in resumed.text
    await dapp.deliver_pending()
    assert len(fake.sent_messages()) == 1
    assert not await dapp.store.delivery.is_paused(TARGET)


async def test_404_is_permanent_with_a_reason(dapp: App, fake: FakeDiscord) -> None:
    fake.fail(
        "POST",
        f"/channels/{CHANNEL}/messages",
        404,
        body={"message": "Unknown Channel", "code": 10003},
    )
    with pytest.raises(DeliveryError) as err:
        await transport_of(dapp).send(TARGET, Reply(text="hello"))
    assert err.value.permanent and "channel deleted (404)" in str(err.value)


class Crash(BaseException):
    """The process dies (not an error the pipeline could catch)."""


class DiesAfterSend:
    """The real transport, but the process dies right after Discord accepted the post and
    before the delivery is recorded and acknowledged."""

    name = "discord"

    def __init__(self, real: DiscordTransport) -> None:
        self.real = real

    async def start(self) -> None: ...

    async def close(self) -> None: ...

    async def send(self, target: str, reply: Reply) -> None:
        await self.real.send(target, reply)
        raise Crash


async def test_no_duplicate_after_a_crash_between_post_and_record(
    dapp: App, fake: FakeDiscord, tmp_path: Path
) -> None:
    await dapp.say("/grok track Grok", channel=TARGET)
    await ingest_article(dapp, tmp_path)
    await dapp.pipeline.drain(["analyze", "fanout"])
    real = transport_of(dapp)
    dapp.pipeline.transports["discord"] = DiesAfterSend(real)  # type: ignore[assignment]
    with pytest.raises(Crash):
        await dapp.deliver_pending()
    assert len(fake.sent_messages()) == 1
    assert not await dapp.store.delivery.is_delivered(
        TARGET, (await dapp.store.client.zrange(dapp.store.keys.articles, 0, 0))[0].decode()
    )
    # restart: the entry is reclaimed and sent again with the same nonce
    dapp.pipeline.transports["discord"] = real
    await dapp.deliver_pending()
    posts = fake.posts(f"/channels/{CHANNEL}/messages")
    assert len(posts) == 2 and posts[0].body["nonce"] == posts[1].body["nonce"]
    assert len(fake.sent_messages()) == 1  # Discord returned the first message
    assert len(fake.threads) <= 1  # the story's thread (if any) was not opened twice
    assert not any(mid in fake.messages for mid in fake.threads)  # nor posted into
    assert await dapp.pipeline.workers["deliver:discord"].pending() == 0
    assert await dapp.store.delivery.delivered_count(TARGET) == 1


async def test_follow_ups_of_a_story_go_to_the_thread_of_its_first_alert(
    dapp: App, fake: FakeDiscord
) -> None:
    t = transport_of(dapp)
    await t.send(TARGET, Reply(text="first", title="Grok-1 is out", kind="alert", thread_key="s1"))
    await t.send(
        TARGET, Reply(text="second", title="More on Grok-1", kind="alert", thread_key="s1")
    )
    await t.send(TARGET, Reply(text="other", title="Another story", kind="alert"))
    first_id = int(fake.messages[CHANNEL][0]["id"])
    thread_posts = fake.posts("/threads")
    assert (
        len(thread_posts) == 1
        and thread_posts[0].path == f"/channels/{CHANNEL}/messages/{first_id}/threads"
    )
    assert thread_posts[0].body["name"] == "Grok-1 is out"
    ref = await dapp.thread_ref(TARGET, "s1")
    assert ref is not None and ref.split(":")[0] == str(first_id)
    assert [m["embeds"][0]["description"] for m in fake.messages[first_id]] == ["second"]
    assert [m["embeds"][0]["description"] for m in fake.messages[CHANNEL]] == ["first", "other"]


async def test_resending_the_alert_that_opened_a_thread_is_not_a_duplicate(
    dapp: App, fake: FakeDiscord
) -> None:
    t = transport_of(dapp)
    alert = Reply(text="first", title="Grok-1 is out", kind="alert", thread_key="s1")
    await t.send(TARGET, alert)
    await t.send(TARGET, alert)  # the retry after a crash before the delivery was recorded
    assert len(fake.messages[CHANNEL]) == 1 and len(fake.threads) == 1
    assert not any(mid in fake.messages for mid in fake.threads)


async def test_threads_can_be_turned_off(
    dsettings: Settings, analyzer: Analyzer, fake: FakeDiscord
) -> None:
    off = dsettings.model_copy(update={"discord_threads": False, "discord_sync_commands": False})
    app = App(off, analyzer=analyzer)
    app.transports["discord"] = DiscordTransport(off, app, gateway=False)
    async with app:
        t = transport_of(app)
        for text in ("first", "second"):
            await t.send(TARGET, Reply(text=text, kind="alert", thread_key="s1"))
    assert fake.posts("/threads") == [] and len(fake.messages[CHANNEL]) == 2


async def test_pacing_spaces_messages_to_one_channel(
    dsettings: Settings, analyzer: Analyzer, fake: FakeDiscord
) -> None:
    paced = dsettings.model_copy(
        update={"discord_channel_interval": 0.3, "discord_sync_commands": False}
    )
    app = App(paced, analyzer=analyzer)
    app.transports["discord"] = DiscordTransport(paced, app, gateway=False)
    async with app:
        t = transport_of(app)
        start = time.monotonic()
        await asyncio.gather(*(t.send(TARGET, Reply(text=str(i))) for i in range(3)))
        await t.send(f"discord:{GUILD}:{OTHER}", Reply(text="elsewhere"))
        assert time.monotonic() - start >= 0.6
    assert len(fake.messages[CHANNEL]) == 3 and len(fake.messages[OTHER]) == 1


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
