"""The probes the container manifests use: `/healthz` (liveness: Redis answers) and
`/readyz` (readiness: Redis answers and the stage workers run), in the app and in real
`grokwatch run` and `grokwatch worker --api` processes."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from pathlib import Path

import httpx
import pytest

from bot.settings import Settings
from tests.conftest import ChatBot

GROKWATCH = [sys.executable, "-m", "bot.cli"]


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"api_port": 0})


async def test_readyz_follows_the_workers(testbot: ChatBot) -> None:
    server = await testbot.app.start_api()
    async with httpx.AsyncClient(base_url=server.url, trust_env=False, timeout=30) as client:
        before = await client.get("/readyz")
        assert before.status_code == 503
        assert before.json()["problems"] == ["the stage workers are not started yet"]
        assert (await client.get("/healthz")).status_code == 200  # alive all the same
        await testbot.app.start_pipeline()
        ready = await client.get("/readyz")
        assert ready.status_code == 200 and ready.json() == {"status": "ready"}
        task = testbot.app.pipeline.tasks()["fanout"]
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        broken = await client.get("/readyz")
        assert broken.status_code == 503
        assert broken.json()["problems"] == ["stage worker fanout has stopped"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def wait_ready(
    client: httpx.AsyncClient, proc: asyncio.subprocess.Process, within: float = 120
) -> httpx.Response:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while loop.time() < deadline:
        assert proc.returncode is None, "the process died"
        try:
            resp = await client.get("/readyz")
            if resp.status_code == 200:
                return resp
        except httpx.TransportError:
            pass
        await asyncio.sleep(0.2)
    raise AssertionError("never ready")


@pytest.mark.parametrize(
    "args",
    [["run"], ["worker", "--stage", "analyze", "--stage", "fanout", "--api"]],
    ids=["run", "worker"],
)
async def test_a_real_process_serves_its_probes(
    args: list[str], redis_url: str, tmp_path: Path, settings: Settings
) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD", "SLACK"))}
    env.update(
        REDIS_URL=redis_url,
        GROKWATCH_KEY_PREFIX=settings.key_prefix,
        GROKWATCH_DATA_DIR=str(tmp_path / "d"),
        GROKWATCH_API_PORT=str(port),
        GROKWATCH_ENRICH_PROCESSES="1",
    )
    proc = await asyncio.create_subprocess_exec(
        *GROKWATCH,
        *args,
        env=env,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        async with httpx.AsyncClient(base_url=base, trust_env=False, timeout=10) as client:
            ready = await wait_ready(client, proc)
            assert ready.json() == {"status": "ready"}
            health = await client.get("/healthz")
            assert health.status_code == 200 and health.json()["status"] == "ok"
            assert "analyze" in health.json()["stages"]
            metrics = await client.get("/metrics")
            assert 'grokwatch_stage_lag{stage="analyze"}' in metrics.text
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = await asyncio.wait_for(proc.communicate(), timeout=60)
    assert proc.returncode == 0, err.decode()
    assert "PyNaCl" not in err.decode()
