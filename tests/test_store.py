"""The Redis store against a real server: dedupe, subscriptions, alert idempotency, search."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
import redis.asyncio as aioredis

from bot.ops.embedded import EmbeddedRedis
from bot.store.keys import Keys
from bot.store.redis_store import RedisStore, SchemaMismatch
from handlers.model import EntityResult, QueuedAlert, RawArticle, Subscription


@pytest.fixture
async def store(settings):  # type: ignore[no-untyped-def]
    s = RedisStore(aioredis.Redis.from_url(settings.redis_url), Keys(settings.key_prefix))
    await s.check_schema()
    yield s
    await s.close()


def article(text: str = "Grok est publié sous licence Apache 2.0.", **kw: object) -> RawArticle:
    fields: dict[str, object] = {"title": "xAI publie Grok", "text": text, **kw}
    return RawArticle(**fields)  # type: ignore[arg-type]


def ent(eid: str, level: str = "high") -> EntityResult:
    return EntityResult(
        id=eid,
        name=eid,
        type="organisation",
        source="catalog",
        mentions=1,
        salience=0.5,
        level=level,
    )  # type: ignore[arg-type]


async def test_new_then_duplicate_and_same_text_under_another_url(store: RedisStore) -> None:
    first = await store.add_article(article(url="https://example.org/a"))
    again = await store.add_article(article(url="https://example.org/a"))
    moved = await store.add_article(article(url="https://example.org/a-copy"))
    assert first[0] == "new"
    assert again == ("duplicate", first[1])
    assert moved == ("duplicate", first[1])
    assert await store.article_count() == 1
    assert await store.r.xlen(store.keys.ingest_stream) == 1  # queued for analysis once


async def test_article_round_trip(store: RedisStore) -> None:
    when = datetime(2024, 3, 17, 9, 0, tzinfo=UTC)
    _, aid = await store.add_article(article(source="Le Veilleur", published_at=when, lang="fr"))
    rec = await store.load_article(aid)
    assert rec is not None
    assert (rec.title, rec.source, rec.published_at, rec.lang) == (
        "xAI publie Grok",
        "Le Veilleur",
        when,
        "fr",
    )
    assert [s.name for s in await store.sources()] == ["Le Veilleur"]


async def test_schema_mismatch_is_refused(store: RedisStore) -> None:
    await store.r.set(store.keys.schema, 99)
    with pytest.raises(SchemaMismatch, match="GROKWATCH_KEY_PREFIX"):
        await store.check_schema()


async def test_subscriptions_and_salience_threshold(store: RedisStore) -> None:
    assert await store.track(Subscription("console:a", "grok"))
    assert not await store.track(Subscription("console:a", "grok", min_level="high"))
    await store.track(Subscription("console:b", "grok", min_level="high"))
    await store.track(Subscription("console:c", "openai"))
    got = await store.subscribers_for([ent("grok", level="medium"), ent("xai")])
    # a has raised its threshold to high; b wants high; medium reaches neither
    assert got == {}
    got = await store.subscribers_for([ent("grok", level="high"), ent("openai", level="low")])
    assert sorted(got) == ["console:a", "console:b", "console:c"]
    assert await store.untrack("console:a", "grok")
    assert not await store.untrack("console:a", "grok")
    got = await store.subscribers_for([ent("grok")])
    assert sorted(got) == ["console:b"]


async def _commands(store: RedisStore) -> int:
    info = await store.r.info("stats")
    return int(info["total_commands_processed"])


async def test_fanout_cost_does_not_grow_with_subscriptions(store: RedisStore) -> None:
    await store.track(Subscription("console:main", "grok"))
    mentioned = [ent("grok"), ent("xai")]

    async def cost() -> int:
        before = await _commands(store)
        await store.subscribers_for(mentioned)
        return await _commands(store) - before - 1  # minus the INFO itself

    small = await cost()
    for i in range(2000):  # many channels tracking entities this article does not mention
        await store.track(Subscription(f"console:other{i}", f"entity-{i % 50}"))
    large = await cost()
    assert small >= 2  # at least one read per mentioned entity
    assert large == small


async def test_alert_is_queued_once_per_channel_and_article(store: RedisStore) -> None:
    alert = QueuedAlert("console:a", "art1", ("grok",))
    assert await store.queue_alert("console", alert)
    assert not await store.queue_alert("console", alert)
    assert not await store.queue_alert("console", QueuedAlert("console:a", "art1", ("xai",)))
    assert await store.queue_alert("console", QueuedAlert("console:b", "art1", ("xai",)))
    assert await store.r.xlen(store.keys.outbox("console")) == 2
    assert [a.channel for a in await store.queued_alerts("art1")] == ["console:a", "console:b"]


async def test_search_ranks_articles_with_all_terms_first(store: RedisStore) -> None:
    from handlers.model import Analysis

    rows = [
        ("Licence", "Le code de Grok est publié sous licence Apache 2.0 par xAI."),
        ("Meteo", "Le mistral souffle en Provence, la licence de pêche est suspendue."),
        ("Apache", "Les hélicoptères Apache de l'armée américaine."),
    ]
    for title, text in rows:
        _, aid = await store.add_article(RawArticle(title=title, text=text))
        rec = await store.load_article(aid)
        assert rec is not None
        await store.save_analysis(rec, Analysis(lang="fr", title=title, entities=[]), "fast")
    hits = await store.search(["licences apache"])
    assert next(h.article.title for h in hits) == "Licence"
    assert "Apache 2.0" in hits[0].snippet
    assert {h.article.title for h in hits} == {"Licence", "Meteo", "Apache"}
    assert await store.search(["zzzz"]) == []


def test_embedded_server_persists_across_restarts(tmp_path: Path) -> None:
    import redis

    with EmbeddedRedis(tmp_path) as server:
        assert server.owned
        redis.Redis.from_url(server.url).set("gw:probe", "kept")
    assert not (tmp_path / "redis.sock").exists() or not server.owned
    with EmbeddedRedis(tmp_path) as server:
        assert redis.Redis.from_url(server.url).get("gw:probe") == b"kept"
    assert (tmp_path / "appendonly.aof").exists()


def test_second_process_attaches_to_a_running_embedded_server(tmp_path: Path) -> None:
    with EmbeddedRedis(tmp_path) as first:
        second = EmbeddedRedis(tmp_path)
        second.start()
        assert not second.owned  # it found the running server
        second.stop()  # does not stop a server it does not own
        import redis

        assert redis.Redis.from_url(first.url).ping()
