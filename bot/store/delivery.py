"""The delivery repository: the outbox side of alerts and notices. Queueing an alert is one
script that queues it at most once per (channel, article), ever; a notice once per id,
ever. Then what delivery records: delivered marks, the thread a story's alerts go under,
the intent marks written before a platform post, and paused channels with their parked
alerts."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

from bot.store.base import Client, Repository, iso
from bot.store.keys import Keys
from handlers.model import ChannelAddress, QueuedAlert

_QUEUE_ALERT = """
if redis.call('SADD', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('XADD', KEYS[2], '*', 'channel', ARGV[2], 'article', ARGV[1], 'entities', ARGV[3])
redis.call('RPUSH', KEYS[3], ARGV[4])
redis.call('HINCRBY', KEYS[4], 'alerts_queued', 1)
return 1
"""

_QUEUE_NOTICE = """
if redis.call('SADD', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('XADD', KEYS[2], '*', 'channel', ARGV[2], 'notice', ARGV[1], 'title', ARGV[3], 'text', ARGV[4])
redis.call('HINCRBY', KEYS[3], 'notices_queued', 1)
return 1
"""


def _scope(channel: str) -> str:
    """The workspace a channel belongs to (its paused channels are kept together)."""
    address = ChannelAddress.try_parse(channel)
    return address.scope_key if address else channel


class DeliveryRepository(Repository):
    """Outbox queueing and the delivery state of channels."""

    def __init__(self, client: Client, keys: Keys) -> None:
        super().__init__(client, keys)
        self._queue_alert = self.r.register_script(_QUEUE_ALERT)
        self._queue_notice = self.r.register_script(_QUEUE_NOTICE)

    # ----------------------------------------------------------------- alerts
    async def queue_alert(self, platform: str, alert: QueuedAlert) -> bool:
        """Put an alert in the platform's outbox unless one was queued already; atomic."""
        return (await self.queue_alerts([(platform, alert)]))[0]

    async def queue_alerts(
        self,
        alerts: Sequence[tuple[str, QueuedAlert]],
        fanned: Sequence[tuple[str, str]] = (),
    ) -> list[bool]:
        """`queue_alert` for a batch of (platform, alert), in order, in one round trip;
        then the `mark_fanned` of (article id, stage) pairs, after the alerts. Each alert
        is still queued by its own atomic script (once per channel and article, ever)."""
        if not alerts and not fanned:
            return []
        calls = [self._alert_call(platform, alert) for platform, alert in alerts]
        if self.keys.cluster:  # redis-py runs no script inside a cluster pipeline
            queued = [bool(await self._queue_alert(keys=k, args=a)) for k, a in calls]
            async with self.r.pipeline(transaction=False) as pipe:
                for article_id, stage in fanned:
                    self._mark_fanned(pipe, article_id, stage)
                await pipe.execute()
            return queued
        async with self.r.pipeline(transaction=False) as pipe:
            for keys, args in calls:
                await self._queue_alert(keys=keys, args=args, client=pipe)  # buffered
            for article_id, stage in fanned:
                self._mark_fanned(pipe, article_id, stage)
            results = await pipe.execute()
        return [bool(x) for x in results[: len(alerts)]]

    def _alert_call(self, platform: str, alert: QueuedAlert) -> tuple[list[str], list[str]]:
        """The KEYS and ARGV of the queueing script for one alert."""
        entities = json.dumps(list(alert.entity_ids))
        record = json.dumps({"channel": alert.channel, "entities": list(alert.entity_ids)})
        keys = [
            self.keys.alerted(alert.channel),
            self.keys.outbox(platform),
            self.keys.queued_alerts(alert.article_id),
            self.keys.stats,
        ]
        return keys, [alert.article_id, alert.channel, entities, record]

    async def mark_fanned(self, article_id: str, stage: str) -> None:
        """Record that the fan-out has queued the alerts of an analysis pass."""
        await self.queue_alerts([], [(article_id, stage)])

    def _mark_fanned(self, pipe: Client, article_id: str, stage: str) -> None:
        if stage == "full":
            pipe.hset(self.keys.article(article_id), "fanned", "full")
        else:  # never downgrade "full"
            pipe.hsetnx(self.keys.article(article_id), "fanned", "fast")

    async def queued_alerts(self, article_id: str) -> list[QueuedAlert]:
        """The alerts the fan-out queued for an article (for ingest reports)."""
        rows = await self.r.lrange(self.keys.queued_alerts(article_id), 0, -1)
        out = []
        for row in rows:
            d = json.loads(row)
            out.append(QueuedAlert(d["channel"], article_id, tuple(d["entities"])))
        return out

    async def is_delivered(self, channel: str, article_id: str) -> bool:
        return bool(await self.r.sismember(self.keys.delivered(channel), article_id))

    async def mark_delivered(self, channel: str, article_id: str) -> None:
        await self._mark_sent(self.keys.delivered(channel), article_id, "alerts_delivered")

    async def delivered_count(self, channel: str) -> int:
        return int(await self.r.scard(self.keys.delivered(channel)))

    # ---------------------------------------------------------------- notices
    async def queue_notice(
        self, platform: str, channel: str, notice_id: str, title: str, text: str
    ) -> bool:
        """Queue a bot notice (not an alert) for a channel, once per `notice_id`, ever;
        the deliver stage of `platform` sends it. False when it was queued before."""
        queued = await self._queue_notice(
            keys=[self.keys.notices_queued, self.keys.outbox(platform), self.keys.stats],
            args=[notice_id, channel, title, text],
        )
        return bool(queued)

    async def notice_sent(self, channel: str, notice_id: str) -> bool:
        return bool(await self.r.sismember(self.keys.notices_sent(channel), notice_id))

    async def mark_notice_sent(self, channel: str, notice_id: str) -> None:
        await self._mark_sent(self.keys.notices_sent(channel), notice_id, "notices_delivered")

    async def _mark_sent(self, sent: str, item: str, counter: str) -> None:
        """Add `item` to the set `sent` and count it, in one MULTI."""
        async with self.r.pipeline(transaction=True) as pipe:
            pipe.sadd(sent, item)
            pipe.hincrby(self.keys.stats, counter, 1)
            await pipe.execute()

    # ------------------------------------------------------ threads, sending
    async def thread_ref(self, channel: str, key: str) -> str | None:
        raw = await self.r.hget(self.keys.threads(channel), key)
        return raw.decode() if raw else None

    async def set_thread_ref(self, channel: str, key: str, ref: str) -> bool:
        """Remember the message that opens a thread; False if one was already set."""
        return bool(await self.r.hsetnx(self.keys.threads(channel), key, ref))

    async def mark_sending(
        self, channel: str, key: str, value: str, ttl_s: int = 7 * 86400
    ) -> str | None:
        """Note that delivery `key` is about to be posted; return the earlier note if one
        exists (a retry after a crash). Notes expire, so they never pile up."""
        k = self.keys.sending(channel, key)
        if await self.r.set(k, value, nx=True, ex=ttl_s):
            return None
        raw = await self.r.get(k)
        return raw.decode() if raw else None

    # ---------------------------------------------------------------- pausing
    async def pause_channel(self, channel: str, reason: str) -> None:
        payload = json.dumps({"reason": reason, "at": iso(datetime.now(UTC))})
        await self.r.hset(self.keys.paused(_scope(channel)), channel, payload)

    async def paused_channels(self, scope: str) -> dict[str, str]:
        """channel → reason, for the paused channels of a guild or workspace."""
        raw = await self.r.hgetall(self.keys.paused(scope))
        return {k.decode(): json.loads(v)["reason"] for k, v in raw.items()}

    async def is_paused(self, channel: str) -> bool:
        return bool(await self.r.hexists(self.keys.paused(_scope(channel)), channel))

    async def park(self, channel: str, fields: Mapping[str, str]) -> None:
        """Keep an alert for a paused channel (delivered again when it resumes)."""
        await self.r.rpush(self.keys.parked(channel), json.dumps(dict(fields)))

    async def parked_count(self, channel: str) -> int:
        return int(await self.r.llen(self.keys.parked(channel)))

    async def resume_channel(self, channel: str, platform: str) -> int:
        """Lift a pause and put its parked alerts back in the outbox; returns how many."""
        key = self.keys.parked(channel)
        async with self.r.pipeline(transaction=True) as pipe:
            pipe.hdel(self.keys.paused(_scope(channel)), channel)
            pipe.lrange(key, 0, -1)
            pipe.delete(key)
            _, parked, _ = await pipe.execute()
        for raw in parked:
            await self.r.xadd(self.keys.outbox(platform), json.loads(raw))
        return len(parked)
