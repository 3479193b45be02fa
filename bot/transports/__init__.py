"""Transports: the one seam between the bot and a chat platform."""

from bot.transports.base import DeliveryError, Transport

__all__ = ["DeliveryError", "Transport"]
