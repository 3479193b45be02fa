"""What the Slack tests share: request signing, the test environment, an article."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
from pydantic import SecretStr

from bot.app import App
from bot.settings import Settings
from bot.transports.slack import SlackTransport
from tests.slack_fake import FakeSlack
from tests.test_pipeline import GROK_FR

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"


def sign(body: str, timestamp: int | None = None, secret: str = SECRET) -> dict[str, str]:
    """Slack's v0 request signature, computed the way Slack documents it."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    base = f"v0:{ts}:{body}".encode()
    digest = hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={digest}"}


@dataclass
class Env:
    app: App
    transport: SlackTransport
    fake: FakeSlack

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.transport.port}/slack/events"

    async def post(
        self, body: str, content_type: str, headers: dict[str, str] | None = None
    ) -> tuple[int, str, float]:
        hdrs = {"Content-Type": content_type, **(headers if headers is not None else sign(body))}
        start = time.monotonic()
        async with (
            aiohttp.ClientSession() as session,
            session.post(self.endpoint, data=body.encode(), headers=hdrs) as resp,
        ):
            return resp.status, await resp.text(), time.monotonic() - start

    async def command(
        self, text: str, *, user: str = "U1", channel: str = "C1", team: str = "T1", n: int = 1
    ) -> tuple[int, str, float]:
        body = urlencode(
            {
                "token": "legacy-unused",
                "team_id": team,
                "team_domain": "newsroom",
                "channel_id": channel,
                "channel_name": "general",
                "user_id": user,
                "user_name": "someone",
                "command": "/grok",
                "text": text,
                "api_app_id": "A1",
                "response_url": self.fake.response_url(n),
                "trigger_id": "13345224609.738474920.8088930838d88f008e0",
            }
        )
        return await self.post(body, "application/x-www-form-urlencoded")

    async def answer(self, text: str, **kw: Any) -> dict[str, Any]:
        """Run a slash command; the first message its response_url received."""
        before = len(self.fake.responses)
        status, _, _ = await self.command(text, **kw)
        assert status == 200
        await self.fake.wait_for(lambda: len(self.fake.responses) > before)
        return self.fake.responses[before]

    async def event(self, event: dict[str, Any], team: str = "T1") -> int:
        body = json.dumps(
            {
                "token": "legacy-unused",
                "team_id": team,
                "api_app_id": "A1",
                "event": event,
                "type": "event_callback",
                "event_id": f"Ev{time.time_ns()}",
                "event_time": int(time.time()),
                "authorizations": [{"team_id": team, "user_id": "UBOT", "is_bot": True}],
            }
        )
        status, _, _ = await self.post(body, "application/json")
        return status

    async def press(
        self, action_id: str, value: str, *, user: str = "U1", view: bool = False
    ) -> int:
        payload: dict[str, Any] = {
            "type": "block_actions",
            "team": {"id": "T1", "domain": "newsroom"},
            "user": {"id": user, "team_id": "T1"},
            "api_app_id": "A1",
            "trigger_id": "1.2.3",
            "actions": [
                {
                    "type": "button",
                    "action_id": action_id,
                    "block_id": "b1",
                    "value": value,
                    "action_ts": str(time.time()),
                    "text": {"type": "plain_text", "text": "Untrack"},
                }
            ],
        }
        if view:
            payload["container"] = {"type": "view", "view_id": "V1"}
            payload["view"] = {"id": "V1", "type": "home"}
        else:
            payload["container"] = {"type": "message", "channel_id": "C1", "message_ts": "1.1"}
            payload["channel"] = {"id": "C1", "name": "general"}
            payload["response_url"] = self.fake.response_url(9)
        body = urlencode({"payload": json.dumps(payload)})
        status, _, _ = await self.post(body, "application/x-www-form-urlencoded")
        return status


def slack_settings(settings: Settings, fake: FakeSlack, **extra: Any) -> Settings:
    return settings.model_copy(
        update={
            "slack_bot_token": SecretStr("xoxb-test-token"),
            "slack_signing_secret": SecretStr(SECRET),
            "slack_api_base": fake.api,
            "slack_http_host": "127.0.0.1",
            "slack_http_port": 0,
            "slack_min_interval": 0.0,
            **extra,
        }
    )


def texts(message: dict[str, Any]) -> str:
    return json.dumps(message, ensure_ascii=False)


def write(tmp_path: Path, name: str = "grok.md", text: str = GROK_FR) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


async def queue_alert(env: Env, tmp_path: Path) -> None:
    reply = await env.app.say("/grok track Grok", channel="slack:T1:C1")
    assert reply.kind == "info"
    outcomes = await env.app.ingest([write(tmp_path)])
    assert [a.channel for a in outcomes[0].alerts] == ["slack:T1:C1"]
