"""The HTTP API of `grokwatch run` (aiohttp):

* `POST /v1/articles`: one JSON article or a list (or `{"articles": [...]}`), the fields
  `grokwatch ingest` reads from JSON (`parse_json_article`). Needs
  `Authorization: Bearer <GROKWATCH_API_TOKEN>`, compared in constant time; with no token
  configured the endpoint is off (503). The body is capped (GROKWATCH_API_MAX_BODY_BYTES).
  Answers `{"results": [...]}`, one object per article as `ingest --json` prints them;
  with `?wait=1`, after the fan-out queued their alerts (listed).
* `GET /healthz`: 200 when Redis answers, else 503.
* `GET /metrics`: Prometheus text format: counters of the store's `stats` hash (articles
  ingested, alerts queued and delivered, feeds polled, feed errors...), stream lengths,
  pending entries per stage, feeds by state.

The token is never logged.
"""

from __future__ import annotations

import hmac
import json
import logging
from typing import TYPE_CHECKING, Any

from aiohttp import web

from bot.ingest.readers.json_reader import parse_json_article
from handlers.model import RawArticle, Rejected

if TYPE_CHECKING:
    from bot.app import App

logger = logging.getLogger(__name__)

MAX_ITEMS = 1000  # articles per request

COUNTERS: dict[str, str] = {
    "articles_ingested": "Articles stored (new, not duplicates).",
    "alerts_queued": "Alerts queued for a channel by the fan-out.",
    "alerts_delivered": "Alerts delivered to a channel.",
    "notices_queued": "Bot notices (feed paused...) queued for a channel.",
    "notices_delivered": "Bot notices delivered.",
    "feeds_polled": "Feed polls that got an answer (200 or 304).",
    "feeds_not_modified": "Feed polls answered 304 Not Modified (no parse).",
    "feed_errors": "Feed polls that failed.",
    "feeds_paused": "Feeds paused after repeated or permanent failures.",
    "feed_items_new": "New articles that came from feeds.",
    "api_articles": "Articles received by POST /v1/articles.",
}

APP_KEY: web.AppKey[App] = web.AppKey("grokwatch_app")


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


async def post_articles(request: web.Request) -> web.Response:
    app = request.app[APP_KEY]
    secret = app.settings.api_token
    if secret is None or not secret.get_secret_value():
        return _json({"error": "the ingest API is off: set GROKWATCH_API_TOKEN"}, 503)
    if not _authorized(request, secret.get_secret_value()):
        logger.warning("API: unauthorized POST /v1/articles from %s", request.remote)
        return _json(
            {"error": "missing or wrong bearer token"},
            401,
            headers={"WWW-Authenticate": 'Bearer realm="grokwatch"'},
        )
    limit = app.settings.api_max_body_bytes
    if request.content_length is not None and request.content_length > limit:
        return _json({"error": f"the body is over {limit} bytes"}, 413)
    if request.content_type != "application/json":
        return _json({"error": "send JSON (Content-Type: application/json)"}, 415)
    body = await request.content.read(limit + 1)
    if len(body) > limit:
        return _json({"error": f"the body is over {limit} bytes"}, 413)
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        return _json({"error": f"invalid JSON: {exc}"}, 400)
    if isinstance(data, dict) and isinstance(data.get("articles"), list):
        data = data["articles"]
    objs = data if isinstance(data, list) else [data]
    if len(objs) > MAX_ITEMS:
        return _json({"error": f"at most {MAX_ITEMS} articles per request"}, 413)
    items: list[RawArticle | Rejected] = [
        parse_json_article(obj, f"item {i}") for i, obj in enumerate(objs)
    ]
    await app.store.incr_stat("api_articles", len(items))
    outcomes = await app.ingestor.add(items, near_dups=True)
    if request.query.get("wait", "").lower() in ("1", "true", "yes"):
        await app.ingestor.wait_for([o.id for o in outcomes if o.status == "new" and o.id])
        for o in outcomes:
            if o.status == "new" and o.id:
                o.alerts = await app.store.queued_alerts(o.id)
    return _json({"results": [o.to_json() for o in outcomes]})


async def healthz(request: web.Request) -> web.Response:
    app = request.app[APP_KEY]
    try:
        await app.store.r.ping()
    except Exception as exc:
        return _json({"status": "error", "error": f"Redis: {exc}"}, 503)
    return _json({"status": "ok"})


def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


async def metrics_text(app: App) -> str:
    """The metrics in the Prometheus text exposition format (version 0.0.4)."""
    lines: list[str] = []

    def metric(
        name: str, kind: str, help_: str, samples: list[tuple[dict[str, str], float]]
    ) -> None:
        lines.append(f"# HELP {name} {help_}")
        lines.append(f"# TYPE {name} {kind}")
        for labels, value in samples:
            lab = ",".join(f'{k}="{_label(v)}"' for k, v in labels.items())
            lines.append(f"{name}{{{lab}}} {value:g}" if lab else f"{name} {value:g}")

    stats = await app.store.stats()
    for key in sorted(set(COUNTERS) | set(stats)):
        safe = "".join(c if c.isalnum() or c == "_" else "_" for c in key)
        metric(
            f"grokwatch_{safe}_total",
            "counter",
            COUNTERS.get(key, f"Count of {key}."),
            [({}, stats.get(key, 0))],
        )
    k = app.store.keys
    streams = {
        "ingest": k.ingest_stream,
        "analyzed": k.analyzed_stream,
        "enriched": k.enriched_stream,
        "dead": k.dead_letters,
        **{f"outbox:{p}": k.outbox(p) for p in sorted(app.transports)},
    }
    lengths = []
    for name, key in streams.items():
        lengths.append(({"stream": name}, float(await app.store.r.xlen(key))))
    metric("grokwatch_stream_length", "gauge", "Entries in each Redis stream.", lengths)
    pending = []
    for name, worker in sorted(app.pipeline.workers.items()):
        pending.append(({"stage": name}, float(await worker.pending())))
    metric(
        "grokwatch_stage_pending",
        "gauge",
        "Entries read by a stage but not yet acknowledged.",
        pending,
    )
    total = int(await app.store.r.hlen(k.feeds))
    active = int(await app.store.r.zcard(k.feeds_due))
    metric(
        "grokwatch_feeds",
        "gauge",
        "Feeds by state.",
        [({"state": "active"}, active), ({"state": "paused"}, max(0, total - active))],
    )
    metric(
        "grokwatch_articles",
        "gauge",
        "Articles in the store.",
        [({}, await app.store.article_count())],
    )
    return "\n".join(lines) + "\n"


async def metrics(request: web.Request) -> web.Response:
    text = await metrics_text(request.app[APP_KEY])
    return web.Response(
        text=text,
        content_type="text/plain",
        charset="utf-8",
        headers={"X-Content-Type-Options": "nosniff"},
    )


def build_api(app: App) -> web.Application:
    api = web.Application(client_max_size=app.settings.api_max_body_bytes + 1024)
    api[APP_KEY] = app
    api.router.add_post("/v1/articles", post_articles)
    api.router.add_get("/healthz", healthz)
    api.router.add_get("/metrics", metrics)
    return api


class ApiServer:
    """The API as a running server: `url = await server.start()`, `await server.close()`."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.runner = web.AppRunner(build_api(app), access_log=None)
        self.url = ""

    async def start(self) -> str:
        s = self.app.settings
        await self.runner.setup()
        site = web.TCPSite(self.runner, s.api_host, s.api_port)
        await site.start()
        addresses = self.runner.addresses
        port = addresses[0][1] if addresses else s.api_port
        self.url = f"http://{s.api_host}:{port}"
        state = "on" if s.api_token else "off (no GROKWATCH_API_TOKEN)"
        logger.info("HTTP API on %s (ingest %s)", self.url, state)
        return self.url

    async def close(self) -> None:
        await self.runner.cleanup()
