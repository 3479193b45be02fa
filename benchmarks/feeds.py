"""Feeds polled per minute on this machine, by the real scheduler (`FeedManager.poll_due`)
against a loopback server serving N RSS 2.0 feeds of 20 items each:

* 304 round: every feed answers 304 Not Modified (ETag): the steady state;
* fresh round: every feed has 20 new items (parsed, deduped, stored, queued for analysis;
  the analysis itself is the pipeline's job and is not measured here).

Usage: python benchmarks/feeds.py [--feeds 200] [--rounds 3]
Needs nothing but this checkout: an embedded Redis, a loopback HTTP server.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import sys
import tempfile
import time
import uuid
from pathlib import Path

from rich.console import Console

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.app import App
from bot.ingest.feeds import feed_id
from bot.ops.embedded import EmbeddedRedis
from bot.settings import load_settings
from bot.transports.console import ConsoleTransport
from tests.web_fake import FakeWeb


def feed_body(fake: FakeWeb, n: int, version: int) -> str:
    items = "".join(
        f"""<item><title>Feed {n} story {version}-{i}: xAI and Grok-1</title>
<link>{fake.url(f"/a/{n}/{version}/{i}")}</link><guid>{n}-{version}-{i}</guid>
<pubDate>Sun, 17 Mar 2024 21:{i:02d}:00 GMT</pubDate>
<description>Item {i} of version {version} in feed {n}: the weights of Grok-1, released by
xAI under the Apache 2.0 licence, have 314 billion parameters; report number {uuid.uuid4()}.
</description></item>"""
        for i in range(20)
    )
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>Outlet {n}</title><language>en</language>{items}</channel></rss>"
    )


async def make_all_due(app: App, urls: list[str]) -> None:
    await app.store.feeds.set_due({feed_id(u): time.time() - 1 for u in urls})


async def timed_round(app: App, urls: list[str]) -> float:
    await make_all_due(app, urls)
    start = time.perf_counter()
    polled = 0
    while polled < len(urls):
        got = await app.feeds.poll_due()
        if got == 0:
            break
        polled += got
    elapsed = time.perf_counter() - start
    assert polled == len(urls), f"polled {polled} of {len(urls)}"
    return elapsed


async def main(n_feeds: int, rounds: int, concurrency: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        redis = EmbeddedRedis(Path(tmp) / "redis")
        redis.start()
        try:
            settings = load_settings(
                redis_url=redis.url,
                data_dir=Path(tmp) / "data",
                key_prefix="bench" + uuid.uuid4().hex[:8],
                url_allowlist=["127.0.0.1/32"],
                feed_complete_words=0,
                feed_concurrency=concurrency,
                feed_jitter=0.0,
            )
            console = ConsoleTransport(Console(file=io.StringIO()))
            async with FakeWeb() as fake, App(settings, console=console) as app:
                app.feeds.config.batch = max(app.feeds.config.batch, n_feeds)
                urls = []
                for n in range(n_feeds):
                    fake.set(f"/feed/{n}.xml", feed_body(fake, n, 0), etag=f'"{n}-0"')
                    urls.append(fake.url(f"/feed/{n}.xml"))
                await app.feeds.ensure_feeds(urls)
                first = await timed_round(app, urls)  # first poll: backlog, quiet
                not_modified = [await timed_round(app, urls) for _ in range(rounds)]
                fresh = []
                for r in range(1, rounds + 1):
                    for n in range(n_feeds):
                        fake.set(f"/feed/{n}.xml", feed_body(fake, n, r), etag=f'"{n}-{r}"')
                    fresh.append(await timed_round(app, urls))
                stats = await app.store.stats.counters()
        finally:
            redis.stop()

    def rate(seconds: list[float]) -> float:
        best = min(seconds)
        return n_feeds / best * 60

    print(f"{n_feeds} feeds × 20 items, {concurrency} polls at once, best of {rounds} rounds")
    print(f"  first poll (backlog, 20 new items each): {n_feeds / first * 60:10,.0f} feeds/min")
    print(f"  304 Not Modified (steady state):         {rate(not_modified):10,.0f} feeds/min")
    print(f"  fresh content (20 new items each):       {rate(fresh):10,.0f} feeds/min")
    print(f"  ratio 304 / fresh: {rate(not_modified) / rate(fresh):.1f}×")
    print(
        f"  store: {stats.get('articles_ingested', 0)} articles, "
        f"{stats.get('feeds_polled', 0)} polls, {stats.get('feeds_not_modified', 0)} × 304"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--feeds", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    asyncio.run(main(args.feeds, args.rounds, args.concurrency))
