"""The Discord adapter's pure parts, no network: `render` within every Discord limit,
`to_command`, and the whole slash-command tree checked against Discord's rules."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import discord
import pytest
from discord import app_commands

import handlers  # noqa: F401  (registers every command)
from bot.transports.base import DeliveryError
from bot.transports.discord.commands import GrokTranslator, build_groups, to_command
from bot.transports.discord.render import nonce_for, render
from bot.transports.discord.transport import DiscordTransport, channel_ids, invite_permissions
from bot.transports.text import split_text
from handlers.registry import REGISTRY
from handlers.reply import Button, Citation, Field, Reply
from tests.discord.helpers import assert_within_limits

NAME = re.compile(r"^[-_\w]{1,32}$")  # Discord: ^[-_\p{L}\p{N}...]{1,32}$, lowercase


def total(embed: discord.Embed) -> int:
    return len(embed)


def check_limits(reply: Reply) -> list[dict[str, Any]]:
    out = []
    for m in render(reply):
        assert sum(total(e) for e in m["embeds"]) <= 6000  # discord.py's own count
        body = {
            "embeds": [e.to_dict() for e in m["embeds"]],
            "allowed_mentions": m["allowed_mentions"].to_dict(),
        }
        assert_within_limits(body)
        out.extend(body["embeds"])
    return out


def test_a_short_reply_is_one_embed() -> None:
    [message] = render(
        Reply(text="hello **world**", title="Title", url="https://e.org", footer="f")
    )
    [embed] = message["embeds"]
    assert (embed.title, embed.url, embed.description) == (
        "Title",
        "https://e.org",
        "hello **world**",
    )
    assert embed.footer.text == "f" and "view" not in message and message["files"] == []


@pytest.mark.parametrize(
    "reply",
    [
        Reply(text="x" * 10_000, title="T" * 300),
        Reply(text="", fields=[Field(f"n{i}", "v" * 1000) for i in range(40)]),
        Reply(text="word " * 3000, fields=[Field("N" * 300, "v" * 5000)], footer="F" * 5000),
        Reply(text="", fields=[Field(f"n{i}", "v" * 1024) for i in range(300)]),
    ],
    ids=["long-text", "40-fields", "huge-field-and-footer", "more-than-ten-embeds"],
)
def test_long_replies_are_split_within_every_limit(reply: Reply) -> None:
    embeds = check_limits(reply)
    text = "".join(e.get("description", "") for e in embeds)
    values = "".join(f["value"] for e in embeds for f in e.get("fields", []))
    assert len(text) + len(values) >= len(reply.text.strip()) + sum(
        len(f.value) for f in reply.fields
    ) - 50 * len(embeds)  # split, never cut (only whitespace at the cuts goes)


def test_more_than_ten_embeds_make_several_messages() -> None:
    messages = render(Reply(text="", fields=[Field(f"n{i}", "v" * 1024) for i in range(300)]))
    assert len(messages) > 1
    assert sum(len(m["embeds"]) for m in messages) >= 300 * 1024 // 6000


def test_citations_are_markdown_links_and_pings_are_defanged() -> None:
    reply = Reply(
        text="Said @everyone <@123>",
        fields=[Field("@here", "ping <@&55>")],
        citations=[Citation(1, "Grok [open] @everyone", "https://e.org/a", "Outlet")],
    )
    [embed] = check_limits(reply)
    assert "@everyone" not in embed["description"] and "<@123>" not in embed["description"]
    assert "[Grok (open) @\u200beveryone](https://e.org/a) — Outlet" in embed["description"]
    assert embed["fields"][0]["name"] == "@\u200bhere" and "<@&" not in embed["fields"][0]["value"]


def test_a_chart_is_an_attachment_shown_in_the_embed(tmp_path: Path) -> None:
    chart = tmp_path / "trend.png"
    chart.write_bytes(b"\x89PNG\r\n\x1a\n")
    [message] = render(Reply(text="trend", image=chart))
    try:
        assert [f.filename for f in message["files"]] == ["trend.png"]
        assert message["embeds"][0].image.url == "attachment://trend.png"
    finally:
        message["files"][0].close()


def test_buttons_are_persistent_custom_ids() -> None:
    [message] = render(
        Reply(
            text="x",
            buttons=[
                Button("Untrack Elon Musk", "untrack", "elon-musk", style="danger"),
                Button("bad", "untrack", "has space"),  # cannot be a custom id: left out
            ],
        )
    )
    view = message["view"]
    assert [c.to_component_dict()["custom_id"] for c in view.children] == ["grok:untrack:elon-musk"]  # type: ignore[attr-defined]
    assert view.timeout is None


def test_same_alert_same_nonce_other_alert_other_nonce() -> None:
    a1, a2 = render(Reply(text="a")), render(Reply(text="a"))
    b = render(Reply(text="b"))
    t = "discord:1:2"
    assert nonce_for(t, 2, 0, a1[0]) == nonce_for(t, 2, 0, a2[0])
    assert nonce_for(t, 2, 0, a1[0]) != nonce_for(t, 2, 0, b[0])
    assert nonce_for(t, 2, 0, a1[0]) != nonce_for("discord:1:3", 3, 0, a1[0])
    assert len(nonce_for(t, 2, 0, a1[0])) <= 25


def test_split_text_cuts_at_paragraphs_then_words() -> None:
    text = "a" * 50 + "\n\n" + "b" * 50
    assert split_text(text, 60) == ["a" * 50, "b" * 50]
    assert all(len(c) <= 10 for c in split_text("x" * 95, 10))


def test_to_command_builds_the_neutral_request() -> None:
    req = to_command(
        "track",
        {"entity": " Elon Musk ", "min": None},
        guild_id=1,
        channel_id=2,
        user_id=42,
        permissions=discord.Permissions(manage_channels=True),
        locale=discord.Locale.french,
    )
    assert (req.name, req.args, str(req.channel), req.user) == (
        "track",
        {"entity": "Elon Musk"},
        "discord:1:2",
        "discord:42",
    )
    assert req.can_manage and req.lang == "fr" and req.raw == "/grok track entity:Elon Musk"
    member = to_command(
        "track",
        {},
        guild_id=1,
        channel_id=2,
        user_id=42,
        permissions=discord.Permissions.none(),
        locale="en-US",
    )
    assert not member.can_manage and member.lang == "en"


def test_channel_ids_of_an_outbox_target() -> None:
    assert channel_ids("discord:1:2") == (1, 2)
    assert channel_ids("discord:1:2:3") == (1, 3)  # a thread: posted in the thread
    for bad in ("slack:T1:C2", "discord:x:2", "discord:@me:2", "found"):
        with pytest.raises(DeliveryError) as err:
            channel_ids(bad)
        assert err.value.permanent, bad


async def _noop(*args: Any) -> None:
    return None


async def _none(interaction: Any, current: str) -> list[app_commands.Choice[str]]:
    return []


async def tree_json(manage_group: str | None = None) -> list[dict[str, Any]]:
    client = discord.Client(intents=discord.Intents.default())
    tree: app_commands.CommandTree[discord.Client] = app_commands.CommandTree(client)
    for group in build_groups(_noop, _none, manage_group=manage_group):
        tree.add_command(group)
    translator = GrokTranslator()
    return [await c.get_translated_payload(tree, translator) for c in tree.get_commands()]


def _walk(node: dict[str, Any]) -> list[dict[str, Any]]:
    out = [node]
    for child in node.get("options", []):
        out.extend(_walk(child))
    return out


@pytest.mark.parametrize("manage_group", [None, "grok-admin"])
async def test_the_command_tree_follows_discords_rules(manage_group: str | None) -> None:
    commands = await tree_json(manage_group)
    assert len(commands) == (2 if manage_group else 1)
    published = set()
    for top in commands:
        for node in _walk(top):
            assert NAME.match(node["name"]) and node["name"] == node["name"].lower(), node["name"]
            assert 1 <= len(node["description"]) <= 100, node["name"]
            assert len(node.get("options", [])) <= 25
            assert len(node.get("choices", [])) <= 25
            for c in node.get("choices", []):
                assert 1 <= len(c["name"]) <= 100
            for text in node.get("description_localizations", {}).values():
                assert 1 <= len(text) <= 100
        assert top["contexts"] == [0]
        for sub in top["options"]:
            assert sub["type"] == 1
            published.add(sub["name"])
            spec = REGISTRY[sub["name"]]
            if spec.help_fr:
                assert sub["description_localizations"]["fr"]
            for opt in sub["options"]:
                param = next(p for p in spec.params if p.name == opt["name"])
                assert opt["type"] == 3 and opt["required"] == param.required
                assert opt.get("autocomplete", False) == (param.kind == "entity")
                assert [c["value"] for c in opt.get("choices", [])] == list(param.choices)
                if param.description_fr:
                    assert opt["description_localizations"]["fr"]
            # required options come first (Discord refuses otherwise)
            flags = [o["required"] for o in sub["options"]]
            assert flags == sorted(flags, reverse=True)
        assert top["description_localizations"]["fr"]
    assert published == set(REGISTRY)  # generated from the registry: nothing missing
    if manage_group:
        grok, admin = commands
        assert (
            admin["default_member_permissions"]
            == str(discord.Permissions(manage_channels=True).value)
            or admin["default_member_permissions"]
            == discord.Permissions(manage_channels=True).value
        )
        assert {o["name"] for o in admin["options"]} == {n for n, s in REGISTRY.items() if s.manage}
        assert grok["default_member_permissions"] is None


def test_the_docs_give_the_permissions_integer_the_bot_needs() -> None:
    docs = (Path(__file__).resolve().parent.parent / "docs" / "discord.md").read_text()
    value = invite_permissions().value
    assert f"permissions={value}" in docs and f"**{value}**" in docs
    assert "scope=bot+applications.commands" in docs


def test_sharding_and_intents(settings: Any) -> None:
    from pydantic import SecretStr

    class Core:  # never called: only the client is looked at
        pass

    plain = DiscordTransport(settings.model_copy(update={"discord_token": SecretStr("t")}), Core())  # type: ignore[arg-type]
    sharded = DiscordTransport(
        settings.model_copy(update={"discord_token": SecretStr("t"), "discord_shards": 4}),
        Core(),  # type: ignore[arg-type]
    )
    assert type(plain.client) is discord.Client
    assert isinstance(sharded.client, discord.AutoShardedClient)
    assert sharded.client.shard_count == 4
    for t in (plain, sharded):
        assert not t.client.intents.message_content and not t.client.intents.members
