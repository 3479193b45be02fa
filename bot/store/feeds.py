"""The feeds repository: a feed's stored state (`FeedState`, one hash per feed), the
schedule (a zset of the active feeds by next poll time), which channels added which feed,
and the per-feed poll lock (SET NX PX with a random token, released only by its holder
through a compare-and-delete script). Saving a state is one script that writes it only if
the feed was not removed meanwhile. The polling policy is `bot.ingest.feeds`."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

from bot.store.base import Client, Repository
from bot.store.keys import Keys
from handlers.model import FeedInfo

_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""

# Write a feed's state and schedule, unless the feed was removed meanwhile.
_SAVE = """
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('HSET', KEYS[2], unpack(ARGV, 3))
if ARGV[2] == '' then redis.call('ZREM', KEYS[3], ARGV[1])
else redis.call('ZADD', KEYS[3], ARGV[2], ARGV[1]) end
return 1
"""


@dataclass(slots=True)
class FeedState:
    id: str
    url: str
    added_by: str = ""
    lang: str = "en"
    title: str = ""
    etag: str = ""
    last_modified: str = ""
    next_poll: float = 0.0
    last_poll: float = 0.0
    failures: int = 0
    last_error: str = ""
    paused: bool = False
    pauses: int = 0
    first_poll_done: bool = False
    articles: int = 0  # new articles it brought
    added_at: float = 0.0
    public: bool = False  # a configured feed: its articles are the shared corpus

    def to_hash(self) -> dict[str, str]:
        return {
            "id": self.id,
            "url": self.url,
            "added_by": self.added_by,
            "lang": self.lang,
            "title": self.title,
            "etag": self.etag,
            "last_modified": self.last_modified,
            "next_poll": repr(self.next_poll),
            "last_poll": repr(self.last_poll),
            "failures": str(self.failures),
            "last_error": self.last_error,
            "paused": "1" if self.paused else "0",
            "pauses": str(self.pauses),
            "first_poll_done": "1" if self.first_poll_done else "0",
            "articles": str(self.articles),
            "added_at": repr(self.added_at),
            "public": "1" if self.public else "0",
        }

    @classmethod
    def from_hash(cls, raw: Mapping[bytes, bytes]) -> FeedState:
        d = {k.decode(): v.decode() for k, v in raw.items()}

        def num(name: str) -> float:
            try:
                return float(d.get(name) or 0)
            except ValueError:
                return 0.0

        return cls(
            id=d["id"],
            url=d["url"],
            added_by=d.get("added_by", ""),
            lang=d.get("lang") or "en",
            title=d.get("title", ""),
            etag=d.get("etag", ""),
            last_modified=d.get("last_modified", ""),
            next_poll=num("next_poll"),
            last_poll=num("last_poll"),
            failures=int(num("failures")),
            last_error=d.get("last_error", ""),
            paused=d.get("paused") == "1",
            pauses=int(num("pauses")),
            first_poll_done=d.get("first_poll_done") == "1",
            articles=int(num("articles")),
            added_at=num("added_at"),
            public=d.get("public") == "1",
        )

    def info(self) -> FeedInfo:
        def dt(ts: float) -> datetime | None:
            return datetime.fromtimestamp(ts, UTC) if ts else None

        return FeedInfo(
            url=self.url,
            title=self.title,
            added_by=self.added_by,
            paused=self.paused,
            failures=self.failures,
            last_error=self.last_error,
            last_poll=dt(self.last_poll),
            next_poll=None if self.paused else dt(self.next_poll),
            articles=self.articles,
            first_poll_done=self.first_poll_done,
        )


class FeedRepository(Repository):
    """Feed state, schedule, channels and locks."""

    def __init__(self, client: Client, keys: Keys) -> None:
        super().__init__(client, keys)
        self._release = self.r.register_script(_RELEASE)
        self._save = self.r.register_script(_SAVE)

    # ------------------------------------------------------------- state
    async def load(self, fid: str) -> FeedState | None:
        raw = await self.r.hgetall(self.keys.feed(fid))
        return FeedState.from_hash(raw) if raw else None

    async def save(self, state: FeedState) -> bool:
        """Write the state and schedule (unscheduled when paused); False if removed."""
        due = "" if state.paused else repr(state.next_poll)
        args: list[str] = [state.id, due]
        for k, v in state.to_hash().items():
            args += [k, v]
        saved = await self._save(
            keys=[self.keys.feeds, self.keys.feed(state.id), self.keys.feeds_due], args=args
        )
        return bool(saved)

    async def create(self, state: FeedState) -> None:
        """Store a new feed, scheduled at its `next_poll`."""
        async with self.r.pipeline(transaction=True) as pipe:
            pipe.hset(self.keys.feeds, state.id, state.url)
            pipe.hset(self.keys.feed(state.id), mapping=state.to_hash())
            pipe.zadd(self.keys.feeds_due, {state.id: state.next_poll})
            await pipe.execute()

    async def create_if_absent(self, state: FeedState, channel: str = "") -> bool:
        """Store a feed unless one with its id exists (linked to `channel` when given);
        False when it existed."""
        if not await self.r.hsetnx(self.keys.feeds, state.id, state.url):
            return False
        async with self.r.pipeline(transaction=True) as pipe:
            pipe.hset(self.keys.feed(state.id), mapping=state.to_hash())
            pipe.zadd(self.keys.feeds_due, {state.id: state.next_poll})
            if channel:
                pipe.sadd(self.keys.feed_channels(state.id), channel)
                pipe.sadd(self.keys.channel_feeds(channel), state.id)
            await pipe.execute()
        return True

    async def delete(self, fid: str) -> None:
        async with self.r.pipeline(transaction=True) as pipe:
            pipe.hdel(self.keys.feeds, fid)
            pipe.zrem(self.keys.feeds_due, fid)
            pipe.delete(self.keys.feed(fid), self.keys.feed_channels(fid))
            await pipe.execute()

    # ----------------------------------------------------------- channels
    async def link(self, fid: str, channel: str) -> None:
        """Note that `channel` added the feed."""
        async with self.r.pipeline(transaction=True) as pipe:
            pipe.sadd(self.keys.feed_channels(fid), channel)
            pipe.sadd(self.keys.channel_feeds(channel), fid)
            await pipe.execute()

    async def unlink(self, fid: str, channel: str) -> tuple[bool, int]:
        """Forget that `channel` added the feed: (whether it had, channels left)."""
        async with self.r.pipeline(transaction=True) as pipe:
            pipe.srem(self.keys.channel_feeds(channel), fid)
            pipe.srem(self.keys.feed_channels(fid), channel)
            pipe.scard(self.keys.feed_channels(fid))
            removed, _, left = await pipe.execute()
        return bool(removed), int(left)

    async def ids(self, channel: str | None = None) -> list[str]:
        """The ids of the feeds a channel added (every feed when `channel` is None)."""
        if channel is None:
            return sorted(i.decode() for i in await self.r.hkeys(self.keys.feeds))
        return sorted(i.decode() for i in await self.r.smembers(self.keys.channel_feeds(channel)))

    async def channels(self, fid: str) -> list[str]:
        """The channels that added a feed."""
        return sorted(c.decode() for c in await self.r.smembers(self.keys.feed_channels(fid)))

    # ----------------------------------------------------------- schedule
    async def due_at(self, fid: str) -> float | None:
        """When the feed is next due (None when paused or removed)."""
        due = await self.r.zscore(self.keys.feeds_due, fid)
        return None if due is None else float(due)

    async def set_due(self, due: Mapping[str, float]) -> None:
        """Schedule feeds (id → when) as they are, paused or not (tests, benchmarks)."""
        await self.r.zadd(self.keys.feeds_due, dict(due))

    async def unschedule(self, fid: str) -> None:
        await self.r.zrem(self.keys.feeds_due, fid)

    async def due(self, now: float, limit: int) -> list[str]:
        """The ids of the feeds due at `now`, soonest first, at most `limit`."""
        ids = await self.r.zrangebyscore(self.keys.feeds_due, "-inf", now, start=0, num=limit)
        return [i.decode() for i in ids]

    async def next_due(self) -> float | None:
        """When the soonest feed is due (None when no feed is scheduled)."""
        nxt = await self.r.zrange(self.keys.feeds_due, 0, 0, withscores=True)
        return float(nxt[0][1]) if nxt else None

    async def counts(self) -> tuple[int, int]:
        """(every feed, the active ones)."""
        return int(await self.r.hlen(self.keys.feeds)), int(await self.r.zcard(self.keys.feeds_due))

    # --------------------------------------------------------------- lock
    @asynccontextmanager
    async def lock(self, fid: str, ttl_ms: int) -> AsyncIterator[bool]:
        """Hold the feed's poll lock while inside; yields False when another holds it."""
        token = secrets.token_hex(16)
        key = self.keys.feed_lock(fid)
        if not await self.r.set(key, token, nx=True, px=ttl_ms):
            yield False
            return
        try:
            yield True
        finally:
            await self._release(keys=[key], args=[token])

    async def is_locked(self, fid: str) -> bool:
        return bool(await self.r.exists(self.keys.feed_lock(fid)))
