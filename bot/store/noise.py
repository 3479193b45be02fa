"""The noise repository: each channel's alert settings (`handlers.noise.ChannelSettings`,
one hash per channel), the hourly counters of its cap, the alerts held for its next digest
(a list per channel, a schedule of due digests), the channels that follow every item of a
feed, and `screen`, the one decision the fan-out asks for (`Pipeline._queue`):

1. tenancy: a channel gets an article's alert only when its tenant may see the article;
2. feed mode: the channels following the article's feed get it, whatever it mentions;
3. the channel's include/exclude filters;
4. digest mode, quiet hours and the hourly cap: held for the digest, or posted now.

Digests go out as notices through the outbox (`flush_due`, from housekeeping), once per
digest, in the channel's language and time zone.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from bot.store.base import Client, Repository
from bot.store.delivery import DeliveryRepository
from bot.store.keys import Keys
from bot.store.tenants import View
from handlers.model import ArticleRecord, ChannelAddress, QueuedAlert
from handlers.noise import ChannelSettings, decide, next_digest, render_digest

logger = logging.getLogger(__name__)

RATE_TTL_S = 7200
DIGEST_BATCH = 200  # alerts taken into one digest at most (the rest wait for the next)

# Hold an alert for a channel's digest, once per (channel, article), ever (the same mark
# as a queued alert): KEYS alerted, digest list, due schedule; ARGV id, item, due, channel.
_HOLD = """
if redis.call('SADD', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('RPUSH', KEYS[2], ARGV[2])
local current = redis.call('ZSCORE', KEYS[3], ARGV[4])
if not current or tonumber(current) > tonumber(ARGV[3]) then
  redis.call('ZADD', KEYS[3], ARGV[3], ARGV[4])
end
return 1
"""

Planned = tuple[str, QueuedAlert]  # (platform, alert)


def _hour(now: datetime) -> str:
    return now.astimezone(UTC).strftime("%Y%m%d%H")


class NoiseRepository(Repository):
    """Channel settings, digests, caps, feed followers; the fan-out's `screen`."""

    def __init__(
        self,
        client: Client,
        keys: Keys,
        delivery: DeliveryRepository,
        view_of: Callable[[str], View],
    ) -> None:
        super().__init__(client, keys)
        self.delivery = delivery
        self.view_of = view_of
        self._hold = self.r.register_script(_HOLD)

    # ------------------------------------------------------------ settings
    async def settings(self, channel: str) -> ChannelSettings:
        raw = await self.r.hgetall(self.keys.channel_settings(channel))
        return ChannelSettings.from_hash({k.decode(): v.decode() for k, v in raw.items()})

    async def settings_many(self, channels: Sequence[str]) -> dict[str, ChannelSettings]:
        async with self.r.pipeline(transaction=False) as pipe:
            for channel in channels:
                pipe.hgetall(self.keys.channel_settings(channel))
            rows = await pipe.execute()
        return {
            ch: ChannelSettings.from_hash({k.decode(): v.decode() for k, v in row.items()})
            for ch, row in zip(channels, rows, strict=True)
        }

    async def save_settings(self, channel: str, settings: ChannelSettings) -> None:
        address = ChannelAddress.parse(channel)
        async with self.r.pipeline(transaction=True) as pipe:
            pipe.hset(self.keys.channel_settings(channel), mapping=settings.to_hash())
            pipe.sadd(self.keys.tenant_channels(address.scope_key), channel)
            await pipe.execute()

    async def follow_feed(self, channel: str, feed_id: str, on: bool = True) -> bool:
        """Post every new item of a feed in `channel` (on) or not (off); True if changed."""
        key = self.keys.feed_followers(feed_id)
        changed = await (self.r.sadd(key, channel) if on else self.r.srem(key, channel))
        return bool(changed)

    async def following(self, channel: str, feed_ids: Sequence[str]) -> list[bool]:
        async with self.r.pipeline(transaction=False) as pipe:
            for fid in feed_ids:
                pipe.sismember(self.keys.feed_followers(fid), channel)
            return [bool(x) for x in await pipe.execute()]

    # -------------------------------------------------------------- screen
    async def screen(
        self,
        records: Sequence[ArticleRecord],
        planned: Sequence[Planned],
        *,
        now: datetime | None = None,
    ) -> list[Planned]:
        """The alerts of a fan-out batch that go out now: those whose channel's tenant may
        see the article, plus the feed followers', less those a filter refuses and those
        held for a digest (quiet hours, digest mode, over the cap)."""
        now = now or datetime.now(UTC)
        by_id = {rec.id: rec for rec in records}
        alerts = list(planned) + await self._feed_alerts(records, planned)
        alerts = [(p, a) for p, a in alerts if self._visible(a.channel, by_id.get(a.article_id))]
        if not alerts:
            return []
        channels = sorted({a.channel for _, a in alerts})
        settings = await self.settings_many(channels)
        async with self.r.pipeline(transaction=False) as pipe:
            for _, a in alerts:
                pipe.sismember(self.keys.alerted(a.channel), a.article_id)
            for channel in channels:
                pipe.get(self.keys.channel_rate(channel, _hour(now)))
            answers = await pipe.execute()
        done = answers[: len(alerts)]
        sent = {ch: int(n or 0) for ch, n in zip(channels, answers[len(alerts) :], strict=True)}
        out: list[Planned] = []
        for (platform, alert), already in zip(alerts, done, strict=True):
            if already:  # queued (or held) before: the queue script drops it again
                out.append((platform, alert))
                continue
            rec = by_id[alert.article_id]
            chosen = settings[alert.channel]
            if not chosen.passes(f"{rec.title}\n{rec.text}"):
                logger.info("alert %s → %s filtered out", rec.id, alert.channel)
                continue
            verdict = decide(chosen, now, sent[alert.channel])
            if verdict == "digest":
                await self._hold_for_digest(alert, rec, chosen, now)
                continue
            sent[alert.channel] += 1
            out.append((platform, alert))
        counted = {a.channel for _, a in out}
        if counted:
            async with self.r.pipeline(transaction=False) as pipe:
                for channel in sorted(counted):
                    key = self.keys.channel_rate(channel, _hour(now))
                    pipe.set(key, sent[channel], ex=RATE_TTL_S)
                await pipe.execute()
        return out

    def _visible(self, channel: str, rec: ArticleRecord | None) -> bool:
        address = ChannelAddress.try_parse(channel)
        if rec is None or address is None:
            return rec is not None  # a malformed channel is the caller's to report
        return self.view_of(address.scope_key).sees(rec.owners)

    async def _feed_alerts(
        self, records: Sequence[ArticleRecord], planned: Sequence[Planned]
    ) -> list[Planned]:
        fed = [rec for rec in records if rec.feed]
        if not fed:
            return []
        feeds = sorted({rec.feed for rec in fed if rec.feed})
        async with self.r.pipeline(transaction=False) as pipe:
            for fid in feeds:
                pipe.smembers(self.keys.feed_followers(fid))
            followers = dict(zip(feeds, await pipe.execute(), strict=True))
        have = {(a.channel, a.article_id) for _, a in planned}
        extra: list[Planned] = []
        for rec in fed:
            for raw in sorted(followers.get(rec.feed or "", ())):
                channel = raw.decode()
                address = ChannelAddress.try_parse(channel)
                if address is not None and (channel, rec.id) not in have:
                    extra.append((address.platform, QueuedAlert(channel, rec.id, ())))
        return extra

    async def _hold_for_digest(
        self, alert: QueuedAlert, rec: ArticleRecord, settings: ChannelSettings, now: datetime
    ) -> None:
        names = [e.name for e in rec.entities if e.id in alert.entity_ids]
        item = {
            "id": rec.id,
            "title": rec.title,
            "url": rec.url or "",
            "source": rec.source or "",
            "entities": names,
            "at": now.timestamp(),
        }
        due = next_digest(settings, now).timestamp()
        k = self.keys
        held = await self._hold(
            keys=[k.alerted(alert.channel), k.digest(alert.channel), k.digests_due],
            args=[rec.id, json.dumps(item), due, alert.channel],
        )
        if held:
            logger.info("alert %s → %s held for the digest", rec.id, alert.channel)

    # ------------------------------------------------------------- digests
    async def flush_due(self, now: datetime | None = None, *, default_lang: str = "en") -> int:
        """Queue the digests that are due (each once, as a notice); returns how many."""
        now = now or datetime.now(UTC)
        due = await self.r.zrangebyscore(self.keys.digests_due, "-inf", now.timestamp())
        sent = 0
        for raw in due:
            channel = raw.decode()
            if await self._flush(channel, default_lang):
                sent += 1
        return sent

    async def _flush(self, channel: str, default_lang: str) -> bool:
        k = self.keys
        rows = await self.r.lrange(k.digest(channel), 0, DIGEST_BATCH - 1)
        address = ChannelAddress.try_parse(channel)
        if not rows or address is None:
            await self.r.zrem(k.digests_due, channel)
            return False
        items: list[dict[str, Any]] = [json.loads(r) for r in rows]
        settings = await self.settings(channel)
        reply = render_digest(items, settings.lang or default_lang, settings.tz)
        lines = [reply.text] + [f"**{f.name}** — {f.value}" for f in reply.fields]
        digest_id = "digest:" + hashlib.sha256(b"|".join(rows)).hexdigest()[:16]
        await self.delivery.queue_notice(
            address.platform, channel, digest_id, reply.title or "", "\n".join(lines)
        )
        async with self.r.pipeline(transaction=True) as pipe:
            pipe.ltrim(k.digest(channel), len(rows), -1)
            pipe.llen(k.digest(channel))
            _, left = await pipe.execute()
        if not left:
            await self.r.zrem(k.digests_due, channel)
        logger.info("digest of %d alert(s) queued for %s", len(items), channel)
        return True

    async def held(self, channel: str) -> int:
        """How many alerts wait for the channel's next digest."""
        return int(await self.r.llen(self.keys.digest(channel)))

    # --------------------------------------------------------------- render
    async def alert_options(
        self, channel: str, rec: ArticleRecord, entity_ids: Sequence[str]
    ) -> dict[str, Any]:
        """How a channel wants an alert rendered (`handlers.alerts.render_alert`'s
        keywords): its language and time zone, and its ping when the alert is urgent
        (an entity it matched is central to the article)."""
        settings = await self.settings(channel)
        urgent = any(e.level == "high" for e in rec.entities if e.id in entity_ids)
        options: dict[str, Any] = {"tz": settings.tz}
        if settings.lang:
            options["lang"] = settings.lang
        if settings.ping and urgent:
            options["ping"] = settings.ping
        return options
