"""What every repository shares: the client and the keys, date encoding, and the shape of
the article loader that the index and stories repositories read records through."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, Protocol

from bot.store.keys import Keys
from handlers.model import ArticleRecord

# redis-py types replies as unions of every decode mode; we always get bytes.
Client = Any


class Repository:
    """A slice of the store: one client, one key layout."""

    def __init__(self, client: Client, keys: Keys) -> None:
        self.r: Client = client
        self.keys = keys


class RecordLoader(Protocol):
    """Loads article records by id (the articles repository)."""

    async def load_many(self, ids: Sequence[str]) -> list[ArticleRecord | None]: ...

    async def count(self) -> int: ...


def iso(dt: datetime | None) -> str:
    return dt.astimezone(UTC).isoformat() if dt else ""


def parse_dt(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        dt = datetime.fromisoformat(value)
    except ValueError:
        return None
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def timestamp(record: ArticleRecord) -> float:
    """The time an article is filed under: published, else ingested, else now."""
    return (record.published_at or record.ingested_at or datetime.now(UTC)).timestamp()
