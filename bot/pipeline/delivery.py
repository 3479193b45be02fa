"""The deliver stage of one platform: every channel served on its own, failures sorted.

`Deliverer` reads the platform's outbox like any stage (a consumer group, reclaimed
entries of crashed consumers) but does not deliver a batch at a time: each entry goes to
its channel's queue, and each channel is served by its own task, in stream order, so one
slow, rate-limited or failing channel never holds up another. A global rate limit and a
cap on channels served at once keep the platform's published limits.

What becomes of an entry, by what its delivery raised:
  * nothing (sent, sent before a crash, parked for a paused channel): acknowledged;
  * a transient failure (5xx, 429, network, platform outage): deferred to the retry set
    (`bot.store.retries`) and tried again after an exponential backoff with jitter, or
    after the wait the platform asked for; never dropped for the number of tries, only
    once it has failed for `max_age_s` (24 h by default), into the dead letters;
  * the platform refused the message itself (`DeliveryError.refused`) or rendering it
    crashed: into the dead letters at once, with the reason, where
    `grokwatch dead-letters replay` puts it back once the cause is fixed;
  * the store failing (Redis down), or an error nobody expected: left pending and
    reclaimed later (one reclaimed `max_attempts` times goes to the dead letters).
A channel that failed is held until its retry is due: its later entries are deferred
behind it (in order) without trying, and a queue that grows past `queue_max` entries is
deferred too, so what waits in memory stays short and what waits long waits in Redis.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections import deque
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field

from bot.pipeline.streams import Entry, StreamWorker
from bot.store import StoreError
from bot.store.retries import RetryRepository
from bot.store.stats import StatsRepository
from bot.transports.base import DeliveryError
from bot.transports.delivery import RateLimit

logger = logging.getLogger(__name__)

# Deliver one entry's alert or notice; True when done with (sent now or before, parked,
# dropped), False to leave it pending; raises DeliveryError when the platform failed.
SendFn = Callable[[Mapping[str, str]], Awaitable[bool]]

_META = ("tries", "since", "queued", "behind")  # what deferring adds to an entry's fields
LATENCY = "alert_delivery"  # the histogram of queued → delivered (`bot.store.stats`)


@dataclass(frozen=True, slots=True)
class Backoff:
    """When a failed entry is tried again: `base_s`·2^(tries−1), at most `cap_s`, times a
    jitter in [0.5, 1.5) so that the entries of an outage do not all come back at once."""

    base_s: float = 1.0
    cap_s: float = 300.0
    max_age_s: float = 86_400.0

    def delay(self, tries: int, rng: random.Random) -> float:
        step = float(min(self.cap_s, self.base_s * 2.0 ** max(0, tries - 1)))
        return step * (0.5 + rng.random())


@dataclass
class Deliverer(StreamWorker):
    """The deliver stage of one platform (see the module's docstring)."""

    platform: str = ""
    send: SendFn | None = None
    retries: RetryRepository | None = None
    stats: StatsRepository | None = None  # where delivery latencies are observed
    backoff: Backoff = field(default_factory=Backoff)
    channels_at_once: int = 32
    rate_per_s: float = 25.0
    queue_max: int = 20
    pace_s: float = 0.0  # the channel's pacing (seconds between posts), when it has one
    rng: random.Random = field(default_factory=random.Random)
    _queues: dict[str, deque[Entry]] = field(default_factory=dict, init=False)
    _tasks: dict[str, asyncio.Task[None]] = field(default_factory=dict, init=False)
    _inflight: set[str] = field(default_factory=set, init=False)
    _hold: dict[str, float] = field(default_factory=dict, init=False)  # channel → until
    _behind: dict[str, int] = field(default_factory=dict, init=False)  # deferred behind it
    _waiting: dict[str, int] = field(default_factory=dict, init=False)  # in Redis, by channel
    _finished: int = field(default=0, init=False)
    _last_reclaim: float = field(default=0.0, init=False)
    _slots: asyncio.Semaphore | None = field(default=None, init=False)
    _rate: RateLimit | None = field(default=None, init=False)
    _latencies: list[float] = field(default_factory=list, init=False)  # not yet observed

    @property
    def outbox(self) -> str:
        return self.streams[0]

    async def run_once(self, *, block: bool = False) -> int:
        """Hand new (and reclaimed, and due deferred) entries to their channels. With
        `block`, the service loop: wait up to `block_ms` for new entries and return
        without waiting for the channels. Without it (drain, tests, the CLI): return once
        every entry handed out is done with. Returns entries done with, plus deferred
        ones put back in the outbox (so a drain goes on while there are some)."""
        assert self.retries is not None
        released = await self.retries.release_due(self.platform, time.time())
        entries: list[Entry] = []
        now = time.monotonic()
        if not block or (now - self._last_reclaim) * 1000 >= max(1, self.reclaim_idle_ms) / 2:
            self._last_reclaim = now
            entries += [e for e in await self._reclaim(self.outbox) if e[0] not in self._inflight]
        room = self.count - len(self._inflight) - len(entries)
        if room > 0:
            wait = self.block_ms if block and not entries and not released else None
            entries += await self.repo.read(
                self.outbox, self.group, self.consumer, count=room, block_ms=wait
            )
        elif block and self._tasks:  # full: let the channels work a little
            await asyncio.wait(list(self._tasks.values()), timeout=self.block_ms / 1000)
        await self._dispatch(entries)
        if not block:
            await self.settle()
        if self._latencies and self.stats is not None:
            seen, self._latencies = self._latencies, []
            await self.stats.observe(LATENCY, seen)
        done, self._finished = self._finished, 0
        self.processed += done
        return done + released

    async def settle(self) -> None:
        """Until every channel's queue is empty (what was handed out is done with). What
        is not an error but the end of the process (KeyboardInterrupt, SystemExit…)
        goes on up."""
        while self._tasks:
            results = await asyncio.gather(*list(self._tasks.values()), return_exceptions=True)
            for result in results:
                if isinstance(result, BaseException) and not isinstance(
                    result, (Exception, asyncio.CancelledError)
                ):
                    raise result

    async def close(self, grace_s: float = 10.0) -> None:
        """Let the channels finish what they hold for up to `grace_s`, then stop them (an
        entry stopped mid-way stays pending and is reclaimed: never lost)."""
        if self._tasks:
            _, late = await asyncio.wait(list(self._tasks.values()), timeout=grace_s)
            for task in late:
                task.cancel()
            await asyncio.gather(*late, return_exceptions=True)

    async def _dispatch(self, entries: Sequence[Entry]) -> None:
        if self._slots is None:
            self._slots = asyncio.Semaphore(self.channels_at_once)
            self._rate = RateLimit(self.rate_per_s)
        # decided for the whole batch before anything is awaited (a channel's task must
        # not empty its queue midway, or a later entry would pass an earlier deferred one)
        later: list[tuple[str, str, Mapping[str, str], float]] = []
        for eid, fields in entries:
            if eid in self._inflight:
                continue
            channel = fields.get("channel", "")
            queue = self._queues.setdefault(channel, deque())
            returning = bool(fields.get("behind"))  # a deferred one back, in stream order
            if returning:
                self._waiting[channel] = max(0, self._waiting.get(channel, 0) - 1)
            # a new entry goes behind the channel's earlier ones still waiting in Redis
            behind_others = not returning and self._waiting.get(channel, 0) > 0
            held = self._hold.get(channel, 0.0)
            if held > time.time() or len(queue) >= self.queue_max or behind_others:
                # behind a failure, or a long queue (then until the queue has gone out at
                # the channel's pace), or behind deferred ones: wait in Redis, in order
                drained = time.time() + len(queue) * self.pace_s
                later.append((channel, eid, fields, max(held, drained)))
                self._waiting[channel] = self._waiting.get(channel, 0) + 1
                continue
            self._inflight.add(eid)
            queue.append((eid, fields))
            if channel not in self._tasks:
                self._tasks[channel] = asyncio.create_task(
                    self._serve(channel), name=f"{self.name}:{channel}"
                )
        for channel, eid, kept, due in later:
            await self._defer_behind(channel, eid, kept, due)

    async def _serve(self, channel: str) -> None:
        queue = self._queues[channel]
        try:
            while queue:
                eid, fields = queue.popleft()
                try:
                    await self._one(channel, eid, fields)
                finally:
                    self._inflight.discard(eid)
        finally:
            self._tasks.pop(channel, None)
            if not queue:
                self._queues.pop(channel, None)

    async def _one(self, channel: str, eid: str, fields: Mapping[str, str]) -> None:
        assert self.send is not None and self._slots is not None and self._rate is not None
        if self._hold.get(channel, 0.0) > time.time():  # an earlier entry just failed
            self._waiting[channel] = self._waiting.get(channel, 0) + 1
            await self._defer_behind(channel, eid, fields, self._hold[channel])
            return
        try:
            async with self._slots:
                await self._rate.acquire()
                done = await self.send(fields)
        except DeliveryError as exc:
            if exc.refused:
                await self._dead(eid, fields, str(exc))
            else:
                await self._transient(channel, eid, fields, exc)
            return
        except StoreError:
            # the store failed, not the entry: it stays pending and is reclaimed later
            logger.warning("%s: entry %s left pending: the store failed", self.name, eid)
            return
        except asyncio.CancelledError:
            raise  # stopping: it stays pending
        except Exception:
            # a bug of ours or a bad entry, no telling: left pending, reclaimed and tried
            # again; one reclaimed `max_attempts` times goes to the dead letters
            logger.exception("%s: entry %s could not be delivered", self.name, eid)
            return
        if done:
            self._hold.pop(channel, None)
            await self.repo.ack(self.outbox, self.group, [eid])
            self._finished += 1
            if "article" in fields:  # an alert: from its first queueing to now
                queued = float(fields.get("queued") or _id_time(eid))
                self._latencies.append(max(0.0, time.time() - queued))

    async def _transient(
        self, channel: str, eid: str, fields: Mapping[str, str], exc: DeliveryError
    ) -> None:
        now = time.time()
        since = float(fields.get("since") or now)
        tries = int(fields.get("tries") or 0) + 1
        if now - since > self.backoff.max_age_s:
            hours = (now - since) / 3600
            await self._dead(eid, fields, f"still failing after {hours:.1f} h: {exc}")
            return
        wait = (
            exc.retry_after if exc.retry_after is not None else self.backoff.delay(tries, self.rng)
        )
        due = now + wait
        self._hold[channel] = due
        self._behind[channel] = 0
        self._waiting[channel] = self._waiting.get(channel, 0) + 1
        logger.warning(
            "%s: %s not delivered (%s, try %d); next try in %.1fs",
            self.name,
            channel,
            exc,
            tries,
            wait,
        )
        await self._defer(eid, {**fields, "tries": str(tries), "since": f"{since:.3f}"}, due)

    async def _defer_behind(
        self, channel: str, eid: str, fields: Mapping[str, str], due: float
    ) -> None:
        """Defer an entry that did not fail, behind its channel's earlier ones (a
        millisecond apart each, so they come back in stream order); its age counts."""
        behind = self._behind.get(channel, 0) + 1
        self._behind[channel] = behind
        kept = dict(fields)
        kept.setdefault("since", f"{time.time():.3f}")
        await self._defer(eid, kept, due + behind * 0.001)

    async def _defer(self, eid: str, fields: Mapping[str, str], due: float) -> None:
        """Into the retry set until `due`; marked, so that when it comes back the
        channel's count of entries waiting in Redis (`_waiting`) goes down."""
        assert self.retries is not None
        # the first queueing stays (for the latency histogram)
        kept = {"queued": f"{_id_time(eid):.3f}", **fields, "behind": "1"}
        await self.retries.defer(self.platform, self.group, eid, kept, due)

    async def _dead(self, eid: str, fields: Mapping[str, str], reason: str) -> None:
        logger.error("%s: entry %s moved to the dead letters: %s", self.name, eid, reason)
        record = {k: v for k, v in fields.items() if k not in _META}
        record |= {
            "stage": self.name,
            "stream": self.outbox,
            "entry": eid,
            "reason": reason[:500],
            "failed_at": f"{time.time():.3f}",
        }
        await self.repo.dead_letter(self.dead_letters or "", self.outbox, self.group, eid, record)


def _id_time(eid: str) -> float:
    """When a stream entry was added (epoch s), from its id."""
    ms, _, _ = eid.partition("-")
    return int(ms) / 1000 if ms.isdigit() else time.time()
