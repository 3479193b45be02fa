"""Ingestion: sources → store → ingest stream, with a per-article report.

`ingest_paths` stores each new article and queues it for analysis in one atomic step,
reports duplicates and rejections, and (with `wait=True`) waits until the fan-out has
queued the article's alerts so it can report them: by running the stages itself when no
pipeline is running in this process, or by waiting for the running one.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from bot.ingest.fetch import is_url
from bot.ingest.readers import read_paths
from bot.ingest.readers.files import scrub
from bot.ingest.readers.messages import MSG_OUTSIDE
from bot.pipeline.stages import Pipeline
from bot.store import Store
from bot.store.articles import PUBLIC
from handlers.model import IngestOutcome, RawArticle, Rejected

if TYPE_CHECKING:
    from bot.ingest.web import WebReader

logger = logging.getLogger(__name__)

# the stages an ingest waits for: alerts are queued after "fanout" of both passes
INGEST_STAGES = ("analyze", "fanout", "enrich")

NEAR_COPY = 0.85  # estimated Jaccard of word 5-shingles above which a text is a copy
NEAR_COPY_MIN_WORDS = 40  # shorter texts (teasers) share too many stock phrases to judge
NEAR_COPY_CANDIDATES = 50  # band candidates verified at most


def _rejected(where: str, reason: str) -> IngestOutcome:
    return IngestOutcome(
        status="rejected",
        path=None if is_url(where) else where,
        url=where if is_url(where) else None,
        reason=reason,
    )


class Ingestor:
    """Implements `handlers.ports.IngestService`."""

    def __init__(
        self,
        store: Store,
        pipeline: Pipeline,
        *,
        max_bytes: int = 5_000_000,
        wait_timeout: float = 120.0,
        web: WebReader | None = None,
        ingest_dir: Path | None = None,
    ) -> None:
        self.store = store
        self.pipeline = pipeline
        self.max_bytes = max_bytes
        self.wait_timeout = wait_timeout
        self.web = web
        self.ingest_dir = ingest_dir.resolve() if ingest_dir is not None else None

    async def add(
        self,
        items: Iterable[RawArticle | Rejected],
        *,
        quiet: bool = False,
        near_dups: bool = False,
        owners: Sequence[str] = (PUBLIC,),
    ) -> list[IngestOutcome]:
        """Store new articles. `quiet`: index without alerts. `near_dups`: an article whose
        text is a near copy of a stored one is a duplicate too (feeds, URLs, the API).
        `owners`: the tenants they belong to (a feed shared by several; `PUBLIC`: the
        shared corpus); a duplicate (near copy included) becomes theirs too.

        The batch costs a few round trips whatever its size: which articles are stored
        already, the near-copy lookups of the others, then the stores (each article still
        its own atomic script, in order, so a duplicate within the batch is found too)."""
        items = list(items)
        raws = [item for item in items if isinstance(item, RawArticle)]
        for raw in raws:
            _scrub_article(raw)
        signatures: dict[int, Sequence[int]] = {}  # position in `raws` → its signature
        copies: dict[int, str] = {}  # position in `raws` → the stored article it copies
        if near_dups and raws:
            stored = await self.store.articles.exist_many([raw.article_id() for raw in raws])
            checked = [
                i
                for i, (raw, known) in enumerate(zip(raws, stored, strict=True))
                if not known and len(raw.text.split()) >= NEAR_COPY_MIN_WORDS
            ]
            index = self.store.neardup
            # computed once: for the copy check here and the story assignment later
            sigs = await asyncio.to_thread(
                lambda: [index.signature(raws[i].title, raws[i].text) for i in checked]
            )
            signatures = dict(zip(checked, sigs, strict=True))
            found = await index.matches_many(sigs, NEAR_COPY, limit=NEAR_COPY_CANDIDATES)
            copies = {i: ms[0].article_id for i, ms in zip(checked, found, strict=True) if ms}
        to_store = [i for i in range(len(raws)) if i not in copies]
        owner, *others = list(owners) or [PUBLIC]
        results = await self.store.articles.add_many(
            [(raws[i], signatures.get(i)) for i in to_store], quiet=quiet, owner=owner
        )
        stored_ids = [r[1] for r in results if not isinstance(r, Exception)]
        for other in others:
            await self.store.articles.grant(stored_ids + list(copies.values()), other)
        await self.store.articles.grant(list(copies.values()), owner)
        stored_as = dict(zip(to_store, results, strict=True))
        outcomes: list[IngestOutcome] = []
        at = 0
        for item in items:
            if isinstance(item, Rejected):
                outcomes.append(_rejected(item.where, item.reason))
                logger.info("rejected %s: %s", item.where, item.reason)
                continue
            i, at = at, at + 1
            if i in copies:
                logger.info("%s is a near copy of %s", item.url or item.title, copies[i])
                status, article_id = "duplicate", copies[i]
            else:
                result = stored_as[i]
                if isinstance(result, Exception):
                    # one article the store cannot take (a value no encoder reads) is
                    # rejected and the batch goes on; Redis being down is not caught here
                    logger.warning(
                        "article %r not stored: %s: %s", item.title[:80], type(result), result
                    )
                    outcomes.append(
                        IngestOutcome(
                            status="rejected",
                            path=item.path,
                            url=item.url,
                            title=item.title,
                            reason=f"the article cannot be stored ({type(result).__name__})",
                        )
                    )
                    continue
                status, article_id = result
            outcomes.append(
                IngestOutcome(
                    status=status, id=article_id, path=item.path, url=item.url, title=item.title
                )
            )
        return outcomes

    async def ingest_paths(
        self, paths: Sequence[str], *, wait: bool = True, owner: str = PUBLIC
    ) -> list[IngestOutcome]:
        """Files, folders, and feed or page URLs (fetched safely; see bot.ingest.fetch),
        for tenant `owner` (`PUBLIC`, the shared corpus, from the CLI)."""
        files = [p for p in paths if not is_url(p)]
        urls = [p for p in paths if is_url(p)]
        items: list[RawArticle | Rejected] = await asyncio.to_thread(
            lambda: list(
                read_paths([Path(p).expanduser() for p in files], max_bytes=self.max_bytes)
            )
        )
        for url in urls:
            if self.web is None:
                items.append(Rejected(url, "fetching URLs is not available here"))
            else:
                items.extend(await self.web.read_url(url))
        outcomes = await self.add(items, near_dups=bool(urls), owners=(owner,))
        if wait:
            await self.report_alerts(outcomes)
        return outcomes

    async def ingest_from_chat(
        self, target: str, *, wait: bool = True, owner: str = PUBLIC
    ) -> list[IngestOutcome]:
        """What a chat user may ingest: a page or feed URL, or a path inside the ingest
        folder (`GROKWATCH_INGEST_DIR`, relative to it or absolute). Any other path is
        refused before it is looked at, with the same reason whether it exists or not, and
        the paths in the outcomes (and of the stored articles) are relative to the folder,
        so no reply or alert shows where the folder is on the bot's machine."""
        target = target.strip()
        if is_url(target):
            return await self.ingest_paths([target], wait=wait, owner=owner)
        root = self.ingest_dir
        shown = _printable(target)
        if root is None or not target:
            outcome = IngestOutcome(status="rejected", path=shown, reason=MSG_OUTSIDE)
            return [outcome]
        path = Path(target)
        given = path if path.is_absolute() else root / path
        items = await asyncio.to_thread(
            lambda: list(read_paths([given], max_bytes=self.max_bytes, root=root))
        )
        for item in items:
            if isinstance(item, Rejected):
                item.where = _relative(item.where, root, shown)
                item.reason = item.reason.replace(str(root) + os.sep, "")
            elif item.path:
                item.path = _relative(item.path, root, shown)
        outcomes = await self.add(items, owners=(owner,))
        if wait:
            await self.report_alerts(outcomes)
        return outcomes

    async def near_copy_of(
        self, raw: RawArticle, signature: Sequence[int] | None = None
    ) -> str | None:
        """The stored article whose text `raw` is a near copy of (an updated or
        re-published item under a new URL), if any. `signature`: `raw`'s, if computed."""
        if len(raw.text.split()) < NEAR_COPY_MIN_WORDS:
            return None
        index = self.store.neardup
        if signature is None:
            signature = index.signature(raw.title, raw.text)
        matches = await index.matches(signature, NEAR_COPY, limit=NEAR_COPY_CANDIDATES)
        return matches[0].article_id if matches else None

    async def report_alerts(self, outcomes: Sequence[IngestOutcome]) -> None:
        """Wait until the new articles went through every ingest stage, then list on each
        outcome the alerts the fan-out queued for it."""
        await self.wait_for([o.id for o in outcomes if o.status == "new" and o.id])
        for o in outcomes:
            if o.status == "new" and o.id:
                o.alerts = await self.store.delivery.queued_alerts(o.id)

    async def wait_for(self, article_ids: Sequence[str]) -> None:
        """Until the articles went through every ingest stage."""
        if not article_ids:
            return
        if not self.pipeline.running:
            await self.pipeline.drain(INGEST_STAGES)
            return
        deadline = time.monotonic() + self.wait_timeout
        while time.monotonic() < deadline:
            records = await self.store.articles.load_many(article_ids)
            if all(r is None or r.fanned == "full" for r in records):
                return
            await asyncio.sleep(0.05)
        logger.warning(
            "ingest: gave up waiting for %d article(s) after %.0fs",
            len(article_ids),
            self.wait_timeout,
        )


def _printable(text: str) -> str:
    """A user's path as it can be shown: no NUL, no lone surrogate, at most 200 chars."""
    return scrub(text)[:200]


def _relative(where: str, root: Path, fallback: str) -> str:
    """`where` (a path, maybe with a `#item` suffix) relative to `root`; `fallback` (what
    the user typed) for anything that is not inside it."""
    prefix = str(root) + os.sep
    if where.startswith(prefix):
        return where[len(prefix) :] or "."
    if where == str(root):
        return "."
    return fallback


def _scrub_article(article: RawArticle) -> None:
    """Every text field of `article` made storable (`scrub`), whatever reader made it."""
    article.title = scrub(article.title)
    article.text = scrub(article.text)
    for name in ("url", "path", "source", "lang"):
        value = getattr(article, name)
        if isinstance(value, str):
            setattr(article, name, scrub(value))
