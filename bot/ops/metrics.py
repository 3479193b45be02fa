"""The metrics of `/metrics`, rendered in the Prometheus text exposition format (0.0.4):
the counters of the store's `stats` hash, stream lengths, entries pending and entries not
yet read (lag) per stage, feeds by state, and the number of articles; and how this process
heals: each stage's heartbeat age, restarts, Redis errors retried and consumer groups
created again, the restarts of its child stage processes, each platform's connection."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Protocol

from bot.store import Store

COUNTERS: dict[str, str] = {
    "articles_ingested": "Articles stored (new, not duplicates).",
    "alerts_queued": "Alerts queued for a channel by the fan-out.",
    "alerts_delivered": "Alerts delivered to a channel.",
    "notices_queued": "Bot notices (feed paused...) queued for a channel.",
    "notices_delivered": "Bot notices delivered.",
    "feeds_polled": "Feed polls that got an answer (200 or 304).",
    "feeds_not_modified": "Feed polls answered 304 Not Modified (no parse).",
    "feed_errors": "Feed polls that failed.",
    "feeds_paused": "Feeds paused after repeated or permanent failures.",
    "feed_items_new": "New articles that came from feeds.",
    "api_articles": "Articles received by POST /v1/articles.",
}

Sample = tuple[dict[str, str], float]
_Emit = Callable[[str, str, str, list[Sample]], None]


class Stage(Protocol):
    """A stage worker, as far as metrics go (`bot.pipeline.streams.StreamWorker`)."""

    async def pending(self) -> int: ...

    async def lag(self) -> int: ...


class StageHealth(Protocol):
    """One stage's status (`bot.pipeline.streams.StageStatus`)."""

    @property
    def name(self) -> str: ...
    @property
    def heartbeat_age(self) -> float: ...
    @property
    def restarts(self) -> int: ...
    @property
    def redis_errors(self) -> int: ...
    @property
    def groups_recreated(self) -> int: ...


class HealthSource(Protocol):
    """The stages' status (`bot.pipeline.stages.Pipeline.status`)."""

    def status(self, now: float | None = None) -> Sequence[StageHealth]: ...


class Children(Protocol):
    """Child stage processes (`bot.pipeline.supervisor.StageProcesses`)."""

    restarts: int


class Connection(Protocol):
    """A transport, as far as metrics go."""

    @property
    def connected(self) -> bool: ...


def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


class Metrics:
    """What `/metrics` shows, read from the store and the stage workers at each scrape."""

    def __init__(
        self,
        store: Store,
        stages: Mapping[str, Stage],
        platforms: Iterable[str],
        *,
        health: HealthSource | None = None,
        children: Mapping[str, Children] | None = None,
        connections: Mapping[str, Connection] | None = None,
    ) -> None:
        self.store = store
        self.stages = stages  # stage name → worker (read at each scrape)
        self.platforms = platforms  # the outboxes to measure (read at each scrape)
        self.health = health  # the stages this process runs
        self.children = children if children is not None else {}  # stage → child processes
        self.connections = connections if connections is not None else {}  # chat platforms

    async def render(self) -> str:
        """The metrics in the Prometheus text exposition format (version 0.0.4)."""
        lines: list[str] = []

        def metric(name: str, kind: str, help_: str, samples: list[Sample]) -> None:
            lines.append(f"# HELP {name} {help_}")
            lines.append(f"# TYPE {name} {kind}")
            for labels, value in samples:
                lab = ",".join(f'{k}="{_label(v)}"' for k, v in labels.items())
                shown = _number(value)
                lines.append(f"{name}{{{lab}}} {shown}" if lab else f"{name} {shown}")

        def histogram(name: str, help_: str, stored: str) -> None:
            buckets, total, count = stored_histograms[stored]
            lines.append(f"# HELP {name} {help_}")
            lines.append(f"# TYPE {name} histogram")
            for bound, n in buckets:
                lines.append(f'{name}_bucket{{le="{bound}"}} {n}')
            lines.append(f"{name}_sum {_number(total)}")
            lines.append(f"{name}_count {count}")

        store = self.store
        stats = await store.stats.counters()
        labelled = {k for k in stats if k.startswith(("llm_failure:", "llm_reply:"))}
        for key in sorted(set(COUNTERS) | (set(stats) - labelled)):
            safe = "".join(c if c.isalnum() or c == "_" else "_" for c in key)
            metric(
                f"grokwatch_{safe}_total",
                "counter",
                COUNTERS.get(key, f"Count of {key}."),
                [({}, stats.get(key, 0))],
            )
        metric(
            "grokwatch_llm_failures_total",
            "counter",
            "Generative reader replies not used, by reason (timeout, connect, http_5xx, "
            "unknown_citation...); the extractive answer was given instead.",
            [
                ({"reason": key.partition(":")[2]}, v)
                for key, v in sorted(stats.items())
                if key.startswith("llm_failure:")
            ],
        )
        metric(
            "grokwatch_llm_replies_total",
            "counter",
            "Generative reader outcomes: answer, refusal, fallback, skipped (breaker open).",
            [
                ({"outcome": key.partition(":")[2]}, v)
                for key, v in sorted(stats.items())
                if key.startswith("llm_reply:")
            ],
        )
        k = store.keys
        streams = {
            "ingest": k.ingest_stream,
            "analyzed": k.analyzed_stream,
            "enriched": k.enriched_stream,
            "dead": k.dead_letters,
            **{f"outbox:{p}": k.outbox(p) for p in sorted(self.platforms)},
        }
        lengths: list[Sample] = []
        for name, key in streams.items():
            lengths.append(({"stream": name}, float(await store.streams.length(key))))
        metric("grokwatch_stream_length", "gauge", "Entries in each Redis stream.", lengths)
        pending: list[Sample] = []
        for name, worker in sorted(self.stages.items()):
            pending.append(({"stage": name}, float(await worker.pending())))
        metric(
            "grokwatch_stage_pending",
            "gauge",
            "Entries read by a stage but not yet acknowledged.",
            pending,
        )
        lag: list[Sample] = []
        for name, worker in sorted(self.stages.items()):
            lag.append(({"stage": name}, float(await worker.lag())))
        metric(
            "grokwatch_stage_lag",
            "gauge",
            "Entries not yet read by a stage (its backlog; enrichment may lag, alerts do not "
            "wait for it).",
            lag,
        )
        waiting: list[Sample] = [
            ({"platform": p}, float(await store.retries.waiting(p))) for p in sorted(self.platforms)
        ]
        metric(
            "grokwatch_alerts_waiting_retry",
            "gauge",
            "Alerts whose post failed for a passing reason (platform down, rate limit), "
            "waiting for their next try.",
            waiting,
        )
        metric(
            "grokwatch_dead_letters",
            "gauge",
            "Entries the stages gave up on (`grokwatch dead-letters list`).",
            [({}, float(await store.retries.dead_count()))],
        )
        stored_histograms = {
            name: await store.stats.histogram(name) for name in ("alert_queued", "alert_delivery")
        }
        histogram(
            "grokwatch_alert_queued_seconds",
            "From an article's ingestion to each of its alerts queued in an outbox.",
            "alert_queued",
        )
        histogram(
            "grokwatch_alert_delivery_seconds",
            "From an alert queued to posted (retries after failures included).",
            "alert_delivery",
        )
        total, active = await store.feeds.counts()
        metric(
            "grokwatch_feeds",
            "gauge",
            "Feeds by state.",
            [({"state": "active"}, active), ({"state": "paused"}, max(0, total - active))],
        )
        metric(
            "grokwatch_articles",
            "gauge",
            "Articles in the store.",
            [({}, await store.articles.count())],
        )
        self._healing(metric)
        return "\n".join(lines) + "\n"

    def _healing(self, metric: _Emit) -> None:
        """The heartbeats, restarts and retried errors of this process's stages."""
        status = list(self.health.status()) if self.health is not None else []

        def per_stage(attr: str) -> list[Sample]:
            return [({"stage": st.name}, float(getattr(st, attr))) for st in status]

        metric(
            "grokwatch_stage_heartbeat_age_seconds",
            "gauge",
            "Seconds since the stage's loop last turned (/healthz fails past a grace).",
            per_stage("heartbeat_age"),
        )
        metric(
            "grokwatch_stage_restarts_total",
            "counter",
            "Times a stage's task died and was started again.",
            per_stage("restarts"),
        )
        metric(
            "grokwatch_stage_redis_errors_total",
            "counter",
            "Redis errors a stage met and retried.",
            per_stage("redis_errors"),
        )
        metric(
            "grokwatch_stage_groups_recreated_total",
            "counter",
            "Consumer groups a stage created again (NOGROUP: Redis lost its data).",
            per_stage("groups_recreated"),
        )
        metric(
            "grokwatch_child_restarts_total",
            "counter",
            "Times a child stage process exited and was started again.",
            [({"stage": n}, float(c.restarts)) for n, c in sorted(self.children.items())],
        )
        metric(
            "grokwatch_platform_connected",
            "gauge",
            "1 while the chat platform's connection is up (gateway, socket), else 0.",
            [({"platform": n}, float(c.connected)) for n, c in sorted(self.connections.items())],
        )


def _number(value: float) -> str:
    """A sample value as Prometheus reads it: whole numbers in full (1234567, never
    1.23457e+06), others with up to 6 significant digits."""
    return str(int(value)) if float(value).is_integer() else f"{value:.6g}"
