"""Wiring: settings → store (Redis: embedded or REDIS_URL) → NLP, pipeline, transports.

Nothing is built at import time; `App` builds everything once per process and tears it
down in reverse order.
"""

from __future__ import annotations

import asyncio
import logging
import time
from contextlib import AsyncExitStack
from typing import Any

from bot.charts import Charts
from bot.ingest.api import ApiConfig, ApiDeps, ApiServer
from bot.ingest.feeds import FeedConfig, FeedManager, FeedScheduler
from bot.ingest.fetch import DEFAULT_USER_AGENT, FetchPolicy, SafeFetcher
from bot.ingest.service import Ingestor
from bot.ingest.web import WebReader
from bot.ops.health import Liveness, Readiness
from bot.ops.metrics import Metrics
from bot.pipeline.delivery import Backoff
from bot.pipeline.housekeeping import Housekeeping
from bot.pipeline.stages import STAGES, Pipeline
from bot.pipeline.supervisor import StageProcesses, worker_argv
from bot.settings import Settings
from bot.store import Store
from bot.store.installations import InstallationRepository, TokenCipher
from bot.transports import create_transport
from bot.transports.base import Transport
from bot.transports.console import ConsoleTransport
from handlers.context import CommandRequest, HandlerContext
from handlers.entities import complete_entity
from handlers.model import BadChannel, ChannelAddress, EntityInfo, IngestOutcome
from handlers.registry import ParseError, dispatch, parse_command
from handlers.reply import Reply
from nlp.catalog import Catalog
from nlp.pipeline import Analyzer

logger = logging.getLogger(__name__)


class App:
    """One grokwatch process: use as `async with App(settings) as app:`."""

    def __init__(
        self,
        settings: Settings,
        *,
        console: ConsoleTransport | None = None,
        transports: dict[str, Transport] | None = None,
        analyzer: Analyzer | None = None,
        platforms: list[str] | None = None,
        receive: bool = True,
    ) -> None:
        """`platforms`: the chat platforms to build transports for ("discord", "slack");
        `receive=False`: they only send (alerts), they take no commands (no gateway, no
        socket: delivery workers beside a `grokwatch run` that receives)."""
        self.settings = settings
        self.console = console or ConsoleTransport()
        self.transports: dict[str, Transport] = {"console": self.console, **(transports or {})}
        self._analyzer = analyzer
        self._platforms = [p for p in (platforms or []) if p not in self.transports]
        self._receive = receive
        self._stack = AsyncExitStack()
        self.redis_description = ""
        self.children: dict[str, StageProcesses] = {}  # stage → its child processes

    async def __aenter__(self) -> App:
        try:
            await self._open()
        except BaseException:
            await self._stack.aclose()
            raise
        return self

    async def _open(self) -> None:
        s = self.settings
        self.store = await Store.connect(
            redis_url=s.redis_url,
            data_dir=s.data_dir,
            redis_server=s.redis_server,
            key_prefix=s.key_prefix,
            cluster=s.redis_cluster,
        )
        self._stack.push_async_callback(self.store.close)
        self.store.shared_corpus = s.shared_corpus  # tenancy: what every tenant sees
        self.redis_description = self.store.description
        await self.store.check_schema()
        self.catalog = Catalog.load()
        self.analyzer = self._analyzer or Analyzer(self.catalog, english_model=s.english_model)
        for name in self._platforms:  # chat platforms: built once the store is ready
            self.transports[name] = create_transport(name, s, self, receive=self._receive)
        self.pipeline = Pipeline(
            self.store,
            self.analyzer,
            self.catalog,
            self.transports,
            batch_size=s.batch_size,
            read_count=s.stream_read_count,
            reclaim_idle_ms=s.reclaim_idle_ms,
            backoff=Backoff(
                base_s=s.delivery_backoff_s,
                cap_s=s.delivery_backoff_max_s,
                max_age_s=s.delivery_max_age_h * 3600,
            ),
            delivery_rate_per_s=s.delivery_rate_per_s,
            channels_at_once=s.delivery_channels,
        )
        workers = self.pipeline.workers.values()  # trims, consumers, retention between batches
        Housekeeping.for_workers(self.store, workers, s).attach(workers)
        await self.pipeline.setup()
        self._stack.push_async_callback(self.pipeline.stop)
        for transport in self.transports.values():
            await transport.start()
            self._stack.push_async_callback(transport.close)
        self.fetcher = SafeFetcher(fetch_policy(s))
        self._stack.push_async_callback(self.fetcher.aclose)
        self.web = WebReader(
            self.fetcher,
            complete_below_words=s.feed_complete_words,
            max_page_fetches=s.feed_page_fetches,
        )
        self.ingestor = Ingestor(
            self.store,
            self.pipeline,
            max_bytes=s.max_file_bytes,
            web=self.web,
            ingest_dir=s.ingest_dir,
        )
        self.feeds = FeedManager(self.store, self.ingestor, self.web, feed_config(s))
        self.context = HandlerContext(
            store=self.store,
            catalog=self.catalog,
            ingest=self.ingestor,
            charts=Charts(s.data_dir / "charts"),
            analyzer=self.analyzer,
            feeds=self.feeds,
        )
        if s.llm_url:
            from bot.reader import GenerativeReader

            reader = GenerativeReader(s, self.store.stats)
            self._stack.push_async_callback(reader.aclose)
            self.context.reader = reader
        logger.info("ready: %s", self.redis_description)

    async def __aexit__(self, *exc: object) -> None:
        await self._stack.aclose()

    async def start_feeds(self) -> FeedScheduler:
        """Add the configured feeds (GROKWATCH_FEEDS) and poll feeds in the background."""
        added = await self.feeds.ensure_feeds(
            self.settings.feeds, self.settings.feeds_channel or ""
        )
        if added:
            logger.info("%d configured feed(s) added", added)
        scheduler = FeedScheduler(self.feeds)
        scheduler.start()
        self._stack.push_async_callback(scheduler.stop)
        return scheduler

    async def start_pipeline(self, *, children: bool = False) -> None:
        """Run the pipeline in the background. `children`: the enrich stage in
        GROKWATCH_ENRICH_PROCESSES child processes (supervised, stopped with the app)
        instead of this one, so that NER never shares the alert path's process; and the
        analyze stage in GROKWATCH_ANALYZE_PROCESSES ones (0: here)."""
        s = self.settings
        counts = {"enrich": s.enrich_processes, "analyze": s.analyze_processes}
        apart = {stage: n for stage, n in counts.items() if children and n > 0}
        if not apart:
            await self.pipeline.start()
            return
        await self.pipeline.start([stage for stage in STAGES if stage not in apart])
        for stage, n in apart.items():
            # enrichers niced: under load the CPU goes to the alert path first
            procs = StageProcesses(stage, worker_argv([stage]), n, nice=10 * (stage == "enrich"))
            await procs.start()
            self._stack.push_async_callback(procs.stop)
            self.children[stage] = procs
            logger.info("%s in %d child process(es)", stage, n)

    async def start_api(self) -> ApiServer:
        """Serve /v1/articles, /healthz, /readyz and /metrics (stopped with the app)."""
        platforms = {n: t for n, t in self.transports.items() if n != "console"}
        server = ApiServer(
            ApiDeps(
                config=api_config(self.settings),
                store=self.store,
                ingestor=self.ingestor,
                metrics=Metrics(
                    self.store,
                    self.pipeline.workers,
                    self.transports,
                    health=self.pipeline,
                    children=self.children,
                    connections=platforms,
                ),
                readiness=Readiness(self.pipeline, self.children),
                liveness=Liveness(
                    self.pipeline,
                    platforms,
                    stage_grace=self.settings.health_stage_grace,
                    platform_grace=self.settings.health_platform_grace,
                ),
            )
        )
        self._stack.push_async_callback(server.close)
        await server.start()
        return server

    async def say(
        self,
        line: str,
        *,
        channel: str | None = None,
        user: str | None = None,
        can_manage: bool = True,
        lang: str | None = None,
    ) -> Reply:
        """One chat command as typed; the reply (errors are replies too).

        `channel` without a platform ("found") is the console channel of that name. The
        reply's language is decided by dispatch (`handlers.registry.reply_language`), with
        `lang`, else GROKWATCH_LANGUAGE, as its hint."""
        try:
            address = ChannelAddress.parse(
                channel or self.settings.console_channel, default_platform="console"
            )
        except BadChannel as exc:
            return Reply.error(f"{exc}. Give the channel as console:<name>, or see `--help`.")
        try:
            request: CommandRequest = parse_command(line, lang=lang or self.settings.language)
        except ParseError as exc:
            return Reply.error(str(exc))
        request.channel = address
        request.user = user or self.settings.console_user
        request.can_manage = can_manage
        return await dispatch(self.context, request)

    async def handle(self, request: CommandRequest) -> Reply:
        """Run a command a transport received (it has set channel, user, permission)."""
        return await dispatch(self.context, request)

    async def complete_entities(self, prefix: str, limit: int = 25) -> list[EntityInfo]:
        return await complete_entity(self.context, prefix, limit)

    async def thread_ref(self, channel: str, key: str) -> str | None:
        return await self.store.delivery.thread_ref(channel, key)

    async def set_thread_ref(self, channel: str, key: str, ref: str) -> bool:
        return await self.store.delivery.set_thread_ref(channel, key, ref)

    async def mark_sending(self, channel: str, key: str, value: str) -> str | None:
        return await self.store.delivery.mark_sending(channel, key, value)

    async def remembered(self, name: str) -> str | None:
        return await self.store.stats.remembered(name)

    async def remember(self, name: str, value: str) -> None:
        await self.store.stats.remember(name, value)

    def installations(self, cipher: TokenCipher) -> InstallationRepository:
        return InstallationRepository(self.store.client, self.store.keys, cipher)

    async def forget_tenant(self, tenant: str) -> int:
        return await self.store.tenants.forget(tenant)

    async def ingest(self, paths: list[str], *, wait: bool = True) -> list[IngestOutcome]:
        return await self.ingestor.ingest_paths(paths, wait=wait)

    async def deliver_pending(self, *, retries_within: float = 0.0) -> int:
        """Deliver what the outboxes hold now (script mode, tests); with
        `retries_within`, also the alerts whose next try is due within that many seconds
        (waiting for them)."""
        done = await self.pipeline.drain(["deliver"])
        deadline = time.monotonic() + retries_within
        while retries_within > 0:
            due = [await self.store.retries.next_due(p) for p in self.pipeline.platforms]
            soon = min((d for d in due if d is not None), default=None)
            if soon is None or soon - time.time() > deadline - time.monotonic():
                break
            await asyncio.sleep(max(0.0, soon - time.time()) + 0.01)
            done += await self.pipeline.drain(["deliver"])
        return done


def fetch_policy(s: Settings) -> FetchPolicy:
    return FetchPolicy.build(
        allow=s.url_allowlist,
        timeout=s.fetch_timeout,
        total_timeout=s.fetch_total_timeout,
        max_bytes=s.fetch_max_bytes,
        max_redirects=s.fetch_max_redirects,
        user_agent=s.user_agent or DEFAULT_USER_AGENT,
        allow_private=s.allow_private_urls,
    )


def feed_config(s: Settings) -> FeedConfig:
    return FeedConfig(
        interval=s.feed_interval,
        jitter=s.feed_jitter,
        max_backoff=s.feed_max_backoff,
        max_failures=s.feed_max_failures,
        backlog_alerts=s.feed_backlog_alerts,
        concurrency=s.feed_concurrency,
        lock_ms=int(max(60.0, s.fetch_total_timeout * (2 + s.feed_page_fetches)) * 1000),
    )


def api_config(s: Settings) -> ApiConfig:
    return ApiConfig(
        token=s.api_token.get_secret_value() if s.api_token else None,
        max_body_bytes=s.api_max_body_bytes,
        host=s.api_host,
        port=s.api_port,
    )


def describe(app: App) -> dict[str, Any]:
    return {"redis": app.redis_description, "transports": sorted(app.transports)}
