"""Grouping articles into stories, on the fast path (before alerts, so that follow-ups of
one story can be threaded under its first alert).

An article joins an existing story when it is
  * a near-duplicate of a stored article (MinHash over word 5-shingles, banded LSH kept in
    Redis sets; estimated Jaccard ≥ NEAR_DUP), or
  * about the same event: it shares at least two central entities with an article
    published within WINDOW_DAYS, with a salience-weighted entity overlap ≥ SAME_EVENT.
Entities are language-neutral, so a French and an English report of one event meet.
Otherwise it opens a new story named after its title.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence

from bot.store.redis_store import RedisStore
from handlers.model import ArticleRecord, EntityResult
from nlp.neardup import LSHIndex, MinHasher

logger = logging.getLogger(__name__)

NEAR_DUP = 0.6
SAME_EVENT = 0.3
WINDOW_DAYS = 10
CENTRAL = {"medium", "high"}
NUM_PERM, BANDS = 128, 32
PER_ENTITY = 150  # articles read per central entity when looking for the same event
CANDIDATES = 60  # articles compared, those sharing the most entities first


def entity_weights(entities: Sequence[EntityResult]) -> dict[str, float]:
    """Catalog entities weighted by salience (discovered names are too noisy to group on)."""
    return {e.id: max(0.05, e.salience) for e in entities if e.source == "catalog"}


def weighted_jaccard(a: dict[str, float], b: dict[str, float]) -> float:
    keys = a.keys() | b.keys()
    if not keys:
        return 0.0
    inter = sum(min(a.get(k, 0.0), b.get(k, 0.0)) for k in keys)
    union = sum(max(a.get(k, 0.0), b.get(k, 0.0)) for k in keys)
    return inter / union if union else 0.0


class StoryAssigner:
    def __init__(self, store: RedisStore) -> None:
        self.store = store
        self.hasher = MinHasher(num_perm=NUM_PERM)
        self.bands = LSHIndex(num_perm=NUM_PERM, bands=BANDS)

    async def assign(self, rec: ArticleRecord) -> str:
        """The story id of `rec` (assigning it on first call; idempotent afterwards)."""
        if rec.story:
            return rec.story
        story = await self._near_duplicate(rec) or await self._same_event(rec)
        if story is None:
            story = "s-" + rec.id
            logger.info("article %s opens story %s", rec.id, story)
        await self.store.set_story(rec, story, rec.title)
        return story

    async def _near_duplicate(self, rec: ArticleRecord) -> str | None:
        r, k = self.store.r, self.store.keys
        signature = self.hasher.signature(rec.title + "\n" + rec.text)
        band_keys = self.bands.band_keys(signature)
        async with r.pipeline(transaction=False) as pipe:
            for band in band_keys:
                pipe.smembers(k.lsh_band(band))
            members = await pipe.execute()
        candidates = sorted({m.decode() for ms in members for m in ms} - {rec.id})
        best: tuple[float, str] | None = None
        if candidates:
            async with r.pipeline(transaction=False) as pipe:
                for cid in candidates:
                    pipe.hmget(k.article(cid), "minhash", "story")
                rows = await pipe.execute()
            for raw_sig, story in rows:
                if not raw_sig or not story:
                    continue
                sim = MinHasher.similarity(signature, json.loads(raw_sig))
                if sim >= NEAR_DUP and (best is None or sim > best[0]):
                    best = (sim, story.decode())
        async with r.pipeline(transaction=True) as pipe:
            pipe.hset(k.article(rec.id), "minhash", json.dumps(signature))
            for band in band_keys:
                pipe.sadd(k.lsh_band(band), rec.id)
            await pipe.execute()
        if best:
            logger.info("article %s is a near-duplicate (%.2f) in story %s", rec.id, *best)
            return best[1]
        return None

    async def _same_event(self, rec: ArticleRecord) -> str | None:
        central = [e for e in rec.entities if e.source == "catalog" and e.level in CENTRAL]
        if len(central) < 2:
            return None
        r, k = self.store.r, self.store.keys
        span = WINDOW_DAYS * 86400
        async with r.pipeline(transaction=False) as pipe:
            for e in central[:6]:
                if rec.published_at is None:  # undated: any time fits, the newest first
                    pipe.zrevrange(k.entity_articles(e.id), 0, PER_ENTITY - 1)
                else:  # within the window, newest first
                    when = rec.published_at.timestamp()
                    pipe.zrevrangebyscore(
                        k.entity_articles(e.id), when + span, when - span, start=0, num=PER_ENTITY
                    )
            pipe.smembers(k.undated)
            *rows, undated_raw = await pipe.execute()
        undated = sorted(u.decode() for u in undated_raw)[:2000]
        counts: dict[str, int] = {}
        for e, row in zip(central, rows, strict=False):
            found = {aid.decode() for aid in row}
            if rec.published_at is not None and undated:  # undated articles fit any window
                scores = await r.zmscore(k.entity_articles(e.id), undated)
                found |= {u for u, sc in zip(undated, scores, strict=True) if sc is not None}
            for aid in found:
                counts[aid] = counts.get(aid, 0) + 1
        shared = [aid for aid, n in counts.items() if n >= 2 and aid != rec.id]
        if not shared:
            return None
        mine = entity_weights(rec.entities)
        best: tuple[float, str] | None = None
        shared.sort(key=lambda aid: -counts[aid])  # most shared entities first
        for _, entities, story in await self.store.entities_and_story(shared[:CANDIDATES]):
            if not story:
                continue
            score = weighted_jaccard(mine, entity_weights(entities))
            if score >= SAME_EVENT and (best is None or score > best[0]):
                best = (score, story)
        if best:
            logger.info("article %s joins story %s (entity overlap %.2f)", rec.id, best[1], best[0])
            return best[1]
        return None
