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
        when = timestamp(record)
        async with self.r.pipeline(transaction=True) as pipe:
            pipe.hsetnx(self.keys.story(story_id), "id", story_id)
            pipe.hsetnx(self.keys.story(story_id), "title", title)
            pipe.zadd(self.keys.story_articles(story_id), {record.id: when})
            pipe.hset(self.keys.article(record.id), "story", story_id)
            await pipe.execute()
        count = await self.r.zcard(self.keys.story_articles(story_id))
        await self.r.zadd(self.keys.stories, {story_id: count})

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
        async with self.r.pipeline(transaction=False) as pipe:
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
            if published_at is not None:  # only a dated article needs the undated ones
                pipe.smembers(self.keys.undated)
            results = await pipe.execute()
        rows = results[: len(entity_ids)]
        found = [{aid.decode() for aid in row} for row in rows]
        undated_raw = results[len(entity_ids)] if published_at is not None else set()
        undated = sorted(u.decode() for u in undated_raw)[:max_undated]
        if undated:  # which of them mention each entity, in one round trip
            async with self.r.pipeline(transaction=False) as pipe:
                for eid in entity_ids:
                    pipe.zmscore(self.keys.entity_articles(eid), undated)
                all_scores = await pipe.execute()
            for ids, scores in zip(found, all_scores, strict=True):
                ids |= {u for u, sc in zip(undated, scores, strict=True) if sc is not None}
        return found
