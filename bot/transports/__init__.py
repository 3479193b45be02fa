"""Transports: the one seam between the bot and a chat platform.

- `base`: the `Transport` protocol the core holds, the `BotCore` protocol a transport may
  call, `DeliveryError`, and the locale → language hint;
- `delivery` and `text`: what every platform does alike (pacing per channel, sorting
  failures into permanent / rate limited / transient, backoff, stable delivery keys,
  outbox targets read as addresses, text cut to limits);
- `console`: the terminal;
- `discord/`, `slack/`: one package per platform, each split into `render` (Reply →
  what the platform shows, pure), `commands` (its payloads → `CommandRequest`, pure),
  `transport` (client lifecycle and I/O) and `types` (payload shapes).

Each platform package exposes `create(settings, core) -> Transport`; it is imported only
when its tokens are configured.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from bot.transports.base import BotCore, DeliveryError, Transport

if TYPE_CHECKING:
    from bot.settings import Settings

__all__ = ["BotCore", "DeliveryError", "Transport", "create_transport"]


def create_transport(
    name: str, settings: Settings, core: BotCore, *, receive: bool = True
) -> Transport:
    """Build the transport `name` ("discord", "slack") for `core`; `receive=False`: one
    that only sends (alerts), and takes no commands (delivery workers)."""
    module = importlib.import_module(f"bot.transports.{name}")
    transport: Transport = module.create(settings, core, receive=receive)
    return transport
