"""Fixtures of the Slack tests: the fake Slack Web API and the bot wired to it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.app import App
from bot.settings import Settings
from bot.transports.slack import SlackTransport
from nlp.pipeline import Analyzer
from tests.slack.helpers import (
    Env,
    slack_settings,
)
from tests.slack_fake import FakeSlack


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlack]:
    server = FakeSlack(
        users={"U1": {"is_admin": True}, "U3": {"locale": "fr-FR", "is_owner": True}}
    )
    await server.start()
    yield server
    await server.close()


@pytest.fixture
async def env(settings: Settings, fake: FakeSlack, analyzer: Analyzer) -> AsyncIterator[Env]:
    s = slack_settings(settings, fake)
    async with App(s, analyzer=analyzer, platforms=["slack"]) as app:
        transport = app.transports["slack"]
        assert isinstance(transport, SlackTransport)
        yield Env(app, transport, fake)
