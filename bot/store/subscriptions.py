"""The subscriptions repository: which channel tracks which entity, at what salience, kept
both ways (channel → entities, and the inverted index entity → channels that the fan-out
reads, so its cost grows with an article's entities, not with the subscriptions)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import cast

from bot.store.base import Repository, iso, parse_dt
from handlers.model import SALIENCE_LEVELS, EntityResult, SalienceLevel, Subscription


def _level_rank(level: str) -> int:
    try:
        return SALIENCE_LEVELS.index(cast(SalienceLevel, level))
    except ValueError:
        return 0


class SubscriptionRepository(Repository):
    """Tracking entities per channel."""

    async def track(self, sub: Subscription) -> bool:
        """Add or update a subscription; True when it is new."""
        payload = json.dumps(
            {
                "min_level": sub.min_level,
                "added_by": sub.added_by,
                "added_at": iso(sub.added_at or datetime.now(UTC)),
            }
        )
        async with self.r.pipeline(transaction=True) as pipe:
            pipe.hset(self.keys.channel_subs(sub.channel), sub.entity_id, payload)
            pipe.sadd(self.keys.subscribers(sub.entity_id), sub.channel)
            pipe.sadd(self.keys.channels, sub.channel)
            is_new, _, _ = await pipe.execute()
        return bool(is_new)

    async def untrack(self, channel: str, entity_id: str) -> bool:
        """Remove a subscription; True when there was one."""
        async with self.r.pipeline(transaction=True) as pipe:
            pipe.hdel(self.keys.channel_subs(channel), entity_id)
            pipe.srem(self.keys.subscribers(entity_id), channel)
            removed, _ = await pipe.execute()
        return bool(removed)

    async def tracking_channels(self) -> list[str]:
        """The channels that track at least one entity now, sorted."""
        known = sorted(c.decode() for c in await self.r.smembers(self.keys.channels))
        async with self.r.pipeline(transaction=False) as pipe:
            for channel in known:
                pipe.hlen(self.keys.channel_subs(channel))
            sizes = await pipe.execute()
        return [c for c, n in zip(known, sizes, strict=True) if n]

    async def of_channel(self, channel: str) -> list[Subscription]:
        """A channel's subscriptions, by entity id."""
        raw = await self.r.hgetall(self.keys.channel_subs(channel))
        subs = []
        for eid, payload in raw.items():
            d = json.loads(payload)
            subs.append(
                Subscription(
                    channel=channel,
                    entity_id=eid.decode(),
                    min_level=d.get("min_level", "low"),
                    added_by=d.get("added_by", ""),
                    added_at=parse_dt(d.get("added_at")),
                )
            )
        subs.sort(key=lambda s: s.entity_id)
        return subs

    async def subscribers_for(
        self, entities: Sequence[EntityResult]
    ) -> dict[str, list[EntityResult]]:
        """channel → the article's entities it tracks at or above its salience threshold.

        Costs one set read per entity the article mentions plus one hash read per
        matching (channel, entity): it does not grow with the number of subscriptions.
        """
        return (await self.subscribers_for_many([entities]))[0]

    async def subscribers_for_many(
        self, articles: Sequence[Sequence[EntityResult]]
    ) -> list[dict[str, list[EntityResult]]]:
        """`subscribers_for` of a batch of articles (their entity lists) in two round
        trips: the entity sets of every article in one pipeline, then every matching
        (channel, entity) setting in another."""
        out: list[dict[str, list[EntityResult]]] = [{} for _ in articles]
        wanted = sorted({ent.id for ents in articles for ent in ents})
        if not wanted:
            return out
        async with self.r.pipeline(transaction=False) as pipe:
            for eid in wanted:
                pipe.smembers(self.keys.subscribers(eid))
            members = dict(zip(wanted, await pipe.execute(), strict=True))
        pairs = sorted({(ch.decode(), eid) for eid in wanted for ch in members[eid]})
        if not pairs:
            return out
        async with self.r.pipeline(transaction=False) as pipe:
            for channel, eid in pairs:
                pipe.hget(self.keys.channel_subs(channel), eid)
            raw_settings = dict(zip(pairs, await pipe.execute(), strict=True))
        for i, ents in enumerate(articles):
            for ent in ents:
                for ch in sorted(members[ent.id]):
                    channel = ch.decode()
                    raw = raw_settings[(channel, ent.id)]
                    if raw is None:
                        continue  # untracked between the two reads
                    min_level = json.loads(raw).get("min_level", "low")
                    if _level_rank(ent.level) >= _level_rank(min_level):
                        out[i].setdefault(channel, []).append(ent)
        return out
