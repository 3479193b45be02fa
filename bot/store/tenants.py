"""The tenants repository: who may see which article, and the known tenants.

A tenant is a Discord guild ("discord:<id>"), a Slack workspace ("slack:<id>") or the
console ("console"); `PUBLIC` is the shared corpus (the settings' feeds, the sample corpus,
the CLI and HTTP API ingests). Each tenant's articles are a sorted set
(`Keys.tenant_articles`), and those outside the shared corpus are in one more
(`Keys.private_articles`). A `View` (a tenant, and whether it sees the shared corpus)
sees an article when it owns it, or when the article is shared and the view shares.

The reads cost what the private part costs: with no private article (one community,
or none that ingests its own), every check is one ZCARD and nothing is filtered.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bot.store.articles import PUBLIC
from bot.store.base import Repository

logger = logging.getLogger(__name__)

PAGE = 200  # ids checked per round trip when walking a sorted set for visible members


@dataclass(frozen=True, slots=True)
class View:
    """What one tenant may see: its own articles, and the shared corpus when `shared`."""

    tenant: str
    shared: bool = True

    def sees(self, owners: Sequence[str]) -> bool:
        """Whether an article with these owners is visible (the fan-out's rule)."""
        return self.tenant in owners or (self.shared and PUBLIC in owners)


class TenantRepository(Repository):
    """Visibility checks over sorted sets of article ids, and the tenant registry."""

    async def _everything(self, view: View) -> bool:
        """True when the view sees every article (shared, and nothing is private)."""
        return view.shared and not await self.r.zcard(self.keys.private_articles)

    async def visible(self, view: View, ids: Sequence[str]) -> list[bool]:
        """Which of `ids` the view sees, in one round trip."""
        if not ids:
            return []
        mine_key = self.keys.tenant_articles(view.tenant)
        async with self.r.pipeline(transaction=False) as pipe:
            pipe.zmscore(mine_key, list(ids))
            pipe.zmscore(self.keys.private_articles, list(ids))
            mine, private = await pipe.execute()
        if view.shared:
            return [m is not None or p is None for m, p in zip(mine, private, strict=True)]
        return [m is not None for m in mine]

    async def keep(self, view: View, ids: Sequence[str]) -> list[str]:
        """`ids` less those the view may not see, in order."""
        if await self._everything(view):
            return list(ids)
        return [i for i, ok in zip(ids, await self.visible(view, ids), strict=True) if ok]

    async def count_in(self, view: View, key: str) -> int:
        """How many members of the sorted set `key` the view sees."""
        total = int(await self.r.zcard(key))
        if not total or await self._everything(view):
            return total
        if not view.shared:
            return len(await self.r.zinter([key, self.keys.tenant_articles(view.tenant)]))
        hidden = [
            i.decode() for i in await self.r.zinter([key, self.keys.private_articles])
        ]  # the private members, of which the view sees only its own
        if not hidden:
            return total
        mine = await self.r.zmscore(self.keys.tenant_articles(view.tenant), hidden)
        return total - sum(1 for m in mine if m is None)

    async def members_in(
        self, view: View, key: str, limit: int, *, newest: bool = True
    ) -> list[tuple[str, float]]:
        """The first `limit` members (with scores) of the sorted set `key` that the view
        sees, newest (highest score) first, or oldest first."""
        if limit <= 0:
            return []
        everything = await self._everything(view)
        out: list[tuple[str, float]] = []
        start = 0
        while len(out) < limit:
            size = limit if everything else max(PAGE, 2 * limit)
            read = self.r.zrevrange if newest else self.r.zrange
            rows = await read(key, start, start + size - 1, withscores=True)
            if not rows:
                break
            start += len(rows)
            ids = [i.decode() for i, _ in rows]
            seen = [True] * len(ids) if everything else await self.visible(view, ids)
            out += [(i, float(sc)) for i, (_, sc), ok in zip(ids, rows, seen, strict=True) if ok]
            if len(rows) < size:
                break
        return out[:limit]

    async def any_in(self, view: View, key: str) -> bool:
        """Whether the view sees at least one member of `key`."""
        return bool(await self.members_in(view, key, 1))

    # ------------------------------------------------------------ registry
    async def note(self, tenant: str, **facts: Any) -> None:
        """Remember a tenant (first seen, or installed: facts are merged)."""
        raw = await self.r.hget(self.keys.tenants, tenant)
        data = json.loads(raw) if raw else {"since": datetime.now(UTC).isoformat()}
        data.update(facts)
        await self.r.hset(self.keys.tenants, tenant, json.dumps(data))

    async def known(self) -> dict[str, dict[str, Any]]:
        raw = await self.r.hgetall(self.keys.tenants)
        return {k.decode(): json.loads(v) for k, v in raw.items()}

    async def add_channel(self, tenant: str, channel: str) -> None:
        await self.r.sadd(self.keys.tenant_channels(tenant), channel)

    async def channels(self, tenant: str) -> list[str]:
        return sorted(c.decode() for c in await self.r.smembers(self.keys.tenant_channels(tenant)))

    async def forget(self, tenant: str) -> int:
        """Remove what a tenant set up (it uninstalled the app): every subscription and
        setting of its channels, its feed links, its registry entry, its paused channels
        and the alerts parked for them (nothing is retried for a tenant that left). Its
        own articles stay visible to nobody else and expire with retention. Returns the
        channels cleared."""
        k = self.keys
        channels = set(await self.channels(tenant))
        prefix = tenant + ":"
        async for raw in self.r.sscan_iter(k.channels):
            name = raw.decode()
            if name.startswith(prefix):
                channels.add(name)
        paused = {c.decode() for c in await self.r.hkeys(k.paused(tenant))}
        for channel in sorted(paused - channels):
            await self.r.delete(k.parked(channel))
        for channel in sorted(channels):
            entities = [e.decode() for e in await self.r.hkeys(k.channel_subs(channel))]
            feeds = [f.decode() for f in await self.r.smembers(k.channel_feeds(channel))]
            async with self.r.pipeline(transaction=True) as pipe:
                for eid in entities:
                    pipe.srem(k.subscribers(eid), channel)
                for fid in feeds:
                    pipe.srem(k.feed_channels(fid), channel)
                    pipe.srem(k.feed_followers(fid), channel)
                pipe.delete(
                    k.channel_subs(channel),
                    k.channel_feeds(channel),
                    k.channel_settings(channel),
                    k.digest(channel),
                    k.parked(channel),
                )
                pipe.zrem(k.digests_due, channel)
                pipe.srem(k.channels, channel)
                await pipe.execute()
        await self.r.delete(k.tenant_channels(tenant), k.paused(tenant))
        await self.r.hdel(k.tenants, tenant)
        logger.warning("tenant %s forgotten: %d channel(s) cleared", tenant, len(channels))
        return len(channels)
