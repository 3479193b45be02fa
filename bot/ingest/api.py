"""The HTTP API of `grokwatch run` (aiohttp):

* `POST /v1/articles`: one JSON article or a list (or `{"articles": [...]}`), the fields
  `grokwatch ingest` reads from JSON (`parse_json_article`). Needs
  `Authorization: Bearer <GROKWATCH_API_TOKEN>`, compared in constant time; with no token
  configured the endpoint is off (503). The body is capped (GROKWATCH_API_MAX_BODY_BYTES).
  Answers `{"results": [...]}`, one object per article as `ingest --json` prints them;
  with `?wait=1`, after the fan-out queued their alerts (listed).
* `GET /healthz`: liveness (`bot.ops.health.Liveness`): 200 when Redis answers, every
  stage's heartbeat is recent and every chat platform is connected (each within its grace
  period), else 503 with the problems; the body reports each stage (heartbeat age,
  restarts, the error it retries) and each platform (connected or for how long not).
* `GET /readyz`: 200 when Redis answers and this process's stage workers (and the child
  stage processes it supervises) are running, else 503 with the problems (readiness).
* `GET /metrics`: Prometheus text format (rendered by `bot.ops.metrics`): counters of the
  store's `stats` hash, stream lengths, pending entries per stage, feeds by state.

Its dependencies are given explicitly (`ApiDeps`): the store, the ingestor, the metrics and
the settings values it needs (`ApiConfig`).

The token is never logged.
"""

from __future__ import annotations

import hmac
import json
import logging
from dataclasses import dataclass
from typing import Any, Protocol

from aiohttp import web

from bot.ingest.readers.json_reader import loads, parse_json_article
from bot.ingest.service import Ingestor
from bot.store import Store
from handlers.model import RawArticle, Rejected

logger = logging.getLogger(__name__)

MAX_ITEMS = 1000  # articles per request
READ_CHUNK = 1 << 16


@dataclass(frozen=True, slots=True)
class ApiConfig:
    """The settings the API needs (from GROKWATCH_API_*)."""

    token: str | None  # None or "": POST /v1/articles is off
    max_body_bytes: int
    host: str
    port: int


class MetricsSource(Protocol):
    """Renders `/metrics` (`bot.ops.metrics.Metrics`)."""

    async def render(self) -> str: ...


class LivenessSource(Protocol):
    """Says what is down past its grace, and the state of each part (`Liveness`)."""

    def report(self, now: float | None = None) -> tuple[list[str], dict[str, Any]]: ...


class ReadinessSource(Protocol):
    """Says what keeps the process from being ready (`bot.ops.health.Readiness`)."""

    async def problems(self) -> list[str]: ...


@dataclass(frozen=True, slots=True)
class ApiDeps:
    """What the handlers of the API use."""

    config: ApiConfig
    store: Store
    ingestor: Ingestor
    metrics: MetricsSource
    readiness: ReadinessSource | None = None  # None: /readyz asks Redis only
    liveness: LivenessSource | None = None  # None: /healthz asks Redis only


DEPS: web.AppKey[ApiDeps] = web.AppKey("grokwatch_api")


def _json(data: Any, status: int = 200, **kw: Any) -> web.Response:
    return web.json_response(
        data, status=status, dumps=lambda d: json.dumps(d, ensure_ascii=False), **kw
    )


def _authorized(request: web.Request, token: str) -> bool:
    header = request.headers.get("Authorization", "")
    scheme, _, given = header.partition(" ")
    if scheme.lower() != "bearer" or not given:
        return False
    return hmac.compare_digest(given.strip().encode(), token.encode())


async def _read_body(request: web.Request, limit: int) -> bytes | None:
    """The whole body (chunked or not), or None as soon as it is over `limit` bytes: one
    `read(n)` returns only what has arrived so far, so it is read to its end here."""
    chunks: list[bytes] = []
    size = 0
    while True:
        chunk = await request.content.read(READ_CHUNK)
        if not chunk:
            return b"".join(chunks)
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)


def _article(obj: object, where: str) -> RawArticle | Rejected:
    """One item of a batch as an article, or a rejection; never an exception (the rest
    of the batch goes on)."""
    try:
        return parse_json_article(obj, where)
    except (ValueError, TypeError, RecursionError, OverflowError) as exc:
        logger.warning("API: %s not read: %s: %s", where, type(exc).__name__, exc)
        return Rejected(where, f"the article cannot be read ({type(exc).__name__})")


async def post_articles(request: web.Request) -> web.Response:
    deps = request.app[DEPS]
    secret = deps.config.token
    if not secret:
        return _json({"error": "the ingest API is off: set GROKWATCH_API_TOKEN"}, 503)
    if not _authorized(request, secret):
        logger.warning("API: unauthorized POST /v1/articles from %s", request.remote)
        return _json(
            {"error": "missing or wrong bearer token"},
            401,
            headers={"WWW-Authenticate": 'Bearer realm="grokwatch"'},
        )
    limit = deps.config.max_body_bytes
    if request.content_length is not None and request.content_length > limit:
        return _json({"error": f"the body is over {limit} bytes"}, 413)
    if request.content_type != "application/json":
        return _json({"error": "send JSON (Content-Type: application/json)"}, 415)
    body = await _read_body(request, limit)
    if body is None:
        return _json({"error": f"the body is over {limit} bytes"}, 413)
    try:
        data = loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        return _json({"error": f"invalid JSON: {exc}"}, 400)
    except ValueError as exc:  # too deep, or a number too large (json_reader.loads)
        return _json({"error": f"invalid JSON: {exc}"}, 400)
    if isinstance(data, dict) and isinstance(data.get("articles"), list):
        data = data["articles"]
    objs = data if isinstance(data, list) else [data]
    if len(objs) > MAX_ITEMS:
        return _json({"error": f"at most {MAX_ITEMS} articles per request"}, 413)
    items = [_article(obj, f"item {i}") for i, obj in enumerate(objs)]
    await deps.store.stats.incr("api_articles", len(items))
    outcomes = await deps.ingestor.add(items, near_dups=True)
    if request.query.get("wait", "").lower() in ("1", "true", "yes"):
        await deps.ingestor.report_alerts(outcomes)
    return _json({"results": [o.to_json() for o in outcomes]})


async def healthz(request: web.Request) -> web.Response:
    deps = request.app[DEPS]
    problems, details = deps.liveness.report() if deps.liveness is not None else ([], {})
    try:
        await deps.store.ping()
    except Exception as exc:
        problems = [f"Redis: {exc}", *problems]
    if problems:
        return _json({"status": "error", "problems": problems, **details}, 503)
    return _json({"status": "ok", **details})


async def readyz(request: web.Request) -> web.Response:
    deps = request.app[DEPS]
    try:
        await deps.store.ping()
    except Exception as exc:
        return _json({"status": "error", "problems": [f"Redis: {exc}"]}, 503)
    problems = await deps.readiness.problems() if deps.readiness is not None else []
    if problems:
        return _json({"status": "not ready", "problems": problems}, 503)
    return _json({"status": "ready"})


async def metrics(request: web.Request) -> web.Response:
    text = await request.app[DEPS].metrics.render()
    return web.Response(
        text=text,
        content_type="text/plain",
        charset="utf-8",
        headers={"X-Content-Type-Options": "nosniff"},
    )


def build_api(deps: ApiDeps) -> web.Application:
    api = web.Application(client_max_size=deps.config.max_body_bytes + 1024)
    api[DEPS] = deps
    api.router.add_post("/v1/articles", post_articles)
    api.router.add_get("/healthz", healthz)
    api.router.add_get("/readyz", readyz)
    api.router.add_get("/metrics", metrics)
    return api


class ApiServer:
    """The API as a running server: `url = await server.start()`, `await server.close()`."""

    def __init__(self, deps: ApiDeps) -> None:
        self.config = deps.config
        self.runner = web.AppRunner(build_api(deps), access_log=None)
        self.url = ""

    async def start(self) -> str:
        c = self.config
        await self.runner.setup()
        site = web.TCPSite(self.runner, c.host, c.port)
        await site.start()
        addresses = self.runner.addresses
        port = addresses[0][1] if addresses else c.port
        self.url = f"http://{c.host}:{port}"
        state = "on" if c.token else "off (no GROKWATCH_API_TOKEN)"
        logger.info("HTTP API on %s (ingest %s)", self.url, state)
        return self.url

    async def close(self) -> None:
        await self.runner.cleanup()
