"""What handlers may ask of the rest of the bot: the store and ingestion, as Protocols.

The Redis implementation lives in `bot.store`; handlers only see these shapes, so they
stay free of any client library and of the chat platform they answer on.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, Protocol

from nlp.models import EntityInfo, EntityResult, SalienceLevel


def platform_of(channel: str) -> str:
    """ "discord:<guild>:<channel>" → "discord": the transport that serves a channel.

    Channel ids are "console:<name>", "discord:<guild id>:<channel id>" and
    "slack:<team id>:<channel id>".
    """
    platform, sep, _ = channel.partition(":")
    if not sep or not platform:
        raise ValueError(f"channel id {channel!r} must look like 'platform:id'")
    return platform


def scope_of(channel: str) -> str:
    """ "discord:<guild>:<channel>" → "discord:<guild>"; "console:demo" → "console"."""
    head, sep, _ = channel.rpartition(":")
    return head if sep and head else channel


@dataclass(slots=True)
class ArticleRecord:
    """An article as stored."""

    id: str
    title: str
    text: str = ""
    url: str | None = None
    path: str | None = None
    source: str | None = None
    published_at: datetime | None = None
    ingested_at: datetime | None = None
    lang: str | None = None
    entities: list[EntityResult] = field(default_factory=list)
    analysed: str = ""  # "", "fast" or "full"
    fanned: str = ""  # the last pass whose alerts the fan-out queued: "", "fast" or "full"
    story: str | None = None  # the story it belongs to
    sentences: list[str] = field(default_factory=list)  # from the analyzer; [0] is the title
    quiet: bool = False  # indexed without alerts (the backlog of a feed's first poll)

    @property
    def where(self) -> str:
        return self.url or self.path or self.id

    def entity(self, entity_id: str) -> EntityResult | None:
        for ent in self.entities:
            if ent.id == entity_id:
                return ent
        return None


@dataclass(slots=True)
class StoryRecord:
    id: str
    title: str
    articles: int
    first: datetime | None = None
    last: datetime | None = None


@dataclass(slots=True, frozen=True)
class Subscription:
    """One entity tracked in one channel."""

    channel: str
    entity_id: str
    min_level: SalienceLevel = "low"
    added_by: str = ""
    added_at: datetime | None = None


@dataclass(slots=True, frozen=True)
class SearchHit:
    article: ArticleRecord
    score: float
    snippet: str


@dataclass(slots=True, frozen=True)
class SourceStat:
    name: str
    articles: int
    latest: datetime | None
    languages: tuple[str, ...] = ()


@dataclass(slots=True, frozen=True)
class QueuedAlert:
    channel: str
    article_id: str
    entity_ids: tuple[str, ...]


@dataclass(slots=True)
class IngestOutcome:
    """What became of one input in an ingest batch."""

    status: str  # "new", "duplicate" or "rejected"
    id: str | None = None
    path: str | None = None
    url: str | None = None
    title: str | None = None
    reason: str | None = None
    alerts: list[QueuedAlert] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "status": self.status}
        if self.path is not None:
            data["path"] = self.path
        if self.url is not None:
            data["url"] = self.url
        if self.title is not None:
            data["title"] = self.title
        if self.reason is not None:
            data["reason"] = self.reason
        data["alerts"] = [
            {"channel": a.channel, "entities": list(a.entity_ids)} for a in self.alerts
        ]
        return data


@dataclass(slots=True)
class FeedInfo:
    """A feed's state, as `/grok feeds list` shows it."""

    url: str
    title: str = ""
    added_by: str = ""
    paused: bool = False
    failures: int = 0
    last_error: str = ""
    last_poll: datetime | None = None
    next_poll: datetime | None = None
    articles: int = 0
    first_poll_done: bool = False


@dataclass(slots=True)
class FeedChange:
    """What `/grok feeds add` did."""

    ok: bool
    url: str = ""
    status: str = ""  # "added", "exists", "resumed"
    feed: FeedInfo | None = None
    indexed: int = 0  # articles of the backlog indexed by the first poll (no alerts)
    error: str = ""  # why it was refused, or the first poll's problem when ok


class StoreProtocol(Protocol):
    """The store operations handlers use."""

    async def track(self, sub: Subscription) -> bool:
        """Add or update a subscription; True when it is new."""

    async def untrack(self, channel: str, entity_id: str) -> bool:
        """Remove a subscription; True when there was one."""

    async def subscriptions(self, channel: str) -> list[Subscription]: ...

    async def articles_mentioning(
        self, entity_id: str, limit: int = 10
    ) -> tuple[int, list[ArticleRecord]]:
        """(total count, newest first up to limit)."""

    async def search(self, terms: Sequence[str], limit: int = 5) -> list[SearchHit]: ...

    async def sources(self) -> list[SourceStat]: ...

    async def discovered(self, entity_id: str) -> EntityInfo | None: ...

    async def discovered_entities(self, limit: int = 1000) -> list[EntityInfo]: ...

    async def article_count(self) -> int: ...

    async def stories(self, limit: int = 20) -> list[StoryRecord]:
        """The stories with the most articles first."""

    async def story(self, story_id: str) -> StoryRecord | None: ...

    async def story_articles(self, story_id: str, limit: int = 100) -> list[ArticleRecord]:
        """Oldest first."""

    async def entity_timestamps(self, entity_id: str) -> list[float]:
        """When each dated article mentioning the entity was published."""

    async def paused_channels(self, scope: str) -> dict[str, str]:
        """channel → reason, for the channels of a guild/workspace whose alerts are paused."""

    async def resume_channel(self, channel: str, platform: str) -> int:
        """Lift a pause; returns how many kept alerts were queued again."""


class ChartMaker(Protocol):
    """Draws charts to image files (a transport attaches or uploads them)."""

    def weekly(self, title: str, series: Sequence[tuple[date, int]]) -> Path | None:
        """A bar chart of counts per week; None when charts cannot be drawn."""


class IngestService(Protocol):
    """Ingestion as the `/grok ingest` handler sees it."""

    async def ingest_paths(
        self, paths: Sequence[str], *, wait: bool = True
    ) -> list[IngestOutcome]: ...


class FeedService(Protocol):
    """The feeds, as the `/grok feeds` handler sees them."""

    async def add_feed(self, url: str, channel: str, *, lang: str = "en") -> FeedChange:
        """Add a feed for a channel and poll it once (backlog indexed without alerts)."""

    async def remove_feed(self, url: str, channel: str) -> bool:
        """True when the channel had that feed."""

    async def feeds(self, channel: str | None = None) -> list[FeedInfo]:
        """The feeds a channel added."""
