"""Alerts to Discord: delivery, splitting, 429 with retry_after, 5xx and network retries,
403/404 pausing, no duplicate after a crash mid-delivery, threads, pacing; and start-up."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import discord
import pytest

from bot.app import App
from bot.settings import Settings, SettingsError
from bot.transports.base import DeliveryError
from bot.transports.discord import DiscordTransport
from handlers.reply import Field, Reply
from nlp.pipeline import Analyzer
from tests.discord.helpers import (
    CHANNEL,
    GUILD,
    OTHER,
    TARGET,
    assert_within_limits,
    ingest_article,
    transport_of,
)
from tests.discord_fake import APP_ID, FakeDiscord


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


async def test_persistent_5xx_defers_the_alert_until_discord_is_back(
    dapp: App, fake: FakeDiscord, tmp_path: Path
) -> None:
    await dapp.say("/grok track Grok", channel=TARGET)
    fake.fail("POST", f"/channels/{CHANNEL}/messages", 503, times=4)  # 1 try + 3 retries
    await ingest_article(dapp, tmp_path)
    await dapp.pipeline.drain(["analyze", "fanout"])
    await dapp.pipeline.workers["deliver:discord"].run_once()
    assert await dapp.pipeline.workers["deliver:discord"].pending() == 0
    assert await dapp.store.retries.waiting("discord") == 1  # kept for its next try
    assert not await dapp.store.delivery.is_paused(TARGET)
    await dapp.deliver_pending(retries_within=2)  # Discord is back
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


async def test_commands_are_published_again_only_when_they_changed(
    dsettings: Settings, analyzer: Analyzer, fake: FakeDiscord
) -> None:
    def puts() -> list[str]:
        return [r.path for r in fake.requests if r.method == "PUT"]

    async def start_once(extra: bool = False) -> None:
        app = App(dsettings, analyzer=analyzer)
        transport = DiscordTransport(dsettings, app, gateway=False)
        if extra:  # a new command in this version of the bot
            transport.tree.add_command(
                discord.app_commands.Command(
                    name="ping", description="Answers pong.", callback=_pong
                )
            )
        app.transports["discord"] = transport
        async with app:
            pass

    await start_once()
    assert len(puts()) == 2  # global and dev guild
    await start_once()  # a restart: the same commands, nothing published
    assert len(puts()) == 2
    await start_once(extra=True)  # a changed tree is published
    assert len(puts()) == 4
    last_global = [r for r in fake.requests if r.method == "PUT"][-2]
    assert "ping" in {c["name"] for c in last_global.body}


async def _pong(interaction: discord.Interaction) -> None:  # pragma: no cover - not invoked
    await interaction.response.send_message("pong")


def test_the_gateway_asks_for_the_guilds_intent_only(dapp: App) -> None:
    intents = transport_of(dapp).client.intents
    assert intents.guilds and intents.value == discord.Intents(guilds=True).value
    assert not (intents.messages or intents.members or intents.presences or intents.message_content)
