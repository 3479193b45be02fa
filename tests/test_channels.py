"""Channel addresses: parsed once where they come in, refused when no transport could
ever deliver to them, and a bare name on the command line is a console channel."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.settings import SettingsError, load_settings
from handlers.model import BadChannel, ChannelAddress
from tests.conftest import ChatBot
from tests.test_cli import run


@pytest.mark.parametrize(
    ("text", "platform", "scope", "channel", "thread"),
    [
        ("console:demo", "console", "", "demo", None),
        ("discord:123:456", "discord", "123", "456", None),
        ("discord:123:456:789", "discord", "123", "456", "789"),
        ("discord:@me:456", "discord", "@me", "456", None),
        ("slack:T01ABC:C02DEF", "slack", "T01ABC", "C02DEF", None),
        ("slack:T01ABC:G02DEF:1710755555.123456", "slack", "T01ABC", "G02DEF", "1710755555.123456"),
        ("  slack:E0ORG:D0DM  ", "slack", "E0ORG", "D0DM", None),
    ],
)
def test_valid_addresses_parse_and_print_back(
    text: str, platform: str, scope: str, channel: str, thread: str | None
) -> None:
    address = ChannelAddress.parse(text)
    assert (address.platform, address.scope, address.channel, address.thread) == (
        platform,
        scope,
        channel,
        thread,
    )
    assert str(address) == text.strip()
    assert ChannelAddress.parse(str(address)) == address


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("found", "must start with a platform"),
        ("", "must start with a platform"),
        ("teams:1:2", "must start with a platform"),
        ("discord:2", "must look like discord:<workspace>:<channel>"),
        ("discord:abc:2", "numbers"),
        ("discord:1:2:3:4", "must look like"),
        ("discord:0:2", "numbers"),  # snowflakes never start with 0
        ("slack:C1", "must look like"),
        ("slack:T1:X1", "slack:<team id"),
        ("slack:t1:c1", "slack:<team id"),
        ("slack:T1:C1:notats", "slack:<team id"),
        ("console:", "console channel name"),
        ("console:has space", "console channel name"),
    ],
)
def test_malformed_addresses_say_what_is_wrong(text: str, why: str) -> None:
    with pytest.raises(BadChannel, match=why):
        ChannelAddress.parse(text)
    assert ChannelAddress.try_parse(text) is None


def test_a_bare_name_is_a_console_channel_only_when_asked() -> None:
    assert str(ChannelAddress.parse("found", default_platform="console")) == "console:found"
    assert ChannelAddress.parse("discord:1:2", default_platform="console").platform == "discord"
    with pytest.raises(BadChannel):
        ChannelAddress.parse("found")


def test_scope_key_and_base() -> None:
    assert ChannelAddress.parse("console:demo").scope_key == "console"
    assert ChannelAddress.parse("discord:1:2").scope_key == "discord:1"
    threaded = ChannelAddress.parse("slack:T1:C1:1.5")
    assert threaded.scope_key == "slack:T1"
    assert str(threaded.base) == "slack:T1:C1"


def test_settings_normalise_channels_and_refuse_bad_ones(tmp_path: Path) -> None:
    s = load_settings(data_dir=tmp_path, console_channel="newsroom", feeds_channel="")
    assert s.console_channel == "console:newsroom"
    with pytest.raises(SettingsError, match=r"console_channel|CONSOLE_CHANNEL"):
        load_settings(data_dir=tmp_path, console_channel="discord:general")


async def test_say_with_a_bare_channel_tracks_there_and_the_alert_is_delivered(
    testbot: ChatBot, tmp_path: Path
) -> None:
    reply = await testbot.say("/grok track Grok", channel="found")
    assert reply.kind != "error" and "Grok" in reply.text
    subs = await testbot.app.store.subscriptions.of_channel("console:found")
    assert [s.entity_id for s in subs] == ["grok"]
    assert await testbot.app.store.subscriptions.of_channel("found") == []
    article = tmp_path / "grok.txt"
    article.write_text(
        "xAI publie Grok\n\nLa start-up a mis en ligne les poids de Grok-1.\n", encoding="utf-8"
    )
    outcomes = await testbot.app.ingest([str(article)])
    assert [(a.channel, a.entity_ids) for a in outcomes[0].alerts] == [("console:found", ("grok",))]
    printed = await testbot.deliver()
    assert "alert in console:found" in printed and "poids de Grok-1" in printed


async def test_a_channel_no_transport_could_deliver_to_is_refused(testbot: ChatBot) -> None:
    for bad in ("discord:general", "slack:C1", "console:two words"):
        reply = await testbot.say("/grok track Grok", channel=bad)
        assert reply.kind == "error" and "channel" in reply.text, (bad, reply.text)
    assert await testbot.app.store.subscriptions.of_channel("discord:general") == []
    assert await testbot.app.store.subscriptions.of_channel("slack:C1") == []


def test_cli_say_with_a_bare_channel(tmp_path: Path) -> None:
    data_dir = tmp_path / "d"
    tracked = run(["say", "--channel", "found", "/grok track Grok"], data_dir)
    assert tracked.returncode == 0, tracked.stderr
    listed = run(["say", "--channel", "console:found", "/grok tracked"], data_dir)
    assert "Grok" in listed.stdout
    refused = run(["say", "--channel", "discord:found", "/grok track Grok"], data_dir)
    assert refused.returncode == 1 and "discord" in refused.stdout
    article = tmp_path / "grok.txt"
    article.write_text(
        "xAI publie Grok\n\nLa start-up a mis en ligne les poids de Grok-1.\n", encoding="utf-8"
    )
    demo = run(
        ["demo", "--no-corpus", "--script", "-"], data_dir, stdin=f"/grok ingest {article}\n"
    )
    assert demo.returncode == 0, demo.stderr
    assert "alert in console:found" in demo.stdout
