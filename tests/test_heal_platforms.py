"""/healthz follows the chat platforms' connections: the real discord.py client against the
loopback fakes of Discord's REST API and gateway. A gateway that refuses the first
connection turns /healthz red past the grace period (and the bot keeps trying until it
gets in, then /healthz is green); a gateway that drops the connection later turns it red
again until discord.py resumes; so does a Slack Socket Mode socket that closes. /healthz
also says each stage's heartbeat."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

import discord
import httpx
import pytest
from aiohttp import web
from discord.gateway import DiscordWebSocket
from pydantic import SecretStr

from bot.app import App
from bot.settings import Settings
from bot.transports.discord import DiscordTransport
from nlp.pipeline import Analyzer
from tests.discord_fake import FakeDiscord
from tests.discord_gateway_fake import FakeGateway
from tests.heal_helpers import probe_until, until
from tests.slack.helpers import slack_settings
from tests.slack_fake import FakeSlack


@pytest.fixture(autouse=True)
def restore_discord_urls() -> Iterator[None]:
    """The transport points discord.py at the fakes through class attributes; put them back."""
    base, gateway = discord.http.Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY
    yield
    discord.http.Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY = base, gateway


@pytest.fixture
async def gateway() -> AsyncIterator[FakeGateway]:
    async with FakeGateway() as fake:
        fake.refuse = True  # down from the start
        yield fake


@pytest.fixture
async def app(settings: Settings, analyzer: Analyzer, gateway: FakeGateway) -> AsyncIterator[App]:
    async with FakeDiscord() as rest:
        s = settings.model_copy(
            update={
                "discord_token": SecretStr("fake-token"),
                "discord_api_base": rest.base,
                "discord_gateway_url": gateway.url,
                "discord_sync_commands": False,
                "api_port": 0,
                "health_platform_grace": 0.5,
            }
        )
        async with App(s, analyzer=analyzer, platforms=["discord"]) as bot:
            transport = bot.transports["discord"]
            assert isinstance(transport, DiscordTransport)
            transport.gateway_backoff = 0.2
            yield bot


def red(resp: httpx.Response) -> bool:
    return resp.status_code == 503


def green(resp: httpx.Response) -> bool:
    return resp.status_code == 200


async def test_a_dead_gateway_turns_healthz_red_until_the_bot_gets_in(
    app: App, gateway: FakeGateway
) -> None:
    await app.start_pipeline()
    server = await app.start_api()
    transport = app.transports["discord"]
    async with httpx.AsyncClient(base_url=server.url, trust_env=False, timeout=30) as client:
        down = await probe_until(client, "/healthz", red, "/healthz red while refused")
        body = down.json()
        assert any(p.startswith("discord has not been connected") for p in body["problems"])
        assert body["platforms"]["discord"]["connected"] is False
        assert set(body["stages"]) == set(app.pipeline.workers)  # the stages are fine
        metrics = (await client.get("/metrics")).text
        assert 'grokwatch_platform_connected{platform="discord"} 0' in metrics
        # the first connection failed, and the bot goes on trying (discord.py alone stops)
        await until(lambda: gateway.refused >= 3, "three tries at the gateway")
        assert not transport.connected

        gateway.refuse = False
        up = await probe_until(client, "/healthz", green, "/healthz green once connected")
        assert up.json()["platforms"] == {"discord": {"connected": True}}
        assert gateway.identified == 1 and transport.connected
        metrics = (await client.get("/metrics")).text
        assert 'grokwatch_platform_connected{platform="discord"} 1' in metrics

        # down again later: red past the grace, green again once discord.py resumes
        gateway.refuse = True
        refused = gateway.refused
        await gateway.drop()
        await until(lambda: not transport.connected, "the drop seen by the client")
        await probe_until(client, "/healthz", red, "/healthz red after the drop")
        await until(lambda: gateway.refused > refused, "discord.py trying to reconnect")
        gateway.refuse = False
        await probe_until(client, "/healthz", green, "/healthz green after resuming")
        assert gateway.resumed + gateway.identified >= 2


async def test_healthz_turns_red_when_a_stage_stops_turning(
    settings: Settings, analyzer: Analyzer
) -> None:
    s = settings.model_copy(update={"api_port": 0, "health_stage_grace": 5.0})
    async with App(s, analyzer=analyzer) as bot:
        await bot.start_pipeline()
        server = await bot.start_api()
        async with httpx.AsyncClient(base_url=server.url, trust_env=False, timeout=30) as client:
            up = await probe_until(client, "/healthz", green, "/healthz green")
            assert set(up.json()["stages"]) == set(bot.pipeline.workers)
            task = bot.pipeline.tasks()["fanout"]
            task.cancel()  # its loop no longer turns (a hung or killed task alike)
            down = await probe_until(client, "/healthz", red, "/healthz red, fanout stale")
            problems = down.json()["problems"]
            assert len(problems) == 1
            assert problems[0].startswith("stage fanout (stopped) has not turned for")


@dataclass
class DroppingSlack(FakeSlack):
    """The Slack fake, with a cue to drop its Socket Mode connections (Slack closing them)."""

    refusing: bool = False  # apps.connections.open fails: no new socket
    _serving: set[asyncio.Task[Any]] = field(default_factory=set)

    def _apps_connections_open(self, args: dict[str, Any]) -> dict[str, Any]:
        if self.refusing:
            return {"ok": False, "error": "internal_error"}
        return super()._apps_connections_open(args)

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        task = asyncio.current_task()
        assert task is not None
        self._serving.add(task)
        try:
            return await super()._socket(request)
        finally:
            self._serving.discard(task)

    def drop_sockets(self) -> None:
        for task in self._serving:
            task.cancel()


async def test_a_closed_slack_socket_turns_healthz_red_until_it_reconnects(
    settings: Settings, analyzer: Analyzer
) -> None:
    fake = DroppingSlack()
    await fake.start()
    s = slack_settings(
        settings,
        fake,
        slack_app_token=SecretStr("xapp-test-token"),
        api_port=0,
        health_platform_grace=0.5,
    )
    try:
        async with App(s, analyzer=analyzer, platforms=["slack"]) as bot:
            server = await bot.start_api()
            transport = bot.transports["slack"]
            async with httpx.AsyncClient(base_url=server.url, trust_env=False, timeout=30) as c:
                up = await probe_until(c, "/healthz", green, "/healthz green, socket open")
                assert up.json()["platforms"] == {"slack": {"connected": True}}
                assert fake.socket_connected
                fake.refusing = True
                fake.drop_sockets()  # Slack closes the socket and refuses a new one
                await until(lambda: not transport.connected, "the closed socket seen")
                down = await probe_until(c, "/healthz", red, "/healthz red, socket closed")
                assert down.json()["platforms"]["slack"]["connected"] is False
                assert any(p.startswith("slack has not been") for p in down.json()["problems"])
                fake.refusing = False  # slack_sdk reconnects by itself
                await probe_until(c, "/healthz", green, "/healthz green, socket open again")
                assert len(fake.of("apps.connections.open")) >= 2
    finally:
        await fake.close()
