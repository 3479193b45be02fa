"""What handlers may ask of the rest of the bot, as Protocols: the store (one Protocol per
repository, holding only what handlers use), charts, ingestion and feeds.

The Redis implementation is `bot.store.Store`; handlers only see these shapes, so they stay
free of any client library and of the chat platform they answer on.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Protocol

from handlers.model import (
    ArticleRecord,
    EntityInfo,
    FeedChange,
    FeedInfo,
    IngestOutcome,
    ReaderAnswer,
    ReaderPassage,
    SearchHit,
    SourceStat,
    StoryRecord,
    Subscription,
)
from handlers.noise import ChannelSettings


class ArticleReads(Protocol):
    """`store.articles`, as handlers see it."""

    async def count(self) -> int: ...

    async def discovered(self, entity_id: str) -> EntityInfo | None:
        """An entity NER discovered outside the catalog."""

    async def discovered_entities(self, limit: int = 1000) -> list[EntityInfo]: ...


class IndexReads(Protocol):
    """`store.index`: the entity and term indexes and the outlets."""

    async def mentioning(self, entity_id: str, limit: int = 10) -> tuple[int, list[ArticleRecord]]:
        """(total count, newest first up to limit)."""

    async def search(self, query_terms: Sequence[str], limit: int = 5) -> list[SearchHit]: ...

    async def sources(self) -> list[SourceStat]: ...

    async def entity_timestamps(self, entity_id: str) -> list[float]:
        """When each dated article mentioning the entity was published."""


class SubscriptionStore(Protocol):
    """`store.subscriptions`: what a channel tracks."""

    async def track(self, sub: Subscription) -> bool:
        """Add or update a subscription; True when it is new."""

    async def untrack(self, channel: str, entity_id: str) -> bool:
        """Remove a subscription; True when there was one."""

    async def of_channel(self, channel: str) -> list[Subscription]: ...


class StoryReads(Protocol):
    """`store.stories`: the stories."""

    async def get(self, story_id: str) -> StoryRecord | None: ...

    async def top(self, limit: int = 20) -> list[StoryRecord]:
        """The stories with the most articles first."""

    async def articles(self, story_id: str, limit: int = 100) -> list[ArticleRecord]:
        """Oldest first."""


class PauseControl(Protocol):
    """`store.delivery`, as far as handlers go: paused channels."""

    async def paused_channels(self, scope: str) -> dict[str, str]:
        """channel → reason, for the channels of a guild/workspace whose alerts are paused."""

    async def resume_channel(self, channel: str, platform: str) -> int:
        """Lift a pause; returns how many kept alerts were queued again."""


class NoiseSettings(Protocol):
    """`store.noise`, as handlers see it: a channel's alert settings."""

    async def settings(self, channel: str) -> ChannelSettings: ...

    async def save_settings(self, channel: str, settings: ChannelSettings) -> None: ...

    async def held(self, channel: str) -> int:
        """How many alerts wait for the channel's next digest."""


class StoreProtocol(Protocol):
    """The store as handlers use it: its repositories."""

    @property
    def articles(self) -> ArticleReads: ...

    @property
    def index(self) -> IndexReads: ...

    @property
    def subscriptions(self) -> SubscriptionStore: ...

    @property
    def stories(self) -> StoryReads: ...

    @property
    def delivery(self) -> PauseControl: ...

    @property
    def noise(self) -> NoiseSettings: ...

    def visible_to(self, tenant: str) -> StoreProtocol:
        """The store as `tenant` sees it: its own articles and the shared corpus."""


class ChartMaker(Protocol):
    """Draws charts to image files (a transport attaches or uploads them)."""

    def weekly(self, title: str, series: Sequence[tuple[date, int]]) -> Path | None:
        """A bar chart of counts per week; None when charts cannot be drawn."""


class IngestService(Protocol):
    """Ingestion as the `/grok ingest` handler sees it."""

    async def ingest_paths(
        self, paths: Sequence[str], *, wait: bool = True, owner: str = "public"
    ) -> list[IngestOutcome]:
        """`owner`: the tenant the articles belong to ("public": the shared corpus)."""

    async def ingest_from_chat(
        self, target: str, *, wait: bool = True, owner: str = "public"
    ) -> list[IngestOutcome]:
        """A URL, or a path inside the ingest folder (anything else refused, the same
        whether it exists or not; paths in the outcomes relative to the folder)."""


class FeedService(Protocol):
    """The feeds, as the `/grok feeds` handler sees them."""

    async def add_feed(self, url: str, channel: str, *, lang: str = "en") -> FeedChange:
        """Add a feed for a channel and poll it once (backlog indexed without alerts)."""

    async def remove_feed(self, url: str, channel: str) -> bool:
        """True when the channel had that feed."""

    async def feeds(self, channel: str | None = None) -> list[FeedInfo]:
        """The feeds a channel added."""

    async def follow_feed(self, url: str, channel: str, *, on: bool = True) -> bool | None:
        """Post every new item of a channel's feed there (on) or only its matches (off):
        True if that changed, False if it was so already, None if the channel has no such
        feed."""


class AnswerReader(Protocol):
    """Reads passages for a question; None: no usable reply (use the extractive answer)."""

    def available(self) -> bool: ...

    async def read(
        self, question: str, lang: str, passages: Sequence[ReaderPassage]
    ) -> ReaderAnswer | None: ...
