"""A loopback fake of an OpenAI-compatible chat completions API (POST /v1/chat/completions):
records every request, answers with scripted replies (a text, a status, raw bytes, a delay);
with nothing scripted it echoes passage [1]'s first words cited [1]."""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web


@dataclass
class Scripted:
    content: str | None = None  # the message content
    status: int = 200
    raw: str | None = None  # a body sent as is
    delay: float = 0.0


@dataclass
class FakeLLM:
    requests: list[tuple[dict[str, str], dict[str, Any]]] = field(default_factory=list)
    script: list[Scripted] = field(default_factory=list)
    url: str = ""
    _runner: web.AppRunner | None = None

    async def _chat(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        self.requests.append((dict(request.headers), body))
        step = self.script.pop(0) if self.script else None
        if step is None:
            user = body["messages"][-1]["content"]
            first = re.search(r"^\[1\] \([^)]*\) (.*)$", user, re.MULTILINE)
            words = (first.group(1) if first else "").split()[:12]
            step = Scripted(content=" ".join(words).rstrip(".") + " [1].")
        if step.delay:
            await asyncio.sleep(step.delay)
        if step.raw is not None:
            return web.Response(text=step.raw, status=step.status, content_type="application/json")
        if step.status >= 400:
            return web.json_response({"error": {"message": "scripted"}}, status=step.status)
        reply = {
            "choices": [{"index": 0, "message": {"role": "assistant", "content": step.content}}]
        }
        return web.json_response(reply)

    async def start(self, port: int = 0) -> str:
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self._chat)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", port)
        await site.start()
        bound = self._runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{bound}/v1"
        return self.url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
