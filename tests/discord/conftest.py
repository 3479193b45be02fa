"""Fixtures of the Discord tests: the fake Discord API and the bot wired to it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import discord
import pytest
from pydantic import SecretStr

from bot.app import App
from bot.settings import Settings
from bot.transports.discord import DiscordTransport
from nlp.pipeline import Analyzer
from tests.discord_fake import FakeDiscord


@pytest.fixture(autouse=True)
def restore_api_base() -> Iterator[None]:
    """The transport points discord.py at the fake through Route.BASE; put it back."""
    saved = discord.http.Route.BASE
    yield
    discord.http.Route.BASE = saved


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    async with FakeDiscord() as server:
        yield server


@pytest.fixture
def dsettings(settings: Settings, fake: FakeDiscord) -> Settings:
    return settings.model_copy(
        update={
            "discord_token": SecretStr("fake-token"),
            "discord_api_base": fake.base,
            "discord_channel_interval": 0.0,
            "discord_dev_guild": 77,
        }
    )


@pytest.fixture
async def dapp(dsettings: Settings, analyzer: Analyzer) -> AsyncIterator[App]:
    """The whole bot with the Discord transport (REST only: no gateway in tests)."""
    app = App(dsettings, analyzer=analyzer)
    transport = DiscordTransport(dsettings, app, gateway=False, backoff=0.01)
    app.transports["discord"] = transport
    async with app:
        yield app
