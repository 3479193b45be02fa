"""The Slack App Home tab: what each of the user's channels tracks, with Untrack buttons.

Owns the Home view (`home_view`, pure Block Kit), the reading of its buttons
(`home_press`: the button's value names the channel and the entity, since a view has no
channel of its own) and `publish_home`, which asks the core `/grok tracked` for each of
the user's channels (bounded) and publishes the view.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from bot.transports.base import BotCore
from bot.transports.slack.api import SLACK_ERRORS
from bot.transports.slack.commands import Press, action_name, channel_ref, user_ref
from bot.transports.slack.render import (
    MAX_BUTTONS,
    MAX_HEADER,
    action_id,
    button,
    escape,
    field_blocks,
    footer_block,
    plain,
    section,
    to_mrkdwn,
)
from bot.transports.slack.types import BlockActionsPayload
from handlers.context import CommandRequest
from handlers.reply import Reply

logger = logging.getLogger(__name__)

HOME_ACTION = "grokhome_"  # action ids of Home buttons: grokhome_<command>:<index>
HOME_MAX_CHANNELS = 40
MAX_VIEW_BLOCKS = 100  # blocks in a Home tab view


def home_view(sections: list[tuple[str, Reply]], *, notice: str | None = None) -> dict[str, Any]:
    """The App Home tab: for each channel (id, its `/grok tracked` reply) what it tracks,
    with an Untrack button per entity (value: channel and entity)."""
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": plain("What your channels track", MAX_HEADER)}
    ]
    if notice:
        blocks.append(section(to_mrkdwn(notice)))
    if not sections:
        blocks.append(
            section(
                "None of your channels tracks anything yet. In a channel, type "
                "`/grok track Elon Musk` (or `/grok help`)."
            )
        )
    for channel_id, reply in sections:
        if len(blocks) + 4 > MAX_VIEW_BLOCKS:
            blocks.append(section("… and more channels; `/grok tracked` in each lists them."))
            break
        blocks.append({"type": "divider"})
        blocks.append(section(f"*<#{escape(channel_id)}>*"))
        blocks.extend(field_blocks(reply)[:2])
        buttons = [
            button(
                b.label,
                action_id(b.action, i, HOME_ACTION),
                json.dumps({"c": channel_id, "v": b.value}),
                b.style,
            )
            for i, b in enumerate(reply.buttons[:MAX_BUTTONS])
        ]
        if buttons:
            blocks.append({"type": "actions", "elements": buttons})
        if reply.footer:
            blocks.append(footer_block(reply.footer))
    return {"type": "home", "blocks": blocks[:MAX_VIEW_BLOCKS]}


def home_press(payload: BlockActionsPayload) -> Press | None:
    """A Home button as a press for the channel its value names; None when malformed."""
    action = payload["actions"][0]
    try:
        target = json.loads(action.get("value", "{}"))
        channel_id, value = str(target["c"]), str(target["v"])
    except (ValueError, KeyError, TypeError):
        logger.warning("Slack: malformed Home button value ignored")
        return None
    return Press(
        action_name(action["action_id"], HOME_ACTION),
        value,
        channel_ref(payload["team"]["id"], channel_id),
        payload["user"]["id"],
    )


async def publish_home(
    client: AsyncWebClient,
    core: BotCore,
    team: str,
    user_id: str,
    *,
    lang: str,
    notice: str | None = None,
) -> None:
    """The Home tab of `user_id`: what each of their channels tracks (bounded)."""
    try:
        resp = await client.users_conversations(
            user=user_id,
            types="public_channel,private_channel",
            exclude_archived=True,
            limit=200,
        )
        channels = [str(c["id"]) for c in resp.get("channels") or []][:HOME_MAX_CHANNELS]
    except SLACK_ERRORS as exc:
        logger.warning("Slack: users.conversations failed: %s", exc)
        channels = []
    sections: list[tuple[str, Reply]] = []
    for channel_id in channels:
        reply = await core.handle(
            CommandRequest(
                name="tracked",
                raw="/grok tracked",
                channel=channel_ref(team, channel_id),
                user=user_ref(user_id),
                lang=lang,
            )
        )
        if reply.fields:
            sections.append((channel_id, reply))
    try:
        await client.views_publish(user_id=user_id, view=home_view(sections, notice=notice))
    except SLACK_ERRORS as exc:
        logger.warning("Slack: views.publish for the Home tab failed: %s", exc)
