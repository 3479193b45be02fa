"""Consumer-group workers over Redis Streams: at-least-once, crash-safe hand-offs.

A worker reads a batch for its group, hands it to the stage's function, and acknowledges
only what that function finished. Entries a crashed consumer left pending are claimed back
(XAUTOCLAIM) once they have been idle for `reclaim_idle_ms`. An entry that keeps failing is
moved to the dead-letter stream after `max_attempts` tries, with the error, so one poisoned
article never blocks the others. Between batches a worker runs its `chores` (trimming,
retention: `bot.pipeline.housekeeping`). The stream primitives are `bot.store.streams`.

`run_forever` heals: any Redis error (unreachable, OOM, READONLY, BUSY...) is logged and
retried with exponential backoff, and the worker says when it resumes; a consumer group
that is gone (NOGROUP: Redis restarted empty, FLUSHALL) is created again, and the log says
so. Each turn of the loop stamps `heartbeat`, which `/healthz` reads (`StageStatus`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import socket
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from bot.store import StoreError, StoreUnavailable
from bot.store.streams import Entry, StreamRepository

logger = logging.getLogger(__name__)

__all__ = [
    "Chores",
    "Entry",
    "StageFn",
    "StageStatus",
    "StreamWorker",
    "consumer_name",
    "missing_group",
    "pause",
    "server_state_error",
]

# A stage gets a batch and returns the entry ids it has finished (to acknowledge).
StageFn = Callable[[Sequence[Entry]], Awaitable[Sequence[str]]]


class Chores(Protocol):
    """Periodic work a worker runs between batches (`bot.pipeline.housekeeping`)."""

    async def run_due(self) -> None: ...


# Errors that say the server cannot do anything now, whatever the entry: out of memory,
# a read-only replica, loading its data, a busy script, a stream or group gone, persistence
# failing, a cluster that is down or resharding.
_SERVER_STATES = (
    "OOM",
    "READONLY",
    "LOADING",
    "BUSY",
    "NOGROUP",
    "MISCONF",
    "MASTERDOWN",
    "CLUSTERDOWN",
    "TRYAGAIN",
    "NOREPLICAS",
    "UNBLOCKED",
)


def error_code(exc: BaseException) -> str:
    """The code of a Redis error reply ("OOM", "NOGROUP"...; "" for a client error).
    The client strips the code of the replies it has an exception class for."""
    code = getattr(exc, "status_code", None)
    if isinstance(code, str) and code:
        return code
    first = str(exc).split(" ", 1)[0]
    return first if first.isupper() else ""


def describe(exc: BaseException) -> str:
    """A Redis error as the log says it: its class, and the server's reply whole."""
    code, text = error_code(exc), str(exc)
    return f"{type(exc).__name__}: {text if text.startswith(code) else f'{code} {text}'}"


def server_state_error(exc: BaseException) -> bool:
    """A Redis error about the server's state, not about the entry being processed."""
    if isinstance(exc, StoreUnavailable):
        return True
    return isinstance(exc, StoreError) and error_code(exc) in _SERVER_STATES


def missing_group(exc: BaseException) -> bool:
    """The error Redis gives when a stream or its consumer group does not exist (NOGROUP)."""
    return isinstance(exc, StoreError) and error_code(exc) == "NOGROUP"


async def pause(stop: asyncio.Event, seconds: float) -> None:
    """Sleep `seconds` (± 20 % jitter), or less if `stop` is set meanwhile."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds * random.uniform(0.8, 1.2))


@dataclass(frozen=True, slots=True)
class StageStatus:
    """What `/healthz` and `/metrics` read of one stage of this process."""

    name: str
    running: bool  # its task is alive (False: stopped, or died and not restarted yet)
    heartbeat_age: float  # seconds since its loop last turned
    restarts: int  # times its task died and was started again
    redis_errors: int  # Redis errors it met and retried
    groups_recreated: int  # consumer groups it had to create again (NOGROUP)
    failing: str  # the error it is retrying now ("" when it works)


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
    retry_min_s: float = 0.5  # first wait after a Redis error (doubles up to retry_max_s)
    retry_max_s: float = 30.0
    processed: int = field(default=0, init=False)
    heartbeat: float = field(default_factory=time.monotonic, init=False)  # last loop turn
    redis_errors: int = field(default=0, init=False)
    groups_recreated: int = field(default=0, init=False)
    failing: str = field(default="", init=False)  # the Redis error being retried now

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
            except StoreError as exc:
                if server_state_error(exc):
                    raise  # the batch stays pending; the worker backs off (run_forever)
                logger.exception("%s: a batch of %d from %s failed", self.name, len(batch), stream)
                continue
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
        """Run until `stop` is set. Redis errors are retried, never raised; anything else
        (a bug) is raised, for the caller (`Pipeline`) to log and restart the worker."""
        delay = self.retry_min_s
        grouped = recreated = False
        while not stop.is_set():
            self.heartbeat = time.monotonic()
            try:
                if not grouped:
                    await self.setup()
                    grouped = True
                await self.run_once(block=True)
                if self.chores is not None:
                    await self.chores.run_due()
            except StoreError as exc:
                self.redis_errors += 1
                self.failing = describe(exc)
                if missing_group(exc) and not recreated:
                    self.groups_recreated += 1
                    grouped, recreated = False, True
                    logger.warning(
                        "%s: the consumer group %s of %s is gone (Redis lost its data?): "
                        "creating it again",
                        self.name,
                        self.group,
                        ", ".join(self.streams),
                    )
                    continue  # at once; NOGROUP again right after backs off below
                level = logging.WARNING if isinstance(exc, StoreUnavailable) else logging.ERROR
                logger.log(
                    level,
                    "%s: Redis error (%s); retrying in %.1f s",
                    self.name,
                    self.failing,
                    delay,
                )
                await pause(stop, delay)
                delay = min(self.retry_max_s, delay * 2)
                continue
            if self.failing:
                logger.warning("%s: working again (after %s)", self.name, self.failing)
                self.failing = ""
            delay = self.retry_min_s
            recreated = False
