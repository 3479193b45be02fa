"""Consumer-group workers over Redis Streams: at-least-once, crash-safe hand-offs.

A worker reads a batch for its group, hands it to the stage's function, and acknowledges
only what that function finished. Entries a crashed consumer left pending are claimed back
(XAUTOCLAIM) once they have been idle for `reclaim_idle_ms`. An entry that keeps failing is
moved to the dead-letter stream after `max_attempts` tries, with the error, so one poisoned
article never blocks the others.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

Entry = tuple[str, dict[str, str]]
# A stage gets a batch and returns the entry ids it has finished (to acknowledge).
StageFn = Callable[[Sequence[Entry]], Awaitable[Sequence[str]]]


def consumer_name(stage: str) -> str:
    """A consumer name unique to this process: host, pid and stage."""
    return f"{socket.gethostname()}-{os.getpid()}-{stage}"


async def ensure_group(r: aioredis.Redis, stream: str, group: str) -> None:
    try:
        await r.xgroup_create(stream, group, id="0", mkstream=True)
    except ResponseError as exc:
        if "BUSYGROUP" not in str(exc):
            raise


def _decode(entries: Sequence[tuple[bytes, dict[bytes, bytes]]]) -> list[Entry]:
    return [
        (eid.decode(), {k.decode(): v.decode() for k, v in fields.items()})
        for eid, fields in entries
        if fields is not None
    ]


@dataclass
class StreamWorker:
    """One stage consuming one or more streams with one consumer group."""

    r: Any  # redis.asyncio.Redis; its reply types are unions of every decode mode
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
    processed: int = field(default=0, init=False)

    def __post_init__(self) -> None:
        if not self.consumer:
            self.consumer = consumer_name(self.name)

    async def setup(self) -> None:
        for stream in self.streams:
            await ensure_group(self.r, stream, self.group)

    async def _reclaim(self, stream: str) -> list[Entry]:
        """Entries another (crashed) consumer of our group read but never acknowledged."""
        result = await self.r.xautoclaim(
            stream,
            self.group,
            self.consumer,
            min_idle_time=self.reclaim_idle_ms,
            start_id="0-0",
            count=self.count,
        )
        claimed = result[1] if len(result) > 1 else []
        entries = _decode(claimed)
        if entries:
            logger.info("%s: reclaimed %d pending entries of %s", self.name, len(entries), stream)
            entries = await self._drop_poisoned(stream, entries)
        return entries

    async def _drop_poisoned(self, stream: str, entries: list[Entry]) -> list[Entry]:
        if not self.dead_letters:
            return entries
        info = await self.r.xpending_range(
            stream, self.group, min=entries[0][0], max=entries[-1][0], count=len(entries) * 2
        )
        tries = {
            (
                p["message_id"].decode() if isinstance(p["message_id"], bytes) else p["message_id"]
            ): int(p["times_delivered"])
            for p in info
        }
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
                async with self.r.pipeline(transaction=True) as pipe:
                    pipe.xadd(
                        self.dead_letters,
                        {**fields, "stage": self.name, "stream": stream, "entry": eid},
                    )
                    pipe.xack(stream, self.group, eid)
                    await pipe.execute()
            else:
                keep.append((eid, fields))
        return keep

    async def run_once(self, *, block: bool = False) -> int:
        """Process what is there now (reclaimed first); return how many entries were done."""
        done = 0
        for stream in self.streams:
            batch = await self._reclaim(stream)
            if not batch:
                resp = await self.r.xreadgroup(
                    self.group,
                    self.consumer,
                    {stream: ">"},
                    count=self.count,
                    block=self.block_ms if block else None,
                )
                batch = _decode(resp[0][1]) if resp else []
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
            if finished:
                await self.r.xack(stream, self.group, *finished)
            done += len(finished)
        self.processed += done
        return done

    async def pending(self) -> int:
        total = 0
        for stream in self.streams:
            try:
                info = await self.r.xpending(stream, self.group)
            except ResponseError:
                continue
            total += int(info["pending"])
        return total

    async def lag(self) -> int:
        """Entries not yet delivered to the group (new work), over all its streams."""
        total = 0
        for stream in self.streams:
            try:
                groups = await self.r.xinfo_groups(stream)
            except ResponseError:
                continue
            last = await self.r.xinfo_stream(stream)
            for g in groups:
                gname = g["name"].decode() if isinstance(g["name"], bytes) else g["name"]
                if gname != self.group:
                    continue
                lag = g.get("lag")
                if lag is None:  # Redis < 7 has no lag field: compare ids
                    last_id = last["last-generated-id"]
                    delivered = g["last-delivered-id"]
                    total += 0 if last_id == delivered else 1
                else:
                    total += int(lag)
        return total

    async def run_forever(self, stop: asyncio.Event) -> None:
        await self.setup()
        while not stop.is_set():
            try:
                await self.run_once(block=True)
            except (RedisConnectionError, RedisTimeoutError) as exc:
                logger.warning("%s: Redis unavailable (%s); retrying in 1 s", self.name, exc)
                await asyncio.sleep(1)
