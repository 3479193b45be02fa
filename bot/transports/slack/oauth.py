"""Slack's OAuth install flow on our Redis: slack_sdk's installation and state stores, and
the bot token of a workspace for alerts.

- `RedisInstallationStore` is slack_sdk's `AsyncInstallationStore` over
  `bot.store.installations` (records encrypted at rest). It follows the SDK's model: an
  install is found by its workspace (`team_id`), or by its enterprise for an org-wide
  install (`is_enterprise_install`: the team is ignored); a record whose enterprise is
  not the one asked for is not found. `find_installation` with a user gives that user's
  latest install, with the workspace's latest bot token; `delete_bot` also drops the bot
  token from the stored installations, so no revoked token is handed out again.
- `RedisStateStore` is its `AsyncOAuthStateStore`: a random state, single use, expiring
  after `STATE_TTL_S` (ten minutes).
- `Workspaces` ties them to the transport: the settings bolt's `AsyncOAuthSettings` get,
  the bot token of a team for alerts (cached `TOKEN_TTL_S`, dropped on uninstall), the
  workspaces under an org-wide install, and `uninstalled` (what `app_uninstalled` and a
  revoked bot token remove).
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any

from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_sdk.oauth.installation_store import Bot, Installation
from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore
from slack_sdk.oauth.state_store.async_state_store import AsyncOAuthStateStore

from bot.store.installations import BOT, LATEST, STATE_TTL_S, USER, InstallationRepository

if TYPE_CHECKING:
    from bot.settings import Settings

logger = logging.getLogger(__name__)

TOKEN_TTL_S = 60.0  # seconds a team's bot token is kept in memory for alerts


def owner_of(
    enterprise_id: str | None, team_id: str | None, is_enterprise_install: bool | None
) -> str | None:
    """The id an install is kept under: the enterprise's for an org-wide one, else the
    workspace's (an enterprise with no team: its org-wide install)."""
    if is_enterprise_install or not team_id:
        return enterprise_id or None
    return team_id


def _mine(record: dict[str, Any], enterprise_id: str | None) -> bool:
    """A record found by its id belongs to the enterprise asked for (or none asked)."""
    return not enterprise_id or record.get("enterprise_id") in (None, enterprise_id)


class RedisInstallationStore(AsyncInstallationStore):
    """Installations and bots in Redis, encrypted (see the module docstring)."""

    def __init__(self, repo: InstallationRepository) -> None:
        self.repo = repo

    @property
    def logger(self) -> logging.Logger:
        return logger

    async def async_save(self, installation: Installation) -> None:
        owner = owner_of(
            installation.enterprise_id, installation.team_id, installation.is_enterprise_install
        )
        if owner is None:
            raise ValueError("an installation without a team or an enterprise id")
        record = dict(installation.__dict__)
        records = {LATEST: record, USER + (installation.user_id or "-"): record}
        if installation.bot_token:
            records[BOT] = dict(installation.to_bot().__dict__)
        await self.repo.save(owner, records)
        logger.info("Slack: installed in %s (by %s)", owner, installation.user_id)

    async def async_save_bot(self, bot: Bot) -> None:
        owner = owner_of(bot.enterprise_id, bot.team_id, bot.is_enterprise_install)
        if owner is None or not bot.bot_token:
            return
        await self.repo.save(owner, {BOT: dict(bot.__dict__)})

    async def async_find_bot(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        is_enterprise_install: bool | None = False,
    ) -> Bot | None:
        owner = owner_of(enterprise_id, team_id, is_enterprise_install)
        record = await self.repo.load(owner, BOT) if owner else None
        if record is None or not _mine(record, enterprise_id):
            return None
        return Bot(**record)

    async def async_find_installation(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None = None,
        is_enterprise_install: bool | None = False,
    ) -> Installation | None:
        owner = owner_of(enterprise_id, team_id, is_enterprise_install)
        if owner is None:
            return None
        record = await self.repo.load(owner, USER + user_id if user_id else LATEST)
        if record is None or not _mine(record, enterprise_id):
            return None
        installation = Installation(**record)
        bot = await self.repo.load(owner, BOT)
        if bot is not None:  # the latest bot token, even in an older user's install
            for name in ("bot_id", "bot_user_id", "bot_token", "bot_scopes"):
                setattr(installation, name, bot.get(name))
            installation.bot_refresh_token = bot.get("bot_refresh_token")
            installation.bot_token_expires_at = bot.get("bot_token_expires_at")
        elif installation.bot_token:  # the bot was revoked: never hand its token out
            installation.bot_token = installation.bot_refresh_token = None
        return installation

    async def async_delete_bot(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        owner = owner_of(enterprise_id, team_id, None)
        if owner is None:
            return
        await self.repo.delete(owner, [BOT])
        for field in await self.repo.fields(owner):  # no revoked token stays anywhere
            record = await self.repo.load(owner, field)
            if record and (record.get("bot_token") or record.get("bot_refresh_token")):
                record.update(bot_token=None, bot_refresh_token=None)
                await self.repo.save(owner, {field: record})

    async def async_delete_installation(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None = None,
    ) -> None:
        owner = owner_of(enterprise_id, team_id, None)
        if owner is None:
            return
        fields = await self.repo.fields(owner)
        if user_id is None:
            await self.repo.delete(owner, [f for f in fields if f != BOT])
            return
        gone = [USER + user_id]
        latest = await self.repo.load(owner, LATEST) if LATEST in fields else None
        if latest is not None and latest.get("user_id") == user_id:
            gone.append(LATEST)
        await self.repo.delete(owner, [f for f in gone if f in fields])

    async def async_delete_all(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        owner = owner_of(enterprise_id, team_id, None)
        if owner is not None:
            await self.repo.delete(owner)


class RedisStateStore(AsyncOAuthStateStore):
    """Install flow states: random, single use, expiring."""

    def __init__(self, repo: InstallationRepository, ttl_s: int = STATE_TTL_S) -> None:
        self.repo = repo
        self.ttl_s = ttl_s

    @property
    def logger(self) -> logging.Logger:
        return logger

    async def async_issue(self, *args: Any, **kwargs: Any) -> str:
        return await self.repo.issue_state(self.ttl_s)

    async def async_consume(self, state: str) -> bool:
        ok = await self.repo.consume_state(state)
        if not ok:
            logger.warning("Slack: an install came back with an unknown, used or expired state")
        return ok


class Workspaces:
    """The installed workspaces, as the Slack transport uses them."""

    def __init__(self, repo: InstallationRepository, *, ttl_s: float = TOKEN_TTL_S) -> None:
        self.repo = repo
        self.installations = RedisInstallationStore(repo)
        self.states = RedisStateStore(repo)
        self.ttl_s = ttl_s
        self._tokens: dict[str, tuple[float, str | None]] = {}
        self._org_teams: set[str] = set()

    def oauth_settings(self, settings: Settings) -> AsyncOAuthSettings:
        assert settings.slack_client_id and settings.slack_client_secret
        return AsyncOAuthSettings(
            client_id=settings.slack_client_id,
            client_secret=settings.slack_client_secret.get_secret_value(),
            scopes=list(settings.slack_scopes),
            user_scopes=[],
            redirect_uri=settings.slack_redirect_uri,
            install_path=settings.slack_install_path,
            redirect_uri_path=settings.slack_redirect_path,
            install_page_rendering_enabled=False,  # /slack/install redirects to Slack
            installation_store=self.installations,
            installation_store_bot_only=True,  # a bot app: no user tokens asked
            state_store=self.states,
            state_expiration_seconds=self.states.ttl_s,
            logger=logger,
        )

    async def bot_token(self, team: str) -> str | None:
        """The bot token of workspace `team` (its own install, else its org's), or None
        when the app is not installed there; kept `ttl_s` seconds."""
        now = time.monotonic()
        cached = self._tokens.get(team)
        if cached and cached[0] > now:
            return cached[1]
        bot = await self.installations.async_find_bot(enterprise_id=None, team_id=team)
        if bot is None and (org := await self.repo.org_of(team)):
            bot = await self.installations.async_find_bot(
                enterprise_id=org, team_id=None, is_enterprise_install=True
            )
        token = bot.bot_token if bot else None
        self._tokens[team] = (now + self.ttl_s, token)
        return token

    def forget_token(self, team: str | None = None) -> None:
        """Drop a cached token (all of them: None), e.g. when Slack refused it."""
        if team is None:
            self._tokens.clear()
        else:
            self._tokens.pop(team, None)

    async def seen(self, enterprise_id: str | None, team_id: str | None, org: bool) -> None:
        """A request came from `team_id`; under an org-wide install, note its org."""
        if org and enterprise_id and team_id and team_id not in self._org_teams:
            await self.repo.note_org_team(team_id, enterprise_id)
            self._org_teams.add(team_id)

    async def uninstalled(self, enterprise_id: str | None, team_id: str | None) -> list[str]:
        """Remove the install of a workspace (or of an org, when `team_id` is None); the
        workspaces it served."""
        await self.installations.async_delete_all(enterprise_id=enterprise_id, team_id=team_id)
        teams = [team_id] if team_id else []
        if enterprise_id and not team_id:
            teams += await self.repo.forget_org(enterprise_id)
        for team in teams:
            self.forget_token(team)
            self._org_teams.discard(team)
        return teams

    async def bot_revoked(self, enterprise_id: str | None, team_id: str | None) -> None:
        await self.installations.async_delete_bot(enterprise_id=enterprise_id, team_id=team_id)
        if team_id:
            self.forget_token(team_id)
        else:
            self.forget_token()
