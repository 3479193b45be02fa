"""Redis memory per stored article, by key family, on a real (embedded) Redis server.

Stores N corpus-like articles (about 300 words, sentences of the bundled corpus and the
seeds recombined, one outlet and date each) through the whole pipeline (ingest → analyze
→ stories → fan-out → enrich), then prints the bytes per article of every key family
(MEMORY USAGE of each key, summed) and of the server (INFO used_memory, delta), before
and after the streams are trimmed by the housekeeping chores.

Run: .venv/bin/python benchmarks/memory.py [--articles 500]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import tempfile
import time
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.app import App  # noqa: E402
from bot.ingest.readers import CORPUS_DIR, read_paths  # noqa: E402
from bot.ops.embedded import EmbeddedRedis  # noqa: E402
from bot.pipeline.housekeeping import Housekeeping  # noqa: E402
from bot.settings import load_settings  # noqa: E402
from bot.store import Store  # noqa: E402
from handlers.model import RawArticle  # noqa: E402
from nlp.catalog import Catalog  # noqa: E402
from nlp.pipeline import Analyzer  # noqa: E402
from nlp.text import split_sentences  # noqa: E402

SEEDS = ROOT.parent / "shared" / "seeds"


def articles(n: int, words: int = 300, seed: int = 11) -> list[RawArticle]:
    """`n` distinct articles of about `words` words, from the corpus's sentences."""
    paths = [CORPUS_DIR] + ([SEEDS] if SEEDS.is_dir() else [])
    base = [a for a in read_paths(paths) if isinstance(a, RawArticle)]
    sentences = [s for a in base for s in split_sentences(a.text) if len(s.split()) > 4]
    sources = sorted({a.source for a in base if a.source}) or ["Wire"]
    rng = random.Random(seed)
    start = datetime(2024, 3, 1, tzinfo=UTC)
    out = []
    for i in range(n):
        body: list[str] = []
        while sum(len(s.split()) for s in body) < words:
            body.append(rng.choice(sentences))
        out.append(
            RawArticle(
                title=body[0][:90],
                text=" ".join(body[1:]),
                url=f"https://news.example.org/{i}",
                source=rng.choice(sources),
                published_at=start + timedelta(hours=rng.randrange(24 * 60)),
                lang="fr",
            )
        )
    return out


def family(key: str, prefix: str) -> str:
    """The key family of a key: its first part after the prefix, refined where useful."""
    parts = key[len(prefix) + 1 :].split(":")
    head = parts[0]
    if head == "article":
        return "article:<id>:alerts" if parts[-1] == "alerts" else "article:<id> (hash)"
    if head in {"stream", "outbox"}:
        return "streams"
    if head in {"story", "stories"}:
        return "stories"
    if head in {"source", "sources"}:
        return "sources"
    if head == "entity":
        return "entity:<e>:articles"
    return {"term": "term:<t>", "lsh": "lsh:<band>", "chan": "chan:<c>:*"}.get(head, head)


async def breakdown(store: Store) -> tuple[Counter[str], Counter[str]]:
    """(bytes, keys) by key family."""
    size: Counter[str] = Counter()
    count: Counter[str] = Counter()
    prefix = store.keys.prefix
    async for raw in store.client.scan_iter(match=f"{prefix}:*", count=2000):
        key = raw.decode()
        fam = family(key, prefix)
        size[fam] += int(await store.client.memory_usage(key, samples=0) or 0)
        count[fam] += 1
    return size, count


def report(title: str, n: int, size: Counter[str], count: Counter[str], used: int) -> None:
    print(f"\n{title}")
    print(f"  {'key family':<24}{'keys':>9}{'bytes/article':>15}")
    for fam, b in size.most_common():
        print(f"  {fam:<24}{count[fam]:>9}{b / n:>15,.0f}")
    print(
        f"  {'all keys (MEMORY USAGE)':<24}{sum(count.values()):>9}{sum(size.values()) / n:>15,.0f}"
    )
    print(f"  {'server (INFO used_memory)':<33}{used / n:>15,.0f}")


async def main(n: int) -> None:
    docs = articles(n)
    with tempfile.TemporaryDirectory() as tmp:
        server = EmbeddedRedis(Path(tmp) / "redis")
        server.start()
        try:
            settings = load_settings(
                redis_url=server.url, data_dir=Path(tmp), key_prefix="m" + uuid.uuid4().hex[:8]
            )
            analyzer = Analyzer(Catalog.load())
            async with App(settings, analyzer=analyzer) as app:
                store = app.store
                await app.say("/grok track Grok")
                await app.say("/grok track OpenAI")
                used0 = int((await store.client.info("memory"))["used_memory"])
                t0 = time.perf_counter()
                for raw in docs:
                    await store.articles.add(raw)
                await app.pipeline.drain()
                stored = await store.articles.count()
                print(f"{stored} articles of ~300 words stored in {time.perf_counter() - t0:.1f} s")
                used = int((await store.client.info("memory"))["used_memory"]) - used0
                report("as stored (streams untrimmed)", stored, *await breakdown(store), used)
                hk = Housekeeping.for_workers(store, app.pipeline.workers.values(), settings)
                hk.trim_margin_s = 0
                await hk.bound_streams(time.time() + 1)
                used = int((await store.client.info("memory"))["used_memory"]) - used0
                report("after the streams are trimmed", stored, *await breakdown(store), used)
        finally:
            server.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=500)
    asyncio.run(main(parser.parse_args().articles))
