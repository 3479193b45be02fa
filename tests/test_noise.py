"""Noise control: the pure rules (filters safe against catastrophic patterns, pings that
never reach everyone, quiet hours and digest times in the channel's zone) and the whole
path on the real store: digests held and flushed once, the hourly cap, filters, feed
mode, the channel's language and its opt-in ping in the rendered alert."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from rich.console import Console

from bot.app import App
from bot.ingest.readers import read_paths
from bot.settings import Settings
from bot.transports.console import ConsoleTransport
from bot.transports.discord.render import render as discord_render
from bot.transports.slack.render import render as slack_render
from handlers.alerts import render_alert
from handlers.model import ArticleRecord, EntityResult, RawArticle
from handlers.noise import BadSetting, ChannelSettings, TextFilter, decide, next_digest, parse_ping
from nlp.catalog import Catalog
from nlp.pipeline import Analyzer
from tests.test_tenancy import SHARED, write

CHANNEL = "console:news"


# ------------------------------------------------------------------ pure rules
def test_word_filters_match_whole_words_in_any_case() -> None:
    f = TextFilter.parse("open source, Grok")
    assert f.matches("xAI met GROK en open  source")
    assert not f.matches("Groking the opensource world")


def test_a_pattern_filter_and_its_limits() -> None:
    assert TextFilter.parse("/grok-?1(\\.5)?/").matches("Grok-1.5 arrive")
    for bad in ("/(a)\\1/", "/(?=x)y/", "/(?<!x)y/", "/[/", "/" + "a" * 250 + "/"):
        with pytest.raises(BadSetting):
            TextFilter.parse(bad)


def test_a_catastrophic_pattern_cannot_hold_the_fan_out() -> None:
    # nested quantifiers: exponential for a backtracking engine; bounded by the timeout
    f = TextFilter.parse("/(a|aa)+$/")
    assert f.matches("a" * 40 + "b") is False  # no match, whether found or timed out


def test_pings_name_one_role_or_user_and_never_everyone() -> None:
    assert parse_ping("<@&123456789012>", "discord") == "role:123456789012"
    assert parse_ping("<@!123456789012>", "discord") == "user:123456789012"
    assert parse_ping("<!subteam^S0123ABC|@news>", "slack") == "group:S0123ABC"
    for bad in ("@everyone", "@here", "<!channel>", "<!here>", "everyone"):
        with pytest.raises(BadSetting):
            parse_ping(bad, "slack" if "!" in bad else "discord")


def test_quiet_hours_and_digests_follow_the_channels_zone() -> None:
    paris = ChannelSettings(quiet=(22, 7), tz="Europe/Paris")
    night = datetime(2024, 3, 17, 22, 30, tzinfo=UTC)  # 23:30 in Paris
    assert decide(paris, night, 0) == "digest"
    assert next_digest(paris, night) == datetime(2024, 3, 18, 6, 0, tzinfo=UTC)  # 07:00
    assert decide(paris, night.replace(hour=12), 0) == "now"
    daily = ChannelSettings(digest="daily", digest_hour=8, tz="Europe/Paris")
    assert next_digest(daily, night) == datetime(2024, 3, 18, 7, 0, tzinfo=UTC)
    capped = ChannelSettings(cap=2)
    assert [decide(capped, night, n) for n in (0, 1, 2)] == ["now", "now", "digest"]


def test_an_alert_in_french_with_the_opt_in_ping_only(catalog: Catalog) -> None:
    ent = EntityResult(
        id="grok",
        name="Grok",
        type="product",
        mentions=2,
        salience=0.9,
        source="catalog",
        level="high",
    )
    article = ArticleRecord(
        id="a1",
        title="@everyone Grok est publié",
        text="Grok",
        published_at=datetime(2024, 3, 17, 14, 5, tzinfo=UTC),
        entities=[ent],
    )
    reply = render_alert(
        catalog, article, ["grok"], "fr", tz="Europe/Paris", ping="role:4242424242"
    )
    assert [f.name for f in reply.fields[:3]] == ["Média", "Date", "Langue"]
    assert reply.fields[1].value == "2024-03-17 15:05 Europe/Paris"
    message = discord_render(reply)[0]
    assert message["content"] == "<@&4242424242>"
    allowed = message["allowed_mentions"].to_dict()
    assert allowed["roles"] == [4242424242] and "everyone" not in allowed.get("parse", [])
    assert "@everyone" not in reply.title  # the article's own words stay inert
    plain = render_alert(catalog, article, ["grok"])
    assert "content" not in discord_render(plain)[0]
    slack = slack_render(render_alert(catalog, article, ["grok"], ping="group:S0123ABC"))[0]
    assert slack["text"].startswith("<!subteam^S0123ABC>")


# -------------------------------------------------------------- on the store
@pytest.fixture
async def app(settings: Settings, analyzer: Analyzer) -> AsyncIterator[App]:
    console = ConsoleTransport(Console(file=io.StringIO()), plain=True)
    async with App(settings, analyzer=analyzer, console=console) as running:
        await running.say("/grok track Grok", channel=CHANNEL)
        yield running


async def test_a_digest_channel_gets_one_message_later(app: App, tmp_path: Path) -> None:
    await app.say("/grok settings digest:hourly", channel=CHANNEL)
    outcomes = await app.ingest([write(tmp_path, "s.md", SHARED)])
    assert outcomes[0].alerts == []  # held, not queued
    assert await app.store.noise.held(CHANNEL) == 1
    assert await app.store.noise.flush_due(datetime.now(UTC)) == 0  # not due yet
    later = datetime.now(UTC) + timedelta(hours=2)
    assert await app.store.noise.flush_due(later) == 1
    assert await app.store.noise.flush_due(later) == 0  # once
    await app.deliver_pending()
    out = app.console.console.file.getvalue()  # type: ignore[attr-defined]
    assert "Digest" in out and "Grok-1 est publié" in out
    assert await app.store.noise.held(CHANNEL) == 0


async def test_an_exclude_filter_drops_the_alert(app: App, tmp_path: Path) -> None:
    reply = await app.say("/grok settings exclude:apache", channel=CHANNEL)
    assert reply.kind == "info"
    outcomes = await app.ingest([write(tmp_path, "s.md", SHARED)])
    assert outcomes[0].alerts == [] and await app.store.noise.held(CHANNEL) == 0


async def test_the_hourly_cap_sends_the_rest_to_the_digest(app: App, tmp_path: Path) -> None:
    await app.say("/grok settings cap:1", channel=CHANNEL)
    first = await app.ingest([write(tmp_path, "s.md", SHARED)])
    second = await app.ingest(
        [
            write(
                tmp_path,
                "t.md",
                SHARED.replace("grok-apache", "bis").replace("dimanche", "hier soir"),
            )
        ]
    )
    assert [a.channel for a in first[0].alerts] == [CHANNEL]
    assert second[0].alerts == [] and await app.store.noise.held(CHANNEL) == 1


async def test_settings_are_read_by_all_and_changed_by_managers(app: App) -> None:
    refused = await app.say("/grok settings cap:3", channel=CHANNEL, can_manage=False)
    assert refused.kind == "error"
    assert (await app.store.noise.settings(CHANNEL)).cap == 0
    shown = await app.say("/grok settings", channel=CHANNEL, can_manage=False)
    assert shown.kind == "info" and any(f.name == "cap" for f in shown.fields)
    bad = await app.say("/grok settings tz:Mars/Olympus", channel=CHANNEL)
    assert bad.kind == "error" and "Mars/Olympus" in bad.text
    everyone = await app.say("/grok settings ping:@everyone", channel=CHANNEL)
    assert everyone.kind == "error" and (await app.store.noise.settings(CHANNEL)).ping == ""


async def test_a_channel_following_a_feed_gets_every_item(app: App, tmp_path: Path) -> None:
    await app.say("/grok untrack Grok", channel=CHANNEL)
    await app.store.noise.follow_feed(CHANNEL, "feed1")
    raw_path = write(tmp_path, "s.md", SHARED)
    items = list(read_paths([Path(raw_path)]))
    for item in items:
        assert isinstance(item, RawArticle)
        item.feed = "feed1"  # as the feed manager tags its items
    outcomes = await app.ingestor.add(items)
    await app.ingestor.report_alerts(outcomes)
    assert [(a.channel, a.entity_ids) for a in outcomes[0].alerts] == [(CHANNEL, ())]
