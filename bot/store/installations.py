"""The Slack installations repository: each workspace's install record, encrypted at rest,
and the single-use states of the OAuth install flow.

A record (what slack_sdk's `Installation` or `Bot` holds: ids, scopes, the bot token, a
user token and refresh tokens when there are any) is written as one Fernet token of its
JSON, so nothing in Redis shows a token, a team name or a scope in clear text. The key
comes from GROKWATCH_SLACK_TOKEN_KEY: several comma-separated keys are a `MultiFernet`,
the first encrypting, every one decrypting, so a key is rotated by putting the new one
first (`reencrypt` moves every record to it at start-up) and dropping the old one later.

Layout (`Keys.installation(id)`, one hash per workspace T… or, for an org-wide install,
per enterprise E…): `bot` (the latest bot), `latest` (the latest installation), and
`user:<id>` (the latest installation by that user). `Keys.installations` lists the ids.
The SDK's model (which id a request is looked up by) is `bot.transports.slack.oauth`'s.
"""

from __future__ import annotations

import json
import logging
import secrets
from collections.abc import Sequence
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from bot.store.base import Client, Repository
from bot.store.keys import Keys

logger = logging.getLogger(__name__)

STATE_TTL_S = 600  # an install flow's state is good for ten minutes, once
BOT, LATEST, USER = "bot", "latest", "user:"
KEYGEN = 'python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"'


class TokenKeyError(Exception):
    """GROKWATCH_SLACK_TOKEN_KEY is missing, malformed, or does not open what is stored;
    the message says what to do."""


class TokenCipher:
    """Fernet over one or more keys: the first encrypts, any decrypts."""

    def __init__(self, keys: Sequence[str]) -> None:
        if not keys:
            raise TokenKeyError(
                "GROKWATCH_SLACK_TOKEN_KEY is not set: the Slack OAuth mode keeps every "
                f"workspace's token in Redis, encrypted with it. Generate one with {KEYGEN}"
            )
        try:
            self._keys = [Fernet(k.strip().encode()) for k in keys]
        except (ValueError, TypeError):
            raise TokenKeyError(
                "GROKWATCH_SLACK_TOKEN_KEY is not a Fernet key (32 url-safe base64-encoded "
                f"bytes; several: comma-separated). Generate one with {KEYGEN}"
            ) from None
        self._all = MultiFernet(self._keys)

    def seal(self, record: dict[str, Any]) -> bytes:
        return self._all.encrypt(json.dumps(record, separators=(",", ":")).encode())

    def open(self, token: bytes, *, what: str = "an installation") -> dict[str, Any]:
        try:
            data = json.loads(self._all.decrypt(token))
        except InvalidToken:
            raise TokenKeyError(
                f"GROKWATCH_SLACK_TOKEN_KEY does not decrypt {what} stored in Redis: the key "
                "was changed. Put the key it was saved with back, after the new one "
                "(comma-separated: new,old), and restart; or install the app in that "
                "workspace again"
            ) from None
        if not isinstance(data, dict):
            raise TokenKeyError(f"{what} in Redis is not a record")
        return data

    def current(self, token: bytes) -> bool:
        """Whether `token` was sealed with the first (current) key."""
        try:
            self._keys[0].decrypt(token)
        except InvalidToken:
            return False
        return True

    def rotate(self, token: bytes) -> bytes:
        return self._all.rotate(token)


class InstallationRepository(Repository):
    """Encrypted install records by workspace (or enterprise) id; OAuth states."""

    def __init__(self, client: Client, keys: Keys, cipher: TokenCipher) -> None:
        super().__init__(client, keys)
        self.cipher = cipher

    async def save(self, owner: str, records: dict[str, dict[str, Any]]) -> None:
        """Write the records (field → record) of `owner` (a T… or E… id) at once."""
        sealed = {field: self.cipher.seal(rec) for field, rec in records.items()}
        async with self.r.pipeline(transaction=True) as pipe:
            pipe.hset(self.keys.installation(owner), mapping=sealed)
            pipe.sadd(self.keys.installations, owner)
            await pipe.execute()

    async def load(self, owner: str, field: str) -> dict[str, Any] | None:
        raw = await self.r.hget(self.keys.installation(owner), field)
        return None if raw is None else self.cipher.open(raw, what=f"the installation {owner}")

    async def fields(self, owner: str) -> list[str]:
        return sorted(f.decode() for f in await self.r.hkeys(self.keys.installation(owner)))

    async def delete(self, owner: str, fields: Sequence[str] | None = None) -> None:
        """Drop some records of `owner`, or all of them (None); an owner left with no
        record is forgotten."""
        key = self.keys.installation(owner)
        if fields is None:
            async with self.r.pipeline(transaction=True) as pipe:
                pipe.delete(key)
                pipe.srem(self.keys.installations, owner)
                await pipe.execute()
            return
        if fields:
            await self.r.hdel(key, *fields)
        if not await self.r.exists(key):
            await self.r.srem(self.keys.installations, owner)

    async def owners(self) -> list[str]:
        return sorted(o.decode() for o in await self.r.smembers(self.keys.installations))

    async def note_org_team(self, team: str, enterprise: str) -> None:
        await self.r.hset(self.keys.org_teams, team, enterprise)

    async def org_of(self, team: str) -> str | None:
        raw = await self.r.hget(self.keys.org_teams, team)
        return raw.decode() if raw else None

    async def forget_org(self, enterprise: str) -> list[str]:
        """Drop the workspace → enterprise links of an org; the workspaces it had."""
        raw = await self.r.hgetall(self.keys.org_teams)
        teams = [t.decode() for t, e in raw.items() if e.decode() == enterprise]
        if teams:
            await self.r.hdel(self.keys.org_teams, *teams)
        return teams

    async def reencrypt(self) -> int:
        """Check that every stored record opens (raise TokenKeyError naming the first
        that does not) and move those sealed with an older key to the current one;
        returns how many moved."""
        moved = 0
        for owner in await self.owners():
            key = self.keys.installation(owner)
            for field, token in (await self.r.hgetall(key)).items():
                self.cipher.open(token, what=f"the installation {owner}")
                if not self.cipher.current(token):
                    await self.r.hset(key, field, self.cipher.rotate(token))
                    moved += 1
        if moved:
            logger.warning("Slack: %d installation record(s) re-encrypted with the new key", moved)
        return moved

    # ------------------------------------------------------------ OAuth states
    async def issue_state(self, ttl_s: int = STATE_TTL_S) -> str:
        """A new random state, good once for `ttl_s` seconds."""
        state = secrets.token_urlsafe(32)
        await self.r.set(self.keys.oauth_state(state), "1", ex=ttl_s, nx=True)
        return state

    async def consume_state(self, state: str) -> bool:
        """True once for a state issued here and not expired; False ever after."""
        if not state or len(state) > 128:
            return False
        return await self.r.getdel(self.keys.oauth_state(state)) is not None
