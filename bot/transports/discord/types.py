"""Typed shapes of what the Discord adapter builds and reads.

`MessageKwargs` is what `render.render()` returns for one message (the keyword arguments
of `Messageable.send` / `Webhook.send`). The raw payloads are the parts of Discord's JSON
the adapter and its tests rely on, typed after Discord's API reference.
"""

from __future__ import annotations

from typing import NotRequired, TypedDict

import discord


class MessageKwargs(TypedDict):
    """One message: at most 10 embeds and 6,000 characters of embed text."""

    embeds: list[discord.Embed]
    files: list[discord.File]
    view: NotRequired[discord.ui.View]
    allowed_mentions: discord.AllowedMentions
    content: NotRequired[str]  # only the channel's opt-in ping of an urgent alert


class UserPayload(TypedDict):
    id: str
    username: str
    discriminator: str
    global_name: str | None
    avatar: str | None
    bot: NotRequired[bool]


class MemberPayload(TypedDict):
    user: UserPayload
    roles: list[str]
    joined_at: str
    deaf: bool
    mute: bool
    flags: int
    # the member's permissions in the channel of the interaction (a decimal string)
    permissions: str


class OptionPayload(TypedDict):
    name: str
    type: int  # 1 subcommand, 2 subcommand group, 3 string, ...
    value: NotRequired[str]
    focused: NotRequired[bool]
    options: NotRequired[list[OptionPayload]]


class CommandDataPayload(TypedDict):
    id: str
    name: str
    type: int  # 1 chat input
    options: NotRequired[list[OptionPayload]]
    guild_id: NotRequired[str]


class ComponentDataPayload(TypedDict):
    custom_id: str
    component_type: int  # 2 button


class InteractionPayload(TypedDict):
    """INTERACTION_CREATE as the gateway delivers it (the parts discord.py reads)."""

    id: str
    application_id: str
    type: int  # 2 application command, 3 component, 4 autocomplete
    data: CommandDataPayload | ComponentDataPayload
    guild_id: NotRequired[str]
    channel_id: str
    channel: NotRequired[dict[str, object]]
    member: NotRequired[MemberPayload]
    user: NotRequired[UserPayload]
    token: str
    version: int
    locale: str
    guild_locale: NotRequired[str]
    app_permissions: str
    entitlements: list[object]
    authorizing_integration_owners: dict[str, str]
    context: int
    attachment_size_limit: int
    message: NotRequired[dict[str, object]]
