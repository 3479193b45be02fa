"""Grouping articles into stories, on the fast path (before alerts, so that follow-ups of
one story can be threaded under its first alert).

An article joins an existing story when it is
  * a near-duplicate of a stored article (MinHash over word 5-shingles, banded LSH kept in
    Redis (`bot.store.neardup`); estimated Jaccard ≥ NEAR_DUP), or
  * about the same event: it shares at least two central entities with an article
    published within WINDOW_DAYS, with a salience-weighted entity overlap ≥ SAME_EVENT.
Entities are language-neutral, so a French and an English report of one event meet.
Otherwise it opens a new story named after its title.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from datetime import datetime

from bot.store import Store
from bot.store.neardup import NearDuplicateIndex, NearMatch, decode_signature
from handlers.model import ArticleRecord, EntityResult
from nlp.neardup import MinHasher

logger = logging.getLogger(__name__)

NEAR_DUP = 0.6
SAME_EVENT = 0.3
WINDOW_DAYS = 10
CENTRAL = {"medium", "high"}
PER_ENTITY = 150  # articles read per central entity when looking for the same event
CANDIDATES = 60  # articles compared, those sharing the most entities first
KNOWN = 50_000  # articles whose weights and story this process keeps (LRU) to compare with


def entity_weights(entities: Sequence[EntityResult]) -> dict[str, float]:
    """Catalog entities weighted by salience (discovered names are too noisy to group on)."""
    return weights({e.id: e.salience for e in entities if e.source == "catalog"})


def weights(salience: Mapping[str, float]) -> dict[str, float]:
    """Catalog entity id → salience, as weights (a passing mention still counts a little)."""
    return {k: max(0.05, v) for k, v in salience.items()}


def weighted_jaccard(a: dict[str, float], b: dict[str, float]) -> float:
    keys = a.keys() | b.keys()
    if not keys:
        return 0.0
    inter = sum(min(a.get(k, 0.0), b.get(k, 0.0)) for k in keys)
    union = sum(max(a.get(k, 0.0), b.get(k, 0.0)) for k in keys)
    return inter / union if union else 0.0


class StoryAssigner:
    """Decides which story an article belongs to (the reads are `bot.store.stories` and
    `bot.store.neardup`)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        # article id → (weights, story) of the articles assigned or read lately: a story
        # is never changed once set and the catalog entities only by the fast pass, so
        # what is kept here stays true; the others are read from the store
        self._known: OrderedDict[str, tuple[dict[str, float], str]] = OrderedDict()

    def _keep(self, article_id: str, w: dict[str, float], story: str) -> None:
        self._known[article_id] = (w, story)
        self._known.move_to_end(article_id)
        while len(self._known) > KNOWN:
            self._known.popitem(last=False)

    async def assign(self, rec: ArticleRecord) -> str:
        """The story id of `rec` (assigning it on first call; idempotent afterwards)."""
        return (await self.assign_many([rec]))[0]

    async def assign_many(self, recs: Sequence[ArticleRecord]) -> list[str]:
        """The story ids of `recs`, assigned in order as if one by one (each may join an
        earlier one's story), with the reads and writes of the whole batch in a handful
        of round trips. Sets `rec.story` on each."""
        todo = [rec for rec in recs if not rec.story]
        if todo:
            index = self.store.neardup
            signatures = await asyncio.to_thread(
                lambda: [
                    decode_signature(rec.minhash)
                    if rec.minhash
                    else index.signature(rec.title, rec.text)
                    for rec in todo
                ]
            )
            stored = await index.matches_many(signatures, NEAR_DUP, [rec.id for rec in todo])
            events = await self._event_candidates(todo)
            batch = _Batch(index)
            assigned: list[tuple[ArticleRecord, str, str]] = []
            for i, rec in enumerate(todo):
                mine = entity_weights(rec.entities)
                story = (
                    self._near_duplicate(rec, stored[i], batch.near(signatures[i]))
                    or self._same_event(rec, mine, events[i], batch)
                    or "s-" + rec.id
                )
                if story == "s-" + rec.id:
                    logger.info("article %s opens story %s", rec.id, story)
                rec.story = story
                batch.add(rec, signatures[i], mine, story)
                assigned.append((rec, story, rec.title))
            await index.remember_many(
                [(rec.id, sig) for rec, sig in zip(todo, signatures, strict=True)]
            )
            await self.store.stories.add_articles(assigned)
            for aid, (w, story) in batch.assigned.items():  # stored: now true to keep
                self._keep(aid, w, story)
        return [rec.story or "" for rec in recs]

    def _near_duplicate(
        self, rec: ArticleRecord, stored: Sequence[NearMatch], in_batch: Sequence[NearMatch]
    ) -> str | None:
        """The story of the closest near-duplicate of `rec`: among the stored articles
        and the earlier ones of its batch."""
        matches = sorted(
            [*stored, *in_batch], key=lambda m: (-m.similarity, m.article_id)
        )  # the most similar first, ties in id order
        best = next((m for m in matches if m.story and m.article_id != rec.id), None)
        if best:
            logger.info(
                "article %s is a near-duplicate (%.2f) in story %s",
                rec.id,
                best.similarity,
                best.story,
            )
            return best.story
        return None

    async def _event_candidates(self, recs: Sequence[ArticleRecord]) -> list[list[str]]:
        """Per article, the ids of the articles sharing at least two of its central
        entities within the window, those sharing the most first (at most CANDIDATES);
        the weights and stories of the stored ones are read into the cache."""
        queries: list[tuple[list[str], datetime | None]] = []
        asking: list[int] = []
        for i, rec in enumerate(recs):
            central = [e for e in rec.entities if e.source == "catalog" and e.level in CENTRAL]
            if len(central) >= 2:
                queries.append(([e.id for e in central[:6]], rec.published_at))
                asking.append(i)
        out: list[list[str]] = [[] for _ in recs]
        if not queries:
            return out
        found_all = await self.store.stories.mentioning_near_many(
            queries, WINDOW_DAYS * 86400, PER_ENTITY
        )
        for i, found in zip(asking, found_all, strict=True):
            counts: dict[str, int] = {}
            for ids in found:
                for aid in ids:
                    counts[aid] = counts.get(aid, 0) + 1
            shared = [aid for aid, n in counts.items() if n >= 2 and aid != recs[i].id]
            shared.sort(key=lambda aid: (-counts[aid], aid))  # most shared entities first
            out[i] = shared[:CANDIDATES]
        batch_ids = {rec.id for rec in recs}
        missing = sorted(
            {aid for ids in out for aid in ids if aid not in self._known and aid not in batch_ids}
        )
        if missing:
            for aid, salience, story in await self.store.stories.salience_and_story(missing):
                if story:
                    self._keep(aid, weights(salience), story)
        return out

    def _same_event(
        self,
        rec: ArticleRecord,
        mine: dict[str, float],
        candidates: Sequence[str],
        batch: _Batch,
    ) -> str | None:
        """The story of the candidate whose entities overlap `rec`'s the most (≥
        SAME_EVENT): stored ones from the cache, earlier ones of the batch as assigned."""
        if not candidates:
            return None
        best: tuple[float, str] | None = None
        for aid in candidates:
            known = batch.assigned.get(aid) or self._known.get(aid)
            if known is None:  # no story yet (a later article of this batch, or none)
                continue
            w, story = known
            score = weighted_jaccard(mine, w)
            if score >= SAME_EVENT and (best is None or score > best[0]):
                best = (score, story)
        if best:
            logger.info("article %s joins story %s (entity overlap %.2f)", rec.id, best[1], best[0])
            return best[1]
        return None


class _Batch:
    """The articles of one batch assigned so far: their signatures filed by band (so a
    later article of the batch finds the earlier ones it is a near-duplicate of, as if
    they were stored) and their weights and stories."""

    def __init__(self, index: NearDuplicateIndex) -> None:
        self.index = index
        self.by_band: dict[tuple[str, str], list[str]] = {}
        self.signatures: dict[str, Sequence[int]] = {}
        self.assigned: dict[str, tuple[dict[str, float], str]] = {}

    def near(self, signature: Sequence[int]) -> list[NearMatch]:
        ids = {aid for b in self.index.buckets(signature) for aid in self.by_band.get(b, ())}
        out = []
        for aid in sorted(ids):
            sim = MinHasher.similarity(signature, self.signatures[aid])
            if sim >= NEAR_DUP:
                out.append(NearMatch(aid, self.assigned[aid][1], sim))
        return out

    def add(
        self, rec: ArticleRecord, signature: Sequence[int], w: dict[str, float], story: str
    ) -> None:
        for b in self.index.buckets(signature):
            self.by_band.setdefault(b, []).append(rec.id)
        self.signatures[rec.id] = signature
        self.assigned[rec.id] = (w, story)
