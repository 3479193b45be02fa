"""The pipeline's stages as stream consumers: analyze (fast pass), enrich (slow pass),
fanout and deliver, wired by `Pipeline` exactly as docs/architecture.md draws the flow.

Every stage is idempotent, so at-least-once delivery of stream entries never shows:
index writes are set/sorted-set writes, an alert is queued once per (channel, article) by
an atomic script, and a delivery is recorded before its entry is acknowledged.

`Pipeline.drain()` runs every stage until nothing is left (CLI, tests); `start()` runs
them as asyncio tasks until `stop()` (`demo`, `run`, `worker`). A task that dies (a bug:
Redis errors are retried inside the worker) is logged, counted and started again;
`status()` is what `/healthz` and `/metrics` read of them (heartbeat, restarts, errors).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from bot.pipeline.delivery import Backoff, Deliverer, SendFn
from bot.pipeline.stories import StoryAssigner
from bot.pipeline.streams import Entry, StageStatus, StreamWorker, pause
from bot.store import Store
from bot.store.keys import G_ANALYZE, G_DELIVER, G_ENRICH, G_FANOUT
from bot.transports.base import DeliveryError, Transport
from handlers.alerts import render_alert
from handlers.model import Analysis, ArticleRecord, ChannelAddress, EntityInfo, QueuedAlert
from handlers.reply import Reply
from nlp.catalog import Catalog
from nlp.pipeline import Analyzer

logger = logging.getLogger(__name__)

QUEUE_LATENCY = "alert_queued"  # the histogram of ingested → alert queued (`bot.store.stats`)


async def _unused(entries: Sequence[Entry]) -> list[str]:  # pragma: no cover - never called
    raise AssertionError("a Deliverer serves its entries itself")


# "fetch" is the feed scheduler (bot.ingest.feeds), not a stream worker: `grokwatch worker
# --stage fetch` runs it; `select` accepts the name and returns no worker for it.
STAGES = ("fetch", "analyze", "fanout", "enrich", "deliver")


@dataclass
class Pipeline:
    store: Store
    analyzer: Analyzer
    catalog: Catalog
    transports: dict[str, Transport] = field(default_factory=dict)
    batch_size: int = 16
    read_count: int = 100
    reclaim_idle_ms: int = 60_000
    consumer_suffix: str = ""
    backoff: Backoff = field(default_factory=Backoff)
    delivery_rate_per_s: float = 25.0
    channels_at_once: int = 32
    workers: dict[str, StreamWorker] = field(default_factory=dict, init=False)
    running: bool = field(default=False, init=False)
    _tasks: list[asyncio.Task[None]] = field(default_factory=list, init=False)
    _stop: asyncio.Event = field(default_factory=asyncio.Event, init=False)
    stop_timeout: float = 15.0  # seconds `stop()` waits for the stages before cancelling
    restart_delay: float = 1.0  # first wait before restarting a dead stage (doubles to 60 s)
    restarts: dict[str, int] = field(default_factory=dict, init=False)  # stage → times
    _running: dict[str, StreamWorker] = field(default_factory=dict, init=False)

    def __post_init__(self) -> None:
        self.stories = StoryAssigner(self.store)
        k = self.store.keys

        def worker(name: str, streams: Sequence[str], group: str, fn: object, count: int) -> None:
            consumer = f"{name}{self.consumer_suffix}" if self.consumer_suffix else ""
            self.workers[name] = StreamWorker(
                self.store.streams,
                name,
                streams,
                group,
                fn,  # type: ignore[arg-type]
                consumer=consumer,
                count=count,
                reclaim_idle_ms=self.reclaim_idle_ms,
                dead_letters=k.dead_letters,
            )

        worker("analyze", [k.ingest_stream], G_ANALYZE, self.analyze, self.batch_size)
        worker(
            "fanout", [k.analyzed_stream, k.enriched_stream], G_FANOUT, self.fanout, self.read_count
        )
        worker("enrich", [k.analyzed_stream], G_ENRICH, self.enrich, self.batch_size)
        for platform in self.transports:
            name = f"deliver:{platform}"
            # a transport may say it needs no limit (the console) or its own
            rate = float(
                getattr(self.transports[platform], "posts_per_s", self.delivery_rate_per_s)
            )
            self.workers[name] = Deliverer(
                self.store.streams,
                name,
                [k.outbox(platform)],
                G_DELIVER,
                _unused,
                consumer=f"{name}{self.consumer_suffix}" if self.consumer_suffix else "",
                count=self.read_count,
                reclaim_idle_ms=self.reclaim_idle_ms,
                max_attempts=10,  # reclaimed this often: it crashed every process it met
                dead_letters=k.dead_letters,
                platform=platform,
                send=self._sender(platform),
                retries=self.store.retries,
                stats=self.store.stats,
                backoff=self.backoff,
                channels_at_once=self.channels_at_once,
                rate_per_s=rate,
                # unpaced, a channel's queue drains at once: no need to wait in Redis
                queue_max=20 if rate else 10 * self.read_count,
                pace_s=float(
                    getattr(getattr(self.transports[platform], "pacer", None), "interval", 0.0)
                ),
            )

    @property
    def platforms(self) -> list[str]:
        """The platforms this pipeline delivers to."""
        return list(self.transports)

    def select(self, stages: Iterable[str] | None) -> list[StreamWorker]:
        """The workers of the named stages ("deliver" means every deliver:<platform>)."""
        if stages is None:
            return list(self.workers.values())
        wanted = set(stages)
        unknown = wanted - set(STAGES) - set(self.workers)
        if unknown:
            raise ValueError(
                f"unknown stage(s) {', '.join(sorted(unknown))}; choose from {', '.join(STAGES)}"
            )
        return [
            w for name, w in self.workers.items() if name in wanted or name.split(":")[0] in wanted
        ]

    # ----------------------------------------------------------------- stages
    async def _records(self, entries: Sequence[Entry]) -> list[tuple[str, ArticleRecord]]:
        ids = [fields.get("id", "") for _, fields in entries]
        records = await self.store.articles.load_many(ids)
        out = []
        for (eid, fields), rec in zip(entries, records, strict=True):
            if rec is None:
                logger.warning(
                    "stream entry %s names unknown article %s; skipped", eid, fields.get("id")
                )
                continue
            out.append((eid, rec))
        return out

    async def analyze(self, entries: Sequence[Entry]) -> list[str]:
        """Fast pass: language and catalog entities; index them; hand on."""
        rows = await self._records(entries)
        docs = [(rec.title, rec.text) for _, rec in rows]
        langs = [rec.lang for _, rec in rows]
        analyses = await asyncio.to_thread(self.analyzer.fast, docs, langs) if rows else []
        pairs = list(zip((rec for _, rec in rows), analyses, strict=True))
        await self.store.articles.save_analyses(pairs, "fast")  # the batch: one MULTI
        for rec, analysis in pairs:
            rec.entities = analysis.entities
        await self.stories.assign_many([rec for rec, _ in pairs])  # in order, batched
        await self.store.streams.add_many(
            self.store.keys.analyzed_stream, [{"id": rec.id} for rec, _ in pairs]
        )
        return [eid for eid, _ in entries]

    async def enrich(self, entries: Sequence[Entry]) -> list[str]:
        """Slow pass: entities discovered by NER; index them; hand on to the fan-out."""
        rows = await self._records(entries)
        if not rows:
            return [eid for eid, _ in entries]
        docs = [(rec.title, rec.text) for _, rec in rows]
        langs = [rec.lang for _, rec in rows]
        fast = [
            Analysis(
                lang=rec.lang or "und",
                title=rec.title,
                entities=[e for e in rec.entities if e.source == "catalog"],
            )
            for _, rec in rows
        ]
        analyses = await asyncio.to_thread(self.analyzer.full, docs, langs, fast)
        await self.store.articles.add_discovered(
            EntityInfo(
                id=e.id, name=e.name, type=e.type, aliases=tuple(e.matched), source="discovered"
            )
            for analysis in analyses
            for e in analysis.entities
            if e.source == "discovered"
        )
        pairs = list(zip((rec for _, rec in rows), analyses, strict=True))
        added = await self.store.articles.save_analyses(pairs, "full")
        await self.store.streams.add_many(
            self.store.keys.enriched_stream,
            [
                {"id": rec.id, "entities": json.dumps([e.id for e in new])}
                for (rec, _), new in zip(pairs, added, strict=True)
            ],
        )
        return [eid for eid, _ in entries]

    async def fanout(self, entries: Sequence[Entry]) -> list[str]:
        """Queue one alert per (channel, article) for the channels tracking its entities:
        the subscribers of the whole batch in two round trips, its alerts in one."""
        stage_of = {eid: ("full" if "entities" in fields else "fast") for eid, fields in entries}
        rows = await self._records(entries)
        loud = [rec for _, rec in rows if not rec.quiet]  # a feed's backlog: no alerts
        await self._queue(loud, [(rec.id, stage_of[eid]) for eid, rec in rows])
        return [eid for eid, _ in entries]

    async def fanout_article(self, rec: ArticleRecord) -> list[QueuedAlert]:
        """Queue the alerts of one article (what `fanout` does for a batch)."""
        return await self._queue([rec], [])

    async def _queue(
        self, records: Sequence[ArticleRecord], fanned: Sequence[tuple[str, str]]
    ) -> list[QueuedAlert]:
        subscribers = await self.store.subscriptions.subscribers_for_many(
            [rec.entities for rec in records]
        )
        alerts: list[tuple[str, QueuedAlert]] = []
        for rec, by_channel in zip(records, subscribers, strict=True):
            for channel, ents in by_channel.items():
                address = ChannelAddress.try_parse(channel)
                if address is None:  # /grok track refuses these: only an old or hand-made entry
                    logger.error("subscription with malformed channel id %r ignored", channel)
                    continue
                alerts.append(
                    (address.platform, QueuedAlert(channel, rec.id, tuple(e.id for e in ents)))
                )
        # tenancy and noise control (bot.store.noise.screen, the tenancy branch's hook):
        # only channels whose tenant may see the article, feed followers added, filters,
        # digests, quiet hours and caps applied
        alerts = await self.store.noise.screen(records, alerts)
        done = await self.store.delivery.queue_alerts(alerts, fanned)
        queued = [alert for (_, alert), new in zip(alerts, done, strict=True) if new]
        ingested = {rec.id: rec.ingested_at for rec in records}
        now = datetime.now(UTC)
        await self.store.stats.observe(
            QUEUE_LATENCY,
            [
                max(0.0, (now - at).total_seconds())
                for alert in queued
                if (at := ingested.get(alert.article_id)) is not None
            ],
        )
        for alert in queued:
            logger.info(
                "alert queued: %s → %s (%s)",
                alert.article_id,
                alert.channel,
                ",".join(alert.entity_ids),
            )
        return queued

    def _sender(self, platform: str) -> SendFn:
        async def send(fields: Mapping[str, str]) -> bool:
            return await self._deliver_one(self.transports[platform], fields)

        return send

    async def deliver(self, platform: str, entries: Sequence[Entry]) -> list[str]:
        """Deliver entries of `platform`'s outbox (what its `Deliverer` does with each one;
        for callers that hold entries): the ids done with. A transient failure leaves its
        entry out (the Deliverer defers it), as does any other error (logged)."""
        send = self._sender(platform)
        done = []
        for eid, fields in entries:
            try:
                if await send(fields):
                    done.append(eid)
            except Exception:
                logger.exception("alert entry %s could not be delivered", eid)
        return done

    async def _deliver_one(self, transport: Transport, fields: Mapping[str, str]) -> bool:
        """Deliver one queued alert; True when it is done with (sent now or before, or
        parked for a paused channel). A transient or refused failure raises its
        DeliveryError (the Deliverer retries or dead-letters the entry)."""
        if not fields.get("channel") or not (fields.get("notice") or fields.get("article")):
            raise DeliveryError(
                f"malformed outbox entry (fields {', '.join(sorted(fields))})", refused=True
            )
        if "notice" in fields:
            return await self._deliver_notice(transport, fields)
        channel, article_id = fields["channel"], fields["article"]
        delivery = self.store.delivery
        if await delivery.is_delivered(channel, article_id):
            return True  # sent before a crash, not yet acknowledged
        if await delivery.is_paused(channel):
            await delivery.park(channel, fields)  # kept; re-queued when the channel resumes
            return True
        rec = await self.store.articles.load(article_id)
        if rec is None:
            logger.error("alert for unknown article %s dropped", article_id)
            return True
        entity_ids = json.loads(fields.get("entities", "[]"))
        # the channel's language, time zone and urgent ping (the tenancy branch's hook)
        options = await self.store.noise.alert_options(channel, rec, entity_ids)
        reply = render_alert(self.catalog, rec, entity_ids, **options)
        try:
            await transport.send(channel, reply)
        except DeliveryError as exc:
            if exc.permanent:
                logger.warning("alerts to %s paused: %s", channel, exc)
                await delivery.pause_channel(channel, str(exc))
                await delivery.park(channel, fields)
                return True
            raise
        await delivery.mark_delivered(channel, article_id)
        return True

    async def _deliver_notice(self, transport: Transport, fields: Mapping[str, str]) -> bool:
        """A bot notice (e.g. "feed paused"): sent once; dropped if the channel is gone."""
        channel, notice_id = fields["channel"], fields["notice"]
        if await self.store.delivery.notice_sent(channel, notice_id):
            return True
        reply = Reply(text=fields.get("text", ""), title=fields.get("title") or None)
        try:
            await transport.send(channel, reply)
        except DeliveryError as exc:
            if exc.permanent:
                logger.warning("notice %s to %s dropped: %s", notice_id, channel, exc)
                return True
            raise
        await self.store.delivery.mark_notice_sent(channel, notice_id)
        return True

    # ---------------------------------------------------------------- running
    async def setup(self) -> None:
        for w in self.workers.values():
            await w.setup()

    async def drain(self, stages: Iterable[str] | None = None, max_rounds: int = 10_000) -> int:
        """Run the selected stages until none has anything left; return entries done."""
        workers = self.select(stages)
        for w in workers:
            await w.setup()
        total = 0
        for _ in range(max_rounds):
            done = 0
            for w in workers:
                done += await w.run_once()
            total += done
            if done == 0:
                break
        return total

    async def start(self, stages: Iterable[str] | None = None) -> None:
        """Run the selected stages as background tasks, each restarted if it dies (each
        creates its consumer groups first, retrying while Redis cannot)."""
        self._stop.clear()
        for w in self.select(stages):
            self._running[w.name] = w
            self._tasks.append(asyncio.create_task(self._supervise(w), name=w.name))
        self.running = True

    async def _supervise(self, w: StreamWorker) -> None:
        """`w.run_forever` until stopped; started again (after a pause that grows while it
        keeps dying at once) when it raises."""
        delay = self.restart_delay
        while not self._stop.is_set():
            started = time.monotonic()
            try:
                await w.run_forever(self._stop)
                return
            except asyncio.CancelledError:
                raise
            except Exception:
                self.restarts[w.name] = self.restarts.get(w.name, 0) + 1
                if time.monotonic() - started > 60:
                    delay = self.restart_delay
                logger.exception(
                    "stage %s died (restart %d); starting it again in %.1f s",
                    w.name,
                    self.restarts[w.name],
                    delay,
                )
                await pause(self._stop, delay)
                delay = min(60.0, delay * 2)

    def tasks(self) -> dict[str, asyncio.Task[None]]:
        """The background task of each running stage, by stage name."""
        return {t.get_name(): t for t in self._tasks}

    def status(self, now: float | None = None) -> list[StageStatus]:
        """Each stage this process runs: alive, heartbeat age, restarts, Redis errors."""
        now = time.monotonic() if now is None else now
        tasks = self.tasks()
        return [
            StageStatus(
                name=name,
                running=name in tasks and not tasks[name].done(),
                heartbeat_age=max(0.0, now - w.heartbeat),
                restarts=self.restarts.get(name, 0),
                redis_errors=w.redis_errors,
                groups_recreated=w.groups_recreated,
                failing=w.failing,
            )
            for name, w in sorted(self._running.items())
        ]

    async def stop(self) -> None:
        """Stop the stages (cancelled after `stop_timeout`); an error a stage ended with is
        logged, not swallowed."""
        self._stop.set()
        tasks = list(self._tasks)
        if tasks:
            _, late = await asyncio.wait(tasks, timeout=self.stop_timeout)
            for task in late:
                logger.warning(
                    "stage %s did not stop within %.0f s; cancelled",
                    task.get_name(),
                    self.stop_timeout,
                )
                task.cancel()
            results = await asyncio.gather(*tasks, return_exceptions=True)
            for task, result in zip(tasks, results, strict=True):
                if isinstance(result, Exception):
                    logger.error("stage %s ended with an error", task.get_name(), exc_info=result)
        self._tasks.clear()
        for w in self.workers.values():
            if isinstance(w, Deliverer):
                await w.close()
        self._running.clear()
        self.running = False
