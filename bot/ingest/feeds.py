"""Feeds polled on their own: the scheduler of `grokwatch run` and `grokwatch worker --stage
fetch`.

This module owns the policy; the state is kept by the feeds repository (`bot.store.feeds`):
a `FeedState` per feed (url, the channel that added it, etag, last_modified, next_poll,
failures, last_error, paused, first_poll_done...), the schedule of the active feeds by next
poll time, which channels added which feed, and the poll locks.

One poll:
  * takes the feed's lock (SET NX PX with a random token; released only by its holder,
    by a compare-and-delete script), so two workers never poll one feed at once, and
    re-checks that the feed is still due (another worker may have just polled it);
  * GETs it through `SafeFetcher` with If-None-Match / If-Modified-Since; a 304 costs
    no parse;
  * parses it (feedparser), completes items whose summary is short from their page,
    and hands the items to the `Ingestor`, which dedupes by canonical URL (the article
    id), by content hash and by near-copy (MinHash), so a changed GUID or date, or a
    link that gained tracking parameters, is not a new article;
  * the first successful poll of a new feed stores its backlog `quiet` (indexed, in
    stories, searchable, but the fan-out queues no alert for it) unless
    GROKWATCH_FEED_BACKLOG_ALERTS is set;
  * schedules the next poll: the feed's interval with jitter, or after a failure an
    exponential backoff (interval × 2^(failures-1), capped, at least a server's
    Retry-After); after GROKWATCH_FEED_MAX_FAILURES failures in a row, or at once on a
    permanent error (410 Gone, a refused address, not a feed), the feed is paused and
    a notice goes to every channel that added it (queued once per pause, delivered by
    the deliver stage like alerts). `/grok feeds add URL` again resumes it.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import random
import time
from collections.abc import Iterable
from dataclasses import dataclass, field

import httpx

from bot.ingest.fetch import BlockedURL, FetchError, SafeFetcher, is_url
from bot.ingest.service import Ingestor
from bot.ingest.web import ParsedFeed, WebReader, parse_feed
from bot.store import Store, StoreUnavailable
from bot.store.articles import PUBLIC
from bot.store.feeds import FeedState
from handlers.model import ChannelAddress, FeedChange, FeedInfo, RawArticle, canonical_url
from handlers.texts import t

logger = logging.getLogger(__name__)


def feed_id(url: str) -> str:
    return hashlib.sha256(("feed\n" + canonical_url(url)).encode()).hexdigest()[:16]


@dataclass(slots=True)
class FeedConfig:
    interval: float = 900.0  # seconds between polls of a healthy feed
    jitter: float = 0.1  # ± this fraction of the delay, so feeds do not poll in lockstep
    max_backoff: float = 6 * 3600.0
    max_failures: int = 5  # consecutive failures before the feed is paused
    backlog_alerts: bool = False  # alert on the items of a new feed's first poll
    lock_ms: int = 300_000
    concurrency: int = 8  # feeds polled at once by one process
    batch: int = 100  # due feeds read per round
    tick: float = 5.0  # longest sleep between rounds


@dataclass(slots=True)
class PollResult:
    status: str  # "ok", "not_modified", "failed", "paused", "skipped"
    new: int = 0
    duplicates: int = 0
    error: str = ""
    permanent: bool = False
    alert_ids: list[str] = field(default_factory=list)  # new articles that may alert


class FeedManager:
    """Implements `handlers.ports.FeedService` and runs the poll scheduler."""

    def __init__(
        self,
        store: Store,
        ingestor: Ingestor,
        web: WebReader,
        config: FeedConfig | None = None,
    ) -> None:
        self.store = store
        self.ingestor = ingestor
        self.web = web
        self.fetcher: SafeFetcher = web.fetcher
        self.config = config or FeedConfig()
        self.repo = store.feeds
        self._sem = asyncio.Semaphore(self.config.concurrency)
        self.parses = 0  # feed bodies parsed by this process (a 304 parses nothing)
        self.polls = 0

    def _delay(self, base: float) -> float:
        j = self.config.jitter
        return max(0.0, base * (1 + random.uniform(-j, j))) if j else base

    # --------------------------------------------------- FeedService (chat)
    async def add_feed(self, url: str, channel: str, *, lang: str = "en") -> FeedChange:
        """Add a feed for a channel and poll it once now (its backlog is indexed without
        alerts). A refused address, or a URL that is not a feed, is not added."""
        url = url.strip().strip("<>")
        if not is_url(url):
            return FeedChange(ok=False, error="not an http:// or https:// URL", url=url)
        try:
            parsed = httpx.URL(url)
            port = parsed.port or (443 if parsed.scheme == "https" else 80)
            await self.fetcher.guard.resolve(parsed.host, port)
        except BlockedURL as exc:
            return FeedChange(ok=False, error=str(exc), url=url)
        except FetchError:
            pass  # cannot resolve now: a transient problem; the first poll will say
        except httpx.InvalidURL as exc:
            return FeedChange(ok=False, error=f"not a valid URL: {exc}", url=url)
        fid = feed_id(url)
        existing = await self.repo.load(fid)
        now = time.time()
        await self.repo.link(fid, channel)
        if existing is not None:
            if existing.paused:
                existing.paused = False
                existing.failures = 0
                existing.next_poll = now
                await self.repo.save(existing)
                result = await self.poll(fid, force=True)
                state = await self.repo.load(fid) or existing
                return FeedChange(
                    ok=True, status="resumed", feed=state.info(), url=url, error=result.error
                )
            return FeedChange(ok=True, status="exists", feed=existing.info(), url=url)
        state = FeedState(id=fid, url=url, added_by=channel, lang=lang, next_poll=now, added_at=now)
        await self.repo.create(state)
        logger.info("feed %s added by %s", url, channel)
        result = await self.poll(fid, force=True)
        if result.status == "failed" and result.permanent:
            await self.repo.delete(fid)
            return FeedChange(ok=False, error=result.error, url=url)
        state = await self.repo.load(fid) or state
        return FeedChange(
            ok=True,
            status="added",
            feed=state.info(),
            url=url,
            indexed=result.new,
            error=result.error,
        )

    async def remove_feed(self, url: str, channel: str) -> bool:
        """Stop polling a feed for a channel (the feed goes when no channel has it)."""
        fid = feed_id(url.strip().strip("<>"))
        removed, left = await self.repo.unlink(fid, channel)
        if not removed:
            return False
        await self.store.noise.follow_feed(channel, fid, on=False)
        if not left:
            await self.repo.delete(fid)
        logger.info("feed %s removed by %s", url, channel)
        return True

    async def feeds(self, channel: str | None = None) -> list[FeedInfo]:
        """The feeds a channel added (every feed when `channel` is None); for a channel,
        whether it gets every new item of each."""
        ids = await self.repo.ids(channel)
        every = await self.store.noise.following(channel, ids) if channel else [False] * len(ids)
        out = []
        for fid, follows in zip(ids, every, strict=True):
            state = await self.repo.load(fid)
            if state is not None:
                info = state.info()
                info.every_item = follows
                out.append(info)
        return out

    async def follow_feed(self, url: str, channel: str, *, on: bool = True) -> bool | None:
        """Post every new item of the channel's feed `url` in it (on), or only the items
        that mention what it tracks (off); None when the channel has no such feed."""
        fid = feed_id(url.strip().strip("<>"))
        if fid not in await self.repo.ids(channel):
            return None
        changed = await self.store.noise.follow_feed(channel, fid, on)
        logger.info("feed %s: every item %s in %s", url, "on" if on else "off", channel)
        return changed

    async def ensure_feeds(self, urls: Iterable[str], channel: str = "") -> int:
        """Add the configured feeds that are not there yet (polled by the scheduler, the
        first poll quiet like any new feed); returns how many were added."""
        added = 0
        now = time.time()
        for url in urls:
            fid = feed_id(url)
            state = FeedState(
                id=fid,
                url=url,
                added_by=channel,
                next_poll=now + random.uniform(0, 5),
                added_at=now,
                public=True,  # the settings' feeds are the shared corpus
            )
            if await self.repo.create_if_absent(state, channel):
                added += 1
        return added

    # -------------------------------------------------------------- polling
    async def poll(self, fid: str, *, force: bool = False) -> PollResult:
        """Poll one feed under its lock (see the module docstring)."""
        async with self.repo.lock(fid, self.config.lock_ms) as locked:
            if not locked:
                return PollResult("skipped")
            if not force:
                due = await self.repo.due_at(fid)
                if due is None or due > time.time():
                    return PollResult("skipped")  # paused, removed, or just polled
            state = await self.repo.load(fid)
            if state is None or state.paused:
                return PollResult("skipped")
            return await self._poll(state)

    async def _poll(self, state: FeedState) -> PollResult:
        self.polls += 1
        now = time.time()
        state.last_poll = now
        try:
            result = await self.fetcher.fetch(
                state.url,
                want="feed",
                etag=state.etag or None,
                last_modified=state.last_modified or None,
            )
            await self.store.stats.incr("feeds_polled")
            if result.not_modified:
                await self.store.stats.incr("feeds_not_modified")
                state.failures, state.last_error = 0, ""
                state.next_poll = now + self._delay(self.config.interval)
                await self.repo.save(state)
                return PollResult("not_modified")
            self.parses += 1
            feed: ParsedFeed = await asyncio.to_thread(parse_feed, result)
        except FetchError as exc:
            return await self._failed(state, exc)
        except StoreUnavailable:
            raise
        except Exception as exc:  # never a poll that fails without counting a failure
            logger.exception("feed %s: unexpected failure", state.url)
            return await self._failed(
                state, FetchError(f"the feed could not be read ({type(exc).__name__})")
            )
        quiet = not state.first_poll_done and not self.config.backlog_alerts
        articles = [item.article for item in feed.items]
        for article in articles:
            article.feed = state.id  # for the channels that follow every item of it
        await self.web.complete(articles, skip=self._known)
        owners = await self._owners(state)
        outcomes = await self.ingestor.add(articles, quiet=quiet, near_dups=True, owners=owners)
        new = [o.id for o in outcomes if o.status == "new" and o.id]
        dups = sum(o.status == "duplicate" for o in outcomes)
        if new:
            await self.store.stats.incr("feed_items_new", len(new))
        state.etag = result.etag or ""
        state.last_modified = result.last_modified or ""
        state.failures = 0
        state.last_error = feed.warning[:300]
        state.title = feed.title or state.title
        state.articles += len(new)
        state.first_poll_done = True
        state.next_poll = now + self._delay(self.config.interval)
        await self.repo.save(state)
        logger.info(
            "feed %s: %d item(s), %d new%s, %d duplicate(s)",
            state.url,
            len(articles),
            len(new),
            " (backlog, no alerts)" if quiet else "",
            dups,
        )
        return PollResult("ok", new=len(new), duplicates=dups, alert_ids=[] if quiet else new)

    async def _owners(self, state: FeedState) -> list[str]:
        """The tenants a feed's articles belong to: those of the channels that added it,
        and the shared corpus for a configured feed."""
        owners = {PUBLIC} if state.public else set()
        for channel in await self.repo.channels(state.id):
            address = ChannelAddress.try_parse(channel)
            if address is not None:
                owners.add(address.scope_key)
        if not owners:
            return [PUBLIC]
        return ([PUBLIC] if PUBLIC in owners else []) + sorted(owners - {PUBLIC})

    async def _known(self, art: RawArticle) -> bool:
        return await self.store.articles.exists(art.article_id())

    async def _failed(self, state: FeedState, exc: FetchError) -> PollResult:
        await self.store.stats.incr("feed_errors")
        state.failures += 1
        state.last_error = str(exc)[:300]
        backoff = self.config.interval * 2 ** min(state.failures - 1, 30)
        delay = max(min(self.config.max_backoff, backoff), exc.retry_after)
        state.next_poll = time.time() + self._delay(delay)
        pause = exc.permanent or state.failures >= self.config.max_failures
        logger.warning(
            "feed %s failed (%d in a row): %s%s",
            state.url,
            state.failures,
            exc,
            "; paused" if pause else "",
        )
        if pause:
            state.paused = True
            state.pauses += 1
        if await self.repo.save(state) and pause:
            await self.store.stats.incr("feeds_paused")
            await self._notify_paused(state)
        return PollResult("failed", error=str(exc), permanent=exc.permanent)

    async def _notify_paused(self, state: FeedState) -> None:
        channels = await self.repo.channels(state.id)
        for channel in channels or ([state.added_by] if state.added_by else []):
            address = ChannelAddress.try_parse(channel)
            if address is None:
                continue
            platform = address.platform
            await self.store.delivery.queue_notice(
                platform,
                channel,
                f"feed:{state.id}:paused:{state.pauses}",
                t(state.lang, "feed_paused_title"),
                t(
                    state.lang,
                    "feed_paused_text",
                    url=state.url,
                    n=state.failures,
                    error=state.last_error,
                ),
            )

    async def poll_due(self, now: float | None = None) -> int:
        """Poll the feeds that are due now (at most `batch`); returns how many were polled."""
        now = time.time() if now is None else now
        ids = await self.repo.due(now, self.config.batch)

        async def one(fid: str) -> bool:
            async with self._sem:
                try:
                    return (await self.poll(fid)).status != "skipped"
                except StoreUnavailable:
                    raise
                except Exception:
                    logger.exception("feed %s: poll failed unexpectedly", fid)
                    return False

        done = await asyncio.gather(*(one(fid) for fid in ids))
        return sum(done)

    async def run(self, stop: asyncio.Event) -> None:
        """Poll due feeds until `stop` is set."""
        logger.info("feed scheduler running")
        while not stop.is_set():
            try:
                await self.poll_due()
                nxt = await self.repo.next_due()
            except StoreUnavailable as exc:
                logger.warning("feed scheduler: Redis unavailable (%s); retrying in 1 s", exc)
                nxt = None
                await asyncio.sleep(1)
            wait = self.config.tick
            if nxt is not None:
                wait = min(wait, max(0.05, nxt - time.time()))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), wait)


class FeedScheduler:
    """The scheduler as a background task (start/stop), for `run` and `worker`."""

    def __init__(self, manager: FeedManager) -> None:
        self.manager = manager
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._task is None:
            self._stop.clear()
            self._task = asyncio.create_task(self.manager.run(self._stop), name="feeds")

    async def stop(self) -> None:
        self._stop.set()
        if self._task is not None:
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
