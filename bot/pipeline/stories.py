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

import logging
from collections import OrderedDict
from collections.abc import Mapping, Sequence

from bot.store import Store
from handlers.model import ArticleRecord, EntityResult

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
        if rec.story:
            return rec.story
        story = await self._near_duplicate(rec) or await self._same_event(rec)
        if story is None:
            story = "s-" + rec.id
            logger.info("article %s opens story %s", rec.id, story)
        await self.store.stories.add_article(rec, story, rec.title)
        self._keep(rec.id, entity_weights(rec.entities), story)
        return story

    async def _near_duplicate(self, rec: ArticleRecord) -> str | None:
        """The story of the stored article `rec` is the closest near-duplicate of; notes
        `rec`'s own signature for the articles to come."""
        index = self.store.neardup
        signature = index.signature(rec.title, rec.text)
        matches = await index.matches(signature, NEAR_DUP, exclude=rec.id)
        await index.remember(rec.id, signature)
        best = next((m for m in matches if m.story), None)
        if best:
            logger.info(
                "article %s is a near-duplicate (%.2f) in story %s",
                rec.id,
                best.similarity,
                best.story,
            )
            return best.story
        return None

    async def _same_event(self, rec: ArticleRecord) -> str | None:
        central = [e for e in rec.entities if e.source == "catalog" and e.level in CENTRAL]
        if len(central) < 2:
            return None
        found = await self.store.stories.mentioning_near(
            [e.id for e in central[:6]], rec.published_at, WINDOW_DAYS * 86400, PER_ENTITY
        )
        counts: dict[str, int] = {}
        for ids in found:
            for aid in ids:
                counts[aid] = counts.get(aid, 0) + 1
        shared = [aid for aid, n in counts.items() if n >= 2 and aid != rec.id]
        if not shared:
            return None
        mine = entity_weights(rec.entities)
        best: tuple[float, str] | None = None
        shared.sort(key=lambda aid: -counts[aid])  # most shared entities first
        for w, story in await self._weights_and_stories(shared[:CANDIDATES]):
            score = weighted_jaccard(mine, w)
            if score >= SAME_EVENT and (best is None or score > best[0]):
                best = (score, story)
        if best:
            logger.info("article %s joins story %s (entity overlap %.2f)", rec.id, best[1], best[0])
            return best[1]
        return None

    async def _weights_and_stories(self, ids: Sequence[str]) -> list[tuple[dict[str, float], str]]:
        """(weights, story) of the candidates in `ids` order; those without a story left out."""
        missing = [aid for aid in ids if aid not in self._known]
        if missing:
            for aid, salience, story in await self.store.stories.salience_and_story(missing):
                if story:
                    self._keep(aid, weights(salience), story)
        return [self._known[aid] for aid in ids if aid in self._known]
