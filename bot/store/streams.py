"""The streams repository: the Redis Streams primitives the stage workers are made of
(consumer groups, reading new entries, claiming back entries a crashed consumer left
pending, acknowledging, counting pending and lag, moving a poisoned entry to the dead
letters in one MULTI, and adding entries to hand work on). The worker loop and its retry
policy are `bot.pipeline.streams.StreamWorker`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from redis.exceptions import ResponseError

from bot.store.base import Repository

Entry = tuple[str, dict[str, str]]
"""A stream entry: its id and its fields."""


def _decode(entries: Sequence[tuple[bytes, dict[bytes, bytes]]]) -> list[Entry]:
    return [
        (eid.decode(), {k.decode(): v.decode() for k, v in fields.items()})
        for eid, fields in entries
        if fields is not None
    ]


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


class StreamRepository(Repository):
    """Streams and consumer groups."""

    async def ensure_group(self, stream: str, group: str) -> None:
        """Create the consumer group (and the stream) unless it exists."""
        try:
            await self.r.xgroup_create(stream, group, id="0", mkstream=True)
        except ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise

    async def read(
        self,
        stream: str,
        group: str,
        consumer: str,
        *,
        count: int | None = None,
        block_ms: int | None = None,
    ) -> list[Entry]:
        """New entries for the group (waiting up to `block_ms` for some when given)."""
        resp = await self.r.xreadgroup(group, consumer, {stream: ">"}, count=count, block=block_ms)
        return _decode(resp[0][1]) if resp else []

    async def reclaim(
        self, stream: str, group: str, consumer: str, *, min_idle_ms: int, count: int
    ) -> list[Entry]:
        """Entries of the group pending for at least `min_idle_ms`, now `consumer`'s."""
        result = await self.r.xautoclaim(
            stream, group, consumer, min_idle_time=min_idle_ms, start_id="0-0", count=count
        )
        return _decode(result[1] if len(result) > 1 else [])

    async def delivery_counts(
        self, stream: str, group: str, first: str, last: str, count: int
    ) -> dict[str, int]:
        """entry id → how many times it was delivered, for pending entries first..last."""
        info = await self.r.xpending_range(stream, group, min=first, max=last, count=count)
        return {_text(p["message_id"]): int(p["times_delivered"]) for p in info}

    async def ack(self, stream: str, group: str, ids: Sequence[str]) -> None:
        if ids:
            await self.r.xack(stream, group, *ids)

    async def dead_letter(
        self, dead: str, stream: str, group: str, entry_id: str, record: Mapping[str, str]
    ) -> None:
        """Add `record` to the stream `dead` and acknowledge the entry, atomically."""
        async with self.r.pipeline(transaction=True) as pipe:
            pipe.xadd(dead, dict(record))
            pipe.xack(stream, group, entry_id)
            await pipe.execute()

    async def pending(self, stream: str, group: str) -> int:
        """Entries read by the group but not acknowledged (0 when there is no group)."""
        try:
            info = await self.r.xpending(stream, group)
        except ResponseError:
            return 0
        return int(info["pending"])

    async def lag(self, stream: str, group: str) -> int:
        """Entries not yet delivered to the group (0 when there is no group)."""
        try:
            groups = await self.r.xinfo_groups(stream)
        except ResponseError:
            return 0
        last = await self.r.xinfo_stream(stream)
        total = 0
        for g in groups:
            if _text(g["name"]) != group:
                continue
            lag = g.get("lag")
            if lag is None:  # Redis < 7 has no lag field: compare ids
                total += 0 if last["last-generated-id"] == g["last-delivered-id"] else 1
            else:
                total += int(lag)
        return total

    async def add(self, stream: str, fields: Mapping[str, str]) -> None:
        await self.r.xadd(stream, dict(fields))

    async def add_many(self, stream: str, rows: Sequence[Mapping[str, str]]) -> None:
        """Add entries in one round trip (not atomic)."""
        async with self.r.pipeline(transaction=False) as pipe:
            for fields in rows:
                pipe.xadd(stream, dict(fields))
            await pipe.execute()

    async def length(self, stream: str) -> int:
        return int(await self.r.xlen(stream))

    async def entries(self, stream: str) -> list[Entry]:
        """Every entry of a stream, oldest first (the dead letters, for inspection)."""
        return _decode(await self.r.xrange(stream))
