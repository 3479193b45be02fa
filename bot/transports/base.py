"""The transport seam: every chat platform implements this Protocol.

The core holds transports, it never subclasses one. A transport translates: it turns a
neutral `Reply` into what its platform shows, and its platform's payloads into
`CommandRequest`s. It holds no business logic.

Owns: `Transport` (what the core holds), `BotCore` (what a transport may call),
`DeliveryError` (how a send fails) and `language_hint` (a platform locale as the hint
`handlers.registry.reply_language` decides the reply language from).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, runtime_checkable

from handlers.context import CommandRequest
from handlers.model import EntityInfo
from handlers.reply import Reply

if TYPE_CHECKING:
    from bot.store.installations import InstallationRepository, TokenCipher


class DeliveryError(Exception):
    """A send that failed.

    `retry_after`: seconds the platform asked us to wait (rate limit). `permanent`: the
    target is gone or forbids us (retrying cannot help; the subscription should pause).
    `refused`: the platform refused this message itself (its payload): sending the same
    message again cannot help, so it goes to the dead letters, where it can be replayed
    once the cause is fixed. Anything else is transient: retried with backoff.
    """

    def __init__(
        self,
        message: str,
        *,
        retry_after: float | None = None,
        permanent: bool = False,
        refused: bool = False,
    ) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.permanent = permanent
        self.refused = refused


def language_hint(locale: str | None, default: str = "en") -> str:
    """The language hint for a platform locale ("fr", "fr-FR" → "fr", any other → "en");
    `default` when the platform says nothing. Only a hint: the request's words decide
    (`handlers.registry.reply_language`)."""
    if not locale:
        return default
    return "fr" if locale.casefold().startswith("fr") else "en"


@runtime_checkable
class Transport(Protocol):
    """A chat platform the bot talks on."""

    name: str  # the platform prefix of its channel ids: "console", "discord", "slack"

    @property
    def connected(self) -> bool:
        """Whether the connection it receives on is up now (Discord: the gateway is ready;
        Slack: the Socket Mode socket is open, or the HTTP endpoint serves; the console:
        always). `/healthz` turns red when it stays False past a grace period."""
        ...

    async def start(self) -> None: ...

    async def send(self, target: str, reply: Reply) -> None:
        """Post `reply` to the channel `target` (a full channel id, "platform:..."),
        or raise DeliveryError."""

    async def close(self) -> None: ...


class BotCore(Protocol):
    """What a transport may call on the bot: run a command, complete an entity name."""

    async def handle(self, request: CommandRequest) -> Reply: ...

    async def complete_entities(self, prefix: str, limit: int = 25) -> list[EntityInfo]: ...

    async def thread_ref(self, channel: str, key: str) -> str | None:
        """The platform reference (message id, ts) of the message opening thread `key`."""

    async def set_thread_ref(self, channel: str, key: str, ref: str) -> bool: ...

    async def mark_sending(self, channel: str, key: str, value: str) -> str | None:
        """Note that a delivery is about to be posted; the earlier note on a retry."""

    async def remembered(self, name: str) -> str | None:
        """A fact the bot noted about itself (the slash commands' digest, …)."""

    async def remember(self, name: str, value: str) -> None: ...

    def installations(self, cipher: TokenCipher) -> InstallationRepository:
        """The install records of a platform distributed through OAuth (Slack's), sealed
        with `cipher`."""

    async def forget_tenant(self, tenant: str) -> int:
        """Remove what a tenant set up, when it uninstalled the app ("slack:<team>"):
        its channels' subscriptions, settings, feed links and paused alerts."""
