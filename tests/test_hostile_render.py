"""Hostile content in what the bot posts: masked links that lie about where they go, links
to URLs that are not absolute http(s), pings hidden in titles and in `@everyone_`, on
Discord and Slack; and a Slack HTTP request whose timestamp is not a number."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from bot.transports.discord.render import render as discord_render
from bot.transports.slack.render import render as slack_render
from bot.transports.text import names_an_address, unmask, web_url
from handlers.reply import Citation, Field, Reply
from tests.slack.conftest import env, fake  # noqa: F401  (the Slack fixtures)
from tests.slack.helpers import Env, sign

SPOOF = "[https://bank.example](https://evil.example/x)"
PLAIN_SPOOF = "[Votre banque](https://evil.example/x)"


def spoofed(outlet: str = SPOOF) -> Reply:
    """A reply of every shape with masked links where content goes: title, text, fields,
    citations (title and outlet), footer."""
    return Reply(
        text=f"Selon {outlet}, {PLAIN_SPOOF} a publié…",
        title=f"Alerte {PLAIN_SPOOF}",
        url="https://news.example/a",
        fields=[Field(f"[1] {PLAIN_SPOOF}", f"{outlet} · 2024-03-17\n> {SPOOF}")],
        citations=[Citation(1, PLAIN_SPOOF, "https://news.example/a", source=outlet)],
        footer=f"article 1 · {SPOOF}",
        kind="alert",
    )


def discord_texts(reply: Reply) -> list[str]:
    out = []
    for message in discord_render(reply):
        for embed in message["embeds"]:
            data = embed.to_dict()
            out += [data.get("title", ""), data.get("description", "")]
            out += [f["name"] + "\n" + f["value"] for f in data.get("fields", [])]
            out.append(data.get("footer", {}).get("text", ""))
    return out


# the masked-link syntax Discord's markdown reads as a link: [label](target)
_DISCORD_LINK = re.compile(r"\[([^\]]*)\]\(<?([^)\s>]+)>?\)")


def test_discord_masked_links_in_content_are_inert() -> None:
    reply = spoofed()
    links = [m.groups() for text in discord_texts(reply) for m in _DISCORD_LINK.finditer(text)]
    # no masked link is left: the citation's title reads as an address, so the bot's own
    # link to the article is shown as its URL
    assert links == []
    assert any("<https://news.example/a>" in text for text in discord_texts(reply))
    plain = Reply(text="", citations=[Citation(1, "Un article", "https://news.example/b")])
    assert "[Un article](https://news.example/b)" in discord_texts(plain)[1]
    assert any("evil.example" in text for text in discord_texts(reply))  # shown, not linked


def slack_mrkdwn(reply: Reply) -> str:
    return json.dumps(
        [m["blocks"] for m in slack_render(reply)] + [m["text"] for m in slack_render(reply)]
    )


def test_slack_masked_links_in_content_are_inert() -> None:
    out = slack_mrkdwn(spoofed())
    targets = re.findall(r"<(https?://[^|>]+)(?:\|[^>]*)?>", out)
    assert targets and set(targets) == {"https://news.example/a"}
    assert "evil.example" in out  # the characters stay, as text


def test_labels_that_read_as_addresses_never_cover_another_one() -> None:
    reply = Reply(
        text="",
        title="https://bank.example/login",
        url="https://evil.example/x",
        citations=[Citation(1, "bank.example", "https://evil.example/y")],
    )
    (message,) = discord_render(reply)
    embed = message["embeds"][0].to_dict()
    assert "url" not in embed  # the title does not link
    assert "<https://evil.example/x>" in embed["description"]
    assert "<https://evil.example/y>" in embed["description"]
    out = slack_mrkdwn(reply)
    assert "|https://bank.example" not in out and "|bank.example" not in out
    assert "<https://evil.example/x>" in out and "<https://evil.example/y>" in out
    assert names_an_address("see www.example.org") and not names_an_address("Grok-1.5 sort")


@pytest.mark.parametrize(
    "url",
    [
        "ftp://files.example/a",
        "/relative/canonical",
        "javascript:alert(1)",
        "https:///x",
        "mailto:a@b.example",
    ],
)
def test_only_absolute_http_urls_become_links(url: str) -> None:
    reply = Reply(text="t", title="Un titre", url=url, citations=[Citation(1, "Un article", url)])
    for message in discord_render(reply):
        for embed in message["embeds"]:
            data = embed.to_dict()
            assert "url" not in data  # Discord answers 400 to such an embed URL
            assert f"]({url})" not in data.get("description", "")
    out = slack_mrkdwn(reply)
    assert f"<{url}" not in out.replace("&lt;", "<") or url.startswith("/")
    assert web_url(url) is None
    assert web_url("https://e.example/a b(c)") == "https://e.example/a%20b%28c%29"


def test_embed_titles_and_glued_mass_pings_are_defanged() -> None:
    reply = Reply(text="@everyone_ et @here2 et @channel!", title="@everyone alerte", kind="alert")
    texts = discord_texts(reply)
    assert all("@everyone" not in t and "@here" not in t for t in texts)
    out = slack_mrkdwn(reply)
    assert "@everyone" not in out and "@here" not in out and "@channel" not in out
    assert unmask("[a](b)") == "[a]\\(b)"


async def test_slack_http_refuses_a_malformed_timestamp(env: Env) -> None:  # noqa: F811
    body = "command=%2Fgrok&text=help&channel_id=C1&user_id=U1"
    good = sign(body)
    for stamp in ("soon", "1e9", "١٢٣", ""):
        headers: dict[str, Any] = {**good, "X-Slack-Request-Timestamp": stamp}
        status, _, _ = await env.post(body, "application/x-www-form-urlencoded", headers)
        assert status == 401, stamp
