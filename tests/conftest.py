"""Shared fixtures: a real Redis server (embedded, or REDIS_URL), the real analyzer, and
`testbot`, the whole bot over the console transport.

Each test gets its own key prefix, so tests never see each other's data, even on a shared
server given by REDIS_URL.
"""

from __future__ import annotations

import io
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from rich.console import Console

from bot.app import App
from bot.ops.embedded import EmbeddedRedis
from bot.settings import Settings, load_settings
from bot.transports.console import ConsoleTransport
from handlers.reply import Reply
from nlp.catalog import Catalog
from nlp.pipeline import Analyzer

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT.parent / "shared" / "seeds"


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real Redis server for the whole run: REDIS_URL when set, else an embedded one."""
    if os.environ.get("REDIS_URL"):
        yield os.environ["REDIS_URL"]
        return
    server = EmbeddedRedis(tmp_path_factory.mktemp("redis"))
    server.start()
    try:
        yield server.url
    finally:
        server.stop()


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    return Catalog.load()


@pytest.fixture(scope="session")
def analyzer(catalog: Catalog) -> Analyzer:
    return Analyzer(catalog)


@pytest.fixture(scope="session")
def seeds() -> list[Path]:
    if not SEEDS.is_dir():
        pytest.skip("../shared/seeds is not here (it is only beside a development checkout)")
    return sorted(SEEDS.glob("*.txt"))


@pytest.fixture
def settings(redis_url: str, tmp_path: Path) -> Settings:
    return load_settings(
        redis_url=redis_url,
        data_dir=tmp_path / "data",
        key_prefix="t" + uuid.uuid4().hex[:12],
        reclaim_idle_ms=0,
        delivery_backoff_s=0.05,  # retries come back at once: tests wait for them
        delivery_backoff_max_s=0.2,
    )


class ChatBot:
    """The bot as a user of the console sees it."""

    def __init__(self, app: App, out: io.StringIO) -> None:
        self.app = app
        self.out = out

    async def say(self, line: str, **kw: object) -> Reply:
        return await self.app.say(line, **kw)  # type: ignore[arg-type]

    async def deliver(self) -> str:
        """Deliver queued alerts to the console; return what it printed since last time."""
        start = self.out.tell()
        await self.app.deliver_pending()
        self.out.seek(start)
        text = self.out.read()
        self.out.seek(0, io.SEEK_END)
        return text


@pytest.fixture
async def testbot(settings: Settings, analyzer: Analyzer) -> AsyncIterator[ChatBot]:
    out = io.StringIO()
    console = ConsoleTransport(Console(file=out, width=120, color_system=None))
    async with App(settings, console=console, analyzer=analyzer) as app:
        yield ChatBot(app, out)
