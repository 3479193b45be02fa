"""Ingestion: sources → store → ingest stream, with a per-article report.

`ingest_paths` stores each new article and queues it for analysis in one atomic step,
reports duplicates and rejections, and (with `wait=True`) waits until the fan-out has
queued the article's alerts so it can report them: by running the stages itself when no
pipeline is running in this process, or by waiting for the running one.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterable, Sequence
from pathlib import Path

from bot.pipeline import Pipeline
from bot.sources import RawArticle, Rejected, read_paths
from bot.store import RedisStore
from handlers.ports import IngestOutcome

logger = logging.getLogger(__name__)

# the stages an ingest waits for: alerts are queued after "fanout" of both passes
INGEST_STAGES = ("analyze", "fanout", "enrich")


class Ingestor:
    """Implements `handlers.ports.IngestService`."""

    def __init__(
        self,
        store: RedisStore,
        pipeline: Pipeline,
        *,
        max_bytes: int = 5_000_000,
        wait_timeout: float = 120.0,
    ) -> None:
        self.store = store
        self.pipeline = pipeline
        self.max_bytes = max_bytes
        self.wait_timeout = wait_timeout

    async def add(self, items: Iterable[RawArticle | Rejected]) -> list[IngestOutcome]:
        outcomes: list[IngestOutcome] = []
        for item in items:
            if isinstance(item, Rejected):
                outcomes.append(
                    IngestOutcome(status="rejected", path=item.where, reason=item.reason)
                )
                logger.info("rejected %s: %s", item.where, item.reason)
                continue
            status, article_id = await self.store.add_article(item)
            outcomes.append(
                IngestOutcome(
                    status=status, id=article_id, path=item.path, url=item.url, title=item.title
                )
            )
        return outcomes

    async def ingest_paths(self, paths: Sequence[str], *, wait: bool = True) -> list[IngestOutcome]:
        items = await asyncio.to_thread(
            lambda: list(
                read_paths([Path(p).expanduser() for p in paths], max_bytes=self.max_bytes)
            )
        )
        outcomes = await self.add(items)
        if wait:
            await self.wait_for([o.id for o in outcomes if o.status == "new" and o.id])
            for o in outcomes:
                if o.status == "new" and o.id:
                    o.alerts = await self.store.queued_alerts(o.id)
        return outcomes

    async def wait_for(self, article_ids: Sequence[str]) -> None:
        """Until the articles went through every ingest stage."""
        if not article_ids:
            return
        if not self.pipeline.running:
            await self.pipeline.drain(INGEST_STAGES)
            return
        deadline = time.monotonic() + self.wait_timeout
        while time.monotonic() < deadline:
            records = await self.store.load_articles(article_ids)
            if all(r is None or r.fanned == "full" for r in records):
                return
            await asyncio.sleep(0.05)
        logger.warning(
            "ingest: gave up waiting for %d article(s) after %.0fs",
            len(article_ids),
            self.wait_timeout,
        )
