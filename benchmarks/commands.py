"""Latency of the story commands with many stored articles.

Fills a fresh embedded Redis with N articles (default 10,000) made by recombining the
sentences of the sample corpus and the seeds (new titles, dates spread over 2023–2024,
their own URLs), runs them through the fast path (analyze, stories, index), then times
each command. The baseline is the same commands over the first 100 of those articles,
measured in the same run, so the ratio shows how the cost grows with the store.

Run: .venv/bin/python benchmarks/commands.py [--articles N] [--runs R]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.app import App  # noqa: E402
from bot.ingest.readers import CORPUS_DIR, read_paths  # noqa: E402
from bot.settings import load_settings  # noqa: E402
from handlers.model import RawArticle  # noqa: E402
from nlp.text import split_sentences  # noqa: E402

SEEDS = ROOT.parent / "shared" / "seeds"
COMMANDS = [
    "/grok story",
    "/grok timeline",
    "/grok quotes",
    "/grok who Elon Musk",
    "/grok trend Grok",
    "/grok mentions OpenAI",
    "/grok search licence Apache",
    "/grok ask When was OpenAI founded?",
    "/grok ask Sous quelle licence Grok-1 est-il publié ?",
]


def synthetic(n: int, rng: random.Random) -> list[RawArticle]:
    paths = [CORPUS_DIR] + ([SEEDS] if SEEDS.is_dir() else [])
    real = [a for a in read_paths(paths) if isinstance(a, RawArticle)]
    pools: dict[str, list[str]] = {}
    for a in real:
        pools.setdefault(a.lang or "fr", []).extend(
            s for s in split_sentences(a.text) if len(s) > 40
        )
    start = datetime(2023, 6, 1, tzinfo=UTC)
    out = []
    for i in range(n):
        base = real[i % len(real)]
        pool = pools.get(base.lang or "fr") or next(iter(pools.values()))
        body = " ".join(rng.sample(pool, k=min(8, len(pool))))
        out.append(
            RawArticle(
                title=f"{base.title} ({i})",
                text=body + f"\n\nDépêche {i}.",
                url=f"https://example.org/bench/{i}",
                source=f"Outlet {i % 40}",
                published_at=start + timedelta(hours=rng.randrange(0, 24 * 400)),
                lang=base.lang,
            )
        )
    return out


async def measure(app: App, runs: int) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {}
    for line in COMMANDS:
        await app.say(line)  # warm caches once, as a running bot has them
        for _ in range(runs):
            start = time.perf_counter()
            reply = await app.say(line)
            times.setdefault(line, []).append((time.perf_counter() - start) * 1000)
            if reply.kind == "error":
                raise SystemExit(f"{line}: {reply.text}")
    return times


def p90(xs: list[float]) -> float:
    return statistics.quantiles(xs, n=10)[-1] if len(xs) >= 2 else xs[0]


async def fill(app: App, articles: list[RawArticle]) -> float:
    start = time.perf_counter()
    for i in range(0, len(articles), 500):
        await app.ingestor.add(articles[i : i + 500])
        await app.pipeline.drain(["analyze"])
        print(f"  stored {min(i + 500, len(articles))}/{len(articles)}", end="\r", flush=True)
    print()
    return time.perf_counter() - start


async def main_async(n: int, runs: int) -> None:
    rng = random.Random(7)
    articles = synthetic(n, rng)
    results: dict[int, dict[str, list[float]]] = {}
    for size in (100, n):
        with tempfile.TemporaryDirectory() as tmp:
            settings = load_settings(data_dir=Path(tmp), key_prefix="bench")
            async with App(settings) as app:
                took = await fill(app, articles[:size])
                print(f"{size} articles stored and analysed in {took:.1f}s")
                results[size] = await measure(app, runs)
    print()
    print(f"{'command':48} {'p50 ms':>8} {'p90 ms':>8} {'p90 @100':>9} {'ratio':>6}")
    for line in COMMANDS:
        big, small = results[n][line], results[100][line]
        print(
            f"{line:48} {statistics.median(big):8.1f} {p90(big):8.1f} {p90(small):9.1f} "
            f"{p90(big) / p90(small):6.1f}"
        )
    worst = max(p90(results[n][c]) for c in COMMANDS)
    print(f"\nworst p90 with {n} articles: {worst:.0f} ms (target < 300 ms)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    asyncio.run(main_async(args.articles, args.runs))


if __name__ == "__main__":
    main()
