"""A stage takes new entries in the same batch as the ones it reclaims from a crashed
consumer, so retries never starve new work (real Redis)."""

from __future__ import annotations

from collections.abc import Sequence

from bot.pipeline.streams import Entry, StreamWorker
from tests.conftest import ChatBot


async def test_reclaimed_and_new_entries_share_a_batch(testbot: ChatBot) -> None:
    store = testbot.app.store
    stream, group = store.keys._k("stream", "fairness"), "g"
    await store.streams.ensure_group(stream, group)
    await store.streams.add(stream, {"n": "old"})
    assert await store.streams.read(stream, group, "crashed")  # read, never acknowledged
    await store.streams.add_many(stream, [{"n": "new1"}, {"n": "new2"}])
    batches: list[list[str]] = []

    async def fn(entries: Sequence[Entry]) -> list[str]:
        batches.append([fields["n"] for _, fields in entries])
        return [eid for eid, _ in entries]

    worker = StreamWorker(store.streams, "fair", [stream], group, fn, reclaim_idle_ms=0)
    assert await worker.run_once() == 3
    assert batches == [["old", "new1", "new2"]]
    assert await worker.pending() == 0
