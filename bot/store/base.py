"""What every repository shares: the client and the keys, date encoding, and the shape of
the article loader that the index and stories repositories read records through, and the
chunked walks the migrations make (`id_chunks`, `scan_delete`)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
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


async def id_chunks(r: Client, zset: str, chunk: int) -> AsyncIterator[list[str]]:
    """The members of a zset in score order, `chunk` at a time (it must not shrink)."""
    start = 0
    while ids := [i.decode() for i in await r.zrange(zset, start, start + chunk - 1)]:
        start += len(ids)
        yield ids


async def scan_delete(r: Client, pattern: str, *, batch: int = 500) -> int:
    """Delete every key matching `pattern`, `batch` at a time; returns how many."""
    deleted, keys = 0, []
    async for key in r.scan_iter(match=pattern, count=batch):
        keys.append(key)
        if len(keys) >= batch:
            deleted += int(await r.delete(*keys))
            keys = []
    if keys:
        deleted += int(await r.delete(*keys))
    return deleted
