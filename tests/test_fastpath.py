"""The alert path at load (issue #11): enrichment in supervised child processes of `run`,
batched fan-out that queues exactly what one-at-a-time did, concurrent per-channel
delivery that keeps each channel's order and the once-per-(channel, article) guarantee."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import uuid
from pathlib import Path

from bot.pipeline.delivery import Deliverer
from bot.pipeline.supervisor import StageProcesses
from bot.store import Store
from handlers.model import ArticleRecord, EntityResult, QueuedAlert, RawArticle, Subscription
from handlers.reply import Reply
from tests.conftest import ChatBot
from tests.test_discovered import FIRST

GROKWATCH = [sys.executable, "-m", "bot.cli"]


def ent(eid: str, level: str = "medium") -> EntityResult:
    return EntityResult(
        id=eid, name=eid, type="org", mentions=1, salience=0.5, level=level, source="catalog"
    )  # type: ignore[arg-type]


async def test_store_replies_are_parsed_by_hiredis(testbot: ChatBot) -> None:
    pool = testbot.app.store.client.connection_pool
    conn = pool.connection_class(**pool.connection_kwargs)
    assert type(conn._parser).__name__ == "_AsyncHiredisParser"


async def test_batch_fanout_queues_what_one_at_a_time_did(testbot: ChatBot) -> None:
    store, pipeline = testbot.app.store, testbot.app.pipeline
    subs = store.subscriptions
    for channel, eid, level in [
        ("console:a", "grok", "low"),
        ("console:a", "xai", "low"),
        ("console:b", "grok", "high"),
        ("console:c", "openai", "medium"),
        ("console:c", "xai", "high"),
    ]:
        await subs.track(Subscription(channel, eid, min_level=level))  # type: ignore[arg-type]
    batch = [
        [ent("grok"), ent("xai", "high")],
        [ent("grok", "high"), ent("openai", "low")],
        [],
        [ent("openai"), ent("xai", "low"), ent("grok", "low")],
    ]
    many = await subs.subscribers_for_many(batch)
    assert many == [await subs.subscribers_for(ents) for ents in batch]

    records = [
        ArticleRecord(id=f"art{i}", title="t", text="x", entities=ents)
        for i, ents in enumerate(batch)
    ]
    queued = await pipeline._queue(records, [(r.id, "fast") for r in records])
    expected = [
        QueuedAlert(channel, rec.id, tuple(e.id for e in ents))
        for rec, by_channel in zip(records, many, strict=True)
        for channel, ents in by_channel.items()
    ]
    assert queued == expected and len(queued) == 6
    # replayed (a crash before the ack): nothing is queued twice
    assert await pipeline._queue(records, []) == []
    outbox = await store.streams.entries(store.keys.outbox("console"))
    assert [(f["channel"], f["article"]) for _, f in outbox] == [
        (a.channel, a.article_id) for a in expected
    ]


class SlowTransport:
    """Records what it is sent, slowly, to show channels are served concurrently."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []
        self.active = 0
        self.most_active = 0

    async def start(self) -> None: ...

    async def close(self) -> None: ...

    async def send(self, target: str, reply: Reply) -> None:
        self.active += 1
        self.most_active = max(self.most_active, self.active)
        await asyncio.sleep(0.02)
        self.sent.append((target, reply.title or reply.text))
        self.active -= 1


async def test_delivery_is_concurrent_across_channels_ordered_within_one(
    testbot: ChatBot,
) -> None:
    app = testbot.app
    store = app.store
    transport = SlowTransport()
    app.pipeline.transports["console"] = transport  # type: ignore[assignment]
    ids = []
    for i in range(4):
        status, aid = await store.articles.add(
            RawArticle(title=f"Grok news {i}", text=f"xAI publie Grok, version {i}.")
        )
        assert status == "new"
        ids.append(aid)
    channels = ["console:a", "console:b", "console:c"]
    for aid in ids:
        for ch in channels:
            assert await store.delivery.queue_alert("console", QueuedAlert(ch, aid, ("grok",)))
    entries = await store.streams.entries(store.keys.outbox("console"))
    assert await app.deliver_pending() == len(entries)  # every channel on its own task
    assert await app.pipeline.workers["deliver:console"].pending() == 0
    assert transport.most_active == len(channels)  # the channels overlapped
    for ch in channels:
        titles = [title for target, title in transport.sent if target == ch]
        assert len(titles) == len(ids)
        assert titles == sorted(titles, key=lambda t: t.split()[-1])  # queue order kept
    # replayed entries (sent, not acknowledged): nothing is sent twice
    assert await app.pipeline.deliver("console", entries) == [eid for eid, _ in entries]
    assert len(transport.sent) == len(ids) * len(channels)


async def test_a_killed_stage_process_is_restarted_and_all_stop_cleanly() -> None:
    procs = StageProcesses(
        "sleeper", [sys.executable, "-c", "import time; time.sleep(120)"], 2, restart_delay=0.05
    )
    await procs.start()
    try:
        for _ in range(100):
            if len(procs.pids) == 2:
                break
            await asyncio.sleep(0.05)
        first = procs.pids
        assert len(first) == 2
        os.kill(first[0], signal.SIGKILL)
        for _ in range(200):
            if len(procs.pids) == 2 and first[0] not in procs.pids:
                break
            await asyncio.sleep(0.05)
        assert len(procs.pids) == 2 and first[0] not in procs.pids and first[1] in procs.pids
        assert procs.restarts == 1
    finally:
        await procs.stop()
    assert procs.pids == []


def _children(pid: int) -> list[int]:
    out = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        out += [int(c) for c in (task / "children").read_text().split()]
    return out


def _alive(pids: list[int]) -> list[int]:
    return [pid for pid in pids if Path(f"/proc/{pid}").exists()]


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


async def _until(check: object, seconds: float = 90.0) -> None:
    for _ in range(int(seconds * 10)):
        if await check():  # type: ignore[operator]
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"timed out after {seconds} s")


async def test_run_enriches_in_child_processes_and_restarts_a_killed_one(
    redis_url: str, tmp_path: Path
) -> None:
    """`grokwatch run` with GROKWATCH_ENRICH_PROCESSES=1: the NER pass runs in a child
    `worker --stage enrich` (discovered entities arrive), a killed child is replaced."""
    prefix = "e" + uuid.uuid4().hex[:10]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD", "SLACK"))}
    env.update(
        REDIS_URL=redis_url,
        GROKWATCH_KEY_PREFIX=prefix,
        GROKWATCH_DATA_DIR=str(tmp_path / "d"),
        GROKWATCH_API_ENABLED="false",
        GROKWATCH_ENRICH_PROCESSES="1",
        GROKWATCH_RECLAIM_IDLE_MS="1000",
    )
    proc = await asyncio.create_subprocess_exec(
        *GROKWATCH,
        "run",
        env=env,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    store = await Store.connect(redis_url=redis_url, data_dir=tmp_path, key_prefix=prefix)
    try:

        def enrichers() -> list[int]:
            return [c for c in _children(proc.pid) if "--stage enrich" in _cmdline(c)]

        async def one_enricher() -> bool:
            assert proc.returncode is None, "run died"
            return len(enrichers()) == 1

        await _until(one_enricher)
        first = enrichers()[0]

        async def enriched(aid: str) -> bool:
            rec = await store.articles.load(aid)
            return rec is not None and rec.fanned == "full"

        _, aid = await store.articles.add(RawArticle(title="", text=FIRST))
        await _until(lambda: enriched(aid))
        rec = await store.articles.load(aid)
        assert rec is not None and rec.analysed == "full"
        assert "margrethe-vestager" in {e.id for e in rec.entities if e.source == "discovered"}

        os.kill(first, signal.SIGKILL)

        async def replaced() -> bool:
            return await one_enricher() and enrichers()[0] != first

        await _until(replaced)
        _, again = await store.articles.add(RawArticle(title="", text=FIRST + "\nEncore."))
        await _until(lambda: enriched(again))
        last = enrichers()
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = await asyncio.wait_for(proc.communicate(), timeout=60)
        await store.close()
    assert proc.returncode == 0, err.decode()
    assert not _alive(last)  # stopped with `run`


async def test_the_console_has_no_rate_limit(testbot: ChatBot) -> None:
    console = testbot.app.pipeline.workers["deliver:console"]
    assert isinstance(console, Deliverer) and console.rate_per_s == 0
