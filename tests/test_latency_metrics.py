"""/metrics shows how long alerts take: ingested → queued and queued → posted, as
Prometheus histograms gathered in Redis (so every process's observations count), and
whole counts in full (real Redis, the real pipeline)."""

from __future__ import annotations

from pathlib import Path

from bot.ops.metrics import Metrics
from tests.conftest import ChatBot
from tests.test_pipeline import GROK_FR, write


def samples(text: str) -> dict[str, float]:
    out = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.rpartition(" ")
            out[name] = float(value)
    return out


async def test_alert_latencies_are_histograms(testbot: ChatBot, tmp_path: Path) -> None:
    app = testbot.app
    metrics = Metrics(app.store, app.pipeline.workers, app.transports)
    before = samples(await metrics.render())
    assert before["grokwatch_alert_queued_seconds_count"] == 0
    await testbot.say("/grok track Grok")
    await app.ingest([str(write(tmp_path, "grok.md", GROK_FR))])
    await testbot.deliver()
    shown = samples(await metrics.render())
    for name in ("grokwatch_alert_queued_seconds", "grokwatch_alert_delivery_seconds"):
        assert shown[f"{name}_count"] == 1
        assert shown[f'{name}_bucket{{le="+Inf"}}'] == 1
        buckets = [v for k, v in shown.items() if k.startswith(f"{name}_bucket")]
        assert buckets == sorted(buckets)  # cumulative
        assert 0 <= shown[f"{name}_sum"] < 60
    await app.store.stats.incr("articles_ingested", 1_234_567)
    text = await metrics.render()
    assert "grokwatch_articles_ingested_total 1234568" in text.splitlines()
