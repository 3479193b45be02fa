"""Hostile input to ingestion, through the real bot (real Redis, the real analyzer): files
that crashed the readers, chat users reaching for the bot host's files, a feed that
redirects to data:, and the HTTP API reading whole bodies. Every bad item is a `rejected`
with a reason and the rest of its batch goes on."""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr

from bot.settings import Settings
from handlers.alerts import render_alert
from tests.conftest import ChatBot
from tests.web_fake import FakeWeb

SLACK = "slack:T1:C1"  # a chat channel: not the bot's own console
TOKEN = "hostile-api-token"
GOOD = "xAI publie Grok-1\n\nLa start-up xAI a publié les poids du modèle Grok-1 sous licence Apache.\n"


@pytest.fixture
def inbox(tmp_path: Path) -> Path:
    folder = tmp_path / "inbox"
    folder.mkdir()
    return folder


@pytest.fixture
def settings(settings: Settings, inbox: Path) -> Settings:
    return settings.model_copy(
        update={
            "ingest_dir": inbox.resolve(),
            "url_allowlist": ["127.0.0.1/32"],
            "fetch_timeout": 2.0,
            "fetch_total_timeout": 4.0,
            "api_token": SecretStr(TOKEN),
            "api_port": 0,
            "api_max_body_bytes": 5_000_000,
        }
    )


@pytest.fixture
def outside(tmp_path: Path) -> Iterator[Path]:
    """A secret file beside the ingest folder, not in it."""
    secret = tmp_path / "credentials.txt"
    secret.write_text(
        "Mot de passe\n\nLe mot de passe du serveur est hunter2, ne le dites à personne.\n"
    )
    yield secret


async def test_crashing_files_are_rejected_and_the_batch_goes_on(
    testbot: ChatBot, tmp_path: Path
) -> None:
    files = {
        "deep.json": "[" * 100_000 + "]" * 100_000,
        "digits.json": '{"text": "a b c", "n": ' + "9" * 5000 + "}",
        "epoch.json": '{"text": "Titre\\n\\nUn corps.", "published_at": ' + "9" * 400 + "}",
        "lines.jsonl": '{"text": "x"}\n' + "[" * 50_000 + "\n",
        "surrogate.json": '{"title": "Un titre \\ud800", "text": "Un texte \\udfff qui suit."}',
        "huge.md": "---\nn: " + "9" * 5000 + "\n---\nTitre\n\nCorps du texte.\n",
        "good.txt": GOOD,
    }
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8", errors="surrogatepass")
    outcomes = await testbot.app.ingest([str(tmp_path / n) for n in files])
    by_file = {Path(o.path or "").name: o for o in outcomes}
    assert by_file["deep.json"].status == "rejected"
    assert "nested too deeply" in (by_file["deep.json"].reason or "")
    assert "number too large" in (by_file["digits.json"].reason or "")
    assert "not a date" in (by_file["epoch.json"].reason or "")
    assert "could not be read" in (by_file["huge.md"].reason or "")
    assert by_file["surrogate.json"].status == "new"  # the lone surrogates replaced
    assert by_file["good.txt"].status == "new"
    lines = [o for o in outcomes if Path(o.path or "").name.startswith("lines.jsonl#")]
    assert [o.status for o in lines] == ["rejected", "rejected"]
    stored = [await testbot.app.store.articles.load(o.id or "") for o in outcomes if o.id]
    assert any(r is not None and "\ufffd" in r.title for r in stored)


async def test_chat_ingest_refuses_host_paths_without_saying_if_they_exist(
    testbot: ChatBot, outside: Path
) -> None:
    replies = [
        await testbot.say(f"/grok ingest {path}", channel=SLACK)
        for path in (outside, "/etc", "/no/such/path", "../credentials.txt", f"{outside}\x00x")
    ]
    for reply in replies:
        assert reply.kind == "error" and "GROKWATCH_INGEST_DIR" in reply.text
        assert "does not exist" not in reply.text and "hunter2" not in reply.text
    # one answer for a secret that exists, a folder, and a path that does not: the same
    # summary and the same reason, only the path as typed differs
    answers = {(r.text.split("\n")[0], r.text.rsplit(": ", 1)[1]) for r in replies}
    assert len(answers) == 1, answers
    found = await testbot.say("/grok search hunter2", channel=SLACK)
    assert not found.fields and "No article matches" in found.text


async def test_chat_ingest_reads_the_ingest_folder_and_shows_no_host_path(
    testbot: ChatBot, inbox: Path, outside: Path
) -> None:
    (inbox / "news").mkdir()
    (inbox / "news" / "grok.txt").write_text(GOOD, encoding="utf-8")
    (inbox / "news" / "link.txt").symlink_to(outside)  # a way out of the folder
    await testbot.say("/grok track xAI", channel=SLACK)
    reply = await testbot.say("/grok ingest news", channel=SLACK)
    assert "1 new, 0 duplicate, 1 rejected" in reply.text
    assert str(inbox) not in reply.text and "hunter2" not in reply.text
    again = await testbot.say(f"/grok ingest {inbox}/news/grok.txt", channel=SLACK)
    assert "0 new, 1 duplicate" in again.text
    missing = await testbot.say("/grok ingest news/gone.txt", channel=SLACK)
    assert "does not exist" in missing.text and str(inbox) not in missing.text
    hunter = await testbot.say("/grok search hunter2", channel=SLACK)
    assert not hunter.fields and "No article matches" in hunter.text
    records = [await testbot.app.store.articles.load(i) for i in await _ids(testbot)]
    stored = [r for r in records if r is not None and r.path]
    assert stored and all(not r.path.startswith(os.sep) for r in stored if r.path)
    footer = render_alert(testbot.app.catalog, stored[0], ["xai"]).footer or ""
    assert footer.endswith("· grok.txt") and str(inbox) not in footer


async def _ids(testbot: ChatBot) -> list[str]:
    hits = await testbot.app.store.index.search(["Grok-1"], limit=10)
    return [h.article.id for h in hits]


async def test_a_feed_that_redirects_to_data_is_refused_and_not_kept(testbot: ChatBot) -> None:
    async with FakeWeb() as web:
        web.set("/feed", status=302, headers={"Location": "data:application/rss+xml,<rss/>"})
        reply = await testbot.say(f"/grok feeds add {web.url('/feed')}", channel=SLACK)
        assert reply.kind == "error" and "cannot be fetched" in reply.text
        assert await testbot.app.feeds.feeds(SLACK) == []
        assert web.hits["/feed"] == 1


# ------------------------------------------------------------------ the HTTP API
@pytest.fixture
async def api(testbot: ChatBot) -> AsyncIterator[httpx.AsyncClient]:
    server = await testbot.app.start_api()
    async with httpx.AsyncClient(base_url=server.url, trust_env=False, timeout=60) as client:
        yield client


def _headers() -> dict[str, str]:
    return {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}


async def test_the_api_reads_the_whole_body(api: httpx.AsyncClient) -> None:
    text = "Un paragraphe de l'article sur le modèle de la start-up. " * 18_000
    article = {"title": "Un long article", "text": text, "url": "https://e.example/long"}
    body = json.dumps(article).encode()
    assert 1_000_000 < len(body) < 5_000_000
    resp = await api.post("/v1/articles", content=body, headers=_headers())
    assert resp.status_code == 200, resp.text
    assert resp.json()["results"][0]["status"] == "new"


async def test_the_api_answers_413_for_big_batches_and_chunked_bodies(
    api: httpx.AsyncClient,
) -> None:
    many = json.dumps([{"text": f"article {i}"} for i in range(10_000)]).encode()
    resp = await api.post("/v1/articles", content=many, headers=_headers())
    assert resp.status_code == 413 and "at most 1000" in resp.json()["error"]

    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"text": "'
        for _ in range(60):
            yield b"x" * 100_000
        yield b'"}'

    chunked = await api.post("/v1/articles", content=chunks(), headers=_headers())
    assert chunked.status_code == 413 and "over 5000000 bytes" in chunked.json()["error"]


async def test_the_api_rejects_per_item_and_goes_on(api: httpx.AsyncClient) -> None:
    batch = [
        {"title": f"Article {i}", "text": f"Le texte numéro {i} de la série, assez long."}
        for i in range(6)
    ]
    batch[3]["text"] = "Un texte avec une moitié de paire \ud800 au milieu."
    batch[4] = {"text": ["not", "a", "string"]}  # type: ignore[dict-item]
    resp = await api.post("/v1/articles", content=json.dumps(batch).encode(), headers=_headers())
    assert resp.status_code == 200, resp.text
    assert [r["status"] for r in resp.json()["results"]] == ["new"] * 4 + ["rejected", "new"]
    deep = await api.post("/v1/articles", content=b"[" * 100_000, headers=_headers())
    assert deep.status_code == 400 and "nested too deeply" in deep.json()["error"]
