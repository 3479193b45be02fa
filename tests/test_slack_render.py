"""Every Block Kit payload the Slack transport can produce, checked with slack_sdk's block
models and Slack's limits; mrkdwn escaping; the pure payload → CommandRequest adapters."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from bot.transports.slack.commands import channel_ref, mention_to_command, to_command
from bot.transports.slack.home import home_view
from bot.transports.slack.render import (
    MAX_BLOCKS,
    MAX_BUTTON_TEXT,
    MAX_FIELD,
    MAX_FIELDS,
    MAX_HEADER,
    MAX_SECTION,
    clip,
    render,
    split_text,
    to_mrkdwn,
)
from bot.transports.slack.types import AppMentionEvent, MessageKwargs, SlashCommandPayload
from handlers.registry import ParseError
from handlers.reply import Button, Citation, Field, Reply
from tests.conftest import ChatBot

NASTY = (
    "Breaking <!channel> and <!here|here> — ping @here, @channel and @everyone, "
    "<@U123> and <#C999>, <https://evil.example|click me> & <!subteam^S1>"
)


def check_block(block: dict[str, Any]) -> None:
    """slack_sdk's model of the block accepts it, and Slack's limits hold."""
    model = Block.parse(block)
    assert model is not None, block
    model.validate_json()  # raises SlackObjectFormationError past a limit
    assert model.to_dict()["type"] == block["type"]
    kind = block["type"]
    if kind == "section":
        if "text" in block:
            assert 0 < len(block["text"]["text"]) <= MAX_SECTION
        fields = block.get("fields", [])
        assert len(fields) <= MAX_FIELDS
        assert all(0 < len(f["text"]) <= MAX_FIELD for f in fields)
        assert "text" in block or fields
    elif kind == "header":
        assert 0 < len(block["text"]["text"]) <= MAX_HEADER
    elif kind == "actions":
        ids = [e["action_id"] for e in block["elements"]]
        assert len(ids) == len(set(ids)) and len(ids) <= 25
        assert all(len(e["text"]["text"]) <= MAX_BUTTON_TEXT for e in block["elements"])


def check_messages(messages: list[MessageKwargs]) -> str:
    """Validate every message; return all their text for content checks."""
    assert messages
    for message in messages:
        assert message["unfurl_links"] is False and message["unfurl_media"] is False
        assert 0 < len(message["text"]) <= 3000
        assert 0 < len(message["blocks"]) <= MAX_BLOCKS
        for block in message["blocks"]:
            check_block(block)
    return json.dumps(messages, ensure_ascii=False)


def text_objects(node: Any) -> list[dict[str, Any]]:
    """Every text object (mrkdwn or plain_text) in a payload."""
    found: list[dict[str, Any]] = []
    if isinstance(node, dict):
        if node.get("type") in ("mrkdwn", "plain_text") and isinstance(node.get("text"), str):
            found.append(node)
        for value in node.values():
            found.extend(text_objects(value))
    elif isinstance(node, list):
        for value in node:
            found.extend(text_objects(value))
    return found


def assert_inert(payload: Any, ours: str = r"$^") -> None:
    """No mass ping, mention or foreign link survives: mrkdwn is escaped (Slack would
    parse it), plain text is shown as typed but defanged all the same."""
    objects = text_objects(payload)
    assert objects
    objects = [o for o in objects if not re.fullmatch(ours, o["text"])]
    mrkdwn = [o["text"] for o in objects if o["type"] == "mrkdwn"]
    if isinstance(payload, list):  # messages: their fallback texts are mrkdwn too
        mrkdwn += [m["text"] for m in payload]
    for text in mrkdwn:
        for bad in ("<!", "<@", "<#", "<https://evil"):
            assert bad not in text, (bad, text)
    for obj in objects:
        for bad in ("<!", "<@", "<#", "@here", "@channel", "@everyone"):
            assert bad not in obj["text"], (bad, obj)
    assert any("&lt;" in t for t in mrkdwn)


async def test_help_reply_renders_valid_blocks(testbot: ChatBot) -> None:
    reply = await testbot.say("/grok help")
    payload = check_messages(render(reply))
    assert "/grok track" in payload


async def test_tracked_and_error_replies_render(testbot: ChatBot) -> None:
    await testbot.say("/grok track Grok")
    await testbot.say("/grok track xAI")
    check_messages(render(await testbot.say("/grok tracked")))
    error = await testbot.say("/grok trak Grok")
    payload = check_messages(render(error))
    assert "⚠️" in payload


def test_forty_fields_split_into_sections_of_ten() -> None:
    reply = Reply(
        text="Many facts",
        title="Facts",
        fields=[Field(f"name {i}", f"value {i} " * 30, inline=True) for i in range(40)],
    )
    messages = render(reply)
    payload = check_messages(messages)
    field_blocks = [b for m in messages for b in m["blocks"] if "fields" in b]
    assert len(field_blocks) == 4
    assert all(f"name {i}" in payload for i in range(40))


def test_wide_fields_and_huge_values_are_clipped_not_rejected() -> None:
    reply = Reply(
        text="",
        fields=[Field("huge", "x" * 9000, inline=True), Field("wide", "word " * 2000)],
    )
    check_messages(render(reply))


def test_alert_with_citations_and_buttons() -> None:
    reply = Reply(
        text="**Tracked entities:** Grok, xAI",
        title="xAI publie les poids de Grok-1 & <b>c'est</b> tout",
        url="https://example.org/a?b=1&c=2",
        fields=[
            Field("Outlet", "Le Veilleur", inline=True),
            Field("Grok", "matched “Grok-1” in the text\n> La start-up xAI a publié…"),
        ],
        citations=[
            Citation(
                1, "Un titre avec | barre & <chevrons>", "https://example.org/1", "Le Veilleur"
            ),
            Citation(2, "Sans lien", None, "Circuit"),
        ],
        buttons=[Button("Untrack Grok", "untrack", "grok", "danger")] * 3,
        footer="article a1b2",
        kind="alert",
    )
    messages = render(reply)
    payload = check_messages(messages)
    assert "<https://example.org/a?b=1&amp;c=2|" in payload
    assert "<https://example.org/1|Un titre avec ¦ barre &amp; &lt;chevrons&gt;>" in payload
    assert "&lt;b&gt;c'est&lt;/b&gt;" in payload
    actions = [b for b in messages[-1]["blocks"] if b["type"] == "actions"]
    assert [e["action_id"] for e in actions[0]["elements"]] == [
        "grok_untrack:0",
        "grok_untrack:1",
        "grok_untrack:2",
    ]
    assert actions[0]["elements"][0]["value"] == "grok"
    assert actions[0]["elements"][0]["style"] == "danger"


def test_article_text_can_never_ping_or_mention() -> None:
    reply = Reply(
        text=NASTY,
        title=NASTY,
        fields=[Field(NASTY, NASTY), Field(NASTY, NASTY, inline=True)],
        citations=[Citation(1, NASTY, "https://example.org/x", NASTY)],
        buttons=[Button(NASTY, "untrack", "grok")],
        footer=NASTY,
        kind="alert",
    )
    messages = render(reply)
    check_messages(messages)
    assert_inert(messages)
    assert_inert(render(Reply(text=NASTY)))


def test_markdown_becomes_mrkdwn() -> None:
    out = to_mrkdwn("**bold** and [a link](https://x.org/p?q=1&r=2) and `code`\n- item\n# Head")
    # a markdown link in a Reply's text is content: its characters, never a link
    assert out.startswith("*bold* and [a link](https://x.org/p?q=1&amp;r=2) and `code`")
    assert "• item" in out and "*Head*" in out
    assert to_mrkdwn("[x](javascript:alert(1))") == "[x](javascript:alert(1))"  # not a link


def test_long_replies_are_split_across_messages() -> None:
    paragraph = ("Le modèle compte 314 milliards de paramètres & <plus>. " * 40).strip()
    reply = Reply(text="\n\n".join([paragraph] * 60), title="A very long digest " * 20)
    messages = render(reply)
    assert len(messages) > 1
    payload = check_messages(messages)
    blocks = json.dumps([m["blocks"] for m in messages], ensure_ascii=False)
    assert blocks.count("&lt;plus&gt;") == 40 * 60  # nothing lost, no entity cut in two
    assert payload.count("&amp;") >= 40 * 60
    header = messages[0]["blocks"][0]
    assert header["type"] == "header" and header["text"]["text"].endswith("…")


def test_many_buttons_and_blocks() -> None:
    reply = Reply(
        text="x",
        fields=[Field(f"f{i}", "v") for i in range(200)],
        buttons=[Button(f"Untrack entity number {i} " * 5, "untrack", f"e{i}") for i in range(30)],
    )
    messages = render(reply)
    check_messages(messages)
    elements = [
        e for m in messages for b in m["blocks"] if b["type"] == "actions" for e in b["elements"]
    ]
    assert len(elements) == 30


def test_split_and_clip_never_cut_links_or_entities() -> None:
    text = ("word &amp; <https://example.org/" + "a" * 50 + "|label> ") * 200
    for chunk in split_text(text, 500):
        assert len(chunk) <= 500
        assert chunk.count("<") == chunk.count(">")
        assert not re.search(r"&[a-z]{0,3}$", chunk)
    clipped = clip(text, 100)
    assert len(clipped) <= 100 and clipped.count("<") == clipped.count(">")


def test_home_view_is_a_valid_view() -> None:
    tracked = Reply(
        text="",
        title="Tracked in this channel",
        fields=[Field(f"Entity {i} {NASTY}", f"`e{i}` · min low", inline=True) for i in range(12)],
        buttons=[Button(f"Untrack Entity {i}", "untrack", f"e{i}") for i in range(5)],
    )
    view = home_view([(f"C{i}", tracked) for i in range(40)], notice="Stopped tracking **Grok**.")
    model = View(**view)
    model.validate_json()
    assert len(view["blocks"]) <= 100
    for block in view["blocks"]:
        check_block(block)
    assert_inert(view, ours=r"\*<#C\d+>\*")  # the channel names are ours
    empty = home_view([])
    View(**empty).validate_json()
    assert "/grok track" in json.dumps(empty)


def test_to_command_from_a_slash_command_payload() -> None:
    payload: SlashCommandPayload = {
        "command": "/grok",
        "text": "track Elon Musk min:high",
        "team_id": "T1",
        "channel_id": "C1",
        "user_id": "U1",
    }
    request = to_command(payload)
    assert request.name == "track"
    assert request.args == {"entity": "Elon Musk", "min": "high"}
    assert str(request.channel) == str(channel_ref("T1", "C1")) == "slack:T1:C1"
    assert request.user == "slack:U1" and request.can_manage is False
    with pytest.raises(ParseError, match="n'existe pas"):
        to_command({**payload, "text": "trak x"}, lang="fr")


def test_mention_to_command_strips_the_bot_mention() -> None:
    event: AppMentionEvent = {
        "type": "app_mention",
        "user": "U1",
        "text": "<@UBOT> track   Elon Musk",
        "ts": "1.0",
        "channel": "C1",
    }
    request = mention_to_command(event, "T1")
    assert request.name == "track" and request.args["entity"] == "Elon Musk"
    assert str(request.channel) == "slack:T1:C1"


def test_image_reply_renders_without_the_file(tmp_path: Path) -> None:
    reply = Reply(text="chart", title="Mentions over time", image=tmp_path / "c.png")
    check_messages(render(reply))
