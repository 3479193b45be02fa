"""The streams repository: the Redis Streams primitives the stage workers are made of
(consumer groups, reading new entries, claiming back entries a crashed consumer left
pending, acknowledging, counting pending and lag, moving a poisoned entry to the dead
letters in one MULTI, and adding entries to hand work on), and what keeps them bounded:
trimming what every group has acknowledged, capping the dead letters, removing the
consumers of processes that are gone. The worker loop and its retry
policy are `bot.pipeline.streams.StreamWorker`."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

from redis.exceptions import ResponseError

from bot.store.base import Client, Repository
from bot.store.keys import Keys

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
    """Streams and consumer groups, and keeping them bounded."""

    def __init__(self, client: Client, keys: Keys) -> None:
        super().__init__(client, keys)
        self._delete_idle = self.r.register_script(_DELETE_IDLE)

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

    # ------------------------------------------------------------ bounding
    async def claim_turn(self, chore: str, ttl_ms: int) -> bool:
        """True for the one process that gets to run `chore` in the next `ttl_ms` (SET NX
        PX: whoever gets there first; the others skip until it expires)."""
        return bool(await self.r.set(self.keys.chore_lock(chore), "1", nx=True, px=ttl_ms))

    async def trim_floor(self, stream: str, groups: Collection[str]) -> str | None:
        """The oldest id some consumer group still needs: its smallest pending entry, else
        the entry after the last one delivered to it. None when the stream has no group,
        or lacks one of `groups` (the ones its readers will create: until they exist,
        nothing can be known to be done with)."""
        try:
            infos = await self.r.xinfo_groups(stream)
        except ResponseError:
            return None  # no such stream
        names = {_text(g["name"]): g for g in infos}
        if not names or not set(groups) <= set(names):
            return None
        floor: tuple[int, int] | None = None
        for name, info in names.items():
            need = _next_id(_parse_id(_text(info["last-delivered-id"])))
            if int(info["pending"]):
                summary = await self.r.xpending(stream, name)
                if summary["min"] is not None:  # acknowledged meanwhile: none pending now
                    need = min(need, _parse_id(_text(summary["min"])))
            floor = need if floor is None else min(floor, need)
        return None if floor is None else f"{floor[0]}-{floor[1]}"

    async def trim_acknowledged(
        self, stream: str, groups: Collection[str], *, margin_ms: int, now_ms: int
    ) -> int:
        """Drop the entries every consumer group is done with (read and acknowledged),
        keeping those younger than `margin_ms` anyway. Never an entry still pending or
        not yet delivered to a group. Returns how many entries were removed."""
        floor = await self.trim_floor(stream, groups)
        if floor is None:
            return 0
        minid = min(_parse_id(floor), (max(0, now_ms - margin_ms), 0))
        # exact (not "~"): the margin is ours to choose, and trimming a few more entries
        # later costs nothing; a MINID floor only ever moves forward, so a group that
        # advances meanwhile makes this conservative, never wrong.
        return int(await self.r.xtrim(stream, minid=f"{minid[0]}-{minid[1]}", approximate=False))

    async def cap(self, stream: str, maxlen: int) -> int:
        """Keep about the newest `maxlen` entries (MAXLEN ~): for the dead letters."""
        return int(await self.r.xtrim(stream, maxlen=maxlen, approximate=True))

    async def remove_idle_consumers(self, stream: str, group: str, idle_ms: int) -> list[str]:
        """Delete the group's consumers idle for at least `idle_ms` that hold no pending
        entry (those of processes gone for good); one with pending entries stays until
        XAUTOCLAIM has taken them back. Each check-and-delete is atomic. Returns the
        names removed.

        Redis 6.2 only refreshes a consumer's idle time when a read hands it entries, so
        a live worker on a quiet stream may be removed too: harmless, it holds nothing,
        and its next read that gets entries creates it again."""
        try:
            consumers = await self.r.xinfo_consumers(stream, group)
        except ResponseError:
            return []
        removed = []
        for c in consumers:
            if int(c["pending"]) or int(c["idle"]) < idle_ms:
                continue
            name = _text(c["name"])
            if await self._delete_idle(keys=[stream], args=[group, name, idle_ms]):
                removed.append(name)
        return removed


_DELETE_IDLE = """
for _, c in ipairs(redis.call('XINFO', 'CONSUMERS', KEYS[1], ARGV[1])) do
  local f = {}
  for i = 1, #c, 2 do f[c[i]] = c[i + 1] end
  if f['name'] == ARGV[2] then
    if f['pending'] == 0 and f['idle'] >= tonumber(ARGV[3]) then
      redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], ARGV[2])
      return 1
    end
    return 0
  end
end
return 0
"""


def _parse_id(eid: str) -> tuple[int, int]:
    ms, _, seq = eid.partition("-")
    return int(ms), int(seq or 0)


def _next_id(eid: tuple[int, int]) -> tuple[int, int]:
    return eid[0], eid[1] + 1
