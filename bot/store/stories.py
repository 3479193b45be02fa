"""The stories repository: story records (title, articles by time, the ranking of stories
by size), putting an article in a story, and the reads the story assigner decides on (the
entities and story of candidate articles, the articles co-mentioning central entities
within a time window)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime

from bot.store.base import Client, RecordLoader, Repository, timestamp
from bot.store.keys import Keys
from handlers.model import ArticleRecord, StoryRecord


class StoryRepository(Repository):
    """Stories and the reads of story assignment."""

    def __init__(self, client: Client, keys: Keys, records: RecordLoader) -> None:
        super().__init__(client, keys)
        self.records = records

    async def add_article(self, record: ArticleRecord, story_id: str, title: str) -> None:
        """Put an article in a story (creating the story); idempotent."""
        await self.add_articles([(record, story_id, title)])

    async def add_articles(self, items: Sequence[tuple[ArticleRecord, str, str]]) -> None:
        """`add_article` for a batch of (record, story, title), in two round trips: one
        MULTI for the memberships, then the stories' sizes in the ranking."""
        if not items:
            return
        stories: list[str] = []
        async with self.r.pipeline(transaction=True) as pipe:
            for record, story_id, title in items:
                pipe.hsetnx(self.keys.story(story_id), "id", story_id)
                pipe.hsetnx(self.keys.story(story_id), "title", title)
                pipe.zadd(self.keys.story_articles(story_id), {record.id: timestamp(record)})
                pipe.hset(self.keys.article(record.id), "story", story_id)
                if story_id not in stories:
                    stories.append(story_id)
            for story_id in stories:  # after every membership of the batch
                pipe.zcard(self.keys.story_articles(story_id))
            results = await pipe.execute()
        counts = results[len(results) - len(stories) :]
        await self.r.zadd(
            self.keys.stories, {sid: int(n) for sid, n in zip(stories, counts, strict=True)}
        )

    async def get(self, story_id: str) -> StoryRecord | None:
        title = await self.r.hget(self.keys.story(story_id), "title")
        if title is None:
            return None
        key = self.keys.story_articles(story_id)
        count = int(await self.r.zcard(key))
        first = await self.r.zrange(key, 0, 0, withscores=True)
        last = await self.r.zrange(key, -1, -1, withscores=True)
        return StoryRecord(
            id=story_id,
            title=title.decode(),
            articles=count,
            first=datetime.fromtimestamp(first[0][1], UTC) if first else None,
            last=datetime.fromtimestamp(last[0][1], UTC) if last else None,
        )

    async def top(self, limit: int = 20) -> list[StoryRecord]:
        """The stories with the most articles first."""
        ids = await self.r.zrevrange(self.keys.stories, 0, limit - 1)
        out = [await self.get(i.decode()) for i in ids]
        return [s for s in out if s is not None]

    async def articles(self, story_id: str, limit: int = 100) -> list[ArticleRecord]:
        """A story's articles, oldest first."""
        ids = [
            i.decode()
            for i in await self.r.zrange(self.keys.story_articles(story_id), 0, limit - 1)
        ]
        return [r for r in await self.records.load_many(ids) if r is not None]

    # ------------------------------------------------------ assignment reads
    async def salience_and_story(
        self, ids: Sequence[str]
    ) -> list[tuple[str, dict[str, float], str | None]]:
        """(id, catalog entity id → salience, story) of articles: what story assignment
        compares, read without building the full entity records."""
        async with self.r.pipeline(transaction=False) as pipe:
            for article_id in ids:
                pipe.hmget(self.keys.article(article_id), "entities", "story")
            rows = await pipe.execute()
        return [
            (
                article_id,
                {
                    e["id"]: float(e.get("salience", 0.0))
                    for e in json.loads(raw_ents or "[]")
                    if e.get("source", "catalog") == "catalog"
                },
                story.decode() if story else None,
            )
            for article_id, (raw_ents, story) in zip(ids, rows, strict=True)
        ]

    async def mentioning_near(
        self,
        entity_ids: Sequence[str],
        published_at: datetime | None,
        span_s: float,
        per_entity: int,
        max_undated: int = 2000,
    ) -> list[set[str]]:
        """For each entity, the ids of the articles mentioning it within `span_s` of
        `published_at`, newest first, at most `per_entity` (any time when it is None), plus
        the undated ones that mention it (they fit any window; at most `max_undated`)."""
        found = await self.mentioning_near_many(
            [(entity_ids, published_at)], span_s, per_entity, max_undated
        )
        return found[0]

    async def mentioning_near_many(
        self,
        queries: Sequence[tuple[Sequence[str], datetime | None]],
        span_s: float,
        per_entity: int,
        max_undated: int = 2000,
    ) -> list[list[set[str]]]:
        """`mentioning_near` for a batch of (entity ids, published_at), in one round trip
        for the windows (and the undated set, read once), and one for which undated
        articles mention each entity."""
        if not queries:
            return []
        dated = any(when is not None for _, when in queries)
        async with self.r.pipeline(transaction=False) as pipe:
            for entity_ids, published_at in queries:
                for eid in entity_ids:
                    if published_at is None:  # undated: any time fits, the newest first
                        pipe.zrevrange(self.keys.entity_articles(eid), 0, per_entity - 1)
                    else:  # within the window, newest first
                        when = published_at.timestamp()
                        pipe.zrevrangebyscore(
                            self.keys.entity_articles(eid),
                            when + span_s,
                            when - span_s,
                            start=0,
                            num=per_entity,
                        )
            if dated:  # only a dated article needs the undated ones
                pipe.smembers(self.keys.undated)
            results = await pipe.execute()
        undated = sorted(u.decode() for u in results[-1])[:max_undated] if dated else []
        out: list[list[set[str]]] = []
        at = 0
        for entity_ids, _ in queries:
            rows = results[at : at + len(entity_ids)]
            at += len(entity_ids)
            out.append([{aid.decode() for aid in row} for row in rows])
        # which undated articles mention each entity a dated query asked about
        asks = sorted({eid for (ids, when) in queries if when is not None for eid in ids})
        if undated and asks:
            async with self.r.pipeline(transaction=False) as pipe:
                for eid in asks:
                    pipe.zmscore(self.keys.entity_articles(eid), undated)
                all_scores = await pipe.execute()
            mentions = {
                eid: {u for u, sc in zip(undated, scores, strict=True) if sc is not None}
                for eid, scores in zip(asks, all_scores, strict=True)
            }
            for (entity_ids, published_at), found in zip(queries, out, strict=True):
                if published_at is not None:
                    for eid, ids in zip(entity_ids, found, strict=True):
                        ids |= mentions[eid]
        return out
