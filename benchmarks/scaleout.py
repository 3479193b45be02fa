"""Scale-out of one stage: 1 vs 2 `grokwatch worker --stage analyze` processes draining the
same backlog of the ingest stream, as one consumer group, on one embedded Redis server.

For each worker count: a fresh key prefix, N articles of about 300 words (built from the
sentences of the bundled corpus and ../shared/seeds, shuffled, so no two are duplicates)
stored and queued in the ingest stream; the workers started as separate processes and
waited for until every one has joined the `analyze` group; then the backlog released at
once (XGROUP SETID to the start) and timed until the group has acknowledged every entry.
Prints articles/s for each count and the ratio (the issue's target: ≥ 1.6× on 2 cores).

The figures are only as quiet as the machine: each run prints the cores its workers, the
Redis server and everything else on the machine kept busy (from /proc), so a run starved
by other work shows as such; the CPU per article does not depend on that noise.

Run: .venv/bin/python benchmarks/scaleout.py [--articles N] [--repeat R] [--workers 1 2]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import signal
import statistics
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.ingest.readers import CORPUS_DIR, read_paths  # noqa: E402
from bot.ops.embedded import EmbeddedRedis  # noqa: E402
from bot.store import Store  # noqa: E402
from bot.store.keys import G_ANALYZE  # noqa: E402
from handlers.model import RawArticle  # noqa: E402
from nlp.text import split_sentences  # noqa: E402

SEEDS = ROOT.parent / "shared" / "seeds"
WORDS = 300


def backlog(n: int, seed: int = 11) -> list[RawArticle]:
    """`n` distinct articles of about WORDS words: each takes the title, outlet and date of
    one source article and a shuffled draw of sentences of its language."""
    paths = [CORPUS_DIR] + ([SEEDS] if SEEDS.is_dir() else [])
    sources = [a for a in read_paths(paths) if isinstance(a, RawArticle)]
    pool: dict[str, list[str]] = defaultdict(list)
    for a in sources:
        pool[a.lang or "fr"].extend(s for s in split_sentences(a.text) if len(s.split()) > 3)
    rng = random.Random(seed)
    out = []
    for i in range(n):
        base = sources[i % len(sources)]
        sentences = pool[base.lang or "fr"]
        text: list[str] = []
        while sum(len(s.split()) for s in text) < WORDS:
            text.append(rng.choice(sentences))
        out.append(
            RawArticle(
                title=f"{base.title} ({i})",
                text=" ".join(text),
                url=f"https://bench.example/{i}",
                source=base.source,
                published_at=base.published_at,
                lang=base.lang,
            )
        )
    return out


async def group_state(store: Store) -> tuple[int, bool]:
    """(pending, everything delivered) of the analyze group on the ingest stream."""
    stream = store.keys.ingest_stream
    groups = await store.client.xinfo_groups(stream)
    last = (await store.client.xinfo_stream(stream))["last-generated-id"]
    for g in groups:
        if g["name"] in (G_ANALYZE, G_ANALYZE.encode()):
            return int(g["pending"]), g["last-delivered-id"] == last
    return 0, False


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time the processes used so far (Linux /proc; 0 elsewhere)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return 0.0
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14, 15)
    return total / os.sysconf("SC_CLK_TCK")


def machine_busy_seconds() -> float:
    """CPU seconds every process of the machine used so far (Linux /proc/stat; 0 elsewhere)."""
    try:
        fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except (OSError, ValueError):
        return 0.0
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True, slots=True)
class Run:
    seconds: float
    workers_cpu: float  # CPU seconds of the worker processes during the drain
    server_cpu: float  # of redis-server
    own_cpu: float  # of this benchmark process (storing, polling)
    machine_cpu: float  # of every process of the machine (ours, and others')

    def cores(self, cpu: float) -> float:
        return cpu / self.seconds


async def one_run(
    url: str, articles: list[RawArticle], workers: int, timeout_s: float, tmp: str, server_pid: int
) -> Run:
    """`workers` analyze processes draining the backlog: how long, and the CPU used."""
    prefix = "scale" + uuid.uuid4().hex[:8]
    store = await Store.connect(redis_url=url, data_dir=Path("."), key_prefix=prefix)
    procs: list[asyncio.subprocess.Process] = []
    try:
        await store.check_schema()
        *held, last = articles
        for raw in held:
            await store.articles.add(raw, quiet=True)
        # the group starts past the backlog, so no worker gets a head start while the
        # others are still loading their models
        await store.client.xgroup_create(store.keys.ingest_stream, G_ANALYZE, id="$")
        env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "REDIS_URL": url,
            "GROKWATCH_KEY_PREFIX": prefix,
            "GROKWATCH_LOG_LEVEL": "WARNING",
        }
        cmd = [sys.executable, "-m", "bot.cli", "worker", "--stage", "analyze"]
        logs = [Path(tmp) / f"worker-{i}.log" for i in range(workers)]
        for log in logs:
            with log.open("wb") as err:
                procs.append(await asyncio.create_subprocess_exec(*cmd, env=env, stderr=err))
        deadline = time.monotonic() + 120
        # ready when it says so (Redis 6.2 lists a consumer only once it got an entry)
        while not all("worker running" in log.read_text(errors="replace") for log in logs):
            if time.monotonic() > deadline or any(p.returncode is not None for p in procs):
                raise RuntimeError("the workers did not start: " + logs[0].read_text()[-500:])
            await asyncio.sleep(0.1)
        await asyncio.sleep(0.5)  # from "running" to blocked in XREADGROUP
        pids = [p.pid for p in procs]
        cpu_start, server_start = cpu_seconds(pids), cpu_seconds([server_pid])
        machine_start, own_start = machine_busy_seconds(), time.process_time()
        start = time.perf_counter()
        await store.client.xgroup_setid(store.keys.ingest_stream, G_ANALYZE, id="0")
        await store.articles.add(last, quiet=True)  # wakes the blocked readers
        while True:
            pending, delivered = await group_state(store)
            if delivered and pending == 0:
                return Run(
                    seconds=time.perf_counter() - start,
                    workers_cpu=cpu_seconds(pids) - cpu_start,
                    server_cpu=cpu_seconds([server_pid]) - server_start,
                    own_cpu=time.process_time() - own_start,
                    machine_cpu=machine_busy_seconds() - machine_start,
                )
            if time.perf_counter() - start > timeout_s:
                raise TimeoutError(f"{workers} worker(s) did not drain the backlog")
            await asyncio.sleep(0.05)
    finally:
        for p in procs:
            p.send_signal(signal.SIGTERM)
        for p in procs:
            try:
                await asyncio.wait_for(p.wait(), timeout=20)
            except TimeoutError:
                p.kill()
                await p.wait()
        await store.close()


async def main(args: argparse.Namespace) -> None:
    articles = backlog(args.articles)
    words = sum(len(a.text.split()) for a in articles) / len(articles)
    print(f"backlog: {len(articles)} articles of {words:.0f} words (mean), {os.cpu_count()} CPU(s)")
    with tempfile.TemporaryDirectory() as tmp:
        server = EmbeddedRedis(Path(tmp))
        server.start()
        server_pid = int((Path(tmp) / "redis.pid").read_text())
        try:
            rates: dict[int, list[float]] = defaultdict(list)
            ratios: list[float] = []
            for r in range(args.repeat):  # interleaved, so each count sees the same noise
                for n in args.workers:
                    run = await one_run(server.url, articles, n, args.timeout, tmp, server_pid)
                    rates[n].append(len(articles) / run.seconds)
                    others = run.machine_cpu - run.workers_cpu - run.server_cpu - run.own_cpu
                    print(
                        f"  round {r + 1}, {n} worker(s): {rates[n][-1]:6.1f} articles/s "
                        f"in {run.seconds:.2f} s; cores busy: workers "
                        f"{run.cores(run.workers_cpu):.2f}, redis-server "
                        f"{run.cores(run.server_cpu):.2f}, this script "
                        f"{run.cores(run.own_cpu):.2f}, other processes "
                        f"{run.cores(others):.2f}; "
                        f"{1000 * run.workers_cpu / len(articles):.1f} ms CPU per article"
                    )
                if 1 in args.workers and len(args.workers) > 1:
                    ratios.append(rates[max(args.workers)][-1] / rates[1][-1])
        finally:
            server.stop()
    for n, runs in rates.items():
        print(f"{n} analyze worker(s): {statistics.median(runs):.1f} articles/s (median)")
    if ratios:
        print(
            f"{max(args.workers)} workers vs 1: {statistics.median(ratios):.2f}x, median of the "
            f"rounds' ratios {', '.join(f'{x:.2f}' for x in ratios)} (target on 2 cores: ≥ 1.6x)"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=600, help="backlog size (default 600)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per worker count")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds per run at most")
    asyncio.run(main(parser.parse_args()))
