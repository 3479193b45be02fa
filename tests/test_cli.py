"""The command-line contract of DESIGN.md, run as a user runs it: real processes, an
embedded Redis in a temporary data folder, the real French model."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

GROKWATCH = [sys.executable, "-m", "bot.cli"]


def run(
    args: list[str], data_dir: Path, *, stdin: str | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    full_env.update({"GROKWATCH_DATA_DIR": str(data_dir), "COLUMNS": "140", **(env or {})})
    return subprocess.run(
        GROKWATCH + args,
        input=stdin,
        capture_output=True,
        text=True,
        env=full_env,
        timeout=300,
        check=False,
    )


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "d"


def test_demo_script_prints_the_alert(data_dir: Path, tmp_path: Path) -> None:
    article = tmp_path / "grok.txt"
    article.write_text(
        "xAI publie Grok\n\nLa start-up a mis en ligne les poids de Grok-1.\n", encoding="utf-8"
    )
    script = f"/grok track Grok\n/grok ingest {article}\n"
    done = run(["demo", "--script", "-"], data_dir, stdin=script)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "sample corpus:" in out and "new" in out
    assert "Now tracking" in out
    assert "alert in console:demo" in out
    assert "xAI publie Grok" in out and "poids de Grok-1" in out
    # a second run finds what the first stored: the corpus is all duplicates
    again = run(["demo", "--script", "-"], data_dir, stdin="/grok tracked\n")
    assert again.returncode == 0, again.stderr
    assert "0 new" in again.stdout and "Grok" in again.stdout


def test_ingest_json_twice_and_say(data_dir: Path, seeds: list[Path]) -> None:
    tracked = run(["say", "--json", "/grok track Elon Musk"], data_dir)
    assert tracked.returncode == 0, tracked.stderr
    assert json.loads(tracked.stdout)["kind"] == "info"
    first = run(["ingest", "--json", *map(str, seeds)], data_dir)
    assert first.returncode == 0, first.stderr
    rows = [json.loads(line) for line in first.stdout.splitlines()]
    assert [r["status"] for r in rows] == ["new"] * 5
    assert all(r["path"] and r["id"] for r in rows)
    assert all(
        r["alerts"] == [{"channel": "console:demo", "entities": r["alerts"][0]["entities"]}]
        and "elon-musk" in r["alerts"][0]["entities"]
        for r in rows
    )
    second = run(["ingest", "--json", *map(str, seeds)], data_dir)
    rows2 = [json.loads(line) for line in second.stdout.splitlines()]
    assert [r["status"] for r in rows2] == ["duplicate"] * 5
    assert [r["id"] for r in rows2] == [r["id"] for r in rows]
    assert all(r["alerts"] == [] for r in rows2)


def test_ingest_json_reports_rejections(data_dir: Path, tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "empty.md").write_text("   \n")
    (tmp_path / "in" / "bad.jsonl").write_text('{"title": "A", "text": "Grok."}\nnot json\n')
    done = run(["ingest", "--json", str(tmp_path / "in")], data_dir)
    rows = [json.loads(line) for line in done.stdout.splitlines()]
    statuses = sorted(r["status"] for r in rows)
    assert statuses == ["new", "rejected", "rejected"], rows
    assert all(r["reason"] for r in rows if r["status"] == "rejected")


def test_analyze_json_lists_catalog_ids(seeds: list[Path], data_dir: Path) -> None:
    done = run(["analyze", "--json", *map(str, seeds)], data_dir)
    assert done.returncode == 0, done.stderr
    rows = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(rows) == 5
    for row in rows:
        assert row["lang"] == "fr"
        assert row["title"] and not row["title"].startswith("date")
        ids = {e["id"] for e in row["entities"]}
        assert {"elon-musk", "grok", "openai"} <= ids, (row["path"], ids)
        for e in row["entities"]:
            assert set(e) >= {"id", "name", "type", "mentions", "salience"}
            assert 0 <= e["salience"] <= 1 and e["mentions"] >= 1
    assert not (data_dir / "redis.sock").exists()  # analyze touches no store


def test_bad_settings_say_what_to_fix(data_dir: Path) -> None:
    done = run(["say", "/grok tracked"], data_dir, env={"REDIS_URL": "http://localhost"})
    assert done.returncode == 2
    assert "REDIS_URL" in done.stderr and "redis://" in done.stderr


def test_doctor_checks_everything(data_dir: Path) -> None:
    done = run(["doctor"], data_dir, env={"DISCORD_TOKEN": "not-a-token-secret123"})
    assert "Redis" in done.stdout and "6.2" in done.stdout
    assert "French model" in done.stdout
    assert "DISCORD_TOKEN" in done.stdout and "FIX" in done.stdout
    assert "secret123" not in done.stdout + done.stderr  # tokens never shown
    assert done.returncode == 1


async def test_worker_process_runs_the_stages_of_another_process(
    redis_url: str, tmp_path: Path
) -> None:
    """Scale-out: `grokwatch worker` in its own process consumes what this one queues."""
    import asyncio
    import signal
    import uuid

    from bot.store import Store
    from handlers.model import RawArticle, Subscription

    prefix = "w" + uuid.uuid4().hex[:10]
    env = {k: v for k, v in os.environ.items()}
    env.update(
        REDIS_URL=redis_url, GROKWATCH_KEY_PREFIX=prefix, GROKWATCH_DATA_DIR=str(tmp_path / "d")
    )
    proc = await asyncio.create_subprocess_exec(
        *GROKWATCH,
        "worker",
        "--stage",
        "analyze",
        "--stage",
        "fanout",
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    store = await Store.connect(redis_url=redis_url, data_dir=tmp_path, key_prefix=prefix)
    try:
        await store.check_schema()
        await store.subscriptions.track(Subscription("console:demo", "grok"))
        status, article_id = await store.articles.add(
            RawArticle(title="Grok devient open source", text="xAI publie les poids de Grok-1.")
        )
        assert status == "new"
        for _ in range(600):  # up to 60 s, the worker loads its models first
            if await store.delivery.queued_alerts(article_id):
                break
            assert proc.returncode is None, "the worker died"
            await asyncio.sleep(0.1)
        alerts = await store.delivery.queued_alerts(article_id)
        assert [a.entity_ids for a in alerts] == [("grok",)]
        rec = await store.articles.load(article_id)
        assert rec is not None and rec.analysed == "fast" and rec.lang == "fr"
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err_bytes = await asyncio.wait_for(proc.communicate(), timeout=30)
        await store.close()
    errors = err_bytes.decode()
    assert proc.returncode == 0, errors
    assert "worker running: analyze, fanout" in errors
