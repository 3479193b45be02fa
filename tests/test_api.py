"""The HTTP API of `grokwatch run` on a loopback port: bearer token, body cap, per-article
results like `ingest --json`, /healthz, and /metrics in the Prometheus text format."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import httpx
import pytest
from pydantic import SecretStr

from bot.settings import Settings
from tests.conftest import ChatBot

TOKEN = "s3cret-token-for-tests"

ARTICLE = {
    "title": "xAI publie Grok-1",
    "text": "La start-up xAI d'Elon Musk a publié les poids de Grok-1 sous licence Apache 2.0.",
    "url": "https://veilleur.example/grok-1",
    "source": "Le Veilleur Tech",
    "published_at": "2024-03-17T21:00:00+01:00",
    "lang": "fr",
}


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(
        update={"api_token": SecretStr(TOKEN), "api_port": 0, "api_max_body_bytes": 20_000}
    )


@pytest.fixture
async def api(testbot: ChatBot) -> AsyncIterator[httpx.AsyncClient]:
    server = await testbot.app.start_api()
    async with httpx.AsyncClient(base_url=server.url, trust_env=False, timeout=30) as client:
        yield client


def auth(token: str = TOKEN) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_token_is_required(api: httpx.AsyncClient) -> None:
    missing = await api.post("/v1/articles", json=ARTICLE)
    assert missing.status_code == 401 and missing.headers["WWW-Authenticate"].startswith("Bearer")
    wrong = await api.post("/v1/articles", json=ARTICLE, headers=auth("nope"))
    assert wrong.status_code == 401
    basic = await api.post(
        "/v1/articles", json=ARTICLE, headers={"Authorization": f"Basic {TOKEN}"}
    )
    assert basic.status_code == 401


async def test_articles_are_ingested_with_per_article_results(
    api: httpx.AsyncClient, testbot: ChatBot
) -> None:
    await testbot.say("/grok track xAI")
    batch = [ARTICLE, {"title": "no body"}, {**ARTICLE, "url": ARTICLE["url"] + "?utm_source=x"}]
    resp = await api.post("/v1/articles?wait=1", json=batch, headers=auth())
    assert resp.status_code == 200
    results = resp.json()["results"]
    assert [r["status"] for r in results] == ["new", "rejected", "duplicate"]
    assert results[0]["url"] == ARTICLE["url"] and results[0]["id"] == results[2]["id"]
    assert results[0]["alerts"] == [{"channel": "console:demo", "entities": ["xai"]}]
    assert "missing 'text'" in results[1]["reason"]
    assert "xAI publie Grok-1" in await testbot.deliver()
    single = await api.post("/v1/articles", json={"articles": [ARTICLE]}, headers=auth())
    assert single.json()["results"][0]["status"] == "duplicate"


async def test_bad_bodies(api: httpx.AsyncClient) -> None:
    big = {**ARTICLE, "text": "mot " * 10_000}
    assert (await api.post("/v1/articles", json=big, headers=auth())).status_code == 413
    bad = await api.post(
        "/v1/articles", content=b"{nope", headers={**auth(), "Content-Type": "application/json"}
    )
    assert bad.status_code == 400 and "invalid JSON" in bad.json()["error"]
    text = await api.post(
        "/v1/articles", content=b"hi", headers={**auth(), "Content-Type": "text/plain"}
    )
    assert text.status_code == 415


async def test_api_is_off_without_a_token(testbot: ChatBot) -> None:
    testbot.app.settings = testbot.app.settings.model_copy(update={"api_token": None})
    server = await testbot.app.start_api()
    async with httpx.AsyncClient(base_url=server.url, trust_env=False, timeout=30) as api:
        resp = await api.post("/v1/articles", json=ARTICLE, headers=auth())
    assert resp.status_code == 503 and "GROKWATCH_API_TOKEN" in resp.json()["error"]


_SAMPLE = re.compile(
    r'^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*"'
    r'(,[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*")*\})? -?[0-9.e+]+$'
)


async def test_healthz_and_metrics(api: httpx.AsyncClient) -> None:
    # no stage started, no chat platform: alive, with nothing to report on
    assert (await api.get("/healthz")).json() == {"status": "ok", "stages": {}, "platforms": {}}
    await api.post("/v1/articles", json=ARTICLE, headers=auth())
    resp = await api.get("/metrics")
    assert resp.status_code == 200 and resp.headers["content-type"].startswith("text/plain")
    values: dict[str, float] = {}
    typed: set[str] = set()
    for line in resp.text.splitlines():
        if line.startswith("# HELP "):
            continue
        if line.startswith("# TYPE "):
            name, kind = line.split()[2:4]
            assert kind in {"counter", "gauge", "histogram"}
            typed.add(name)
            if kind == "histogram":  # its samples are <name>_bucket, _sum and _count
                typed |= {name + "_bucket", name + "_sum", name + "_count"}
            continue
        assert _SAMPLE.match(line), line
        key, value = line.rsplit(" ", 1)
        assert key.split("{")[0] in typed, line
        values[key] = float(value)
    assert values["grokwatch_articles_ingested_total"] == 1
    assert values["grokwatch_api_articles_total"] == 1
    for name in ("alerts_queued", "alerts_delivered", "feeds_polled", "feed_errors"):
        assert f"grokwatch_{name}_total" in values
    assert values['grokwatch_stream_length{stream="ingest"}'] >= 1
    assert 'grokwatch_stage_pending{stage="analyze"}' in values
    assert values['grokwatch_feeds{state="active"}'] == 0
