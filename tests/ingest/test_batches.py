"""A batch of articles is stored in a few round trips and decided as if one by one: new
ones stored in order, a duplicate within the batch found, a near copy of a stored article
reported as its duplicate, and a lone surrogate in one article made storable without
holding up the others. Real Redis, the real pipeline."""

from __future__ import annotations

import dataclasses

from handlers.model import RawArticle
from tests.conftest import ChatBot

BODY = (
    "La start-up xAI a publié les poids de son modèle Grok-1 sous une licence libre. "
    "Le modèle compte 314 milliards de paramètres et repose sur un mélange d'experts. "
    "Les chercheurs peuvent désormais le télécharger, l'étudier et le modifier à leur guise, "
    "ce que ni OpenAI ni Google ne permettent pour leurs modèles les plus puissants. "
    "Les observateurs y voient une réponse aux critiques adressées au secteur."
)


def marked(n: int, text: str = BODY) -> str:
    """`text` with a word of its own every third word: no 5-word run in common with
    another `n`'s."""
    words = text.split()
    return " ".join(w + (f" v{n}" if i % 3 == 0 else "") for i, w in enumerate(words))


def art(n: int, **kw: object) -> RawArticle:
    fields: dict[str, object] = {
        "title": f"Grok ouvert, épisode {n}",
        "text": marked(n),
        "url": f"https://example.org/a/{n}",
        **kw,
    }
    return RawArticle(**fields)  # type: ignore[arg-type]


async def test_a_batch_is_decided_as_if_one_by_one(testbot: ChatBot) -> None:
    app = testbot.app
    original = art(0)
    [first] = await app.ingestor.add([original], near_dups=True)
    assert first.status == "new"
    await app.pipeline.drain(["analyze"])  # its signature is filed: copies can be found

    copy = dataclasses.replace(original, url="https://mirror.example/copie")
    broken = art(2, text=marked(2, "Texte cassé \udcff " + BODY))
    batch = [art(1), copy, broken, art(3), art(1), art(4, url=None)]
    outcomes = await app.ingestor.add(batch, near_dups=True)
    assert [o.status for o in outcomes] == ["new", "duplicate", "new", "new", "duplicate", "new"]
    assert outcomes[1].id == first.id  # the near copy names the stored original
    assert outcomes[4].id == outcomes[0].id  # the same URL twice in one batch: stored once
    stored = await app.store.articles.load_many([o.id or "" for o in outcomes])
    assert all(r is not None for r in stored)
    assert await app.store.articles.count() == 5
    fixed = stored[2]
    assert fixed is not None and "cassé \ufffd" in fixed.text
    # the signature computed for the copy check is kept: analysis files the same one
    rec = stored[0]
    assert rec is not None and rec.minhash
    await app.pipeline.drain(["analyze"])
    sig = app.store.neardup.signature(rec.title, rec.text)
    assert rec.id in {m.article_id for m in await app.store.neardup.matches(sig, 0.99)}
