"""What the Discord tests share: the channel they post to, an article, limit checks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bot.app import App
from bot.transports.discord import DiscordTransport

GUILD, CHANNEL, OTHER = 1, 2, 3
TARGET = f"discord:{GUILD}:{CHANNEL}"

ARTICLE = """---
title: "xAI publie les poids de Grok-1 @everyone"
source: Le Quotidien des Tests
date: 2024-03-17
url: https://example.org/tests/grok-poids
lang: fr
---
La société xAI a mis en ligne dimanche les poids du modèle Grok-1, sous licence Apache 2.0.
Les développeurs peuvent désormais l'étudier et le modifier.
"""


def transport_of(app: App) -> DiscordTransport:
    t = app.transports["discord"]
    assert isinstance(t, DiscordTransport)
    return t


async def ingest_article(
    app: App, tmp_path: Path, name: str = "grok.md", text: str = ARTICLE
) -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    outcomes = await app.ingest([str(path)])
    assert [o.status for o in outcomes] == ["new"]


def embed_total(embed: dict[str, Any]) -> int:
    n = len(embed.get("title", "")) + len(embed.get("description", ""))
    n += len(embed.get("footer", {}).get("text", ""))
    n += sum(len(f["name"]) + len(f["value"]) for f in embed.get("fields", []))
    return n


def assert_within_limits(body: dict[str, Any]) -> None:
    embeds = body["embeds"]
    assert 1 <= len(embeds) <= 10
    assert sum(embed_total(e) for e in embeds) <= 6000
    for e in embeds:
        assert len(e.get("title", "")) <= 256
        assert len(e.get("description", "")) <= 4096
        assert len(e.get("fields", [])) <= 25
        assert len(e.get("footer", {}).get("text", "")) <= 2048
        for f in e.get("fields", []):
            assert 1 <= len(f["name"]) <= 256 and 1 <= len(f["value"]) <= 1024
    assert body["allowed_mentions"] == {"parse": []}
