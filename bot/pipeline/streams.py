"""Consumer-group workers over Redis Streams: at-least-once, crash-safe hand-offs.

A worker reads a batch for its group, hands it to the stage's function, and acknowledges
only what that function finished. Entries a crashed consumer left pending are claimed back
(XAUTOCLAIM) once they have been idle for `reclaim_idle_ms`. An entry that keeps failing is
moved to the dead-letter stream after `max_attempts` tries, with the error, so one poisoned
article never blocks the others. Between batches a worker runs its `chores` (trimming,
retention: `bot.pipeline.housekeeping`). The stream primitives are `bot.store.streams`.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from bot.store import StoreUnavailable
from bot.store.streams import Entry, StreamRepository

logger = logging.getLogger(__name__)

__all__ = ["Chores", "Entry", "StageFn", "StreamWorker", "consumer_name"]

# A stage gets a batch and returns the entry ids it has finished (to acknowledge).
StageFn = Callable[[Sequence[Entry]], Awaitable[Sequence[str]]]


class Chores(Protocol):
    """Periodic work a worker runs between batches (`bot.pipeline.housekeeping`)."""

    async def run_due(self) -> None: ...


def consumer_name(stage: str) -> str:
    """A consumer name unique to this process: host, pid and stage."""
    return f"{socket.gethostname()}-{os.getpid()}-{stage}"


@dataclass
class StreamWorker:
    """One stage consuming one or more streams with one consumer group."""

    repo: StreamRepository
    name: str
    streams: Sequence[str]
    group: str
    fn: StageFn
    consumer: str = ""
    count: int = 100
    block_ms: int = 1000
    reclaim_idle_ms: int = 60_000
    max_attempts: int = 5
    dead_letters: str | None = None
    chores: Chores | None = None
    processed: int = field(default=0, init=False)

    def __post_init__(self) -> None:
        if not self.consumer:
            self.consumer = consumer_name(self.name)

    async def setup(self) -> None:
        for stream in self.streams:
            await self.repo.ensure_group(stream, self.group)

    async def _reclaim(self, stream: str) -> list[Entry]:
        """Entries another (crashed) consumer of our group read but never acknowledged."""
        entries = await self.repo.reclaim(
            stream,
            self.group,
            self.consumer,
            min_idle_ms=self.reclaim_idle_ms,
            count=self.count,
        )
        if entries:
            logger.info("%s: reclaimed %d pending entries of %s", self.name, len(entries), stream)
            entries = await self._drop_poisoned(stream, entries)
        return entries

    async def _drop_poisoned(self, stream: str, entries: list[Entry]) -> list[Entry]:
        if not self.dead_letters:
            return entries
        tries = await self.repo.delivery_counts(
            stream, self.group, entries[0][0], entries[-1][0], len(entries) * 2
        )
        keep = []
        for eid, fields in entries:
            if tries.get(eid, 0) > self.max_attempts:
                logger.error(
                    "%s: entry %s failed %d times; moved to %s",
                    self.name,
                    eid,
                    tries[eid],
                    self.dead_letters,
                )
                await self.repo.dead_letter(
                    self.dead_letters,
                    stream,
                    self.group,
                    eid,
                    {**fields, "stage": self.name, "stream": stream, "entry": eid},
                )
            else:
                keep.append((eid, fields))
        return keep

    async def run_once(self, *, block: bool = False) -> int:
        """Process what is there now (reclaimed first); return how many entries were done."""
        done = 0
        for stream in self.streams:
            # reclaimed and new entries in one batch: retries never starve new work
            batch = await self._reclaim(stream)
            if len(batch) < self.count:
                batch += await self.repo.read(
                    stream,
                    self.group,
                    self.consumer,
                    count=self.count - len(batch),
                    block_ms=self.block_ms if block and not batch else None,
                )
            if not batch:
                continue
            try:
                finished = await self.fn(batch)
            except asyncio.CancelledError:
                raise
            except Exception:
                # Left pending: reclaimed and retried after reclaim_idle_ms.
                logger.exception("%s: a batch of %d from %s failed", self.name, len(batch), stream)
                continue
            await self.repo.ack(stream, self.group, finished)
            done += len(finished)
        self.processed += done
        return done

    async def pending(self) -> int:
        """Entries read but not acknowledged, over all its streams."""
        return sum([await self.repo.pending(s, self.group) for s in self.streams])

    async def lag(self) -> int:
        """Entries not yet delivered to the group (new work), over all its streams."""
        return sum([await self.repo.lag(s, self.group) for s in self.streams])

    async def run_forever(self, stop: asyncio.Event) -> None:
        await self.setup()
        while not stop.is_set():
            try:
                await self.run_once(block=True)
                if self.chores is not None:
                    await self.chores.run_due()
            except StoreUnavailable as exc:
                logger.warning("%s: Redis unavailable (%s); retrying in 1 s", self.name, exc)
                await asyncio.sleep(1)
