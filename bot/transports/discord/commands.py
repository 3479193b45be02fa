"""The handler registry as Discord app commands, and Discord input as `CommandRequest`s.

Owns: the `/grok` group (and the optional Manage Channels group) generated from the
registry, with English descriptions, French localizations (`GrokTranslator`), choices
and entity autocomplete, all within Discord's naming rules; `to_command` and
`interaction_command` (a slash command or a button press → the neutral request, pure
translation: the platform's locale is only a hint, dispatch decides the language); and
`ReplyButton`, the persistent button whose custom id (`grok:<command>:<value>`) holds
all it needs, routed to whoever registered for its client (`route_buttons`).
"""

from __future__ import annotations

import inspect
import logging
import re
import weakref
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, cast

import discord
from discord import app_commands

from bot.transports.base import language_hint
from bot.transports.text import clip
from handlers.context import CommandRequest
from handlers.model import ChannelAddress
from handlers.registry import REGISTRY, CommandSpec, Param

logger = logging.getLogger(__name__)

NAME_MAX = 32  # command and option names
DESCRIPTION_TEXT_MAX = 100  # command and option descriptions (and autocomplete labels)
CHOICES_MAX = 25
SUBCOMMANDS_MAX = 25

GUILDS_ONLY = app_commands.AppCommandContext(guild=True, dm_channel=False, private_channel=False)
GROUP_NAME = "grok"
GROUP_DESCRIPTION = (
    "Follow a news story across outlets and languages",
    "Suivre une actualité à travers les médias et les langues",
)
MANAGE_GROUP_DESCRIPTION = (
    "Channel settings of grokwatch (Manage Channels)",
    "Réglages grokwatch du salon (gérer les salons)",
)
BUTTON_STYLES = {
    "default": discord.ButtonStyle.secondary,
    "primary": discord.ButtonStyle.primary,
    "danger": discord.ButtonStyle.danger,
}

Interaction = discord.Interaction[discord.Client]
Runner = Callable[[Interaction, CommandSpec, dict[str, str | None]], Awaitable[None]]
Completer = Callable[[Interaction, str], Awaitable[list[app_commands.Choice[str]]]]
PressHandler = Callable[[Interaction, str, str], Awaitable[None]]


# ---------------------------------------------------------------- requests
# what the bot needs in a channel it posts alerts to (and the names a reply shows)
ALERT_PERMISSIONS: tuple[tuple[str, str], ...] = (
    ("view_channel", "View Channel"),
    ("send_messages", "Send Messages"),
    ("embed_links", "Embed Links"),
    ("read_message_history", "Read Message History"),
)
THREAD_PERMISSIONS: tuple[tuple[str, str], ...] = (
    ("create_public_threads", "Create Public Threads"),
    ("send_messages_in_threads", "Send Messages in Threads"),
)
FORUM_TYPES = frozenset({15, 16})  # forum and media channels: posts are threads


def missing_permissions(granted: discord.Permissions, *, threads: bool) -> tuple[str, ...]:
    """The names of the alert permissions `granted` lacks (story threads: two more)."""
    wanted = ALERT_PERMISSIONS + (THREAD_PERMISSIONS if threads else ())
    return tuple(label for flag, label in wanted if not getattr(granted, flag))


def to_command(
    name: str,
    options: Mapping[str, object],
    *,
    guild_id: int | None,
    channel_id: int,
    user_id: int,
    permissions: discord.Permissions,
    locale: discord.Locale | str | None,
    parent_id: int | None = None,
    app_permissions: discord.Permissions | None = None,
    threads: bool = True,
) -> CommandRequest:
    """A slash command's name and options as the platform-neutral request. In a thread
    (`parent_id` set) the address is the parent channel's with the thread, so settings
    commands act on the parent. `app_permissions`: the bot's own in that channel."""
    args = {k: str(v).strip() for k, v in options.items() if v is not None and str(v).strip()}
    raw = " ".join([f"/grok {name}", *(f"{k}:{v}" for k, v in args.items())])
    scope = str(guild_id) if guild_id is not None else "@me"
    if parent_id is not None:
        channel = ChannelAddress("discord", str(parent_id), scope, str(channel_id))
    else:
        channel = ChannelAddress("discord", str(channel_id), scope)
    return CommandRequest(
        name=name,
        args=args,
        raw=raw,
        channel=channel,
        user=f"discord:{user_id}",
        can_manage=guild_id is not None and permissions.manage_channels,
        lang=language_hint(locale.value if isinstance(locale, discord.Locale) else locale),
        bot_missing=missing_permissions(app_permissions, threads=threads)
        if app_permissions is not None
        else (),
    )


def thread_parent(interaction: Interaction) -> int | None:
    """The parent channel of the thread (a story thread, a forum post) the interaction
    came from; None when it came from a channel."""
    channel = interaction.channel
    return channel.parent_id if isinstance(channel, discord.Thread) else None


def interaction_command(
    interaction: Interaction, name: str, options: Mapping[str, object], *, threads: bool = True
) -> CommandRequest:
    """`to_command` with where, who, which locale and the bot's permissions read from
    `interaction`."""
    return to_command(
        name,
        options,
        guild_id=interaction.guild_id,
        channel_id=interaction.channel_id or 0,
        user_id=interaction.user.id,
        permissions=interaction.permissions,
        locale=interaction.locale,
        parent_id=thread_parent(interaction),
        app_permissions=interaction.app_permissions if interaction.guild_id else None,
        threads=threads,
    )


def button_options(action: str, value: str) -> dict[str, object]:
    """A button's value as the options of its command: the command's first parameter."""
    spec = REGISTRY.get(action)
    return {spec.params[0].name: value} if spec is not None and spec.params else {}


# ----------------------------------------------------------------- buttons
_PRESS_HANDLERS: weakref.WeakKeyDictionary[discord.Client, PressHandler] = (
    weakref.WeakKeyDictionary()
)


def route_buttons(client: discord.Client, handler: PressHandler | None) -> None:
    """Presses of reply buttons on `client` go to `handler` (None: to nobody)."""
    if handler is None:
        _PRESS_HANDLERS.pop(client, None)
    else:
        _PRESS_HANDLERS[client] = handler


def button_custom_id(action: str, value: str) -> str:
    return f"grok:{action}:{value}"


class ReplyButton(
    discord.ui.DynamicItem[discord.ui.Button[discord.ui.View]],
    template=r"grok:(?P<action>[a-z][a-z0-9_-]{0,31}):(?P<value>[^\s:]{1,80})",
):
    """A button that runs a command (`grok:untrack:elon-musk`). Its custom id holds all it
    needs, so it keeps working after a restart (persistent, no per-message state)."""

    def __init__(self, action: str, value: str, label: str = "", style: str = "default") -> None:
        super().__init__(
            discord.ui.Button(
                label=label or f"{action} {value}",
                style=BUTTON_STYLES.get(style, discord.ButtonStyle.secondary),
                custom_id=button_custom_id(action, value),
            )
        )
        self.action = action
        self.value = value

    @classmethod
    def matches(cls, custom_id: str) -> bool:
        return cls.__discord_ui_compiled_template__.fullmatch(custom_id) is not None

    @classmethod
    async def from_custom_id(
        cls, interaction: Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> ReplyButton:
        return cls(match["action"], match["value"])

    async def callback(self, interaction: Interaction) -> None:
        handler = _PRESS_HANDLERS.get(interaction.client)
        if handler is None:  # a button of another client object: nothing to run it with
            await interaction.response.send_message("…", ephemeral=True)
            return
        await handler(interaction, self.action, self.value)


# ------------------------------------------------------------ command tree
class GrokTranslator(app_commands.Translator):
    """French localizations from the registry: each `locale_str` carries its French text
    in `extras["fr"]`."""

    async def translate(
        self,
        string: app_commands.locale_str,
        locale: discord.Locale,
        context: app_commands.TranslationContextTypes,
    ) -> str | None:
        value = string.extras.get(locale.value)
        return value if isinstance(value, str) and value else None


def option_name(name: str) -> str:
    """A registry name as a Discord command or option name: lowercase, 1–32 characters
    of letters, digits, '-' and '_'."""
    cleaned = "".join(c if c.isalnum() or c in "-_" else "_" for c in name.casefold())
    return cleaned[:NAME_MAX] or "x"


def describe(english: str, french: str = "") -> app_commands.locale_str:
    en = clip(" ".join(english.split()) or "…", DESCRIPTION_TEXT_MAX)
    fr = clip(" ".join(french.split()), DESCRIPTION_TEXT_MAX) if french else ""
    return app_commands.locale_str(en, fr=fr) if fr else app_commands.locale_str(en)


def _make_command(
    spec: CommandSpec, run: Runner, complete: Completer
) -> app_commands.Command[Any, Any, None]:
    """One registry command as a slash subcommand with typed options."""
    names = {p.name: option_name(p.name) for p in spec.params}
    by_option = {v: k for k, v in names.items()}

    async def callback(interaction: Interaction, **options: str | None) -> None:
        await run(interaction, spec, {by_option.get(k, k): v for k, v in options.items()})

    params = [
        inspect.Parameter(
            "interaction",
            inspect.Parameter.POSITIONAL_OR_KEYWORD,
            annotation=discord.Interaction,
        )
    ]
    ordered: list[Param] = sorted(spec.params, key=lambda p: not p.required)
    for p in ordered:
        params.append(
            inspect.Parameter(
                names[p.name],
                inspect.Parameter.KEYWORD_ONLY,
                annotation=str if p.required else (str | None),
                default=inspect.Parameter.empty if p.required else None,
            )
        )
    callback.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    callback.__qualname__ = callback.__name__ = f"grok_{names.get(spec.name, spec.name)}"

    described = app_commands.describe(
        **{names[p.name]: describe(p.description, p.description_fr) for p in spec.params}
    )(callback)
    choices = {
        names[p.name]: [app_commands.Choice(name=c, value=c) for c in p.choices[:CHOICES_MAX]]
        for p in spec.params
        if p.kind == "choice" and p.choices
    }
    if choices:
        described = app_commands.choices(**choices)(described)
    completing = {names[p.name]: complete for p in spec.params if p.kind == "entity"}
    if completing:
        described = app_commands.autocomplete(**cast(Any, completing))(described)
    return app_commands.Command(
        name=option_name(spec.name),
        description=describe(spec.help, spec.help_fr),
        callback=cast(Any, described),
    )


def build_groups(
    run: Runner,
    complete: Completer,
    *,
    manage_group: str | None = None,
    registry: Mapping[str, CommandSpec] = REGISTRY,
) -> list[app_commands.Group]:
    """The `/grok` group (and, if `manage_group` is named, a second group holding the
    commands that need Manage Channels, hidden by default from members without it)."""
    grok = app_commands.Group(
        name=GROUP_NAME,
        description=describe(*GROUP_DESCRIPTION),
        guild_only=True,
        allowed_contexts=GUILDS_ONLY,
    )
    groups = [grok]
    admin: app_commands.Group | None = None
    if manage_group:
        admin = app_commands.Group(
            name=option_name(manage_group),
            description=describe(*MANAGE_GROUP_DESCRIPTION),
            guild_only=True,
            allowed_contexts=GUILDS_ONLY,
            default_permissions=discord.Permissions(manage_channels=True),
        )
        groups.append(admin)
    for spec in sorted(registry.values(), key=lambda s: s.name):
        target = admin if (admin is not None and spec.manage) else grok
        if len(target.commands) >= SUBCOMMANDS_MAX:
            raise ValueError(
                f"/{target.name} would have more than 25 subcommands; Discord refuses that. "
                "Move some into GROKWATCH_DISCORD_MANAGE_GROUP or a subcommand group."
            )
        target.add_command(_make_command(spec, run, complete))
    return groups


def choices_of(names: list[str]) -> list[app_commands.Choice[str]]:
    """Autocomplete choices for entity names (at most 25, each label within 100)."""
    labels = [clip(name, DESCRIPTION_TEXT_MAX) for name in names[:CHOICES_MAX]]
    return [app_commands.Choice(name=label, value=label) for label in labels]
