"""Slack payloads → `CommandRequest` (pure translation, no I/O).

Owns: a `/grok` slash command (`to_command`), an `@grokwatch` mention
(`mention_to_command`) and a pressed reply button (`message_press` → `Press` →
`press_to_command`) as the neutral request, each in its Slack channel address. The
user's locale comes in only as the `lang` hint; `handlers.registry` decides the reply
language. Who may manage is left to the caller (it needs a Slack lookup).
"""

from __future__ import annotations

import logging
import re
import shlex
from dataclasses import dataclass

from bot.transports.slack.render import ACTION_PREFIX
from bot.transports.slack.types import AppMentionEvent, BlockActionsPayload, SlashCommandPayload
from handlers.context import CommandRequest
from handlers.model import ChannelAddress
from handlers.registry import parse_command

logger = logging.getLogger(__name__)

_LEADING_MENTION = re.compile(r"^\s*<@[A-Z0-9]+(?:\|[^>]*)?>[\s:,]*")


def channel_ref(team_id: str, channel_id: str, thread_ts: str | None = None) -> ChannelAddress:
    """The address of a channel of workspace `team_id` (of a thread in it, when
    `thread_ts` names one: settings commands act on the channel all the same)."""
    return ChannelAddress("slack", channel_id, team_id, thread_ts or None)


def user_ref(user_id: str) -> str:
    return f"slack:{user_id}"


def to_command(payload: SlashCommandPayload, *, lang: str = "en") -> CommandRequest:
    """A slash command payload as a CommandRequest (can_manage is left to the caller).
    Raises ParseError with the text to show."""
    request = parse_command("/grok " + payload.get("text", ""), lang=lang)
    request.raw = f"{payload.get('command', '/grok')} {payload.get('text', '')}".strip()
    request.channel = channel_ref(payload["team_id"], payload["channel_id"])
    request.user = user_ref(payload["user_id"])
    return request


def mention_to_command(event: AppMentionEvent, team_id: str, *, lang: str = "en") -> CommandRequest:
    """`<@UBOT> story` → the `story` command in the event's channel."""
    line = _LEADING_MENTION.sub("", event.get("text", ""), count=1)
    line = line.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    request = parse_command("/grok " + line.strip(), lang=lang)
    request.channel = channel_ref(team_id, event["channel"], event.get("thread_ts"))
    request.user = user_ref(event["user"])
    return request


@dataclass(frozen=True, slots=True)
class Press:
    """A pressed button: the command `action` with `value` as its argument, pressed by
    `user_id` for `channel`."""

    action: str
    value: str
    channel: ChannelAddress
    user_id: str


def action_name(action_id: str, prefix: str) -> str:
    """`grok_untrack:0` → "untrack"."""
    return action_id.removeprefix(prefix).split(":", 1)[0]


def message_press(payload: BlockActionsPayload) -> Press:
    """A button of a message (`grok_<command>:<i>`, the value its argument)."""
    action = payload["actions"][0]
    channel, container = payload.get("channel"), payload.get("container")
    channel_id = channel["id"] if channel else (container or {}).get("channel_id", "")
    thread = (container or {}).get("thread_ts") or (payload.get("message") or {}).get("thread_ts")
    return Press(
        action_name(action["action_id"], ACTION_PREFIX),
        action.get("value", ""),
        channel_ref(payload["team"]["id"], channel_id, thread),
        payload["user"]["id"],
    )


def press_to_command(press: Press, *, lang: str = "en") -> CommandRequest:
    """A pressed button as its command; raises ParseError with the text to show."""
    request = parse_command(f"/grok {press.action} {shlex.quote(press.value)}", lang=lang)
    request.channel = press.channel
    request.user = user_ref(press.user_id)
    return request
