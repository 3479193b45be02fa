"""Failures told in one line: which service a failure came from (Redis, Discord or Slack,
by the modules its traceback went through), what to check, and no secret in the text.
Used by the command line (`bot.cli`) for every error a user can meet, and as a logging
filter that keeps connection errors of retrying SDKs to one line each.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.settings import Settings

logger = logging.getLogger(__name__)


def _modules(exc: BaseException) -> Iterator[str]:
    """The modules the tracebacks of `exc` (and of its causes) went through, innermost
    first."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        frames = []
        tb = current.__traceback__
        while tb is not None:
            frames.append(str(tb.tb_frame.f_globals.get("__name__", "")))
            tb = tb.tb_next
        yield from reversed(frames)
        current = current.__cause__ or current.__context__


CULPRITS = (
    ("Redis", ("redis", "bot.store", "bot.ops.embedded")),
    ("Discord", ("discord", "bot.transports.discord")),
    ("Slack", ("slack_sdk", "slack_bolt", "bot.transports.slack")),
)


def culprit(exc: BaseException) -> str | None:
    """Which service a failure came from: Redis, Discord or Slack (None: none of them),
    by the innermost module of theirs its traceback went through."""
    for module in _modules(exc):
        for name, prefixes in CULPRITS:
            if any(module == p or module.startswith(p + ".") for p in prefixes):
                return name
    return None


def unreachable(exc: BaseException) -> bool:
    from bot.store import StoreUnavailable

    names = {t.__name__ for t in type(exc).__mro__}
    return isinstance(exc, (OSError, TimeoutError, *StoreUnavailable)) or bool(
        names & {"ClientConnectionError", "ClientConnectorError", "ServerDisconnectedError"}
    )


def explain(exc: BaseException, settings: Settings) -> str:
    """One line that says which service failed and what to check (no secret in it)."""
    from bot.store.store import redact

    who = culprit(exc)
    detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    if who == "Redis":
        where = redact(settings.redis_url) if settings.redis_url else "the embedded server"
        hint = "check REDIS_URL (unset it for the embedded server)"
        if unreachable(exc):
            line = f"cannot reach Redis at {where}: {detail}; {hint}"
        else:
            line = f"Redis at {where} failed: {detail}; {hint}"
    elif who == "Discord":
        base = settings.discord_api_base or "https://discord.com/api"
        if type(exc).__name__ == "LoginFailure":
            line = (
                f"Discord refused DISCORD_TOKEN ({detail}); copy the token again from the "
                "Developer Portal's Bot page"
            )
        elif unreachable(exc):
            line = f"cannot reach Discord at {base}: {detail}; check the network (or a proxy)"
        else:
            line = f"Discord failed: {detail}; run `grokwatch doctor` to check DISCORD_TOKEN"
    elif who == "Slack":
        base = settings.slack_api_base or "https://slack.com/api/"
        if unreachable(exc):
            line = f"cannot reach Slack at {base}: {detail}; check the network (or a proxy)"
        else:
            line = f"Slack failed: {detail}; run `grokwatch doctor` to check the Slack tokens"
    else:
        line = f"{type(exc).__name__}: {detail}"
    for secret in (
        settings.discord_token,
        settings.slack_bot_token,
        settings.slack_app_token,
        settings.slack_signing_secret,
        settings.api_token,
    ):
        if secret is not None and secret.get_secret_value():
            line = line.replace(secret.get_secret_value(), "***")
    return line


class ShortConnectionErrors(logging.Filter):
    """A service out of reach is logged in one line, not with its traceback (SDKs that
    retry, such as Slack's Socket Mode, log one per attempt); DEBUG keeps tracebacks."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and record.exc_info[1] is not None and unreachable(record.exc_info[1]):
            record.exc_info = None
            record.exc_text = None
        return True


class DropVoiceWarnings(logging.Filter):
    """discord.py warns at every start that voice libraries are missing; the bot has no
    voice feature, so the warning only worries operators."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "voice will NOT be supported" not in record.getMessage()
