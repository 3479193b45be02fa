"""Who asks, on Slack: the facts a command needs about the person behind it.

Owns `People`: a user's admin flag, locale (as the language hint) and bot flag from
`users.info`, and the members of the user group allowed to manage
(GROKWATCH_SLACK_ADMIN_GROUP), each cached a few minutes. A failed lookup counts the user
as a member in the default language; it never blocks a command.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import cast

from slack_sdk.web.async_client import AsyncWebClient

from bot.transports.base import language_hint
from bot.transports.slack.api import SLACK_ERRORS, error_code
from bot.transports.slack.types import SlackUser

logger = logging.getLogger(__name__)

INVITE = "membership (invite me with /invite @grokwatch)"
USER_TTL = 300.0  # seconds a user's admin flag and locale are cached
GROUP_TTL = 60.0  # seconds a user group's members are cached


@dataclass(slots=True)
class UserFacts:
    admin: bool
    lang: str  # the language hint of the user's Slack locale
    bot: bool
    until: float


class People:
    """Cached user and user-group lookups of one workspace's bot client."""

    def __init__(
        self, client: AsyncWebClient, *, default_lang: str, admin_group: str | None
    ) -> None:
        self.client = client
        self.default_lang = default_lang
        self.admin_group = (admin_group or "").lstrip("@")
        self._users: dict[str, UserFacts] = {}
        self._groups: dict[str, tuple[float, frozenset[str]]] = {}

    async def facts(self, user_id: str) -> UserFacts:
        now = time.monotonic()
        cached = self._users.get(user_id)
        if cached and cached.until > now:
            return cached
        try:
            resp = await self.client.users_info(user=user_id, include_locale=True)
        except SLACK_ERRORS as exc:
            logger.warning(
                "Slack: users.info for %s failed (%s); treated as a member", user_id, exc
            )
            return UserFacts(admin=False, lang=self.default_lang, bot=False, until=0.0)
        user = cast(SlackUser, resp.get("user") or {})
        facts = UserFacts(
            admin=bool(
                user.get("is_admin") or user.get("is_owner") or user.get("is_primary_owner")
            ),
            lang=language_hint(user.get("locale"), self.default_lang),
            bot=bool(user.get("is_bot")),
            until=now + USER_TTL,
        )
        self._users[user_id] = facts
        return facts

    async def _group_members(self) -> frozenset[str]:
        handle = self.admin_group
        now = time.monotonic()
        cached = self._groups.get(handle)
        if cached and cached[0] > now:
            return cached[1]
        members: frozenset[str] = frozenset()
        try:
            groups = await self.client.usergroups_list()
            group_id = next(
                (g["id"] for g in groups.get("usergroups") or [] if g.get("handle") == handle),
                None,
            )
            if group_id is None:
                logger.warning(
                    "Slack: user group @%s not found (GROKWATCH_SLACK_ADMIN_GROUP)", handle
                )
            else:
                resp = await self.client.usergroups_users_list(usergroup=group_id)
                members = frozenset(resp.get("users") or [])
        except SLACK_ERRORS as exc:
            logger.warning("Slack: reading user group @%s failed (%s)", handle, exc)
            return members
        self._groups[handle] = (now + GROUP_TTL, members)
        return members

    async def may_manage(self, user_id: str) -> bool:
        """Workspace admins and owners, and members of the configured user group."""
        if (await self.facts(user_id)).admin:
            return True
        if self.admin_group:
            return user_id in await self._group_members()
        return False


async def bot_missing(client: AsyncWebClient, channel_id: str) -> tuple[str, ...]:
    """What keeps the bot from posting alerts in a channel, as the `/grok track` refusal
    names it: () when it can (a member, or a public channel, open to it through
    chat:write.public); a private channel it is not in needs an invitation. A failed
    lookup other than "not found" is not held against the command."""
    if channel_id.startswith("D"):  # a direct message: the bot is in it
        return ()
    try:
        resp = await client.conversations_info(channel=channel_id)
    except SLACK_ERRORS as exc:
        code = error_code(exc)
        if code in ("channel_not_found", "not_in_channel"):
            return (INVITE,)
        logger.warning("Slack: conversations.info for %s failed (%s)", channel_id, exc)
        return ()
    channel = resp.get("channel") or {}
    if channel.get("is_archived"):
        return ("an open channel (this one is archived)",)
    if channel.get("is_private") and not channel.get("is_member"):
        return (INVITE,)
    return ()
