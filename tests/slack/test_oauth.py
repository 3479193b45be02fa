"""Slack OAuth mode against the fake: the install flow with bolt's real OAuth flow, the
state checks, tokens encrypted at rest, requests and alerts with each workspace's token,
and uninstall."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from urllib.parse import parse_qs, urlparse

import aiohttp
import pytest
from cryptography.fernet import Fernet
from pydantic import SecretStr

from bot.app import App
from bot.settings import Settings
from bot.store.installations import TokenCipher, TokenKeyError
from bot.transports.base import DeliveryError
from bot.transports.slack import SlackTransport
from handlers.reply import Reply
from nlp.pipeline import Analyzer
from tests.slack.helpers import Env, slack_settings
from tests.slack_fake import CLIENT_ID, CLIENT_SECRET, FakeSlack

KEY = Fernet.generate_key().decode()


@pytest.fixture
async def oenv(settings: Settings, fake: FakeSlack, analyzer: Analyzer) -> AsyncIterator[Env]:
    s = slack_settings(
        settings,
        fake,
        slack_bot_token=None,
        slack_client_id=CLIENT_ID,
        slack_client_secret=SecretStr(CLIENT_SECRET),
        slack_token_key=[SecretStr(KEY)],
    )
    async with App(s, analyzer=analyzer, platforms=["slack"]) as app:
        transport = app.transports["slack"]
        assert isinstance(transport, SlackTransport) and transport.oauth is not None
        yield Env(app, transport, fake)


async def install(env: Env, team: str, code: str) -> tuple[int, str]:
    base = f"http://127.0.0.1:{env.transport.port}"
    env.fake.oauth_codes[code] = team
    async with aiohttp.ClientSession() as session:
        async with session.get(base + "/slack/install", allow_redirects=False) as resp:
            assert resp.status == 302
            url = urlparse(resp.headers["Location"])
            state = parse_qs(url.query)["state"][0]
            assert url.hostname == "slack.com" and parse_qs(url.query)["client_id"] == [CLIENT_ID]
        cookie = {"Cookie": f"slack-app-oauth-state={state}"}
        async with session.get(
            f"{base}/slack/oauth_redirect?code={code}&state={state}", headers=cookie
        ) as resp:
            return resp.status, state


async def test_install_stores_an_encrypted_installation(oenv: Env) -> None:
    status, state = await install(oenv, "T1", "code-a")
    assert status == 200
    token = next(
        t for t, team in oenv.fake.tokens.items() if team == "T1" and t != "xoxb-test-token"
    )
    assert await oenv.transport.oauth.bot_token("T1") == token  # type: ignore[union-attr]
    r = oenv.app.store.client
    dump = b""
    async for key in r.scan_iter():
        dump += key
        kind = await r.type(key)
        if kind == b"hash":
            for f, v in (await r.hgetall(key)).items():
                dump += f + v
        elif kind == b"string":
            dump += await r.get(key) or b""
    assert token.encode() not in dump and b"xoxb-" not in dump
    # the state was single use: the same redirect again is refused
    base = f"http://127.0.0.1:{oenv.transport.port}"
    oenv.fake.oauth_codes["code-b"] = "T1"
    async with aiohttp.ClientSession() as session:
        async with session.get(
            f"{base}/slack/oauth_redirect?code=code-b&state={state}",
            headers={"Cookie": f"slack-app-oauth-state={state}"},
        ) as resp:
            assert resp.status == 401
        forged = "forged-state"
        async with session.get(
            f"{base}/slack/oauth_redirect?code=code-b&state={forged}",
            headers={"Cookie": f"slack-app-oauth-state={forged}"},
        ) as resp:
            assert resp.status == 401


async def test_two_workspaces_alerts_and_uninstall(oenv: Env) -> None:
    assert (await install(oenv, "T1", "ca"))[0] == 200
    assert (await install(oenv, "T2", "cb"))[0] == 200
    await oenv.app.say("/grok track Grok", channel="slack:T2:C9")
    before = len(oenv.fake.of("users.info"))
    await oenv.answer("tracked", team="T2", channel="C9")
    assert [c.team for c in oenv.fake.of("users.info")[before:]] == ["T2"]
    # an alert for T2 goes out with T2's token, one for T1 with T1's
    for team in ("T2", "T1"):
        await oenv.transport.send(f"slack:{team}:C9", Reply(text=f"alert for {team}", title="x"))
    posts = oenv.fake.of("chat.postMessage")[-2:]
    assert [(c.team, c.args["channel"]) for c in posts] == [("T2", "C9"), ("T1", "C9")]
    # uninstall T2 (a signed event): its installation and subscriptions go, T1 stays
    assert await oenv.event({"type": "app_uninstalled"}, team="T2") == 200
    # bolt acknowledges the event first and runs the listener after: wait for it
    for _ in range(250):
        if not await oenv.app.store.subscriptions.of_channel("slack:T2:C9"):
            break
        await asyncio.sleep(0.02)
    assert await oenv.app.store.subscriptions.of_channel("slack:T2:C9") == []
    assert await oenv.transport.oauth.bot_token("T2") is None  # type: ignore[union-attr]
    assert await oenv.transport.oauth.bot_token("T1") is not None  # type: ignore[union-attr]
    # an alert still queued for T2 is a permanent failure (the channel pauses), not a crash
    with pytest.raises(DeliveryError) as gone:
        await oenv.transport.send("slack:T2:C9", Reply(text="late alert"))
    assert gone.value.permanent


def test_wrong_key_is_a_clear_error() -> None:
    sealed = TokenCipher([KEY]).seal({"bot_token": "xoxb-1"})
    with pytest.raises(TokenKeyError, match="does not decrypt"):
        TokenCipher([Fernet.generate_key().decode()]).open(sealed)
    assert TokenCipher([Fernet.generate_key().decode(), KEY]).open(sealed)["bot_token"] == "xoxb-1"
    with pytest.raises(TokenKeyError, match="not a Fernet key"):
        TokenCipher(["nope"])
