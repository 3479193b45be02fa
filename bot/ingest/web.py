"""Feeds and web pages as articles: feedparser for RSS 0.9x/1.0/2.0 and Atom; pages and the
HTML in feed items through the one HTML-to-text path, `bot.ingest.readers.html_reader`
(trafilatura, with its one fallback).

`WebReader.read_url` is what `grokwatch ingest URL` and `/grok ingest URL` use; the feed
scheduler (`bot.ingest.feeds`) uses `parse_feed` and `WebReader.complete`. Nothing here raises for
bad input: a feed that is not one, malformed XML or a page without text becomes a
`FetchError` or a `Rejected` with a sentence that says so.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import feedparser

from bot.ingest.fetch import FetchError, FetchResult, SafeFetcher
from bot.ingest.readers.files import text_codec
from bot.ingest.readers.html_reader import html_to_text, read_html
from bot.ingest.readers.metadata import normalise_lang, parse_datetime
from bot.ingest.readers.text_reader import shorten_title
from handlers.model import RawArticle, Rejected

logger = logging.getLogger(__name__)


def word_count(text: str) -> int:
    return len(text.split())


@dataclass(slots=True)
class FeedItem:
    key: str  # the GUID, else the link, else the title: only for logs
    article: RawArticle


@dataclass(slots=True)
class ParsedFeed:
    title: str
    lang: str | None
    items: list[FeedItem] = field(default_factory=list)
    warning: str = ""  # a problem the parser recovered from (bozo), for the feed's state


def _struct_dt(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        y, mo, d, h, mi, sec = (int(x) for x in value[:6])
        return datetime(y, mo, d, h, mi, min(sec, 59), tzinfo=UTC)
    except (TypeError, ValueError):
        return None


def _entry_text(entry: Any) -> str:
    best = ""
    for content in entry.get("content") or []:
        value = content.get("value") or ""
        if len(value) > len(best):
            best = value
    summary = entry.get("summary") or entry.get("description") or ""
    if len(summary) > len(best):
        best = summary
    return html_to_text(best)


MAX_FEED_ITEMS = 1000
"""Items read from one feed body; a longer feed is cut before the next item."""

_ITEM_RE = re.compile(rb"<(?:[A-Za-z0-9_-]+:)?(?:item|entry)[\s>/]")
_CLOSERS = ((b"<rdf:rdf", b"</rdf:RDF>"), (b"<rss", b"</channel></rss>"), (b"<feed", b"</feed>"))


def _first_items(data: bytes, limit: int) -> tuple[bytes, int]:
    """The body cut before its item number `limit + 1` and closed again (so feedparser
    never spends seconds on a feed of 100,000 items), and how many items it had (0 when
    it was not cut)."""
    starts = [m.start() for m in _ITEM_RE.finditer(data)]
    if len(starts) <= limit:
        return data, 0
    head = data[:4096].lower()
    closer = min(
        ((head.find(tag), end) for tag, end in _CLOSERS if tag in head),
        default=(0, b""),
    )[1]
    return data[: starts[limit]] + closer, len(starts)


def parse_feed(result: FetchResult) -> ParsedFeed:
    """The items of an RSS/Atom feed body; FetchError when it is not a usable feed."""
    data, cut = _first_items(result.content, MAX_FEED_ITEMS)
    headers = {"content-location": result.url}
    if result.content_type:
        codec = text_codec(result.charset) if result.charset else None
        headers["content-type"] = result.content_type + (f"; charset={codec}" if codec else "")
    # bytes, never a string: feedparser fetches a string that looks like a URL itself
    try:
        parsed = feedparser.parse(data, response_headers=headers, sanitize_html=True)
    except Exception as exc:  # feedparser's own failure modes on hostile bodies
        logger.warning("feedparser failed on %s: %s: %s", result.url, type(exc).__name__, exc)
        raise FetchError(f"the feed cannot be parsed ({type(exc).__name__})") from None
    bozo = parsed.get("bozo_exception") if parsed.get("bozo") else None
    entries = parsed.get("entries") or []
    if not entries and (bozo is not None or not parsed.get("version")):
        head = data[:1024].lower()
        if b"<html" in head or b"<!doctype html" in head:
            raise FetchError("the URL serves an HTML page, not an RSS or Atom feed", permanent=True)
        if bozo is not None:
            raise FetchError(f"malformed feed XML: {bozo}")
        raise FetchError("the body is not an RSS or Atom feed", permanent=True)
    meta = parsed.get("feed") or {}
    feed_title = html_to_text(meta.get("title") or "") or None
    feed_lang = normalise_lang(meta.get("language"))
    out = ParsedFeed(title=feed_title or "", lang=feed_lang)
    if bozo is not None:
        out.warning = f"{type(bozo).__name__}: {bozo}"
        logger.info("feed %s parsed with a problem: %s", result.url, out.warning)
    if cut:
        out.warning = f"only the first {MAX_FEED_ITEMS:,} of {cut:,} items were read"
        logger.info("feed %s: %s", result.url, out.warning)
    for entry in entries:
        link = entry.get("link") or None
        if link and not link.lower().startswith(("http://", "https://")):
            link = None
        text = _entry_text(entry)
        title = html_to_text(entry.get("title") or "")
        if not title and text:
            title = shorten_title(text.split("\n", 1)[0])
        if not title and not text:
            continue
        published = (
            _struct_dt(entry.get("published_parsed"))
            or _struct_dt(entry.get("updated_parsed"))
            or parse_datetime(entry.get("published") or entry.get("updated"))
        )
        lang = feed_lang
        for content in entry.get("content") or []:
            lang = normalise_lang(content.get("language")) or lang
        out.items.append(
            FeedItem(
                key=str(entry.get("id") or link or title),
                article=RawArticle(
                    title=title,
                    text=text,
                    url=link,
                    path=None,
                    source=feed_title,
                    published_at=published,
                    lang=lang,
                ),
            )
        )
    return out


def extract_page(result: FetchResult) -> RawArticle | Rejected:
    """A fetched web page as an article (`read_html`), its URL the page's canonical one,
    else the URL it was fetched from."""
    page = read_html(result.text(), result.url, url=result.url)
    if isinstance(page, RawArticle):
        page.path = None
    return page


Skip = Callable[[RawArticle], Awaitable[bool]]


class WebReader:
    """Feeds and pages by URL, with feed items whose summary is short completed from their
    page."""

    def __init__(
        self,
        fetcher: SafeFetcher,
        *,
        complete_below_words: int = 80,
        max_page_fetches: int = 10,
        concurrency: int = 4,
    ) -> None:
        self.fetcher = fetcher
        self.complete_below_words = complete_below_words
        self.max_page_fetches = max_page_fetches
        self._sem = asyncio.Semaphore(concurrency)
        self.pages_fetched = 0

    async def read_url(self, url: str) -> list[RawArticle | Rejected]:
        """The articles at `url`: every item of a feed, or the one article of a page."""
        try:
            result = await self.fetcher.fetch(url, want="any")
            if result.kind == "feed":
                feed = parse_feed(result)
                articles = [item.article for item in feed.items]
                await self.complete(articles)
                if not articles:
                    return [Rejected(url, "the feed has no items")]
                return list(articles)
            page = extract_page(result)
        except FetchError as exc:
            return [Rejected(url, str(exc))]
        if isinstance(page, Rejected):
            return [Rejected(url, page.reason)]
        page.url = page.url or url
        return [page]

    async def complete(self, articles: Sequence[RawArticle], skip: Skip | None = None) -> int:
        """Fill in feed items whose text is short from their page (at most
        `max_page_fetches` per call; `skip` says which are known already). Returns how
        many were completed. A page that cannot be fetched leaves its item as it was."""
        todo = []
        for art in articles:
            if not art.url or word_count(art.text) >= self.complete_below_words:
                continue
            if skip is not None and await skip(art):
                continue
            todo.append(art)
            if len(todo) >= self.max_page_fetches:
                break
        done = await asyncio.gather(*(self._complete_one(a) for a in todo))
        return sum(done)

    async def _complete_one(self, art: RawArticle) -> bool:
        assert art.url
        async with self._sem:
            try:
                result = await self.fetcher.fetch(art.url, want="page")
            except FetchError as exc:
                logger.info("page of feed item %s not fetched: %s", art.url, exc)
                return False
        self.pages_fetched += 1
        page = await asyncio.to_thread(extract_page, result)
        if isinstance(page, Rejected) or word_count(page.text) <= word_count(art.text):
            return False
        art.text = page.text
        art.title = art.title or page.title
        art.published_at = art.published_at or page.published_at
        art.lang = art.lang or page.lang
        art.source = art.source or page.source
        return True
