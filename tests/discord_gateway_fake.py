"""A loopback fake of Discord's gateway (the websocket discord.py's client connects to),
for the tests of the gateway's health: it says HELLO, answers IDENTIFY with READY (no
guilds), RESUME with RESUMED, and heartbeats with their ACK, in Discord's JSON shapes.

Cues: `refuse = True` answers the next connections 503 instead of upgrading them (the
gateway is down); `await drop()` closes the connections open now (with 4000, a close
discord.py resumes after). `identified` and `resumed` count the sessions it saw.
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import WSCloseCode, web

from tests.discord_fake import APP_ID, BOT_ID, user_json

HELLO, HEARTBEAT, IDENTIFY, RESUME, DISPATCH, HEARTBEAT_ACK = 10, 1, 2, 6, 0, 11


class FakeGateway:
    """Use as `async with FakeGateway() as gateway:`; `gateway.url` is its ws:// URL."""

    def __init__(self) -> None:
        self.refuse = False
        self.refused = 0
        self.identified = 0
        self.resumed = 0
        self.url = ""
        self._open: set[web.WebSocketResponse] = set()
        self._runner: web.AppRunner | None = None

    async def __aenter__(self) -> FakeGateway:
        app = web.Application()
        app.router.add_get("/", self._socket)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.url = f"ws://127.0.0.1:{self._runner.addresses[0][1]}/"
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.drop(WSCloseCode.GOING_AWAY)
        if self._runner is not None:
            await self._runner.cleanup()

    async def drop(self, code: int = 4000) -> None:
        """Close every connection open now."""
        for ws in list(self._open):
            await ws.close(code=code, message=b"dropped by the test")

    @property
    def connections(self) -> int:
        return len(self._open)

    async def _socket(self, request: web.Request) -> web.StreamResponse:
        if self.refuse:
            self.refused += 1
            return web.Response(status=503, text="gateway unavailable")
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self._open.add(ws)
        seq = 0

        async def dispatch(event: str, data: dict[str, Any]) -> None:
            nonlocal seq
            seq += 1
            await ws.send_str(json.dumps({"op": DISPATCH, "t": event, "s": seq, "d": data}))

        try:
            await ws.send_str(json.dumps({"op": HELLO, "d": {"heartbeat_interval": 41250}}))
            async for msg in ws:
                if msg.type != web.WSMsgType.TEXT:
                    continue
                payload = json.loads(msg.data)
                op = payload.get("op")
                if op == HEARTBEAT:
                    await ws.send_str(json.dumps({"op": HEARTBEAT_ACK}))
                elif op == IDENTIFY:
                    self.identified += 1
                    await dispatch(
                        "READY",
                        {
                            "v": 10,
                            "user": {**user_json(BOT_ID, "grokwatch", bot=True), "flags": 0},
                            "guilds": [],
                            "session_id": f"session-{self.identified}",
                            "resume_gateway_url": self.url,
                            "application": {"id": str(APP_ID), "flags": 0},
                        },
                    )
                elif op == RESUME:
                    self.resumed += 1
                    await dispatch("RESUMED", {})
        finally:
            self._open.discard(ws)
        return ws
