"""A loopback web server for feed, page and fetch tests (aiohttp on 127.0.0.1, a random
port): routes set per test, conditional GET by ETag, slow and endless bodies, redirects,
and a count of requests per path."""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass, field

import httpcore
from aiohttp import web


@dataclass
class Route:
    body: bytes = b""
    content_type: str = "application/rss+xml; charset=utf-8"
    status: int = 200
    etag: str | None = None
    delay: float = 0.0  # seconds before answering
    endless: bool = False  # stream 64 KiB chunks without end (no Content-Length)
    headers: dict[str, str] = field(default_factory=dict)


class FakeWeb:
    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.hits: Counter[str] = Counter()
        self.requests: list[web.BaseRequest] = []
        self.app = web.Application()
        self.app.router.add_route("GET", "/{tail:.*}", self.handle)
        self.runner = web.AppRunner(self.app, access_log=None)
        self.port = 0

    async def __aenter__(self) -> FakeWeb:
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        self.port = self.runner.addresses[0][1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.runner.cleanup()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def set(self, path: str, body: str | bytes = b"", **kw: object) -> Route:
        data = body.encode("utf-8") if isinstance(body, str) else body
        route = Route(body=data, **kw)  # type: ignore[arg-type]
        self.routes[path] = route
        return route

    async def handle(self, request: web.Request) -> web.StreamResponse:
        path = request.path
        self.hits[path] += 1
        self.requests.append(request)
        route = self.routes.get(path)
        if route is None:
            return web.Response(status=404, text="not found")
        if route.delay:
            await asyncio.sleep(route.delay)
        headers = dict(route.headers)
        if route.etag:
            headers["ETag"] = route.etag
            if request.headers.get("If-None-Match") == route.etag:
                return web.Response(status=304, headers=headers)
        if route.endless:
            resp = web.StreamResponse(status=200, headers={"Content-Type": route.content_type})
            await resp.prepare(request)
            chunk = b"<item>" + b"x" * 65536 + b"</item>"
            try:
                for _ in range(100_000):
                    await resp.write(chunk)
            except (ConnectionResetError, asyncio.CancelledError):
                pass
            return resp
        headers["Content-Type"] = route.content_type
        return web.Response(status=route.status, body=route.body, headers=headers)


class Recorder(httpcore.AsyncNetworkBackend):
    """A network under the address guard that records each connection asked of it and
    opens none (nothing is sent)."""

    def __init__(self) -> None:
        self.connects: list[tuple[str, int]] = []

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's interface
        local_address: str | None = None,
        socket_options: object = None,
    ) -> httpcore.AsyncNetworkStream:
        self.connects.append((host, port))
        raise httpcore.ConnectError("recorded, not connected")
