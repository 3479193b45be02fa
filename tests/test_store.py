"""The store's repositories against a real server: dedupe, subscriptions, alert
idempotency, search, delivery state, streams, feeds, stories and the near-duplicate
lookup."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.settings import Settings
from bot.store import SchemaMismatch, Store
from bot.store.feeds import FeedState
from bot.store.keys import SCHEMA_VERSION
from handlers.model import Analysis, EntityResult, QueuedAlert, RawArticle, Subscription
from tests.conftest import ChatBot

PARAGRAPH = (
    "La start-up xAI fondée par Elon Musk a mis en ligne dimanche soir les poids de son "
    "modèle de langage Grok-1, comme son patron l'avait promis une semaine plus tôt. Le "
    "modèle compte 314 milliards de paramètres et repose sur une architecture dite de "
    "mélange d'experts, dont seule une partie est active pour chaque mot traité. L'archive "
    "contient le code d'inférence et les poids bruts, sous licence Apache 2.0."
)


@pytest.fixture
async def store(settings: Settings) -> AsyncIterator[Store]:
    s = await Store.connect(
        redis_url=settings.redis_url, data_dir=settings.data_dir, key_prefix=settings.key_prefix
    )
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


async def test_new_then_duplicate_and_same_text_under_another_url(store: Store) -> None:
    first = await store.articles.add(article(url="https://example.org/a"))
    again = await store.articles.add(article(url="https://example.org/a"))
    moved = await store.articles.add(article(url="https://example.org/a-copy"))
    assert first[0] == "new"
    assert again == ("duplicate", first[1])
    assert moved == ("duplicate", first[1])
    assert await store.articles.count() == 1
    assert await store.streams.length(store.keys.ingest_stream) == 1  # queued for analysis once
    assert (await store.stats.counters())["articles_ingested"] == 1


async def test_article_round_trip(store: Store) -> None:
    when = datetime(2024, 3, 17, 9, 0, tzinfo=UTC)
    _, aid = await store.articles.add(article(source="Le Veilleur", published_at=when, lang="fr"))
    rec = await store.articles.load(aid)
    assert rec is not None
    assert (rec.title, rec.source, rec.published_at, rec.lang) == (
        "xAI publie Grok",
        "Le Veilleur",
        when,
        "fr",
    )
    assert [s.name for s in await store.index.sources()] == ["Le Veilleur"]
    assert await store.articles.exists(aid) and not await store.articles.exists("nope")
    assert await store.articles.load_many(["nope", aid]) == [None, rec]


async def test_schema_mismatch_is_refused(store: Store) -> None:
    assert await store.schema_version() == SCHEMA_VERSION == 4
    await store.client.set(store.keys.schema, 99)
    with pytest.raises(SchemaMismatch, match="GROKWATCH_KEY_PREFIX"):
        await store.check_schema()


async def test_schema_1_is_migrated_by_rebuilding_the_term_index(testbot: ChatBot) -> None:
    store = testbot.app.store
    (outcome,) = await testbot.app.ingestor.add([article(PARAGRAPH)])
    await testbot.app.ingestor.wait_for([outcome.id])
    new_terms = sorted([k async for k in store.client.scan_iter(match=store.keys.term_pattern)])
    assert new_terms and store.keys.term("lic").encode() in new_terms
    # what schema 1 left: plural-stripped words, not stems, and its stamp
    await store.client.delete(*new_terms)
    await store.client.zadd(store.keys.term("licence"), {outcome.id: 1.0})
    await store.client.set(store.keys.schema, 1)
    assert await store.index.search(["lic"]) == []
    await store.check_schema()
    assert await store.schema_version() == SCHEMA_VERSION
    rebuilt = sorted([k async for k in store.client.scan_iter(match=store.keys.term_pattern)])
    assert rebuilt == new_terms  # the old key is gone, every new one is back
    assert not await store.client.exists(store.keys.migration_lock)
    hits = await store.index.search(["lic"])
    assert [h.article.id for h in hits] == [outcome.id]


async def test_subscriptions_and_salience_threshold(store: Store) -> None:
    subs = store.subscriptions
    assert await subs.track(Subscription("console:a", "grok"))
    assert not await subs.track(Subscription("console:a", "grok", min_level="high"))
    await subs.track(Subscription("console:b", "grok", min_level="high"))
    await subs.track(Subscription("console:c", "openai"))
    assert [(s.entity_id, s.min_level) for s in await subs.of_channel("console:a")] == [
        ("grok", "high")
    ]
    got = await subs.subscribers_for([ent("grok", level="medium"), ent("xai")])
    # a has raised its threshold to high; b wants high; medium reaches neither
    assert got == {}
    got = await subs.subscribers_for([ent("grok", level="high"), ent("openai", level="low")])
    assert sorted(got) == ["console:a", "console:b", "console:c"]
    assert await subs.untrack("console:a", "grok")
    assert not await subs.untrack("console:a", "grok")
    got = await subs.subscribers_for([ent("grok")])
    assert sorted(got) == ["console:b"]


async def _commands(store: Store) -> int:
    info = await store.client.info("stats")
    return int(info["total_commands_processed"])


async def test_fanout_cost_does_not_grow_with_subscriptions(store: Store) -> None:
    await store.subscriptions.track(Subscription("console:main", "grok"))
    mentioned = [ent("grok"), ent("xai")]

    async def cost() -> int:
        before = await _commands(store)
        await store.subscriptions.subscribers_for(mentioned)
        return await _commands(store) - before - 1  # minus the INFO itself

    small = await cost()
    for i in range(2000):  # many channels tracking entities this article does not mention
        await store.subscriptions.track(Subscription(f"console:other{i}", f"entity-{i % 50}"))
    large = await cost()
    assert small >= 2  # at least one read per mentioned entity
    assert large == small


async def test_alert_is_queued_once_per_channel_and_article(store: Store) -> None:
    delivery = store.delivery
    alert = QueuedAlert("console:a", "art1", ("grok",))
    assert await delivery.queue_alert("console", alert)
    assert not await delivery.queue_alert("console", alert)
    assert not await delivery.queue_alert("console", QueuedAlert("console:a", "art1", ("xai",)))
    assert await delivery.queue_alert("console", QueuedAlert("console:b", "art1", ("xai",)))
    assert await store.streams.length(store.keys.outbox("console")) == 2
    assert [a.channel for a in await delivery.queued_alerts("art1")] == ["console:a", "console:b"]
    assert (await store.stats.counters())["alerts_queued"] == 2


async def test_delivery_marks_notices_threads_and_sending(store: Store) -> None:
    d = store.delivery
    assert not await d.is_delivered("console:a", "art1")
    await d.mark_delivered("console:a", "art1")
    await d.mark_delivered("console:a", "art1")
    assert await d.is_delivered("console:a", "art1")
    assert await d.delivered_count("console:a") == 1
    assert await d.queue_notice("console", "console:a", "n1", "Title", "Text")
    assert not await d.queue_notice("console", "console:a", "n1", "Title", "Text")  # once, ever
    assert not await d.notice_sent("console:a", "n1")
    await d.mark_notice_sent("console:a", "n1")
    assert await d.notice_sent("console:a", "n1")
    assert await d.thread_ref("console:a", "story-1") is None
    assert await d.set_thread_ref("console:a", "story-1", "m1")
    assert not await d.set_thread_ref("console:a", "story-1", "m2")
    assert await d.thread_ref("console:a", "story-1") == "m1"
    assert await d.mark_sending("console:a", "k", "first") is None
    assert await d.mark_sending("console:a", "k", "second") == "first"  # a retry finds it


async def test_pausing_parks_alerts_and_resuming_queues_them_again(store: Store) -> None:
    d = store.delivery
    channel = "slack:T1:C1"
    await d.pause_channel(channel, "channel_not_found")
    assert await d.is_paused(channel)
    assert await d.paused_channels("slack:T1") == {channel: "channel_not_found"}
    await d.park(channel, {"channel": channel, "article": "a1", "entities": "[]"})
    assert await d.parked_count(channel) == 1
    assert await d.resume_channel(channel, "slack") == 1
    assert not await d.is_paused(channel) and await d.parked_count(channel) == 0
    (entry,) = await store.streams.entries(store.keys.outbox("slack"))
    assert entry[1] == {"channel": channel, "article": "a1", "entities": "[]"}


async def test_search_ranks_articles_with_all_terms_first(store: Store) -> None:
    rows = [
        ("Licence", "Le code de Grok est publié sous licence Apache 2.0 par xAI."),
        ("Meteo", "Le mistral souffle en Provence, la licence de pêche est suspendue."),
        ("Apache", "Les hélicoptères Apache de l'armée américaine."),
    ]
    for title, text in rows:
        _, aid = await store.articles.add(RawArticle(title=title, text=text))
        rec = await store.articles.load(aid)
        assert rec is not None
        await store.articles.save_analysis(
            rec, Analysis(lang="fr", title=title, entities=[]), "fast"
        )
    hits = await store.index.search(["licences apache"])
    assert next(h.article.title for h in hits) == "Licence"
    assert "Apache 2.0" in hits[0].snippet
    assert {h.article.title for h in hits} == {"Licence", "Meteo", "Apache"}
    assert await store.index.search(["zzzz"]) == []


async def test_analysis_passes_merge_and_index_entities(store: Store) -> None:
    when = datetime(2024, 3, 17, tzinfo=UTC)
    _, aid = await store.articles.add(article(published_at=when))
    rec = await store.articles.load(aid)
    assert rec is not None
    fast = await store.articles.save_analysis(
        rec, Analysis(lang="fr", title=rec.title, entities=[ent("grok")]), "fast"
    )
    assert [e.id for e in fast] == ["grok"]
    rec = await store.articles.load(aid)
    assert rec is not None and rec.analysed == "fast"
    full = await store.articles.save_analysis(
        rec, Analysis(lang="fr", title=rec.title, entities=[ent("grok"), ent("xai")]), "full"
    )
    assert [e.id for e in full] == ["xai"]  # only what the full pass added
    rec = await store.articles.load(aid)
    assert rec is not None and rec.analysed == "full"
    assert sorted(e.id for e in rec.entities) == ["grok", "xai"]
    total, found = await store.index.mentioning("xai")
    assert total == 1 and [r.id for r in found] == [aid]
    assert await store.index.entity_timestamps("grok") == [when.timestamp()]
    await store.delivery.mark_fanned(aid, "full")
    await store.delivery.mark_fanned(aid, "fast")  # never downgrades "full"
    rec = await store.articles.load(aid)
    assert rec is not None and rec.fanned == "full"


async def test_stories_keep_their_articles_in_time_order(store: Store) -> None:
    ids = []
    for day in (18, 17):
        when = datetime(2024, 3, day, tzinfo=UTC)
        _, aid = await store.articles.add(article(text=f"Jour {day}.", published_at=when))
        ids.append(aid)
        rec = await store.articles.load(aid)
        assert rec is not None
        await store.stories.add_article(rec, "s-1", "Grok ouvert")
        await store.stories.add_article(rec, "s-1", "another title")  # idempotent
    story = await store.stories.get("s-1")
    assert story is not None and (story.title, story.articles) == ("Grok ouvert", 2)
    assert story.first == datetime(2024, 3, 17, tzinfo=UTC)
    assert [r.id for r in await store.stories.articles("s-1")] == [ids[1], ids[0]]
    assert [s.id for s in await store.stories.top()] == ["s-1"]
    assert await store.stories.get("s-none") is None
    (row,) = await store.stories.salience_and_story([ids[0]])
    assert row == (ids[0], {}, "s-1")


async def test_the_one_near_duplicate_lookup(store: Store) -> None:
    near = store.neardup
    original = near.signature("xAI publie Grok-1", PARAGRAPH)
    await near.remember("a-orig", original)
    await store.client.hset(store.keys.article("a-orig"), "story", "s-grok")
    copy = near.signature("xAI publie Grok-1 (mis à jour)", PARAGRAPH + " Mis à jour lundi.")
    (match,) = await near.matches(copy, 0.6)
    assert (match.article_id, match.story) == ("a-orig", "s-grok")
    assert 0.6 <= match.similarity < 1.0
    assert await near.matches(copy, 0.99) == []  # below the threshold asked for
    assert await near.matches(original, 0.6, exclude="a-orig") == []  # itself is not reported
    assert await near.matches(original, 0.6, limit=0) == []
    other = near.signature("Coup de vent", "Le mistral soufflera fort ce mardi. " * 10)
    assert await near.matches(other, 0.1) == []  # no band shared


async def test_same_event_reads_find_co_mentions_in_the_window(store: Store) -> None:
    march = datetime(2024, 3, 17, tzinfo=UTC)
    dated = []
    for day, text in ((17, "a"), (1, "b")):  # the second is out of a 10-day window
        _, aid = await store.articles.add(
            article(text=f"Texte {text}.", published_at=march.replace(day=day))
        )
        dated.append(aid)
    _, undated = await store.articles.add(article(text="Sans date."))
    for aid in (*dated, undated):
        rec = await store.articles.load(aid)
        assert rec is not None
        await store.articles.save_analysis(
            rec, Analysis(lang="fr", title=rec.title, entities=[ent("grok"), ent("xai")]), "fast"
        )
    found = await store.stories.mentioning_near(["grok", "openai"], march, 10 * 86400, 150)
    assert found == [{dated[0], undated}, set()]
    anytime = await store.stories.mentioning_near(["grok"], None, 10 * 86400, 150)
    assert anytime == [{*dated, undated}]


async def test_streams_read_ack_reclaim_and_dead_letters(store: Store) -> None:
    s, k = store.streams, store.keys
    await s.ensure_group(k.ingest_stream, "g")
    await s.ensure_group(k.ingest_stream, "g")  # exists already: fine
    await s.add_many(k.ingest_stream, [{"id": "a"}, {"id": "b"}])
    assert await s.lag(k.ingest_stream, "g") >= 1  # Redis < 7 only tells "some"
    batch = await s.read(k.ingest_stream, "g", "c1", count=10)
    assert [f for _, f in batch] == [{"id": "a"}, {"id": "b"}]
    assert await s.pending(k.ingest_stream, "g") == 2 and await s.lag(k.ingest_stream, "g") == 0
    await s.ack(k.ingest_stream, "g", [batch[0][0]])
    claimed = await s.reclaim(k.ingest_stream, "g", "c2", min_idle_ms=0, count=10)
    assert [eid for eid, _ in claimed] == [batch[1][0]]
    tries = await s.delivery_counts(k.ingest_stream, "g", batch[1][0], batch[1][0], 10)
    assert tries == {batch[1][0]: 2}
    await s.dead_letter(k.dead_letters, k.ingest_stream, "g", batch[1][0], {"id": "b", "x": "y"})
    assert await s.pending(k.ingest_stream, "g") == 0
    assert [f for _, f in await s.entries(k.dead_letters)] == [{"id": "b", "x": "y"}]
    assert await s.pending("no-such-stream", "g") == 0 and await s.lag("no-such-stream", "g") == 0


async def test_feed_state_schedule_channels_and_lock(store: Store) -> None:
    feeds = store.feeds
    state = FeedState(id="f1", url="https://example.org/feed", next_poll=100.0)
    await feeds.create(state)
    assert not await feeds.create_if_absent(FeedState(id="f1", url="https://other.example"))
    assert await feeds.create_if_absent(
        FeedState(id="f2", url="https://example.org/2", next_poll=50.0), "console:a"
    )
    assert await feeds.ids() == ["f1", "f2"] and await feeds.ids("console:a") == ["f2"]
    await feeds.link("f1", "console:a")
    assert await feeds.channels("f1") == ["console:a"]
    assert await feeds.due(now=75.0, limit=10) == ["f2"]
    assert await feeds.next_due() == 50.0 and await feeds.due_at("f1") == 100.0
    state.paused = True
    assert await feeds.save(state)  # paused: unscheduled
    assert await feeds.due_at("f1") is None and await feeds.counts() == (2, 1)
    loaded = await feeds.load("f1")
    assert loaded is not None and loaded.paused and loaded.url == state.url
    async with feeds.lock("f1", 10_000) as got:
        assert got and await feeds.is_locked("f1")
        async with feeds.lock("f1", 10_000) as again:
            assert not again  # held by the first
    assert not await feeds.is_locked("f1")  # released by its holder
    assert await feeds.unlink("f1", "console:a") == (True, 0)
    await feeds.delete("f1")
    assert await feeds.load("f1") is None
    assert not await feeds.save(state)  # removed meanwhile: not written back
    assert await feeds.load("f1") is None
    await feeds.set_due({"f2": time.time() - 1})
    assert await feeds.due(now=time.time(), limit=10) == ["f2"]


async def test_connect_stops_the_embedded_server_it_started(tmp_path: Path) -> None:
    store = await Store.connect(redis_url=None, data_dir=tmp_path)
    try:
        await store.ping()
        assert "embedded" in store.description
        assert (tmp_path / "redis.sock").exists()
    finally:
        await store.close()
    for _ in range(50):
        if not (tmp_path / "redis.sock").exists():
            break
        await asyncio.sleep(0.1)
    assert not (tmp_path / "redis.sock").exists()
