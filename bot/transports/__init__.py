"""Transports: the one seam between the bot and a chat platform.

Each platform module (`discord`, `slack`) exposes `create(settings, core) -> Transport`;
they are imported only when their tokens are configured.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from bot.transports.base import BotCore, DeliveryError, Transport

if TYPE_CHECKING:
    from bot.settings import Settings

__all__ = ["BotCore", "DeliveryError", "Transport", "create_transport"]


def create_transport(name: str, settings: Settings, core: BotCore) -> Transport:
    """Build the transport `name` ("discord", "slack") for `core`."""
    module = importlib.import_module(f"bot.transports.{name}")
    transport: Transport = module.create(settings, core)
    return transport
