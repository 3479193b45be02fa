"""Platform-neutral chat commands: one registry, handlers that return a neutral Reply.

Importing this package registers every command family.
"""

from handlers import articles, ask, feeds, help, settings, story, tracking  # noqa: F401  (registers the commands)
from handlers.context import CommandRequest, HandlerContext
from handlers.registry import REGISTRY, CommandSpec, Param, command, dispatch, parse_command
from handlers.reply import Button, Citation, Field, Reply

__all__ = [
    "REGISTRY",
    "Button",
    "Citation",
    "CommandRequest",
    "CommandSpec",
    "Field",
    "HandlerContext",
    "Param",
    "Reply",
    "command",
    "dispatch",
    "parse_command",
]
