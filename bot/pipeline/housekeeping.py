"""Housekeeping: the periodic chores that keep Redis bounded, run from the stream workers.

* **streams**: every stream of the graph is trimmed up to the oldest entry some consumer
  group still needs (pending, or not yet delivered), keeping `trim_margin_s` of
  acknowledged entries anyway; consumers idle for `consumer_idle_s` with nothing pending
  (those of processes that are gone) are removed; the dead letters are capped.
* **digests**: the channels' due alert digests are queued (`bot.store.noise`).
* **retention**: articles older than `retention_days` are removed with every entry that
  names them (`bot.store.retention`); 0 keeps them forever.

Each worker calls `run_due()` between batches (wired once per process:
`Housekeeping.for_workers(store, pipeline.workers.values(), settings).attach(...)`). A chore is tried at most once per period
per process (a local clock), and run by the one process that wins its SET NX PX lock for
the period, so N workers cost one run per period, whichever gets there first.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from bot.pipeline.streams import StreamWorker
from bot.settings import Settings
from bot.store import Store

logger = logging.getLogger(__name__)

__all__ = ["Housekeeping"]

DIGEST_EVERY_S = 60.0  # how often the due digests are looked for


@dataclass
class Housekeeping:
    store: Store
    readers: Mapping[str, tuple[str, ...]]
    """stream → the consumer groups that read it (the stream graph)."""
    retention_days: int = 90
    retention_every_s: float = 3600.0
    trim_every_s: float = 30.0
    trim_margin_s: float = 60.0
    consumer_idle_s: float = 3600.0
    dead_letters_max: int = 10_000
    _next: dict[str, float] = field(default_factory=dict, init=False)

    @classmethod
    def for_workers(
        cls, store: Store, workers: Iterable[StreamWorker], settings: Settings
    ) -> Housekeeping:
        """The chores of the graph the workers make up (every stage's, whichever of them
        this process runs), with the periods and limits of `settings`."""
        readers: dict[str, set[str]] = defaultdict(set)
        for w in workers:
            for stream in w.streams:
                readers[stream].add(w.group)
        return cls(
            store,
            {s: tuple(sorted(g)) for s, g in readers.items()},
            retention_days=settings.retention_days,
            retention_every_s=settings.retention_interval,
            trim_every_s=settings.stream_trim_interval,
            trim_margin_s=settings.stream_trim_margin,
            consumer_idle_s=settings.consumer_idle_timeout,
            dead_letters_max=settings.dead_letters_max,
        )

    def attach(self, workers: Iterable[StreamWorker]) -> Housekeeping:
        """Make the workers run these chores between their batches."""
        for w in workers:
            w.chores = self
        return self

    async def run_due(self, now: float | None = None) -> None:
        """Run the chores whose period has come, if this process wins their turn. A
        failing chore is logged, never raised: it is tried again next period."""
        now = time.time() if now is None else now
        try:
            if await self._turn("streams", self.trim_every_s):
                await self.bound_streams(now)
            if self.retention_days and await self._turn("retention", self.retention_every_s):
                await self.expire_articles(now)
            if await self._turn("digests", DIGEST_EVERY_S):  # channels' digests due
                await self.store.noise.flush_due()
        except Exception:
            logger.exception("housekeeping failed; tried again next period")

    async def _turn(self, chore: str, period_s: float) -> bool:
        mono = time.monotonic()
        if mono < self._next.get(chore, 0.0):
            return False
        self._next[chore] = mono + period_s
        return await self.store.streams.claim_turn(chore, max(1, int(period_s * 1000)))

    async def bound_streams(self, now: float) -> tuple[int, list[str]]:
        """Trim every stream, remove dead consumers, cap the dead letters. Returns (entries
        trimmed, consumers removed as "stream/group/name")."""
        repo = self.store.streams
        trimmed, gone = 0, []
        for stream, groups in self.readers.items():
            trimmed += await repo.trim_acknowledged(
                stream, groups, margin_ms=int(self.trim_margin_s * 1000), now_ms=int(now * 1000)
            )
            for group in groups:
                idle_ms = int(self.consumer_idle_s * 1000)
                for name in await repo.remove_idle_consumers(stream, group, idle_ms):
                    gone.append(f"{stream}/{group}/{name}")
        trimmed += await repo.cap(self.store.keys.dead_letters, self.dead_letters_max)
        if gone:
            logger.info("removed %d consumers of gone processes: %s", len(gone), ", ".join(gone))
        return trimmed, gone

    async def expire_articles(self, now: float) -> int:
        """Remove the articles older than the retention period (none when it is 0)."""
        if not self.retention_days:
            return 0
        return await self.store.retention.expire(now - self.retention_days * 86400.0)
