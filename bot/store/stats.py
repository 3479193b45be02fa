"""The stats repository: the counters of the `stats` hash (articles ingested, alerts queued
and delivered, feeds polled...) that the scripts and pipelines of the other repositories
also increment, read for `/metrics` and benchmarks; and the latency histograms every
process adds its observations to, so that any process's `/metrics` shows them all."""

from __future__ import annotations

import bisect
from collections.abc import Sequence

from bot.store.base import Repository

# bucket upper bounds in seconds (Prometheus `le`), from an instant alert to a long outage
BUCKETS: tuple[float, ...] = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800, 7200)


class StatsRepository(Repository):
    """Counters."""

    async def counters(self) -> dict[str, int]:
        raw = await self.r.hgetall(self.keys.stats)
        return {k.decode(): int(v) for k, v in raw.items()}

    async def incr(self, name: str, by: int = 1) -> None:
        await self.r.hincrby(self.keys.stats, name, by)

    async def observe(self, name: str, seconds: Sequence[float]) -> None:
        """Add latencies (seconds) to the histogram `name`, in one round trip."""
        if not seconds:
            return
        key = self.keys.histogram(name)
        async with self.r.pipeline(transaction=False) as pipe:
            for value in seconds:
                at = bisect.bisect_left(BUCKETS, value)
                pipe.hincrby(key, f"{BUCKETS[at]:g}" if at < len(BUCKETS) else "+Inf", 1)
            pipe.hincrbyfloat(key, "sum", float(sum(seconds)))
            pipe.hincrby(key, "count", len(seconds))
            await pipe.execute()

    async def histogram(self, name: str) -> tuple[list[tuple[str, int]], float, int]:
        """(cumulative count per bucket bound, "+Inf" last; the sum; the count)."""
        raw = {
            k.decode(): v.decode()
            for k, v in (await self.r.hgetall(self.keys.histogram(name))).items()
        }
        running, out = 0, []
        for bound in [f"{b:g}" for b in BUCKETS] + ["+Inf"]:
            running += int(raw.get(bound, 0))
            out.append((bound, running))
        return out, float(raw.get("sum", 0.0)), int(raw.get("count", 0))

    async def remembered(self, name: str) -> str | None:
        """A fact the bot noted about itself (`remember`), or None."""
        raw = await self.r.hget(self.keys.meta, name)
        return raw.decode() if raw is not None else None

    async def remember(self, name: str, value: str) -> None:
        await self.r.hset(self.keys.meta, name, value)
