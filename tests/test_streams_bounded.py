"""Bounded streams against a real server: trimming keeps every pending and unread entry
and drops what every group acknowledged; the dead letters are capped; the consumers of
gone processes are removed, never one holding pending entries nor a live one; one
process per period runs the chores; a whole pipeline run leaves its streams empty, drained
or with the workers running their chores."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest

from bot.ingest.readers import CORPUS_DIR
from bot.pipeline.housekeeping import Housekeeping
from bot.settings import Settings
from bot.store import Store
from tests.conftest import ChatBot


@pytest.fixture
async def store(settings: Settings) -> AsyncIterator[Store]:
    s = await Store.connect(
        redis_url=settings.redis_url, data_dir=settings.data_dir, key_prefix=settings.key_prefix
    )
    yield s
    await s.close()


async def _fill(store: Store, stream: str, n: int) -> list[str]:
    return [(await store.client.xadd(stream, {"id": f"a{i}"})).decode() for i in range(n)]


async def _read(store: Store, stream: str, group: str, consumer: str, n: int) -> list[str]:
    return [eid for eid, _ in await store.streams.read(stream, group, consumer, count=n)]


async def test_trim_drops_only_what_every_group_acknowledged(store: Store) -> None:
    repo, stream = store.streams, store.keys.analyzed_stream
    for group in ("fanout", "enrich"):
        await repo.ensure_group(stream, group)
    ids = await _fill(store, stream, 10)
    fanout = await _read(store, stream, "fanout", "f1", 10)
    await repo.ack(stream, "fanout", [i for i in fanout if i != ids[3]])  # ids[3] pending
    enrich = await _read(store, stream, "enrich", "e1", 6)
    await repo.ack(stream, "enrich", enrich)  # ids[6:] never delivered to enrich
    now_ms = int(time.time() * 1000) + 10_000

    assert await repo.trim_floor(stream, ("fanout", "enrich")) == ids[3]
    # a young entry is kept for the margin, whatever the groups did
    assert (
        await repo.trim_acknowledged(stream, ("fanout", "enrich"), margin_ms=60_000, now_ms=now_ms)
        == 0
    )
    removed = await repo.trim_acknowledged(stream, ("fanout", "enrich"), margin_ms=0, now_ms=now_ms)
    assert removed == 3
    left = [e.decode() for e, _ in await store.client.xrange(stream)]
    assert left == ids[3:]
    # the pending entry can still be claimed back, the unread ones still read
    claimed = await repo.reclaim(stream, "fanout", "f2", min_idle_ms=0, count=10)
    assert [e for e, _ in claimed] == [ids[3]]
    assert await _read(store, stream, "enrich", "e1", 10) == ids[6:]


async def test_no_trim_while_a_reading_group_is_missing(store: Store) -> None:
    repo, stream = store.streams, store.keys.analyzed_stream
    await repo.ensure_group(stream, "fanout")
    await _fill(store, stream, 5)
    await repo.ack(stream, "fanout", await _read(store, stream, "fanout", "f1", 5))
    future = int(time.time() * 1000) + 10_000
    # enrich has not created its group yet: its entries are all still to come
    assert (
        await repo.trim_acknowledged(stream, ("fanout", "enrich"), margin_ms=0, now_ms=future) == 0
    )
    # no group at all (an outbox whose deliverer never ran): nothing is known done
    outbox = store.keys.outbox("discord")
    await _fill(store, outbox, 3)
    assert await repo.trim_acknowledged(outbox, ("deliver",), margin_ms=0, now_ms=future) == 0
    assert await repo.length(stream) == 5 and await repo.length(outbox) == 3
    assert await repo.trim_acknowledged(stream, ("fanout",), margin_ms=0, now_ms=future) == 5


async def test_dead_letters_are_capped(store: Store) -> None:
    dead = store.keys.dead_letters
    await _fill(store, dead, 700)
    hk = Housekeeping(store, {}, dead_letters_max=200)
    await hk.bound_streams(time.time())
    assert 200 <= await store.streams.length(dead) < 700


async def test_gone_consumers_are_removed_never_a_pending_or_live_one(store: Store) -> None:
    repo, stream, group = store.streams, store.keys.ingest_stream, "analyze"
    await repo.ensure_group(stream, group)
    await _fill(store, stream, 6)
    # a process that finished its work and was killed, one killed mid-batch
    await repo.ack(stream, group, await _read(store, stream, group, "host-101-analyze", 2))
    await _read(store, stream, group, "host-102-analyze", 2)  # left pending
    await asyncio.sleep(0.3)
    await _read(store, stream, group, "host-103-analyze", 1)  # the live one just read

    assert await repo.remove_idle_consumers(stream, group, idle_ms=200) == ["host-101-analyze"]
    names = {c["name"].decode() for c in await store.client.xinfo_consumers(stream, group)}
    assert names == {"host-102-analyze", "host-103-analyze"}
    # once the live one has claimed back the dead one's entries, it goes too
    await repo.reclaim(stream, group, "host-103-analyze", min_idle_ms=0, count=10)
    await asyncio.sleep(0.3)
    await _read(store, stream, group, "host-103-analyze", 1)
    assert await repo.remove_idle_consumers(stream, group, idle_ms=200) == ["host-102-analyze"]
    names = {c["name"].decode() for c in await store.client.xinfo_consumers(stream, group)}
    assert names == {"host-103-analyze"}


async def test_one_process_per_period_runs_a_chore(store: Store) -> None:
    assert await store.streams.claim_turn("streams", 500) is True
    assert await store.streams.claim_turn("streams", 500) is False
    await asyncio.sleep(0.6)
    assert await store.streams.claim_turn("streams", 500) is True


async def test_a_pipeline_run_leaves_its_streams_empty(testbot: ChatBot) -> None:
    app = testbot.app
    await testbot.say("/grok track Grok")
    await app.ingest([str(CORPUS_DIR)])
    assert await testbot.deliver()  # some alerts went out
    k = app.store.keys
    streams = [k.ingest_stream, k.analyzed_stream, k.enriched_stream, k.outbox("console")]
    assert all([await app.store.streams.length(s) > 0 for s in streams])
    hk = Housekeeping.for_workers(app.store, app.pipeline.workers.values(), app.settings)
    assert hk.readers[k.analyzed_stream] == ("enrich", "fanout")
    hk.trim_margin_s = 0
    trimmed, gone = await hk.bound_streams(time.time() + 1)
    assert trimmed > 0 and gone == []  # the test's own consumers are not idle
    assert [await app.store.streams.length(s) for s in streams] == [0, 0, 0, 0]


async def test_running_workers_trim_their_streams(testbot: ChatBot) -> None:
    app = testbot.app
    k = app.store.keys
    await testbot.say("/grok track Grok")
    hk = Housekeeping.for_workers(app.store, app.pipeline.workers.values(), app.settings)
    hk.trim_margin_s, hk.trim_every_s = 0, 0.2
    hk.attach(app.pipeline.workers.values())
    await app.pipeline.start()
    try:
        await app.ingest([str(CORPUS_DIR)], wait=False)
        streams = [k.ingest_stream, k.analyzed_stream, k.enriched_stream, k.outbox("console")]
        for _ in range(300):  # the workers process, deliver, and trim as they go
            await asyncio.sleep(0.1)
            if await app.store.articles.count() and not sum(
                [await app.store.streams.length(s) for s in streams]
            ):
                break
        assert [await app.store.streams.length(s) for s in streams] == [0, 0, 0, 0]
        assert await app.store.delivery.delivered_count("console:demo") > 0
    finally:
        await app.pipeline.stop()


async def test_every_worker_of_the_app_runs_the_chores(testbot: ChatBot) -> None:
    """`App` attaches one Housekeeping to all its stage workers, so `run`, `demo` and each
    `grokwatch worker` process keep Redis bounded; it knows every stream's readers."""
    workers = list(testbot.app.pipeline.workers.values())
    chores = {id(w.chores) for w in workers}
    assert len(chores) == 1 and all(w.chores is not None for w in workers)
    housekeeping = workers[0].chores
    assert isinstance(housekeeping, Housekeeping)
    keys = testbot.app.store.keys
    assert set(housekeeping.readers[keys.analyzed_stream]) == {"fanout", "enrich"}
