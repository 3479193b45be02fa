"""The fake Slack Web API refuses what the real one refuses: each request here, made
with slack_sdk's own client, breaks one published rule and must fail with Slack's error,
while the bot's own traffic (every other Slack test) passes the same checks."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from tests.slack_fake import BOT_TOKEN, FakeSlack


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    server = FakeSlack()
    await server.start()
    yield server
    await server.close()


def client(fake: FakeSlack, token: str | None = BOT_TOKEN) -> AsyncWebClient:
    return AsyncWebClient(token=token, base_url=fake.api)


def _button(value: str = "v", text: str = "Untrack", action_id: str = "a") -> dict[str, Any]:
    return {
        "type": "actions",
        "elements": [
            {
                "type": "button",
                "action_id": action_id,
                "value": value,
                "text": {"type": "plain_text", "text": text},
            }
        ],
    }


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


BAD = {
    "metadata without event_payload": (
        {"text": "x", "metadata": {"event_type": "grokwatch_alert"}},
        "invalid_metadata_format",
    ),
    "metadata without event_type": (
        {"text": "x", "metadata": {"event_payload": {"key": "k"}}},
        "invalid_metadata_format",
    ),
    "a 3000-char button value": ({"text": "x", "blocks": [_button("v" * 3000)]}, "invalid_blocks"),
    "a 76-char button text": ({"text": "x", "blocks": [_button(text="t" * 76)]}, "invalid_blocks"),
    "a 256-char action id": (
        {"text": "x", "blocks": [_button(action_id="a" * 256)]},
        "invalid_blocks",
    ),
    "51 blocks": ({"text": "x", "blocks": [_section("s")] * 51}, "invalid_blocks"),
    "a 3001-char section": ({"text": "x", "blocks": [_section("s" * 3001)]}, "invalid_blocks"),
    "a 151-char header": (
        {
            "text": "x",
            "blocks": [{"type": "header", "text": {"type": "plain_text", "text": "h" * 151}}],
        },
        "invalid_blocks",
    ),
    "an unknown block type": ({"text": "x", "blocks": [{"type": "banner"}]}, "invalid_blocks"),
    "a 40001-char text": ({"text": "t" * 40_001}, "msg_too_long"),
}


@pytest.mark.parametrize("name", sorted(BAD))
async def test_a_message_breaking_a_rule_is_refused(slack: FakeSlack, name: str) -> None:
    args, error = BAD[name]
    with pytest.raises(SlackApiError) as caught:
        await client(slack).chat_postMessage(channel="C1", **args)
    assert caught.value.response["error"] == error
    assert slack.messages == {}


async def test_a_message_with_nothing_to_show_is_refused(slack: FakeSlack) -> None:
    with pytest.raises(SlackApiError) as caught:  # api_call: the SDK would warn first
        await client(slack).api_call("chat.postMessage", json={"channel": "C1"})
    assert caught.value.response["error"] == "no_text"


async def test_invalid_blocks_say_where(slack: FakeSlack) -> None:
    with pytest.raises(SlackApiError) as caught:
        await client(slack).chat_postMessage(
            channel="C1", text="x", blocks=[_section("ok"), _button("v" * 2001)]
        )
    errors = caught.value.response["errors"]
    assert any("/blocks/1" in e for e in errors), errors


async def test_a_valid_message_passes(slack: FakeSlack) -> None:
    resp = await client(slack).chat_postMessage(
        channel="C1",
        text="x",
        blocks=[_section("s" * 3000), _button("v" * 2000)],
        metadata={"event_type": "grokwatch_alert", "event_payload": {"key": "k"}},
    )
    assert resp["ok"] and len(slack.messages["C1"]) == 1


@pytest.mark.parametrize(
    ("token", "error"), [(None, "not_authed"), ("xoxb-forged", "invalid_auth")]
)
async def test_a_missing_or_unknown_token_is_refused(
    slack: FakeSlack, token: str | None, error: str
) -> None:
    with pytest.raises(SlackApiError) as caught:
        await client(slack, token).chat_postMessage(channel="C1", text="hello")
    assert caught.value.response["error"] == error
    assert slack.messages == {}


async def test_auth_test_names_the_tokens_workspace(slack: FakeSlack) -> None:
    slack.tokens["xoxb-other"] = "T2"
    assert (await client(slack).auth_test())["team_id"] == "T1"
    assert (await client(slack, "xoxb-other").auth_test())["team_id"] == "T2"


async def test_a_home_view_over_100_blocks_is_refused(slack: FakeSlack) -> None:
    with pytest.raises(SlackApiError) as caught:
        await client(slack).views_publish(
            user_id="U1", view={"type": "home", "blocks": [_section("s")] * 101}
        )
    assert caught.value.response["error"] == "invalid_arguments"
