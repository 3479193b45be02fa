"""The whole pipeline on a real Redis with the real analyzer: ingest → analyze → index →
fan-out → outbox → console delivery, crash recovery and idempotency."""

from __future__ import annotations

import asyncio
import functools
from pathlib import Path

import pytest

from bot.ingest.readers import CORPUS_DIR, read_paths
from bot.pipeline.delivery import Deliverer
from bot.pipeline.streams import StreamWorker
from bot.transports.console import render_plain
from handlers.reply import Field, Reply
from tests.conftest import ChatBot

GROK_FR = """---
title: xAI ouvre le code de Grok
source: Le Veilleur Tech
date: 2024-03-17
url: https://example.org/veilleur/grok-ouvert
lang: fr
---
La start-up xAI d'Elon Musk a publié dimanche les poids de Grok-1 sous licence Apache 2.0.
Le modèle compte 314 milliards de paramètres.
"""

WEATHER_FR = """---
title: Coup de vent sur la Provence
source: La Gazette du Ciel
date: 2024-03-12
lang: fr
---
Le mistral soufflera fort ce mardi sur la vallée du Rhône, avec des rafales à 90 km/h.
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


async def test_tracked_entity_alert_reaches_the_console_once(
    testbot: ChatBot, tmp_path: Path
) -> None:
    reply = await testbot.say("/grok track Grok")
    assert reply.kind == "info" and "grok" in reply.text
    outcomes = await testbot.app.ingest([str(write(tmp_path, "grok.md", GROK_FR))])
    assert [o.status for o in outcomes] == ["new"]
    assert [(a.channel, a.entity_ids) for a in outcomes[0].alerts] == [("console:demo", ("grok",))]
    shown = await testbot.deliver()
    assert "xAI ouvre le code de Grok" in shown  # title
    assert "Le Veilleur Tech" in shown  # outlet
    assert "2024-03-17" in shown  # date
    assert "Grok-1" in shown  # the matched words
    assert "poids de Grok-1" in shown  # the sentence that mentions it
    # nothing more to deliver, and re-ingesting is a duplicate with no new alert
    assert await testbot.deliver() == ""
    again = await testbot.app.ingest([str(tmp_path / "grok.md")])
    assert [o.status for o in again] == ["duplicate"] and again[0].alerts == []
    assert await testbot.deliver() == ""


async def test_untracked_and_wind_do_not_alert(testbot: ChatBot, tmp_path: Path) -> None:
    await testbot.say("/grok track Mistral AI")
    outcomes = await testbot.app.ingest([str(write(tmp_path, "vent.md", WEATHER_FR))])
    assert outcomes[0].status == "new" and outcomes[0].alerts == []
    assert await testbot.deliver() == ""


async def test_salience_threshold_filters_passing_mentions(
    testbot: ChatBot, tmp_path: Path
) -> None:
    await testbot.say("/grok track OpenAI min:high")
    passing = write(
        tmp_path,
        "passing.md",
        """---
title: Les hélicoptères de la Gendarmerie changent de peinture
source: Circuit Hebdo
date: 2024-03-02
---
La Gendarmerie repeint sa flotte d'hélicoptères en bleu nuit cette année.
Les ateliers de Marignane assurent le chantier jusqu'en juin.
Les pilotes ont été consultés sur le choix des couleurs et des marquages.
Le budget reste modeste, précise l'état-major.
Un pilote confie en fin d'entretien avoir testé ChatGPT, le robot d'OpenAI, pour rédiger un rapport.
""",
    )
    outcomes = await testbot.app.ingest([str(passing)])
    assert outcomes[0].alerts == []
    central = write(
        tmp_path,
        "central.md",
        """---
title: OpenAI répond à Elon Musk
source: Circuit Hebdo
date: 2024-03-06
---
OpenAI a publié des courriels d'Elon Musk. Selon OpenAI, Musk voulait fusionner l'organisation avec Tesla.
""",
    )
    outcomes = await testbot.app.ingest([str(central)])
    assert [a.entity_ids for a in outcomes[0].alerts] == [("openai",)]


async def test_seeds_twice_five_new_then_five_duplicates(
    testbot: ChatBot, seeds: list[Path]
) -> None:
    await testbot.say("/grok track Elon Musk")
    first = await testbot.app.ingest([str(p) for p in seeds])
    assert [o.status for o in first] == ["new"] * 5
    assert all(o.alerts and o.alerts[0].entity_ids[0] == "elon-musk" for o in first)
    second = await testbot.app.ingest([str(p) for p in seeds])
    assert [o.status for o in second] == ["duplicate"] * 5
    assert {o.id for o in second} == {o.id for o in first}
    assert all(o.alerts == [] for o in second)
    store = testbot.app.store
    assert await store.streams.length(store.keys.outbox("console")) == 5
    shown = await testbot.deliver()
    assert shown.count("alert in console:demo") == 5


async def test_sample_corpus_is_searchable_and_has_sources(testbot: ChatBot) -> None:
    outcomes = await testbot.app.ingest([str(CORPUS_DIR)])
    assert len(outcomes) >= 12 and all(o.status == "new" for o in outcomes)
    reply = await testbot.say("/grok search licence Apache")
    assert reply.citations, reply.as_text()
    assert "Apache" in reply.as_text()
    sources = await testbot.say("/grok sources")
    assert len(sources.text.splitlines()) >= 3
    mentions = await testbot.say("/grok mentions OpenAI")
    assert mentions.title and "OpenAI" in mentions.title
    assert len(mentions.fields) == 5  # the five newest of more


class Crash(Exception):
    """Stands for the process dying: raised after a stage's side effects, before its ack."""


async def test_crash_between_stages_loses_nothing_and_delivers_once(
    testbot: ChatBot, tmp_path: Path
) -> None:
    app = testbot.app
    pipe = app.pipeline
    await testbot.say("/grok track Grok")
    await testbot.say("/grok track xAI")
    await app.ingestor.add(read_paths([write(tmp_path, "a.md", GROK_FR)]))
    await pipe.setup()

    def crashing(worker: StreamWorker) -> StreamWorker:
        real = worker.fn
        if isinstance(worker, Deliverer):  # it serves entries itself: the same work
            real = functools.partial(pipe.deliver, "console")

        async def fn(entries):  # type: ignore[no-untyped-def]
            await real(entries)  # all effects done ...
            raise Crash  # ... and the process dies before XACK

        return StreamWorker(
            app.store.streams,
            worker.name,
            worker.streams,
            worker.group,
            fn,
            consumer=worker.consumer + "-doomed",
            reclaim_idle_ms=10**9,
        )

    # every stage crashes once after doing its work; a fresh worker then takes over
    for stage in ("analyze", "fanout", "deliver:console"):
        doomed = crashing(pipe.workers[stage])
        with pytest.raises(Crash):
            batch = [
                entry
                for s in doomed.streams
                for entry in await doomed.repo.read(s, doomed.group, doomed.consumer, count=10)
            ]
            assert batch, f"{stage} had nothing to do"
            await doomed.fn(batch)
        assert await pipe.workers[stage].pending() >= 1  # left pending, not lost
        # a survivor claims the dead consumer's entries (reclaim_idle_ms=0 in tests)
        await pipe.drain([stage])
        assert await pipe.workers[stage].pending() == 0
    await pipe.drain()
    k = app.store.keys
    assert await app.store.streams.length(k.outbox("console")) == 1  # one alert queued, not two
    alerts = await app.store.delivery.queued_alerts(
        (await app.store.client.zrange(k.articles, 0, 0))[0].decode()
    )
    assert [sorted(a.entity_ids) for a in alerts] == [["grok", "xai"]]  # one alert, both
    printed = testbot.out.getvalue()
    assert printed.count("alert in console:demo") == 1  # delivered exactly once
    for w in pipe.workers.values():
        assert await w.pending() == 0


async def test_poisoned_entry_goes_to_dead_letters(testbot: ChatBot) -> None:
    app = testbot.app
    k = app.store.keys
    pipe = app.pipeline
    await pipe.setup()
    # an entry without its channel: no retry can fix it
    await app.store.streams.add(k.outbox("console"), {"article": "x", "entities": "[]"})
    for _ in range(8):
        await pipe.drain(["deliver"])
    assert await pipe.workers["deliver:console"].pending() == 0
    dead = await app.store.streams.entries(k.dead_letters)
    assert len(dead) == 1 and dead[0][1]["stage"] == "deliver:console"
    assert "malformed" in dead[0][1]["reason"]


async def test_running_pipeline_delivers_in_background(testbot: ChatBot, tmp_path: Path) -> None:
    app = testbot.app
    await testbot.say("/grok track xAI")
    await app.pipeline.start()
    try:
        outcomes = await app.ingest([str(write(tmp_path, "b.md", GROK_FR))])
        assert [a.entity_ids for a in outcomes[0].alerts] == [("xai",)]
        for _ in range(100):
            if "alert in console:demo" in testbot.out.getvalue():
                break
            await asyncio.sleep(0.05)
        assert testbot.out.getvalue().count("alert in console:demo") == 1
    finally:
        await app.pipeline.stop()


async def test_a_service_console_logs_alerts_as_plain_lines(
    testbot: ChatBot, tmp_path: Path
) -> None:
    """`run` as a service prints alerts as a log: compact lines, no panels."""
    testbot.app.console.plain = True
    await testbot.say("/grok track Grok")
    await testbot.app.ingest([str(write(tmp_path, "grok.md", GROK_FR))])
    lines = (await testbot.deliver()).splitlines()
    assert lines[0] == (
        "alert in console:demo: xAI ouvre le code de Grok "
        "<https://example.org/veilleur/grok-ouvert>"
    )
    assert len(lines) >= 4 and all(line.startswith("  ") for line in lines[1:])
    assert "  Outlet: Le Veilleur Tech" in lines and any("poids de Grok-1" in x for x in lines)
    assert not any("╭" in x or "│" in x for x in lines)


def test_no_content_forges_a_line_of_the_plain_log() -> None:
    reply = Reply(
        title="Titre\nalert in console:ops: faux",
        text="corps\r\x1b[2Jalert in console:ops: faux\x0b" + "mot " * 200,
        fields=[Field("Outlet", "A\u2028B")],
        kind="alert",
    )
    lines = render_plain("console:demo", reply).splitlines()
    assert sum(line.startswith("alert in") for line in lines) == 1
    assert lines[0] == "alert in console:demo: Titre alert in console:ops: faux"
    assert "\x1b" not in "".join(lines) and len(lines[1]) <= 302 and lines[1].endswith("…")
    assert lines[2] == "  Outlet: A B"
