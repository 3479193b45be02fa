"""Retention against a real server: articles older than GROKWATCH_RETENTION_DAYS go with
every entry that names them (no dangling index entry anywhere in the keyspace), the others
stay whole and searchable, and the setting says what to fix when it is wrong."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest

from bot.ingest.readers import CORPUS_DIR
from bot.pipeline.housekeeping import Housekeeping
from bot.settings import SettingsError, load_settings
from bot.store import Store
from tests.conftest import ChatBot

DAY = 86400.0


async def _age(store: Store, article_id: str, days: float) -> None:
    """Set an article's times `days` back, as if it had been stored then."""
    then = datetime.now(UTC) - timedelta(days=days)
    k = store.keys
    await store.client.zadd(k.articles, {article_id: then.timestamp()})
    await store.client.hset(
        k.article(article_id),
        mapping={"published_at": then.isoformat(), "ingested_at": then.isoformat()},
    )


async def _keyspace(store: Store) -> dict[str, list[bytes]]:
    """Every key of the store's prefix → everything it holds (names and values)."""
    r, out = store.client, {}
    async for raw in r.scan_iter(match=f"{store.keys.prefix}:*", count=1000):
        key = raw.decode()
        kind = (await r.type(key)).decode()
        if kind == "string":
            items = [await r.get(key)]
        elif kind == "hash":
            items = [x for kv in (await r.hgetall(key)).items() for x in kv]
        elif kind == "set":
            items = list(await r.smembers(key))
        elif kind == "zset":
            items = list(await r.zrange(key, 0, -1))
        elif kind == "list":
            items = list(await r.lrange(key, 0, -1))
        else:  # stream
            items = [x for _, f in await r.xrange(key) for kv in f.items() for x in kv]
        out[key] = items
    return out


def _without(item: bytes, names: list[bytes]) -> bytes:
    for name in names:
        item = item.replace(name, b"")
    return item


async def test_expired_articles_leave_no_dangling_entry(testbot: ChatBot) -> None:
    app, store = testbot.app, testbot.app.store
    await testbot.say("/grok track Grok")
    await testbot.say("/grok track OpenAI")
    await testbot.say("/grok track Grok", channel="console:paused")
    await store.delivery.pause_channel("console:paused", "gone")
    await app.ingest([str(CORPUS_DIR)])
    await testbot.deliver()
    ids = list(await store.retention.article_ids())
    assert len(ids) >= 14
    assert await store.delivery.parked_count("console:paused") > 0
    aged, kept = ids[::2], ids[1::2]
    for article_id in aged:
        await _age(store, article_id, 100)
    before = await _keyspace(store)
    assert all(any(a in k for k in before) for a in aged)  # they were there to remove

    # small batches: the kept ones (published in 2024, ingested now) are paged over
    removed = await store.retention.expire(time.time() - 90 * DAY, batch=3)
    assert removed == len(aged)
    hk = Housekeeping.for_workers(store, app.pipeline.workers.values(), app.settings)
    hk.trim_margin_s = 0
    await hk.bound_streams(time.time() + 1)  # their stream entries are acknowledged: gone

    # a story is named after its first article ("s-<id>"): a story still alive keeps its
    # name, and is no dangling entry; any other mention of an expired id would be
    live_stories = await store.client.zrange(store.keys.stories, 0, -1)
    after = await _keyspace(store)
    dangling = [
        (key, item)
        for key, items in after.items()
        for item in [_without(key.encode(), live_stories), *items]
        for article_id in aged
        if item and article_id.encode() in _without(item, live_stories)
    ]
    assert dangling == []
    # the kept articles are whole and found
    records = await store.articles.load_many(kept)
    assert all(r is not None and r.entities and r.analysed for r in records)
    assert set(await store.retention.article_ids()) == set(kept)
    for rec in records:
        assert rec is not None
        hits = await store.index.search([rec.title], limit=len(ids))
        assert rec.id in {h.article.id for h in hits}
        sig = store.neardup.signature(rec.title, rec.text)
        assert rec.id in {m.article_id for m in await store.neardup.matches(sig, 0.9)}
    grok_kept = [r for r in records if r and any(e.id == "grok" for e in r.entities)]
    total, _ = await store.index.mentioning("grok", limit=1)
    assert total == len(grok_kept) > 0
    # stories: the sizes are right, none is empty; outlets: none without an article
    for story_id, size in await store.client.zrange(store.keys.stories, 0, -1, withscores=True):
        sid = story_id.decode()
        assert await store.client.zcard(store.keys.story_articles(sid)) == size > 0
        assert await store.stories.get(sid) is not None
    for source in await store.client.smembers(store.keys.sources):
        assert await store.client.zcard(store.keys.source_articles(source.decode())) > 0
    # the same text can be stored again, as a new article
    stats = await store.client.hget(store.keys.stats, "articles_expired")
    assert int(stats) == len(aged)


async def test_retention_zero_keeps_everything(testbot: ChatBot) -> None:
    store = testbot.app.store
    await testbot.app.ingest([str(CORPUS_DIR)])
    ids = list(await store.retention.article_ids())
    for article_id in ids:
        await _age(store, article_id, 10_000)
    hk = Housekeeping(store, {}, retention_days=0)
    await hk.run_due()
    assert await hk.expire_articles(time.time()) == 0
    assert set(await store.retention.article_ids()) == set(ids)
    hk.retention_days = 90
    await hk.run_due()  # its turn: the period's lock is free
    assert await store.retention.article_ids() == []


def test_retention_setting_says_what_to_fix() -> None:
    assert load_settings().retention_days == 90
    assert load_settings(retention_days="0").retention_days == 0
    with pytest.raises(
        SettingsError,
        match=r"GROKWATCH_RETENTION_DAYS.*whole number of days ≥ 0.*0 to keep them forever",
    ):
        load_settings(retention_days="-3")
    with pytest.raises(SettingsError, match="GROKWATCH_RETENTION_DAYS"):
        load_settings(retention_days="ninety")
