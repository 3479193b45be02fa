"""The stats repository: the counters of the `stats` hash (articles ingested, alerts queued
and delivered, feeds polled...) that the scripts and pipelines of the other repositories
also increment, read for `/metrics` and benchmarks."""

from __future__ import annotations

from bot.store.base import Repository


class StatsRepository(Repository):
    """Counters."""

    async def counters(self) -> dict[str, int]:
        raw = await self.r.hgetall(self.keys.stats)
        return {k.decode(): int(v) for k, v in raw.items()}

    async def incr(self, name: str, by: int = 1) -> None:
        await self.r.hincrby(self.keys.stats, name, by)
