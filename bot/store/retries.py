"""The retry repository: outbox entries whose delivery failed for a reason that may pass
(the platform down, a rate limit, the network) wait here for their next try, and entries
that can never be delivered as they are wait in the dead letters until someone replays or
drops them (`grokwatch dead-letters`).

A deferred entry leaves the outbox's pending list and joins the retry set in one script
(acknowledged and kept, atomically), and goes back into the outbox when due in another, so
a crash at any point neither loses nor duplicates it. Its fields keep `tries` (failed
tries so far) and `since` (when the first one failed), which the age limit reads."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from bot.store.base import Client, Repository
from bot.store.keys import Keys

# KEYS: retry set, outbox stream; ARGV: group, entry id, fields JSON, due (epoch s)
_DEFER = """
redis.call('ZADD', KEYS[1], ARGV[4], ARGV[3])
redis.call('XACK', KEYS[2], ARGV[1], ARGV[2])
return 1
"""

# KEYS: retry set, outbox stream; ARGV: now (epoch s), how many at most
_RELEASE = """
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
for _, member in ipairs(due) do
  local fields = cjson.decode(member)
  local flat = {}
  for k, v in pairs(fields) do
    flat[#flat + 1] = k
    flat[#flat + 1] = tostring(v)
  end
  redis.call('XADD', KEYS[2], '*', unpack(flat))
  redis.call('ZREM', KEYS[1], member)
end
return #due
"""

# KEYS: dead letters, the stream to put it back in; ARGV: dead letter id, fields...
_REPLAY = """
if redis.call('XDEL', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('XADD', KEYS[2], '*', unpack(ARGV, 2))
return 1
"""

# the fields a dead letter carries besides the entry's own (not put back on replay)
DEAD_FIELDS = ("stage", "stream", "entry", "reason", "failed_at", "tries", "since")


@dataclass(frozen=True, slots=True)
class DeadLetter:
    id: str  # its id in the dead-letter stream
    stage: str  # the stage that gave up on it
    stream: str  # the stream it came from (and goes back to on replay)
    reason: str
    fields: dict[str, str]  # the entry's own fields

    def to_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "stage": self.stage,
            "stream": self.stream,
            "reason": self.reason,
            "fields": self.fields,
        }


class RetryRepository(Repository):
    """Deferred outbox entries and the dead letters."""

    def __init__(self, client: Client, keys: Keys) -> None:
        super().__init__(client, keys)
        self._defer = self.r.register_script(_DEFER)
        self._release = self.r.register_script(_RELEASE)
        self._replay = self.r.register_script(_REPLAY)

    async def defer(
        self,
        platform: str,
        group: str,
        entry_id: str,
        fields: Mapping[str, str],
        due: float,
    ) -> None:
        """Take an outbox entry off the group's pending list and keep it until `due`."""
        member = json.dumps(dict(fields), sort_keys=True, ensure_ascii=False)
        await self._defer(
            keys=[self.keys.retries(platform), self.keys.outbox(platform)],
            args=[group, entry_id, member, due],
        )

    async def release_due(self, platform: str, now: float, limit: int = 500) -> int:
        """Put the entries due by `now` back into the outbox; how many."""
        return int(
            await self._release(
                keys=[self.keys.retries(platform), self.keys.outbox(platform)], args=[now, limit]
            )
        )

    async def next_due(self, platform: str) -> float | None:
        """When the earliest deferred entry is due (epoch s), None when none waits."""
        first = await self.r.zrange(self.keys.retries(platform), 0, 0, withscores=True)
        return float(first[0][1]) if first else None

    async def waiting(self, platform: str) -> int:
        return int(await self.r.zcard(self.keys.retries(platform)))

    # ------------------------------------------------------------ dead letters
    async def dead_letters(self, limit: int = 100) -> list[DeadLetter]:
        """The oldest dead letters first."""
        rows = await self.r.xrange(self.keys.dead_letters, count=limit)
        out = []
        for raw_id, raw in rows:
            d = {k.decode(): v.decode() for k, v in raw.items()}
            out.append(
                DeadLetter(
                    id=raw_id.decode(),
                    stage=d.get("stage", ""),
                    stream=d.get("stream", ""),
                    reason=d.get("reason", ""),
                    fields={k: v for k, v in d.items() if k not in DEAD_FIELDS},
                )
            )
        return out

    async def dead_count(self) -> int:
        return int(await self.r.xlen(self.keys.dead_letters))

    async def replay(self, ids: Sequence[str] | None = None) -> int:
        """Put dead letters back in the streams they came from (all when `ids` is None),
        each atomically; how many went back."""
        letters = {d.id: d for d in await self.dead_letters(limit=100_000)}
        chosen = list(letters) if ids is None else [i for i in ids if i in letters]
        done = 0
        for dead_id in chosen:
            letter = letters[dead_id]
            if not letter.stream or not letter.fields:
                continue
            flat = [x for kv in letter.fields.items() for x in kv]
            done += int(
                await self._replay(
                    keys=[self.keys.dead_letters, letter.stream], args=[dead_id, *flat]
                )
            )
        return done

    async def drop(self, ids: Sequence[str] | None = None) -> int:
        """Delete dead letters for good (all when `ids` is None); how many."""
        if ids is None:
            ids = [d.id for d in await self.dead_letters(limit=100_000)]
        return int(await self.r.xdel(self.keys.dead_letters, *ids)) if ids else 0
