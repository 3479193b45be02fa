"""Stages that heal or fail loudly, on a real Redis server of their own (the faults below
would hurt the other tests on the shared one): Redis emptied mid-run (FLUSHALL), Redis
refusing writes (OOM under maxmemory + noeviction, READONLY as a replica), a stage task
that dies. Each time the stage logs what happened, keeps its loop turning, and an article
ingested afterwards still reaches its channel through the running pipeline."""

from __future__ import annotations

import io
import logging
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis
from rich.console import Console

from bot.app import App
from bot.ops.embedded import EmbeddedRedis
from bot.ops.metrics import Metrics
from bot.settings import Settings
from bot.transports.console import ConsoleTransport
from nlp.pipeline import Analyzer
from tests.heal_helpers import article, until

CHANNEL = "console:newsroom"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[EmbeddedRedis]:
    with EmbeddedRedis(tmp_path / "redis") as own:
        yield own


@dataclass
class Running:
    app: App
    out: io.StringIO
    raw: redis.Redis

    async def track(self) -> None:
        reply = await self.app.say("/grok track Grok", channel=CHANNEL)
        assert reply.kind == "info", reply.text

    async def ingest(self, path: str) -> None:
        outcomes = await self.app.ingest([path], wait=False)  # the running stages do the rest
        assert [o.status for o in outcomes] == ["new"]

    async def alerted(self, n: int) -> None:
        await until(lambda: f"Grok, épisode {n}" in self.out.getvalue(), f"alert {n} shown")


@pytest.fixture
async def running(
    settings: Settings, analyzer: Analyzer, server: EmbeddedRedis
) -> AsyncIterator[Running]:
    out = io.StringIO()
    console = ConsoleTransport(Console(file=out, width=120, color_system=None))
    s = settings.model_copy(update={"redis_url": server.url})
    async with App(s, console=console, analyzer=analyzer) as app:
        app.pipeline.restart_delay = 0.05
        for w in app.pipeline.workers.values():
            w.retry_min_s, w.retry_max_s = 0.05, 0.2
        await app.start_pipeline()
        raw = redis.Redis.from_url(server.url)
        try:
            yield Running(app, out, raw)
        finally:
            raw.close()


async def test_flushall_mid_run_recreates_the_groups(
    running: Running, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    await running.track()
    await running.ingest(article(tmp_path, 1))
    await running.alerted(1)
    caplog.set_level(logging.WARNING, logger="bot.pipeline.streams")
    running.raw.flushall()  # Redis restarted empty: every stream and group is gone
    pipeline = running.app.pipeline

    def recreated() -> bool:
        return all(st.groups_recreated >= 1 for st in pipeline.status())

    await until(recreated, "every stage created its consumer group again")
    gone = [r.getMessage() for r in caplog.records if "creating it again" in r.getMessage()]
    assert {m.split(": the consumer group")[0] for m in gone} == set(pipeline.workers)
    assert all(st.running and st.restarts == 0 for st in pipeline.status())
    await running.track()  # the subscription went with the data
    await running.ingest(article(tmp_path, 2))
    await running.alerted(2)
    groups = {
        g["name"].decode() for g in running.raw.xinfo_groups(running.app.store.keys.ingest_stream)
    }
    assert groups == {"analyze"}


@pytest.mark.parametrize(
    ("fault", "cure", "said"),
    [
        (
            [
                ("CONFIG", "SET", "maxmemory-policy", "noeviction"),
                ("CONFIG", "SET", "maxmemory", "1"),
            ],
            [("CONFIG", "SET", "maxmemory", "0")],
            "OOM",
        ),
        ([("REPLICAOF", "127.0.0.1", "1")], [("REPLICAOF", "NO", "ONE")], "READONLY"),
    ],
    ids=["oom", "readonly"],
)
async def test_a_redis_error_is_logged_and_retried_until_it_clears(
    running: Running,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    fault: list[tuple[str, ...]],
    cure: list[tuple[str, ...]],
    said: str,
) -> None:
    caplog.set_level(logging.WARNING, logger="bot.pipeline.streams")
    pipeline = running.app.pipeline
    await running.track()
    await pipeline.stop()
    await running.ingest(article(tmp_path, 3))  # waiting in the ingest stream
    for command in fault:
        running.raw.execute_command(*command)
    try:
        await pipeline.start()  # starts even so: its stages retry
        analyze = running.app.pipeline.workers["analyze"]
        await until(lambda: said in analyze.failing, f"analyze retrying {said}")
        errors = analyze.redis_errors
        await until(lambda: analyze.redis_errors > errors, "analyze trying again")
        logged = [r for r in caplog.records if "Redis error" in r.getMessage()]
        assert any(said in r.getMessage() for r in logged)
        assert all(r.levelno == logging.ERROR for r in logged)
        assert all(st.running and st.restarts == 0 for st in pipeline.status())
        assert "Grok, épisode 3" not in running.out.getvalue()
        metrics = await Metrics(running.app.store, {}, [], health=pipeline).render()
        assert 'grokwatch_stage_redis_errors_total{stage="analyze"}' in metrics
    finally:
        for command in cure:
            running.raw.execute_command(*command)
    await until(lambda: not any(st.failing for st in pipeline.status()), "the stages resuming")
    assert any("working again" in r.getMessage() for r in caplog.records)
    await running.alerted(3)  # the article that waited went through


class DiesOnce:
    """Chores that raise the first time (a bug in the loop, not a Redis error)."""

    def __init__(self) -> None:
        self.calls = 0

    async def run_due(self) -> None:
        self.calls += 1
        if self.calls == 1:
            raise RuntimeError("a bug in a stage loop")


async def test_a_dead_stage_task_is_restarted_and_counted(
    running: Running, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    pipeline = running.app.pipeline
    task = pipeline.tasks()["analyze"]
    chores = DiesOnce()
    pipeline.workers["analyze"].chores = chores
    await until(lambda: pipeline.restarts.get("analyze", 0) == 1, "analyze restarted")
    await until(lambda: chores.calls >= 2, "analyze turning again after its restart")
    assert not task.done() and pipeline.tasks()["analyze"] is task
    died = [r for r in caplog.records if "stage analyze died" in r.getMessage()]
    assert len(died) == 1 and died[0].exc_info is not None  # with its traceback
    metrics = await Metrics(running.app.store, {}, [], health=pipeline).render()
    assert 'grokwatch_stage_restarts_total{stage="analyze"} 1' in metrics
    assert 'grokwatch_stage_restarts_total{stage="fanout"} 0' in metrics
    await running.track()
    await running.ingest(article(tmp_path, 4))
    await running.alerted(4)
