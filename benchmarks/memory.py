"""Redis memory per stored article, by key family, on a real (embedded) Redis server.

Stores N corpus-like articles (about 300 words, sentences of the bundled corpus and the
seeds recombined, one outlet and date each) through the whole pipeline (ingest → analyze
→ stories → fan-out → enrich), then prints the bytes per article of every key family
(MEMORY USAGE of each key, summed) and of the server (INFO used_memory, delta), before
and after the streams are trimmed by the housekeeping chores; then, for the same articles,
the near-duplicate data stored the schema-2 way (a set per band, JSON signatures) against
schema 3's band hashes and packed signatures.

Run: .venv/bin/python benchmarks/memory.py [--articles 500]
"""

from __future__ import annotations

import argparse
import asyncio
import json
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
from bot.store.keys import Keys  # noqa: E402
from bot.store.neardup import decode_signature  # noqa: E402
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


async def schema2_neardup(store: Store, ids: list[str]) -> tuple[int, int, int]:
    """The same articles' near-duplicate data stored the schema-2 way (a set per band key,
    JSON signatures), under a scratch prefix, measured, then dropped. Returns (bytes of
    the band sets, their keys, bytes the JSON signatures take over the packed ones)."""
    scratch = Keys("legacy" + uuid.uuid4().hex[:6])
    extra = 0
    for article_id in ids:
        raw = await store.client.hget(store.keys.article(article_id), "minhash")
        if not raw:
            continue
        sig = decode_signature(raw)
        extra += len(json.dumps(sig)) - len(raw)
        async with store.client.pipeline(transaction=False) as pipe:
            for band in store.neardup.bands.band_keys(sig):
                pipe.sadd(scratch.lsh_band(band), article_id)
            await pipe.execute()
    size, keys = 0, []
    async for key in store.client.scan_iter(match=f"{scratch.prefix}:*", count=2000):
        size += int(await store.client.memory_usage(key, samples=0) or 0)
        keys.append(key)
    for i in range(0, len(keys), 500):
        await store.client.delete(*keys[i : i + 500])
    return size, len(keys), extra


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
                size, count = await breakdown(store)
                report("after the streams are trimmed", stored, size, count, used)
                ids = list(await store.retention.article_ids())
                old_nd, old_keys, old_sig = await schema2_neardup(store, ids)
                before, after = Counter(size), Counter(size)
                before.pop("nd", None)
                before["lsh:<band> (schema 2)"] = old_nd
                before["article:<id> (hash)"] += old_sig
                print("\nschema 2 → 3, the same articles (bytes/article)")
                for fam in ("article:<id> (hash)", "near-dup bands"):
                    old = (
                        before["lsh:<band> (schema 2)"] if fam == "near-dup bands" else before[fam]
                    )
                    new = after["nd"] if fam == "near-dup bands" else after[fam]
                    print(f"  {fam:<24}{old / stored:>10,.0f} → {new / stored:>8,.0f}")
                print(
                    f"  {'all keys':<24}{sum(before.values()) / stored:>10,.0f} → "
                    f"{sum(after.values()) / stored:>8,.0f}   (band keys: {old_keys} → {count['nd']})"
                )
        finally:
            server.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=500)
    asyncio.run(main(parser.parse_args().articles))
