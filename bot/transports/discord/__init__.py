"""Discord, on discord.py 2.x, in four parts:

- `render`: Reply → embeds and message kwargs within Discord's limits, nonces (pure);
- `commands`: the registry as the `/grok` app command tree, interactions and button
  presses as `CommandRequest`s (pure translation), the persistent reply button;
- `transport`: the client's lifecycle, defer first, follow-ups, alerts with pacing,
  retries, threads and permanent failures that pause a channel;
- `types`: the typed payloads and message kwargs.

`create(settings, core)` is what `bot.transports.create_transport("discord", ...)` calls.
"""

from __future__ import annotations

from bot.transports.discord.transport import DiscordTransport, create

__all__ = ["DiscordTransport", "create"]
