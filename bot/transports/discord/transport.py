"""The Discord transport, on discord.py 2.x: the client's lifecycle and the I/O.

- Start-up: log in over REST (a refused token says what to fix), publish the slash
  commands (`commands.build_groups`), connect the gateway in the background, and keep
  trying (with backoff) when that fails, the first time too; `connected` says whether the
  gateway is ready now (`/healthz` reads it). A send-only transport (`create(...,
  receive=False)`, for `grokwatch worker --stage deliver`) neither publishes commands nor
  opens the gateway.
- Interactions: every one is deferred before any work (the 3-second rule), then run
  through the core and answered with the rendered reply as follow-ups; errors privately.
- Alerts (`send`) go through the REST API only (no gateway cache needed): paced per
  channel, retried with backoff on 5xx and network errors, 429s waited out (discord.py's
  HTTP client does it with the wait Discord gives), 403/404 turned into a permanent
  `DeliveryError` so the pipeline pauses the channel. Each message carries its nonce
  (`render.nonce_for`) with `enforce_nonce`, so a retry after a crash between the post
  and the delivery record returns the message already posted instead of a duplicate.
  Follow-ups of a story go to a thread opened on its first alert.

Only I/O lives here: what a reply looks like is `render`, what a command means is
`commands` and `handlers/`, how failures are sorted and paced is `bot.transports.delivery`.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import TYPE_CHECKING, Any

import discord
import yarl
from discord import app_commands
from discord.gateway import DiscordWebSocket
from discord.utils import MISSING

from bot.settings import SettingsError
from bot.transports.base import BotCore, DeliveryError
from bot.transports.delivery import (
    NETWORK_ERRORS,
    Failure,
    Pacer,
    classify,
    retrying,
    stable_key,
    target_address,
)
from bot.transports.discord.commands import (
    CHOICES_MAX,
    FORUM_TYPES,
    GrokTranslator,
    Interaction,
    ReplyButton,
    build_groups,
    button_options,
    choices_of,
    interaction_command,
    route_buttons,
)
from bot.transports.discord.render import (
    NO_MENTIONS,
    close_files,
    first_message_nonce,
    nonce_for,
    render,
)
from bot.transports.text import clip
from handlers.context import CommandRequest
from handlers.registry import CommandSpec
from handlers.reply import Reply
from handlers.texts import t

if TYPE_CHECKING:
    from bot.settings import Settings

logger = logging.getLogger(__name__)

COMMANDS_DIGEST = "discord_commands"  # what `sync_commands` last published (its digest)

THREAD_NAME_MAX = 100
# discord.py retries these statuses itself (five tries, with sleeps) before raising
_RETRIED_BY_LIBRARY = {500, 502, 504, 524}
# Discord error code: "A thread has already been created for this message"
_THREAD_EXISTS = 160004


def channel_ids(target: str) -> tuple[int, int]:
    """An outbox target ("discord:<guild>:<channel>[:<thread>]") as the guild id and the
    id of the channel (or thread) to post in; a permanent DeliveryError when it is none."""
    address = target_address(target, "discord")
    if address.scope == "@me":
        raise DeliveryError(f"{target!r} is a direct message, not a channel", permanent=True)
    return int(address.scope), int(address.thread or address.channel)


def sort_failure(exc: Exception, target: str) -> Failure | None:
    """A discord.py exception as a delivery failure (None: not one)."""
    if isinstance(exc, discord.RateLimited):  # a wait longer than max_ratelimit_timeout
        return classify("Discord", 429, retry_after=exc.retry_after)
    if isinstance(exc, discord.HTTPException):
        gone = {
            403: f"the bot lost access to the channel (403: {exc.text or 'Missing Access'})",
            404: "channel deleted (404)",
        }.get(exc.status)
        if not gone and exc.status < 500 and exc.status != 429:
            # 400 and the like: the request itself is wrong; log what Discord said
            logger.error("discord: %s refused an alert: %s %s", target, exc.status, exc.text)
        return classify("Discord", exc.status, gone=gone, retried=exc.status in _RETRIED_BY_LIBRARY)
    if isinstance(exc, NETWORK_ERRORS):
        return classify("Discord", None, error=exc)
    return None


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


class DiscordTransport:
    """Slash commands, buttons and channel alerts on Discord."""

    name = "discord"

    def __init__(
        self,
        settings: Settings,
        core: BotCore,
        *,
        gateway: bool = True,
        commands: bool = True,
        retries: int = 3,
        backoff: float = 1.0,
        gateway_backoff: float = 1.0,
    ) -> None:
        if settings.discord_token is None:
            raise ValueError("DISCORD_TOKEN is not set")
        self.settings = settings
        self.core = core
        self.gateway = gateway
        self.commands = commands
        self.gateway_backoff = gateway_backoff  # first wait before connecting again (→ 60 s)
        self.retries = retries
        self.backoff = backoff
        self.pacer = Pacer(settings.discord_channel_interval)
        self.threads = settings.discord_threads
        if settings.discord_api_base:  # tests: a loopback fake of the REST API
            discord.http.Route.BASE = settings.discord_api_base.rstrip("/")
        if settings.discord_gateway_url:  # tests: a loopback fake of the gateway
            DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(settings.discord_gateway_url)
        options: dict[str, Any] = {
            # interactions need no intent; `guilds` keeps the channel and thread caches.
            # Nothing else: no messages, members, presences, reactions, typing or voice
            "intents": discord.Intents(guilds=True),
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
        route_buttons(self.client, self.on_button)
        self.tree: app_commands.CommandTree[discord.Client] = app_commands.CommandTree(self.client)
        for group in build_groups(
            self.run_command, self.complete, manage_group=settings.discord_manage_group
        ):
            self.tree.add_command(group)
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
        if self.commands and self.settings.discord_sync_commands:
            await self.sync_commands()
        if self.gateway:
            self._gateway_task = asyncio.create_task(self._connect(), name="discord-gateway")
        user = self.client.user
        logger.info("discord: logged in as %s (%s)", user, user.id if user else "?")

    @property
    def connected(self) -> bool:
        """The gateway is connected and ready (REST only, `gateway=False`: logged in)."""
        client = self.client
        if not self.gateway:
            return client.user is not None and not client.is_closed()
        if client.is_closed() or not client.is_ready():
            return False
        if isinstance(client, discord.AutoShardedClient):
            return all(not shard.is_closed() for shard in client.shards.values())
        ws = client.ws
        return ws is not None and ws.open

    async def _connect(self) -> None:
        """Keep the gateway connected: discord.py reconnects a connection it once had, but
        gives up when the very first one fails; then it is tried again here, with backoff."""
        delay = self.gateway_backoff
        while not self.client.is_closed():
            try:
                await self.client.connect(reconnect=True)
            except asyncio.CancelledError:
                raise
            except discord.PrivilegedIntentsRequired as exc:
                logger.error("discord: the gateway refused the intents: %s", exc)
                return
            except Exception as exc:
                if self.client.is_closed():  # a bad state discord.py closed the client on
                    logger.exception(
                        "discord: the gateway connection ended (%s); slash commands and buttons "
                        "are off, /healthz reports it (alerts still go out over REST)",
                        exc,
                    )
                    return
                logger.warning(
                    "discord: cannot connect to the gateway (%s: %s); trying again in %.0f s",
                    type(exc).__name__,
                    exc,
                    delay,
                )
            if self.client.is_closed():
                return
            await asyncio.sleep(delay)
            delay = min(60.0, delay * 2)

    async def commands_digest(self) -> str:
        """A digest of what `sync_commands` would publish: the commands as Discord gets
        them (translations included), the application and the dev guild."""
        translator = self.tree.translator
        payload = [
            await c.get_translated_payload(self.tree, translator)
            if translator
            else c.to_dict(self.tree)
            for c in self.tree.get_commands()
        ]
        return stable_key(
            json.dumps(payload, sort_keys=True, default=str),
            str(self.client.application_id),
            str(self.settings.discord_dev_guild or ""),
        )

    async def sync_commands(self, *, force: bool = False) -> None:
        """Publish the slash commands: globally (Discord can take up to an hour to show
        changes everywhere) and, when DISCORD_DEV_GUILD is set, to that guild at once.
        Only when they changed since the last publication (Discord rate-limits it);
        `force`: whatever was published before."""
        digest = await self.commands_digest()
        if not force and await self.core.remembered(COMMANDS_DIGEST) == digest:
            logger.info("discord: slash commands unchanged since they were published")
            return
        try:
            synced = await self.tree.sync()
            logger.info("discord: %d global command(s) synced", len(synced))
            guild_id = self.settings.discord_dev_guild
            if guild_id:
                guild = discord.Object(id=guild_id)
                self.tree.copy_global_to(guild=guild)
                synced = await self.tree.sync(guild=guild)
                logger.info("discord: %d command(s) synced to guild %s", len(synced), guild_id)
            await self.core.remember(COMMANDS_DIGEST, digest)
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
        route_buttons(self.client, None)

    # ----------------------------------------------------------- interactions
    async def run_command(
        self, interaction: Interaction, spec: CommandSpec, options: dict[str, str | None]
    ) -> None:
        """A slash command: defer first (the 3-second rule), then run it, then answer."""
        in_guild = interaction.guild_id is not None
        wanted = {k: v for k, v in options.items() if v is not None}
        refused = spec.needs_manage(wanted) and not (
            in_guild and interaction.permissions.manage_channels
        )
        await interaction.response.defer(ephemeral=refused or not in_guild, thinking=True)
        request = interaction_command(interaction, spec.name, options, threads=self.threads)
        if request.channel.thread and spec.name == "track":
            request.channel_kind = await self._parent_kind(int(request.channel.channel))
        if not in_guild:
            reply = Reply.error(t(request.lang, "guild_only"))
        else:
            reply = await self._handle(request)
        await self.respond(interaction, reply, deferred_ephemeral=refused or not in_guild)

    async def on_button(self, interaction: Interaction, action: str, value: str) -> None:
        """A reply button (`grok:<command>:<value>`): the command with that argument, under
        the same permission check as typing it."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        request = interaction_command(
            interaction, action, button_options(action, value), threads=self.threads
        )
        reply = await self._handle(request)
        reply.ephemeral = True
        await self.respond(interaction, reply, deferred_ephemeral=True)

    async def _parent_kind(self, channel_id: int) -> str:
        """ "forum" when a thread's parent is a forum (or media) channel, else "text"."""
        try:
            data = await self.client.http.get_channel(channel_id)
        except discord.HTTPException as exc:
            logger.info("discord: could not read channel %s: %s", channel_id, exc)
            return "text"
        return "forum" if int(data.get("type", 0)) in FORUM_TYPES else "text"

    async def _handle(self, request: CommandRequest) -> Reply:
        try:
            return await self.core.handle(request)
        except Exception:  # dispatch never raises; this is the last line of defence
            logger.exception("discord: /grok %s failed", request.name)
            return Reply.error(t(request.lang, "try_again"))

    async def respond(
        self, interaction: Interaction, reply: Reply, *, deferred_ephemeral: bool
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
        self, interaction: Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        """Entity names for autocomplete (catalog and discovered)."""
        found = await self.core.complete_entities(current, CHOICES_MAX)
        return choices_of([ent.name for ent in found])

    # ------------------------------------------------------------------ alerts
    async def send(self, target: str, reply: Reply) -> None:
        """Post an alert (or any reply) to a channel; raise DeliveryError when it fails."""
        guild_id, channel_id = channel_ids(target)
        if self.client.user is None:
            raise DeliveryError("not logged in to Discord yet")
        key = reply.thread_key if self.threads else None
        sent: list[int] = []  # the ids of the messages posted, in order
        async with self.pacer.turn(channel_id, sent):
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

        async def attempt() -> None:
            messages = render(reply)
            try:
                for index in range(len(sent), len(messages)):
                    message = messages[index]
                    posted = await channel.send(
                        content=message.get("content"),  # an urgent alert's opt-in ping
                        embeds=message["embeds"],
                        files=message["files"],
                        allowed_mentions=message["allowed_mentions"],
                        nonce=nonce_for(target, destination, index, message),
                        view=message.get("view", MISSING),
                    )
                    sent.append(posted.id)
            finally:
                close_files(messages)

        await retrying(
            attempt,
            lambda exc: sort_failure(exc, target),
            retries=self.retries,
            backoff=self.backoff,
            what=f"discord: {target}",
        )

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


def create(settings: Settings, core: BotCore, *, receive: bool = True) -> DiscordTransport:
    """The transport `grokwatch run` starts when DISCORD_TOKEN is set; `receive=False`:
    alerts out only (no gateway, no command publishing), for delivery workers."""
    return DiscordTransport(settings, core, gateway=receive, commands=receive)
