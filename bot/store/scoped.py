"""The store as one tenant sees it: `Store.visible_to(tenant)` gives the handlers of a
command a store whose reads (entity mentions, search, outlets, timelines, stories,
discovered entities, counts) answer over the articles that tenant may see
(`bot.store.tenants.View`), so `/grok story`, `search`, `ask` and the rest never show
another community's private articles, nor names or titles taken from them. Writes
(subscriptions, pauses) pass through: they are keyed by channel, whose tenant they are.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Protocol

from bot.store.articles import ArticleRepository
from bot.store.delivery import DeliveryRepository
from bot.store.index import IndexRepository
from bot.store.keys import Keys
from bot.store.noise import NoiseRepository
from bot.store.stories import StoryRepository
from bot.store.subscriptions import SubscriptionRepository
from bot.store.tenants import TenantRepository, View
from handlers.model import ArticleRecord, EntityInfo, SearchHit, SourceStat, StoryRecord

logger = logging.getLogger(__name__)

STORY_SCAN = 5  # stories read per story shown, when some are private to others


class Store(Protocol):
    """What a scoped view reads through (`bot.store.Store`)."""

    keys: Keys
    articles: ArticleRepository
    index: IndexRepository
    stories: StoryRepository
    subscriptions: SubscriptionRepository
    delivery: DeliveryRepository
    tenants: TenantRepository
    noise: NoiseRepository

    def visible_to(self, tenant: str) -> ScopedStore: ...


def _when(rows: Sequence[tuple[str, float]]) -> datetime | None:
    return datetime.fromtimestamp(rows[0][1], UTC) if rows else None


class ScopedArticles:
    """`store.articles` as a tenant sees it."""

    def __init__(self, store: Store, view: View) -> None:
        self._articles: ArticleRepository = store.articles
        self._tenants: TenantRepository = store.tenants
        self._keys = store.keys
        self._view = view

    async def count(self) -> int:
        return await self._tenants.count_in(self._view, self._keys.articles)

    async def discovered(self, entity_id: str) -> EntityInfo | None:
        info = await self._articles.discovered(entity_id)
        if info is None:
            return None
        key = self._keys.entity_articles(entity_id)
        return info if await self._tenants.any_in(self._view, key) else None

    async def discovered_entities(self, limit: int = 1000) -> list[EntityInfo]:
        found = await self._articles.discovered_entities(limit)
        return [
            e
            for e in found
            if await self._tenants.any_in(self._view, self._keys.entity_articles(e.id))
        ]


class ScopedIndex:
    """`store.index` as a tenant sees it."""

    def __init__(self, store: Store, view: View) -> None:
        self._index: IndexRepository = store.index
        self._tenants: TenantRepository = store.tenants
        self._articles = store.articles
        self._keys = store.keys
        self._view = view

    async def mentioning(self, entity_id: str, limit: int = 10) -> tuple[int, list[ArticleRecord]]:
        key = self._keys.entity_articles(entity_id)
        total = await self._tenants.count_in(self._view, key)
        rows = await self._tenants.members_in(self._view, key, limit)
        records = await self._articles.load_many([i for i, _ in rows])
        return total, [r for r in records if r is not None]

    async def search(self, query_terms: Sequence[str], limit: int = 5) -> list[SearchHit]:
        view, tenants = self._view, self._tenants

        async def visible(ids: Sequence[str]) -> list[str]:
            return await tenants.keep(view, ids)

        return await self._index.search(query_terms, limit, keep=visible)

    async def sources(self) -> list[SourceStat]:
        stats = []
        for stat in await self._index.sources():
            key = self._keys.source_articles(stat.name)
            count = await self._tenants.count_in(self._view, key)
            if count:
                latest = await self._tenants.members_in(self._view, key, 1)
                stats.append(SourceStat(stat.name, count, _when(latest), stat.languages))
        stats.sort(key=lambda s: (-s.articles, s.name.casefold()))
        return stats

    async def entity_timestamps(self, entity_id: str) -> list[float]:
        key = self._keys.entity_articles(entity_id)
        rows = await self._tenants.members_in(self._view, key, 1_000_000, newest=False)
        undated = await self._index.undated_among([i for i, _ in rows])
        return [score for (aid, score), gone in zip(rows, undated, strict=True) if not gone]


class ScopedStories:
    """`store.stories` as a tenant sees it: a story counts, dates and is titled by the
    articles of it the tenant sees (a story only others see does not exist for it)."""

    def __init__(self, store: Store, view: View) -> None:
        self._stories: StoryRepository = store.stories
        self._tenants: TenantRepository = store.tenants
        self._articles = store.articles
        self._keys = store.keys
        self._view = view

    async def get(self, story_id: str) -> StoryRecord | None:
        whole = await self._stories.get(story_id)
        if whole is None:
            return None
        key = self._keys.story_articles(story_id)
        count = await self._tenants.count_in(self._view, key)
        if count == 0:
            return None
        if count == whole.articles:
            return whole
        first = await self._tenants.members_in(self._view, key, 1, newest=False)
        last = await self._tenants.members_in(self._view, key, 1)
        opener = await self._articles.load(first[0][0]) if first else None
        title = opener.title if opener else story_id
        return StoryRecord(story_id, title, count, _when(first), _when(last))

    async def top(self, limit: int = 20) -> list[StoryRecord]:
        candidates = await self._stories.top(limit * STORY_SCAN)
        shown = [await self.get(s.id) for s in candidates]
        found = [s for s in shown if s is not None]
        found.sort(key=lambda s: -s.articles)  # stable: ties keep the store's order
        return found[:limit]

    async def articles(self, story_id: str, limit: int = 100) -> list[ArticleRecord]:
        key = self._keys.story_articles(story_id)
        rows = await self._tenants.members_in(self._view, key, limit, newest=False)
        return [r for r in await self._articles.load_many([i for i, _ in rows]) if r]


class ScopedStore:
    """The repositories handlers use, as tenant `view.tenant` sees them."""

    def __init__(self, store: Store, view: View) -> None:
        self._store = store
        self.view = view
        self._articles = ScopedArticles(store, view)
        self._index = ScopedIndex(store, view)
        self._stories = ScopedStories(store, view)

    @property
    def articles(self) -> ScopedArticles:
        return self._articles

    @property
    def index(self) -> ScopedIndex:
        return self._index

    @property
    def subscriptions(self) -> SubscriptionRepository:
        return self._store.subscriptions

    @property
    def stories(self) -> ScopedStories:
        return self._stories

    @property
    def delivery(self) -> DeliveryRepository:
        return self._store.delivery

    @property
    def noise(self) -> NoiseRepository:
        return self._store.noise

    def visible_to(self, tenant: str) -> ScopedStore:
        return self._store.visible_to(tenant)
