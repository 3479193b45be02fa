"""Tenancy against the real store and analyzer: articles a Discord guild or a Slack
workspace ingests (or its feeds bring) are visible to it alone, in every read command and
in alerts; the shared corpus is visible to all (or to none but its owners when sharing is
off); a schema-3 database is migrated with its articles in the shared corpus; a tenant
that leaves is forgotten."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.app import App
from bot.settings import Settings
from bot.store.keys import SCHEMA_VERSION
from nlp.pipeline import Analyzer

PRIVATE = """---
title: Zorblax rachète la fonderie Quillon
source: La Lettre Privée de Kestrel
date: 2024-03-18
url: https://example.org/prive/zorblax-quillon
lang: fr
---
Le groupe Zorblax, partenaire de xAI, rachète la fonderie Quillon pour produire les puces de Grok.
Elon Musk a confirmé l'accord mardi.
"""

SHARED = """---
title: Grok-1 est publié sous licence Apache
source: Le Courrier Commun
date: 2024-03-17
url: https://example.org/commun/grok-apache
lang: fr
---
La société xAI d'Elon Musk a publié les poids de Grok-1 sous licence Apache 2.0, dimanche.
"""

A, B = "discord:1:2", "discord:9:8"  # two guilds
S1, S2 = "slack:T1:C1", "slack:T2:C1"  # two workspaces (the same channel id in each)


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


@pytest.fixture
async def app(settings: Settings, analyzer: Analyzer) -> AsyncIterator[App]:
    async with App(settings, analyzer=analyzer) as running:
        yield running


async def words(app: App, line: str, channel: str) -> str:
    reply = await app.say(line, channel=channel)
    return reply.as_text()


@pytest.mark.parametrize(("mine", "other"), [(A, B), (S1, S2)])
async def test_a_tenants_own_articles_never_reach_another(
    app: App, tmp_path: Path, mine: str, other: str
) -> None:
    for channel in (mine, other):
        assert (await app.say("/grok track Grok", channel=channel)).kind == "info"
    owner = mine.rsplit(":", 1)[0]
    outcomes = await app.ingestor.ingest_paths([write(tmp_path, "p.md", PRIVATE)], owner=owner)
    assert [a.channel for a in outcomes[0].alerts] == [mine]  # no alert to the other
    for line in ("/grok mentions Grok", "/grok search Zorblax fonderie", "/grok sources"):
        assert "Zorblax" in await words(app, line, mine) or "Kestrel" in await words(
            app, line, mine
        ), line
        seen = await words(app, line, other)  # (search repeats the query's words)
        assert "rachète" not in seen and "Kestrel" not in seen, line
    assert "Zorblax" in await words(app, "/grok stories", mine)
    assert "Zorblax" not in await words(app, "/grok stories", other)
    answer = await words(app, "/grok ask Qui achète la fonderie ?", other)
    assert "Zorblax" not in answer and "Kestrel" not in answer


async def test_the_shared_corpus_is_seen_and_alerted_everywhere(app: App, tmp_path: Path) -> None:
    for channel in (A, B, S1):
        await app.say("/grok track Grok", channel=channel)
    outcomes = await app.ingest([write(tmp_path, "s.md", SHARED)])  # the CLI: shared
    assert sorted(a.channel for a in outcomes[0].alerts) == sorted([A, B, S1])
    for channel in (A, B, S1):
        assert "Courrier Commun" in await words(app, "/grok sources", channel)


async def test_a_duplicate_brought_by_another_tenant_becomes_its_too(
    app: App, tmp_path: Path
) -> None:
    path = write(tmp_path, "p.md", PRIVATE)
    await app.ingestor.ingest_paths([path], owner="discord:1")
    assert "Zorblax" not in await words(app, "/grok mentions Grok", B)
    again = await app.ingestor.ingest_paths([path], owner="discord:9")
    assert again[0].status == "duplicate"
    assert "Zorblax" in await words(app, "/grok mentions Grok", B)
    assert "Zorblax" not in await words(app, "/grok mentions Grok", S1)


async def test_with_sharing_off_a_tenant_sees_only_its_own(
    settings: Settings, analyzer: Analyzer, tmp_path: Path
) -> None:
    async with App(settings.model_copy(update={"shared_corpus": False}), analyzer=analyzer) as app:
        await app.say("/grok track Grok", channel=A)
        outcomes = await app.ingest([write(tmp_path, "s.md", SHARED)])
        assert outcomes[0].alerts == []
        assert "Courrier Commun" not in await words(app, "/grok sources", A)
        await app.ingestor.ingest_paths([write(tmp_path, "p.md", PRIVATE)], owner="discord:1")
        assert "Kestrel" in await words(app, "/grok sources", A)


async def test_a_schema_3_database_is_migrated_into_the_shared_corpus(
    app: App, tmp_path: Path
) -> None:
    await app.ingest([write(tmp_path, "s.md", SHARED)])
    store, k = app.store, app.store.keys
    await store.client.delete(k.tenant_articles("public"))  # as schema 3 kept it
    await store.client.hset(k.feeds, "f1", "https://example.org/feed.xml")
    await store.client.hset(
        k.feed("f1"), mapping={"id": "f1", "url": "https://example.org/feed.xml"}
    )
    await store.client.set(k.schema, 3)
    await store.check_schema()
    assert await store.schema_version() == SCHEMA_VERSION == 4
    assert await store.client.zcard(k.tenant_articles("public")) == 1
    assert (await store.feeds.load("f1")).public  # type: ignore[union-attr]
    assert "Courrier Commun" in await words(app, "/grok sources", B)


async def test_a_tenant_that_leaves_is_forgotten(app: App) -> None:
    await app.say("/grok track Grok", channel=S1)
    await app.say("/grok settings cap:3", channel=S1)
    await app.say("/grok track Grok", channel=S2)
    cleared = await app.store.tenants.forget("slack:T1")
    assert cleared == 1
    assert await app.store.subscriptions.of_channel(S1) == []
    assert (await app.store.noise.settings(S1)).cap == 0
    assert [s.entity_id for s in await app.store.subscriptions.of_channel(S2)] == ["grok"]
    members = await app.store.client.smembers(app.store.keys.subscribers("grok"))
    assert {m.decode() for m in members} == {S2}
    assert json.dumps(sorted(await app.store.tenants.known())) == "[]"
