"""Story assignment in batches decides exactly what one-by-one assignment decides: an
article may join the story of an earlier article of its own batch (a near copy, or a
report of the same event), and the batch's partition into stories is the same whatever
the batch size. Real Redis, the real analyzer, the sample corpus and the seeds."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from bot.ingest.readers import CORPUS_DIR, read_paths
from bot.pipeline.stages import Pipeline
from bot.settings import Settings
from bot.store import Store
from handlers.model import RawArticle
from nlp.catalog import Catalog
from nlp.pipeline import Analyzer


def corpus(seeds: list[Path]) -> list[RawArticle]:
    """The sample corpus and the seeds, plus for the first seed a near copy (a changed
    last sentence under another URL) and a rewrite sharing none of its sentences."""
    articles = [a for a in read_paths([CORPUS_DIR, *seeds]) if isinstance(a, RawArticle)]
    first = next(a for a in articles if a.path and Path(a.path) in seeds)
    sentences = first.text.split(". ")
    copy = dataclasses.replace(
        first,
        url="https://copies.example/reprise",
        text=". ".join(sentences[:-1]) + ". Mise à jour : précisions ajoutées.",
    )
    return [*articles, copy]


def partition(stories: dict[str, str]) -> set[frozenset[str]]:
    groups: dict[str, set[str]] = {}
    for article_id, story in stories.items():
        groups.setdefault(story, set()).add(article_id)
    return {frozenset(g) for g in groups.values()}


@asynccontextmanager
async def analysed(
    settings: Settings, analyzer: Analyzer, catalog: Catalog, items: list[RawArticle], size: int
) -> AsyncIterator[tuple[Store, Pipeline, list[str]]]:
    """A store of its own with `items` ingested and analysed `size` at a time: the store,
    its pipeline and the articles' ids."""
    store = await Store.connect(
        redis_url=settings.redis_url,
        data_dir=settings.data_dir,
        key_prefix="t" + uuid.uuid4().hex[:12],
    )
    try:
        await store.check_schema()
        ids = [(await store.articles.add(item))[1] for item in items]
        pipeline = Pipeline(store, analyzer, catalog, batch_size=size)
        await pipeline.drain(["analyze"])
        yield store, pipeline, ids
    finally:
        await store.close()


async def assign_all(
    settings: Settings, analyzer: Analyzer, catalog: Catalog, items: list[RawArticle], size: int
) -> dict[str, str]:
    """Ingest `items`, analyse them `size` at a time; article id → story id."""
    async with analysed(settings, analyzer, catalog, items, size) as (store, _, ids):
        records = await store.articles.load_many(ids)
        return {r.id: r.story or "" for r in records if r is not None}


async def test_batched_assignment_equals_one_by_one(
    settings: Settings, analyzer: Analyzer, catalog: Catalog, seeds: list[Path]
) -> None:
    items = corpus(seeds)
    one_by_one = await assign_all(settings, analyzer, catalog, items, 1)
    batched = await assign_all(settings, analyzer, catalog, items, len(items))
    assert len(batched) == len(items) and all(batched.values())
    assert partition(batched) == partition(one_by_one)
    # the near copy, in the same batch as its original, joined the original's story
    first = next(a for a in items if a.path and Path(a.path) in seeds)
    copy, original = items[-1].article_id(), first.article_id()
    assert batched[copy] == batched[original]
    # some articles were grouped, yet not everything in one story
    assert len(items) > len(partition(batched)) > 2


async def test_a_replayed_batch_keeps_its_stories(
    settings: Settings, analyzer: Analyzer, catalog: Catalog, seeds: list[Path]
) -> None:
    items = corpus(seeds)
    async with analysed(settings, analyzer, catalog, items, len(items)) as (store, pipeline, ids):
        before = {r.id: r.story for r in await store.articles.load_many(ids) if r}
        sizes = dict(await store.client.zrange(store.keys.stories, 0, -1, withscores=True))
        # a crash after the writes, before the acknowledgement: the batch runs again
        records = [r for r in await store.articles.load_many(ids) if r]
        await pipeline.stories.assign_many(records)
        after = {r.id: r.story for r in await store.articles.load_many(ids) if r}
        assert after == before
        again = dict(await store.client.zrange(store.keys.stories, 0, -1, withscores=True))
        assert again == sizes and sum(sizes.values()) == len(items)
