"""The Discord transport, on discord.py 2.x.

- Slash commands: a `/grok` group whose subcommands and options are generated from the
  handler registry, English descriptions with French localizations, entity autocomplete.
- Every interaction is deferred before any work; the neutral `Reply` is then rendered as
  embeds within Discord's limits (`render`), errors as ephemeral messages.
- Alerts (`send`) go through the REST API only (no gateway cache needed): paced per
  channel, retried with backoff on 5xx and network errors, 429s waited out (discord.py's
  HTTP client does it with the wait Discord gives), 403/404 turned into a permanent
  `DeliveryError` so the pipeline pauses the channel. Each message carries a nonce derived
  from its content with `enforce_nonce`, so a retry after a crash between the post and the
  delivery record returns the message already posted instead of a duplicate.

Only translation lives here; the commands themselves are in `handlers/`.
"""

from __future__ import annotations

import asyncio
import hashlib
import inspect
import json
import logging
import re
import time
import weakref
from collections.abc import Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any, cast

import aiohttp
import discord
from discord import app_commands
from discord.utils import MISSING

from bot.settings import SettingsError
from bot.transports.base import BotCore, DeliveryError
from bot.transports.discord_types import MessageKwargs
from handlers.context import CommandRequest
from handlers.model import ChannelAddress
from handlers.registry import REGISTRY, CommandSpec, Param
from handlers.reply import Button, Reply, defang

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from bot.settings import Settings

logger = logging.getLogger(__name__)

# Discord's limits (https://discord.com/developers/docs/resources/message#embed-object-embed-limits)
TITLE_MAX = 256
DESCRIPTION_MAX = 4096
FIELDS_MAX = 25
FIELD_NAME_MAX = 256
FIELD_VALUE_MAX = 1024
FOOTER_MAX = 2048
EMBED_TOTAL_MAX = 6000  # per message, all its embeds together
EMBEDS_PER_MESSAGE = 10
BUTTONS_MAX = 25
BUTTON_LABEL_MAX = 80
CUSTOM_ID_MAX = 100
NAME_MAX = 32  # command and option names
DESCRIPTION_TEXT_MAX = 100  # command and option descriptions
CHOICES_MAX = 25
THREAD_NAME_MAX = 100
# a description chunk leaves room for the title and the footer in one 6,000-character embed
DESCRIPTION_CHUNK = 3500

COLOURS = {"info": 0x5865F2, "error": 0xED4245, "alert": 0xFEE75C}
BUTTON_STYLES = {
    "default": discord.ButtonStyle.secondary,
    "primary": discord.ButtonStyle.primary,
    "danger": discord.ButtonStyle.danger,
}
CONTINUED = "\u200b"  # the name of a field that continues the previous one
NO_MENTIONS = discord.AllowedMentions.none()
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

# discord.py retries these statuses itself (five tries, with sleeps) before raising
_RETRIED_BY_LIBRARY = {500, 502, 504, 524}
# Discord error code: "A thread has already been created for this message"
_THREAD_EXISTS = 160004


# --------------------------------------------------------------------------- adapters
def clip(text: str, limit: int) -> str:
    """`text` cut to `limit` characters, with an ellipsis when cut."""
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def split_text(text: str, size: int) -> list[str]:
    """Chunks of at most `size` characters, cut at paragraph, line or word ends."""
    chunks: list[str] = []
    rest = text.strip()
    while len(rest) > size:
        cut = -1
        for sep in ("\n\n", "\n", " "):
            cut = rest.rfind(sep, size // 2, size)
            if cut > 0:
                break
        if cut <= 0:
            cut = size
        chunks.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        chunks.append(rest)
    return chunks


def parse_target(target: str) -> tuple[int, int]:
    """ "discord:<guild>:<channel>" → (guild id, channel id); ValueError when it is not one."""
    address = ChannelAddress.parse(target)
    if address.platform != "discord" or address.scope == "@me":
        raise ValueError(f"{target!r} is not a Discord channel id (discord:<guild>:<channel>)")
    return int(address.scope), int(address.thread or address.channel)


def lang_of(locale: discord.Locale | str | None) -> str:
    value = locale.value if isinstance(locale, discord.Locale) else (locale or "")
    return "fr" if value.casefold().startswith("fr") else "en"


def to_command(
    name: str,
    options: Mapping[str, object],
    *,
    guild_id: int | None,
    channel_id: int,
    user_id: int,
    permissions: discord.Permissions,
    locale: discord.Locale | str | None,
) -> CommandRequest:
    """A slash command's name and options as the platform-neutral request."""
    args = {k: str(v).strip() for k, v in options.items() if v is not None and str(v).strip()}
    raw = " ".join([f"/grok {name}", *(f"{k}:{v}" for k, v in args.items())])
    return CommandRequest(
        name=name,
        args=args,
        raw=raw,
        channel=ChannelAddress(
            "discord", str(channel_id), str(guild_id) if guild_id is not None else "@me"
        ),
        user=f"discord:{user_id}",
        can_manage=guild_id is not None and permissions.manage_channels,
        lang=lang_of(locale),
    )


def _citation_lines(reply: Reply) -> list[str]:
    lines = []
    for c in reply.citations:
        title = defang(c.title).replace("[", "(").replace("]", ")")
        head = f"[{title}]({c.url})" if c.url else title
        lines.append(f"`[{c.n}]` {head}" + (f" — {defang(c.source)}" if c.source else ""))
    return lines


def _embed_size(embed: discord.Embed) -> int:
    return len(embed)  # discord.py counts title, description, fields, footer and author


def _buttons_view(buttons: Sequence[Button]) -> discord.ui.View | None:
    view = discord.ui.View(timeout=None)
    for b in buttons[:BUTTONS_MAX]:
        custom_id = f"grok:{b.action}:{b.value}"
        if len(custom_id) > CUSTOM_ID_MAX or not ReplyButton.matches(custom_id):
            logger.debug("button %r left out: its custom id would not fit", b.label)
            continue
        view.add_item(ReplyButton(b.action, b.value, clip(b.label, BUTTON_LABEL_MAX), b.style))
    return view if view.children else None


def render(reply: Reply) -> list[MessageKwargs]:
    """The messages that show `reply`: embeds within every Discord limit, split over as
    many embeds and messages as it takes; the chart as an attachment, buttons on the last."""
    colour = COLOURS.get(reply.kind, COLOURS["info"])
    footer = clip(defang(reply.footer), FOOTER_MAX) if reply.footer else ""
    cap = EMBED_TOTAL_MAX - len(footer)  # every embed leaves room for the footer
    title = (
        clip(("🔔 " if reply.kind == "alert" else "") + reply.title, TITLE_MAX)
        if reply.title
        else None
    )

    description = defang(reply.text or "")
    cites = _citation_lines(reply)
    if cites:
        description = (description + "\n\n" if description else "") + "\n".join(cites)
    chunks = split_text(description, DESCRIPTION_CHUNK) if description.strip() else []

    embeds: list[discord.Embed] = []
    first = discord.Embed(title=title, url=reply.url if title else None, colour=colour)
    if chunks:
        first.description = chunks[0]
    embeds.append(first)
    for chunk in chunks[1:]:
        embeds.append(discord.Embed(description=chunk, colour=colour))

    for f in reply.fields:
        name = clip(defang(f.name), FIELD_NAME_MAX) or CONTINUED
        for i, value in enumerate(split_text(defang(f.value), FIELD_VALUE_MAX) or ["—"]):
            field_name = name if i == 0 else CONTINUED
            current = embeds[-1]
            if (
                len(current.fields) >= FIELDS_MAX
                or _embed_size(current) + len(field_name) + len(value) > cap
            ):
                current = discord.Embed(colour=colour)
                embeds.append(current)
            current.add_field(name=field_name, value=value, inline=f.inline and i == 0)

    if reply.image is not None:
        embeds[0].set_image(url=f"attachment://{reply.image.name}")
    if not any(e.title or e.description or e.fields or e.image for e in embeds):
        embeds[0].description = CONTINUED  # an embed must show something
    if footer:
        embeds[-1].set_footer(text=footer)

    # pack the embeds into messages: 10 embeds and 6,000 characters each
    groups: list[list[discord.Embed]] = [[]]
    for embed in embeds:
        used = sum(_embed_size(e) for e in groups[-1])
        if groups[-1] and (
            len(groups[-1]) >= EMBEDS_PER_MESSAGE or used + _embed_size(embed) > EMBED_TOTAL_MAX
        ):
            groups.append([])
        groups[-1].append(embed)

    messages: list[MessageKwargs] = [
        {"embeds": group, "files": [], "allowed_mentions": NO_MENTIONS} for group in groups
    ]
    if reply.image is not None:
        messages[0]["files"] = [discord.File(reply.image, filename=reply.image.name)]
    view = _buttons_view(reply.buttons)
    if view is not None:
        messages[-1]["view"] = view
    return messages


def close_files(messages: Sequence[MessageKwargs]) -> None:
    for m in messages:
        for f in m["files"]:
            f.close()


def message_fingerprint(message: MessageKwargs) -> str:
    """A stable digest of what a message shows (its embeds and buttons)."""
    data = {
        "embeds": [e.to_dict() for e in message["embeds"]],
        "files": [f.filename for f in message["files"]],
        "view": [c.to_component_dict() for c in message["view"].children]
        if "view" in message
        else [],
    }
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()


def nonce_for(target: str, destination: int, index: int, message: MessageKwargs) -> str:
    """The nonce of one message of an alert: the same alert gets the same nonce, so Discord
    (with enforce_nonce) returns the message already created instead of a second one."""
    seed = f"{target}|{destination}|{index}|{message_fingerprint(message)}"
    return hashlib.sha256(seed.encode()).hexdigest()[:25]


def first_message_nonce(target: str, destination: int, reply: Reply) -> str:
    """The nonce of the first message `reply` makes when posted to `destination`."""
    messages = render(reply)
    try:
        return nonce_for(target, destination, 0, messages[0])
    finally:
        close_files(messages)


# ------------------------------------------------------------------- buttons
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
                custom_id=f"grok:{action}:{value}",
            )
        )
        self.action = action
        self.value = value

    @classmethod
    def matches(cls, custom_id: str) -> bool:
        return cls.__discord_ui_compiled_template__.fullmatch(custom_id) is not None

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[discord.Client],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> ReplyButton:
        return cls(match["action"], match["value"])

    async def callback(self, interaction: discord.Interaction[discord.Client]) -> None:
        transport = _TRANSPORTS.get(interaction.client)
        if transport is None:  # a button of another client object: nothing to run it with
            await interaction.response.send_message("…", ephemeral=True)
            return
        await transport.on_button(interaction, self.action, self.value)


# ---------------------------------------------------------------- the commands
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


Runner = Callable[
    [discord.Interaction[discord.Client], CommandSpec, dict[str, str | None]], Awaitable[None]
]
Completer = Callable[
    [discord.Interaction[discord.Client], str], Awaitable[list[app_commands.Choice[str]]]
]


def _make_command(
    spec: CommandSpec, run: Runner, complete: Completer
) -> app_commands.Command[Any, Any, None]:
    """One registry command as a slash subcommand with typed options."""
    names = {p.name: option_name(p.name) for p in spec.params}
    by_option = {v: k for k, v in names.items()}

    async def callback(
        interaction: discord.Interaction[discord.Client], **options: str | None
    ) -> None:
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
        if len(target.commands) >= FIELDS_MAX:  # 25 subcommands a group
            raise ValueError(
                f"/{target.name} would have more than 25 subcommands; Discord refuses that. "
                "Move some into GROKWATCH_DISCORD_MANAGE_GROUP or a subcommand group."
            )
        target.add_command(_make_command(spec, run, complete))
    return groups


# --------------------------------------------------------------- the transport
_TRANSPORTS: weakref.WeakKeyDictionary[discord.Client, DiscordTransport] = (
    weakref.WeakKeyDictionary()
)


class DiscordTransport:
    """Slash commands, buttons and channel alerts on Discord."""

    name = "discord"

    def __init__(
        self,
        settings: Settings,
        core: BotCore,
        *,
        gateway: bool = True,
        retries: int = 3,
        backoff: float = 1.0,
    ) -> None:
        if settings.discord_token is None:
            raise ValueError("DISCORD_TOKEN is not set")
        self.settings = settings
        self.core = core
        self.gateway = gateway
        self.retries = retries
        self.backoff = backoff
        self.interval = settings.discord_channel_interval
        self.threads = settings.discord_threads
        if settings.discord_api_base:  # tests: a loopback fake of the REST API
            discord.http.Route.BASE = settings.discord_api_base.rstrip("/")
        intents = discord.Intents.default()  # no privileged intent (no message content)
        options: dict[str, Any] = {
            "intents": intents,
            "allowed_mentions": NO_MENTIONS,
            "max_ratelimit_timeout": 30.0,  # a longer 429 wait comes back as RateLimited
        }
        self.client: discord.Client
        if settings.discord_shards is not None:
            self.client = discord.AutoShardedClient(
                shard_count=settings.discord_shards or None, **options
            )
        else:
            self.client = discord.Client(**options)
        _TRANSPORTS[self.client] = self
        self.tree: app_commands.CommandTree[discord.Client] = app_commands.CommandTree(self.client)
        for group in build_groups(
            self.run_command, self.complete, manage_group=settings.discord_manage_group
        ):
            self.tree.add_command(group)
        self._pace_locks: dict[int, asyncio.Lock] = {}
        self._next_at: dict[int, float] = {}
        self._gateway_task: asyncio.Task[None] | None = None

    # -------------------------------------------------------------- lifecycle
    async def start(self) -> None:
        assert self.settings.discord_token is not None
        try:
            await self.client.login(self.settings.discord_token.get_secret_value())
        except discord.LoginFailure:
            await self.client.close()
            raise SettingsError(
                "DISCORD_TOKEN was refused by Discord (401). Copy the bot token again from "
                "the developer portal (Bot → Reset Token); see docs/discord.md."
            ) from None
        except BaseException:
            await self.client.close()
            raise
        self.client.add_dynamic_items(ReplyButton)
        await self.tree.set_translator(GrokTranslator())
        if self.settings.discord_sync_commands:
            await self.sync_commands()
        if self.gateway:
            self._gateway_task = asyncio.create_task(self._connect(), name="discord-gateway")
        user = self.client.user
        logger.info("discord: logged in as %s (%s)", user, user.id if user else "?")

    async def _connect(self) -> None:
        try:
            await self.client.connect(reconnect=True)
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.exception(
                "discord: the gateway connection ended; slash commands and buttons are off "
                "until a restart (alerts still go out over REST)"
            )

    async def sync_commands(self) -> None:
        """Publish the slash commands: globally (Discord can take up to an hour to show
        changes everywhere) and, when DISCORD_DEV_GUILD is set, to that guild at once."""
        try:
            synced = await self.tree.sync()
            logger.info("discord: %d global command(s) synced", len(synced))
            guild_id = self.settings.discord_dev_guild
            if guild_id:
                guild = discord.Object(id=guild_id)
                self.tree.copy_global_to(guild=guild)
                synced = await self.tree.sync(guild=guild)
                logger.info("discord: %d command(s) synced to guild %s", len(synced), guild_id)
        except discord.Forbidden:
            logger.error(
                "discord: not allowed to publish slash commands; invite the bot with the "
                "applications.commands scope (see docs/discord.md)"
            )
        except discord.HTTPException as exc:
            logger.error("discord: syncing the slash commands failed: %s", exc)

    async def close(self) -> None:
        if self._gateway_task is not None:
            self._gateway_task.cancel()
            await asyncio.gather(self._gateway_task, return_exceptions=True)
            self._gateway_task = None
        await self.client.close()
        _TRANSPORTS.pop(self.client, None)

    # ----------------------------------------------------------- interactions
    async def run_command(
        self,
        interaction: discord.Interaction[discord.Client],
        spec: CommandSpec,
        options: dict[str, str | None],
    ) -> None:
        """A slash command: defer first (the 3-second rule), then run it, then answer."""
        in_guild = interaction.guild_id is not None
        wanted = {k: v for k, v in options.items() if v is not None}
        refused = spec.needs_manage(wanted) and not (
            in_guild and interaction.permissions.manage_channels
        )
        await interaction.response.defer(ephemeral=refused or not in_guild, thinking=True)
        request = to_command(
            spec.name,
            options,
            guild_id=interaction.guild_id,
            channel_id=interaction.channel_id or 0,
            user_id=interaction.user.id,
            permissions=interaction.permissions,
            locale=interaction.locale,
        )
        if not in_guild:
            reply = Reply.error(_GUILD_ONLY[request.lang])
        else:
            reply = await self._handle(request)
        await self.respond(interaction, reply, deferred_ephemeral=refused or not in_guild)

    async def on_button(
        self, interaction: discord.Interaction[discord.Client], action: str, value: str
    ) -> None:
        """A reply button (`grok:<command>:<value>`): the command with that argument, under
        the same permission check as typing it."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        spec = REGISTRY.get(action)
        args: dict[str, object] = {}
        if spec is not None and spec.params:
            args[spec.params[0].name] = value
        request = to_command(
            action,
            args,
            guild_id=interaction.guild_id,
            channel_id=interaction.channel_id or 0,
            user_id=interaction.user.id,
            permissions=interaction.permissions,
            locale=interaction.locale,
        )
        reply = await self._handle(request)
        reply.ephemeral = True
        await self.respond(interaction, reply, deferred_ephemeral=True)

    async def _handle(self, request: CommandRequest) -> Reply:
        try:
            return await self.core.handle(request)
        except Exception:  # dispatch never raises; this is the last line of defence
            logger.exception("discord: /grok %s failed", request.name)
            return Reply.error(_FAILED[request.lang])

    async def respond(
        self,
        interaction: discord.Interaction[discord.Client],
        reply: Reply,
        *,
        deferred_ephemeral: bool,
    ) -> None:
        """Send the rendered reply as follow-ups of a deferred interaction. An ephemeral
        reply after a public defer replaces the public "thinking…" message."""
        ephemeral = reply.ephemeral or deferred_ephemeral
        messages = render(reply)
        try:
            if ephemeral and not deferred_ephemeral:
                # the first follow-up would take the public defer's place: remove it first
                await interaction.delete_original_response()
            for message in messages:
                await interaction.followup.send(
                    embeds=message["embeds"],
                    files=message["files"],
                    allowed_mentions=message["allowed_mentions"],
                    ephemeral=ephemeral,
                    wait=True,
                    view=message.get("view", MISSING),
                )
        except discord.HTTPException as exc:
            logger.warning("discord: could not answer an interaction: %s", exc)
        finally:
            close_files(messages)

    async def complete(
        self, interaction: discord.Interaction[discord.Client], current: str
    ) -> list[app_commands.Choice[str]]:
        """Entity names for autocomplete (catalog and discovered)."""
        found = await self.core.complete_entities(current, CHOICES_MAX)
        choices = []
        for ent in found[:CHOICES_MAX]:
            label = clip(ent.name, DESCRIPTION_TEXT_MAX)
            choices.append(app_commands.Choice(name=label, value=label))
        return choices

    # ------------------------------------------------------------------ alerts
    @asynccontextmanager
    async def _paced(self, channel_id: int) -> AsyncIterator[list[int]]:
        """One sender per channel at a time, at most one message per `interval` seconds;
        yields a list the sender appends the ids of its messages to."""
        lock = self._pace_locks.setdefault(channel_id, asyncio.Lock())
        async with lock:
            wait = self._next_at.get(channel_id, 0.0) - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            sent: list[int] = []
            try:
                yield sent
            finally:
                self._next_at[channel_id] = time.monotonic() + self.interval * max(1, len(sent))

    async def send(self, target: str, reply: Reply) -> None:
        """Post an alert (or any reply) to a channel; raise DeliveryError when it fails."""
        try:
            guild_id, channel_id = parse_target(target)
        except ValueError as exc:
            raise DeliveryError(str(exc), permanent=True) from None
        if self.client.user is None:
            raise DeliveryError("not logged in to Discord yet")
        key = reply.thread_key if self.threads else None
        async with self._paced(channel_id) as sent:
            ref = await self.core.thread_ref(target, key) if key else None
            thread_id, _, opener = (ref or "").partition(":")
            # the reference names the alert that opened the thread (the nonce of its first
            # message): when that alert is sent again after a crash, it goes to the channel
            # again, where its nonce finds the message already posted
            first_nonce = first_message_nonce(target, channel_id, reply)
            if thread_id.isdigit() and opener != first_nonce:
                try:
                    await self._post(target, int(thread_id), guild_id, reply, sent)
                    return
                except DeliveryError as exc:
                    if not exc.permanent:
                        raise
                    # the thread is gone or locked: post at the top of the channel instead
                    logger.info("discord: thread %s of %s unusable (%s)", thread_id, target, exc)
                    sent.clear()
            await self._post(target, channel_id, guild_id, reply, sent)
            if key and not ref and sent:
                await self._open_thread(target, channel_id, sent[0], reply, key, first_nonce)

    async def _post(
        self, target: str, destination: int, guild_id: int, reply: Reply, sent: list[int]
    ) -> None:
        """Post every message of `reply` to `destination`, resuming after the ones already
        sent; transient failures are retried with exponential backoff."""
        channel = self.client.get_partial_messageable(
            destination, guild_id=guild_id, type=discord.ChannelType.text
        )
        error = "not sent"
        for attempt in range(self.retries + 1):
            messages = render(reply)
            try:
                for index in range(len(sent), len(messages)):
                    message = messages[index]
                    posted = await channel.send(
                        embeds=message["embeds"],
                        files=message["files"],
                        allowed_mentions=message["allowed_mentions"],
                        nonce=nonce_for(target, destination, index, message),
                        view=message.get("view", MISSING),
                    )
                    sent.append(posted.id)
                return
            except discord.Forbidden as exc:
                raise DeliveryError(
                    f"the bot lost access to the channel (403: {exc.text or 'Missing Access'})",
                    permanent=True,
                ) from None
            except discord.NotFound:
                raise DeliveryError("channel deleted (404)", permanent=True) from None
            except discord.RateLimited as exc:
                raise DeliveryError(
                    f"rate limited for {exc.retry_after:.0f}s", retry_after=exc.retry_after
                ) from None
            except discord.DiscordServerError as exc:
                if exc.status in _RETRIED_BY_LIBRARY:  # discord.py already tried five times
                    raise DeliveryError(f"Discord server error ({exc.status})") from None
                error = f"Discord server error ({exc.status})"
            except discord.HTTPException as exc:
                # 400 and the like: the request itself is wrong; log what Discord said
                logger.error("discord: %s refused an alert: %s %s", target, exc.status, exc.text)
                raise DeliveryError(f"Discord refused the message ({exc.status})") from None
            except (aiohttp.ClientError, OSError, TimeoutError) as exc:
                error = f"network error ({type(exc).__name__})"
            finally:
                close_files(messages)
            if attempt < self.retries:
                delay = self.backoff * 2**attempt
                logger.warning("discord: %s to %s; retry in %.1fs", error, target, delay)
                await asyncio.sleep(delay)
        raise DeliveryError(f"{error}, after {self.retries + 1} tries")

    async def _open_thread(
        self, target: str, channel_id: int, message_id: int, reply: Reply, key: str, opener: str
    ) -> None:
        """Start a thread on an alert's message; later alerts of the same story go there."""
        name = clip(reply.title or key, THREAD_NAME_MAX)
        try:  # the REST call itself: a partial message has no guild to start a thread from
            thread = await self.client.http.start_thread_with_message(
                channel_id, message_id, name=name, auto_archive_duration=10080
            )
            thread_id = int(thread["id"])
        except discord.HTTPException as exc:
            if exc.code != _THREAD_EXISTS:
                logger.warning("discord: no thread on %s in %s: %s", message_id, target, exc)
                return
            thread_id = message_id  # a message's thread has the message's id
        await self.core.set_thread_ref(target, key, f"{thread_id}:{opener}")


_GUILD_ONLY = {
    "en": "grokwatch commands work in server channels, not in direct messages.",
    "fr": "Les commandes grokwatch s'utilisent dans les salons d'un serveur, pas en message privé.",
}
_FAILED = {
    "en": "Something went wrong; try again in a moment.",
    "fr": "Une erreur est survenue ; réessayez dans un instant.",
}


def invite_permissions() -> discord.Permissions:
    """What the bot needs in a channel it posts alerts to."""
    return discord.Permissions(
        view_channel=True,
        send_messages=True,
        send_messages_in_threads=True,
        create_public_threads=True,
        embed_links=True,
        attach_files=True,
        read_message_history=True,
    )


def create(settings: Settings, core: BotCore) -> DiscordTransport:
    """The transport `grokwatch run` starts when DISCORD_TOKEN is set."""
    return DiscordTransport(settings, core)
