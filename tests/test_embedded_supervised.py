"""The supervised embedded Redis (bot.ops.embedded), with real processes: the server
killed with SIGKILL is back within seconds with every article stored before (the
append-only file), under a running bot whose stages carry on; it stays up while any
process uses the data folder, whoever started it; the last process out shuts it down."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry
from rich.console import Console

from bot.app import App
from bot.ops.embedded import EmbeddedRedis, pid_of_server
from bot.settings import Settings
from bot.transports.console import ConsoleTransport
from nlp.pipeline import Analyzer
from tests.heal_helpers import article, until

ROOT = Path(__file__).resolve().parent.parent

# A process that uses the data folder's server until its stdin closes.
USER = """
import sys
from bot.ops.embedded import EmbeddedRedis
server = EmbeddedRedis(sys.argv[1], check_interval=0.2)
server.start()
print("owned" if server.owned else "attached", flush=True)
sys.stdin.read()
server.stop()
print("stopped", flush=True)
"""


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def answers(url: str) -> bool:
    client = redis.Redis.from_url(url, socket_timeout=2, retry=Retry(NoBackoff(), 0))
    try:
        return bool(client.ping())
    except redis.RedisError:
        return False
    finally:
        client.close()


async def test_killed_server_is_back_within_seconds_with_nothing_lost(
    settings: Settings, analyzer: Analyzer, tmp_path: Path
) -> None:
    out = io.StringIO()
    console = ConsoleTransport(Console(file=out, width=120, color_system=None))
    data = tmp_path / "data"
    s = settings.model_copy(update={"redis_url": None, "data_dir": data})
    async with App(s, console=console, analyzer=analyzer) as app:
        await app.start_pipeline()
        assert (await app.say("/grok track Grok", channel="console:newsroom")).kind == "info"
        outcomes = await app.ingest([article(tmp_path, 0)], wait=False)
        await until(lambda: "Grok, épisode 0" in out.getvalue(), "the first alert")
        first = pid_of_server(data)
        assert first is not None and alive(first)

        os.kill(first, signal.SIGKILL)
        killed = time.monotonic()
        await until(lambda: not alive(first), "the server gone")
        await until(
            lambda: (
                pid_of_server(data) not in (None, first) and answers(f"unix://{data}/redis.sock")
            ),
            "the server started again",
            within=30,
        )
        back_in = time.monotonic() - killed
        print(f"embedded Redis back {back_in:.2f} s after SIGKILL")  # a figure, not an assert
        record = await app.store.articles.load(outcomes[0].id or "")
        assert record is not None and record.title == "Grok, épisode 0"  # from the AOF
        # the stages reconnect by themselves: the next article still makes an alert
        await app.ingest([article(tmp_path, 1)], wait=False)
        await until(lambda: "Grok, épisode 1" in out.getvalue(), "an alert after the restart")
        assert all(st.running and st.restarts == 0 for st in app.pipeline.status())
    # the last (only) user shut it down on exit
    assert not EmbeddedRedis(data).listening()


@pytest.fixture
def users(tmp_path: Path) -> Iterator[list[subprocess.Popen[str]]]:
    procs: list[subprocess.Popen[str]] = []
    yield procs
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
        proc.communicate(timeout=30)
    server = EmbeddedRedis(tmp_path / "shared")
    if server.listening():  # a failed test left it running
        redis.Redis.from_url(server.url).shutdown(nosave=True)


def user(folder: Path, procs: list[subprocess.Popen[str]]) -> tuple[subprocess.Popen[str], str]:
    """A process using `folder`'s server; what it said ("owned" or "attached")."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-c", USER, str(folder)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=env,
        cwd=ROOT,
    )
    procs.append(proc)
    assert proc.stdout is not None
    return proc, proc.stdout.readline().strip()


def leave(proc: subprocess.Popen[str]) -> str:
    """Close the process's stdin: it stops its server handle and exits; what it said."""
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0
    return out.strip()


async def test_the_server_outlives_its_starter_and_the_last_user_stops_it(
    tmp_path: Path, users: list[subprocess.Popen[str]]
) -> None:
    folder = tmp_path / "shared"
    url = f"unix://{folder}/redis.sock"
    first, said = user(folder, users)
    assert said == "owned"
    second, said = user(folder, users)
    assert said == "attached"
    redis.Redis.from_url(url).set("gw:probe", "kept")

    assert leave(first) == "stopped"  # the process that started it goes away
    assert answers(url) and redis.Redis.from_url(url).get("gw:probe") == b"kept"

    started = pid_of_server(folder)
    assert started is not None
    os.kill(started, signal.SIGKILL)  # the second process's watchdog starts it again
    await until(
        lambda: pid_of_server(folder) not in (None, started) and answers(url),
        "the server started again by the remaining user",
        within=30,
    )
    assert redis.Redis.from_url(url).get("gw:probe") == b"kept"

    third, said = user(folder, users)
    assert said == "attached"
    third.kill()  # a user that dies leaves its lease with it (the kernel drops its lock)
    third.communicate(timeout=30)
    assert answers(url)

    assert leave(second) == "stopped"  # the last user: the server goes with it
    assert not EmbeddedRedis(folder).listening()
    with EmbeddedRedis(folder) as again:  # and comes back with its data on the next start
        assert again.owned
        assert redis.Redis.from_url(again.url).get("gw:probe") == b"kept"
