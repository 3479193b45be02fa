"""The core loop at load, measured as a user runs it (issue #11).

Starts `grokwatch run` (this worktree's code) as a separate process on its own embedded
Redis in a temporary data dir, with an API token and no chat tokens; a console channel
tracks a few entities, so alerts are queued. Then POSTs articles of about 300 words
(sentences of the sample corpus and ../shared/seeds mixed, with unique titles and URLs,
so none is a duplicate) to /v1/articles at a rate ramp and prints, per rate:

  * the alert latency p50 / p99: outbox entry id time − ingest entry id time (both Redis
    stream ids, read from the store),
  * the analyzed articles/s sustained during the step, and the analyze backlog left,
  * the enrichment lag at the end of the step (entries, and seconds behind),
  * the peak RSS and PSS of the run's process tree (from /proc; redis-server apart),

plus the fast path's own words/s measured in this run (before the ramp) as the ceiling,
and the ratio sustained articles/s × words per article ÷ fast-path words/s.

Run: PYTHONPATH=. .venv/bin/python benchmarks/load.py [--quick] [--rates 10,25] [--step 20]
Timings are only meaningful on a quiet machine.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.procs import bot_env, free_port, redis_pids, tree_pids  # noqa: E402
from bot.ingest.readers import CORPUS_DIR, read_paths  # noqa: E402
from bot.store import Store  # noqa: E402
from bot.store.keys import G_ENRICH  # noqa: E402
from handlers.model import RawArticle  # noqa: E402
from nlp.catalog import Catalog  # noqa: E402
from nlp.pipeline import Analyzer  # noqa: E402
from nlp.text import split_sentences  # noqa: E402

SEEDS = ROOT.parent / "shared" / "seeds"
TRACKED = ("Grok", "xAI", "OpenAI", "Elon Musk")
TOKEN = "load-bench-token"
PREFIX = "gw"
WARM_UP = 32  # articles sent (and waited for) before the ramp


# ------------------------------------------------------------------ articles
def sentence_pool() -> list[tuple[str, str]]:
    """(language, sentence) of the sample corpus and the seeds."""
    paths = [CORPUS_DIR] + ([SEEDS] if SEEDS.is_dir() else [])
    pool = []
    for art in read_paths(paths):
        if isinstance(art, RawArticle):
            lang = art.lang or ("fr" if " le " in art.text or " les " in art.text else "en")
            pool += [(lang, s) for s in split_sentences(art.text) if len(s.split()) >= 6]
    return pool


def make_articles(n: int, seed: int = 11, words: int = 300) -> list[dict[str, str]]:
    """`n` distinct articles of about `words` words, one language each."""
    rng = random.Random(seed)
    pool = sentence_pool()
    by_lang: dict[str, list[str]] = {}
    for lang, s in pool:
        by_lang.setdefault(lang, []).append(s)
    langs = sorted(by_lang)
    out = []
    for i in range(n):
        sentences = by_lang[langs[i % len(langs)]]
        body: list[str] = []
        while sum(len(s.split()) for s in body) < words:
            body.append(rng.choice(sentences))
        head = " ".join(rng.choice(sentences).split()[:8])
        out.append(
            {
                "title": f"{head} — dépêche {i} {rng.randrange(10**9):x}",
                "text": " ".join(body),
                "url": f"https://load.example/{seed}/{i}-{rng.randrange(10**12):x}",
                "source": f"Outlet {i % 17}",
            }
        )
    return out


def word_count(article: dict[str, str]) -> int:
    return len((article["title"] + " " + article["text"]).split())


def fast_path_words_per_s(articles: list[dict[str, str]], seconds: float = 4.0) -> float:
    """The fast analysis alone on these articles, in this process: the ceiling."""
    analyzer = Analyzer(Catalog.load())
    docs = [(a["title"], a["text"]) for a in articles]
    analyzer.fast(docs[:16], [None] * 16)  # warm up (models, matcher)
    done = words = 0
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        batch = docs[done % len(docs) :][:16] or docs[:16]
        analyzer.fast(batch, [None] * len(batch))
        words += sum(len((t + " " + b).split()) for t, b in batch)
        done += len(batch)
    return words / (time.perf_counter() - start)


# ------------------------------------------------------------------ processes
def tree_rss_kb(root: int, extra: Sequence[int] = ()) -> tuple[int, int, int]:
    """(RSS, PSS of the process tree without redis-server, RSS of redis-server) in kB.
    PSS counts the pages the processes share (libraries, the interpreter) once. `extra`:
    redis-server processes outside the tree."""
    own = pss = redis = 0
    for pid in tree_pids(root, extra):
        try:
            status = Path(f"/proc/{pid}/status").read_text()
            rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        rss = int(fields.get("VmRSS", "0 kB").split()[0])
        if "redis" in fields.get("Name", ""):
            redis += rss
            continue
        own += rss
        for line in rollup.splitlines():
            if line.startswith("Pss:"):
                pss += int(line.split()[1])
    return own, pss, redis


def tree_cpu_s(root: int, extra: Sequence[int] = ()) -> dict[str, float]:
    """CPU seconds (user + system) so far of the run process itself, of redis-server and
    of every other process of the tree (the enrichment children), by those three names.
    `extra`: redis-server processes outside the tree."""
    tick = os.sysconf("SC_CLK_TCK")
    out = {"run": 0.0, "redis": 0.0, "children": 0.0}
    for pid in tree_pids(root, extra):
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue
        name, rest = stat[stat.index("(") + 1 : stat.rindex(")")], stat[stat.rindex(")") + 2 :]
        fields = rest.split()
        used = (int(fields[11]) + int(fields[12])) / tick  # utime, stime
        kind = "run" if pid == root else "redis" if "redis" in name else "children"
        out[kind] += used
    return out


def run_env(
    data_dir: Path, port: int, enrich_processes: int | None, analyze_processes: int | None
) -> dict[str, str]:
    env = bot_env(
        GROKWATCH_DATA_DIR=str(data_dir),
        GROKWATCH_API_TOKEN=TOKEN,
        GROKWATCH_API_PORT=str(port),
        GROKWATCH_LOG_LEVEL="WARNING",
        GROKWATCH_CONSOLE_CHANNEL="console:load",
    )
    if enrich_processes is not None:
        env["GROKWATCH_ENRICH_PROCESSES"] = str(enrich_processes)
    if analyze_processes is not None:
        env["GROKWATCH_ANALYZE_PROCESSES"] = str(analyze_processes)
    return env


def cli(env: dict[str, str], *args: str, **kw: object) -> subprocess.Popen[bytes]:
    return subprocess.Popen(  # type: ignore[call-overload, no-any-return]
        [sys.executable, "-m", "bot.cli", *args], env=env, cwd=ROOT, stdin=subprocess.DEVNULL, **kw
    )


# ------------------------------------------------------------------ the ramp
def ms(entry_id: bytes | str) -> int:
    raw = entry_id.decode() if isinstance(entry_id, bytes) else entry_id
    return int(raw.split("-")[0])


@dataclass
class Step:
    rate: int
    ids: list[str] = field(default_factory=list)
    start: float = 0.0
    end: float = 0.0
    latencies: list[float] = field(default_factory=list)
    analyzed_per_s: float = 0.0
    backlog: int = 0
    enrich_lag: int = 0
    enrich_behind_s: float = 0.0
    rss_kb: int = 0
    pss_kb: int = 0
    redis_rss_kb: int = 0
    cpu_ms: dict[str, float] = field(default_factory=dict)  # per article, by process kind


async def post_step(
    http: aiohttp.ClientSession, url: str, step: Step, articles: list[dict[str, str]], secs: float
) -> None:
    """POST `step.rate` articles/s for `secs` seconds, in ticks of 50 ms."""
    tick, sent, total = 0.05, 0, int(step.rate * secs)
    inflight: set[asyncio.Task[None]] = set()

    async def post(batch: list[dict[str, str]]) -> None:
        headers = {"Authorization": f"Bearer {TOKEN}"}
        async with http.post(url, json=batch, headers=headers) as resp:
            data = await resp.json()
        step.ids += [r["id"] for r in data.get("results", []) if r.get("status") == "new"]

    step.start = time.time()
    while sent < total:
        due = min(total, int((time.time() - step.start) * step.rate) + 1)
        if due > sent:
            task = asyncio.create_task(post(articles[sent:due]))
            inflight.add(task)
            task.add_done_callback(inflight.discard)
            sent = due
        await asyncio.sleep(tick)
    if inflight:
        await asyncio.gather(*inflight)
    step.end = time.time()


async def measure(store: Store, step: Step, run_pid: int, drain_s: float) -> None:
    k = store.keys
    r = store.client
    # backlog and enrichment lag as the step ends (before the drain)
    step.backlog = await unread(store, k.ingest_stream, "analyze")
    step.backlog += await store.streams.pending(k.ingest_stream, "analyze")
    step.enrich_lag = await unread(store, k.analyzed_stream, G_ENRICH)
    step.enrich_lag += await store.streams.pending(k.analyzed_stream, G_ENRICH)
    groups = {g["name"].decode(): g for g in await r.xinfo_groups(k.analyzed_stream)}
    last = groups.get(G_ENRICH, {}).get("last-delivered-id", b"0-0")
    if step.enrich_lag and ms(last):
        step.enrich_behind_s = time.time() - ms(last) / 1000
    lo = int(step.start * 1000)
    # wait for the alerts of the step to be queued, then read both streams' ids
    wanted = set(step.ids)
    deadline = time.time() + drain_s
    while time.time() < deadline and await fast_backlog(store):  # noqa: ASYNC110
        await asyncio.sleep(0.2)
    await asyncio.sleep(0.5)
    analyzed = [
        ms(eid)
        for eid, fields in await r.xrange(k.analyzed_stream, min=f"{lo}-0")
        if fields[b"id"].decode() in wanted
    ]
    if analyzed:  # the step's articles over the time from its start to the last analyzed
        step.analyzed_per_s = len(analyzed) / max(0.001, max(analyzed) / 1000 - step.start)
    ingest_at: dict[str, int] = {}
    for eid, fields in await r.xrange(k.ingest_stream, min=f"{lo - 5000}-0"):
        aid = fields[b"id"].decode()
        if aid in wanted:
            ingest_at[aid] = ms(eid)
    queued_at: dict[str, int] = {}
    for eid, fields in await r.xrange(k.outbox("console"), min=f"{lo - 5000}-0"):
        aid = fields.get(b"article", b"").decode()
        if aid in ingest_at and aid not in queued_at:
            queued_at[aid] = ms(eid)
    step.latencies = sorted(queued_at[a] - ingest_at[a] for a in queued_at)


async def unread(store: Store, stream: str, group: str) -> int:
    """Entries the group has not read yet, counted (Redis 6.2 has no `lag` in XINFO)."""
    groups = {g["name"].decode(): g for g in await store.client.xinfo_groups(stream)}
    if group not in groups:
        return 0
    last = groups[group]["last-delivered-id"].decode()
    return len(await store.client.xrange(stream, min=f"({last}", max="+"))


async def fast_backlog(store: Store) -> int:
    """Entries the alert path (analyze, then the fan-out of the fast pass) has yet to do."""
    k, st = store.keys, store.streams
    n = await st.lag(k.ingest_stream, "analyze") + await st.pending(k.ingest_stream, "analyze")
    return (
        n
        + await st.lag(k.analyzed_stream, "fanout")
        + await st.pending(k.analyzed_stream, "fanout")
    )


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    return values[min(len(values) - 1, int(q * len(values)))]


async def ramp(args: argparse.Namespace) -> None:
    rates = [int(x) for x in args.rates.split(",")]
    total = sum(int(r * args.step) for r in rates)
    articles = make_articles(total + WARM_UP)
    per_article = statistics.mean(word_count(a) for a in articles)
    print(f"{total} articles of ~{per_article:.0f} words; measuring the fast path…", flush=True)
    ceiling = fast_path_words_per_s(articles[:400])
    print(f"fast path: {ceiling:,.0f} words/s ({ceiling / per_article:,.0f} articles/s)")
    with tempfile.TemporaryDirectory(prefix="gw-load-") as tmp:
        data_dir, port = Path(tmp), free_port()
        env = run_env(data_dir, port, args.enrich_processes, args.analyze_processes)
        for name in TRACKED:  # before `run`: its own short-lived process, same store
            subprocess.run(  # noqa: ASYNC221
                [sys.executable, "-m", "bot.cli", "say", f"/grok track {name}"],
                env=env,
                cwd=ROOT,
                check=True,
                stdout=subprocess.DEVNULL,
            )
        log = open(data_dir / "run.log", "wb")  # noqa: SIM115, ASYNC230
        proc = cli(env, "run", stdout=subprocess.DEVNULL, stderr=log)
        base = f"http://127.0.0.1:{port}"
        peak = [0, 0, 0]

        async def sample() -> None:
            while True:
                now = tree_rss_kb(proc.pid, redis_pids(data_dir))
                peak[:] = [max(a, b) for a, b in zip(peak, now, strict=True)]
                await asyncio.sleep(0.2)

        sampler = asyncio.create_task(sample())
        steps: list[Step] = []
        try:
            async with aiohttp.ClientSession() as http:
                for _ in range(600):
                    try:
                        async with http.get(base + "/healthz") as resp:
                            if resp.status == 200:
                                break
                    except aiohttp.ClientError:
                        pass
                    if proc.poll() is not None:
                        raise SystemExit(f"run exited: {(data_dir / 'run.log').read_text()}")
                    await asyncio.sleep(0.1)
                # warm up: every process of the run (children too) loads its models on its
                # first batch; ?wait=1 answers once the articles went through both passes
                warm = articles[-WARM_UP:]
                headers = {"Authorization": f"Bearer {TOKEN}"}
                async with http.post(base + "/v1/articles?wait=1", json=warm, headers=headers):
                    pass
                await asyncio.sleep(args.settle)
                store = await Store.connect(redis_url=None, data_dir=data_dir, key_prefix=PREFIX)
                offset = 0
                for rate in rates:
                    step = Step(rate)
                    n = int(rate * args.step)
                    peak[:] = [0, 0, 0]
                    cpu_before = tree_cpu_s(proc.pid, redis_pids(data_dir))
                    await post_step(http, base + "/v1/articles", step, articles[offset:], args.step)
                    offset += n
                    await measure(store, step, proc.pid, args.drain)
                    cpu_after = tree_cpu_s(proc.pid, redis_pids(data_dir))
                    step.cpu_ms = {
                        kind: 1000 * (cpu_after[kind] - cpu_before[kind]) / max(1, n)
                        for kind in cpu_after
                    }
                    step.rss_kb, step.pss_kb, step.redis_rss_kb = peak
                    steps.append(step)
                    print(f"  {rate:>4}/s done: {len(step.latencies)} alerts", flush=True)
                async with http.get(base + "/metrics") as resp:
                    metrics = await resp.text()
                await store.close()
        finally:
            sampler.cancel()
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
            log.close()
    report(steps, per_article, ceiling, metrics)


def report(steps: list[Step], per_article: float, ceiling: float, metrics: str) -> None:
    print()
    print(
        "| in/s | analyzed/s | backlog | alerts | p50 ms | p99 ms | enrich lag | behind s "
        "| RSS MB | PSS MB | redis MB | ratio | CPU ms/article: run, redis, enrich |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for s in steps:
        ratio = s.analyzed_per_s * per_article / ceiling
        print(
            f"| {s.rate} | {s.analyzed_per_s:.0f} | {s.backlog} | {len(s.latencies)} "
            f"| {pct(s.latencies, 0.5):.0f} | {pct(s.latencies, 0.99):.0f} "
            f"| {s.enrich_lag} | {s.enrich_behind_s:.1f} "
            f"| {s.rss_kb / 1024:.0f} | {s.pss_kb / 1024:.0f} | {s.redis_rss_kb / 1024:.0f} "
            f"| {ratio:.2f} | {s.cpu_ms.get('run', 0):.1f}, {s.cpu_ms.get('redis', 0):.1f}, "
            f"{s.cpu_ms.get('children', 0):.1f} |"
        )
    print(
        f"\nfast path ceiling: {ceiling:,.0f} words/s = {ceiling / per_article:.0f} articles/s "
        f"of {per_article:.0f} words; ratio = analyzed/s × words ÷ ceiling"
    )
    if steps and steps[0].cpu_ms.get("run"):
        run_ms = min(s.cpu_ms["run"] for s in steps if s.cpu_ms.get("run"))
        print(
            f"alert path: {run_ms:.1f} ms of CPU per article in `run` (API, fast analysis, "
            f"stories, fan-out, delivery) = {1000 / run_ms:.0f} articles/s per core it has"
        )
    lag_lines = [ln for ln in metrics.splitlines() if ln.startswith("grokwatch_stage_")]
    if lag_lines:
        print("/metrics at the end:\n  " + "\n  ".join(lag_lines))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--rates", default="10,25,50,100,200")
    p.add_argument("--step", type=float, default=20.0, help="seconds per rate")
    p.add_argument("--drain", type=float, default=60.0, help="max seconds to drain after a step")
    p.add_argument("--settle", type=float, default=1.0, help="seconds after warm-up before load")
    p.add_argument("--quick", action="store_true", help="6 s per rate, 20 s drain at most")
    p.add_argument(
        "--enrich-processes", type=int, default=None, help="GROKWATCH_ENRICH_PROCESSES for run"
    )
    p.add_argument(
        "--analyze-processes", type=int, default=None, help="GROKWATCH_ANALYZE_PROCESSES for run"
    )
    args = p.parse_args()
    if args.quick:
        args.step, args.drain = 6.0, 20.0
    asyncio.run(ramp(args))


if __name__ == "__main__":
    main()
