"""What the healing tests share: waiting for a condition with a deadline (never a timed
assert), a probe polled until it says what the test waits for, and an article to ingest."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx

BODIES = (
    "La société xAI a mis en ligne dimanche les poids du modèle Grok-1 sous licence "
    "Apache 2.0 ; les développeurs peuvent l'étudier et le modifier.",
    "Elon Musk avait promis d'ouvrir Grok : c'est fait, le code et les poids sont sur "
    "GitHub, et les chercheurs saluent un modèle de 314 milliards de paramètres.",
    "Les entreprises qui voulaient tester Grok chez elles le peuvent désormais : xAI "
    "publie une archive de près de 300 gigaoctets, téléchargeable par torrent.",
    "Face à OpenAI, xAI joue la carte de l'ouverture avec Grok, dont l'architecture à "
    "mélange d'experts intrigue les spécialistes de l'apprentissage automatique.",
    "Un mois après sa mise en ligne, Grok a été téléchargé des milliers de fois ; des "
    "versions réduites du modèle circulent déjà sur les forums de développeurs.",
)


def article(tmp_path: Path, n: int) -> str:
    """The path of article `n` (0 to 4), each a different report mentioning Grok."""
    path = tmp_path / f"grok-{n}.md"
    path.write_text(
        f'---\ntitle: "Grok, épisode {n}"\nsource: Le Quotidien des Tests\n'
        f"date: 2024-03-1{n}\nurl: https://example.org/tests/grok-{n}\nlang: fr\n---\n"
        f"{BODIES[n]}\n",
        encoding="utf-8",
    )
    return str(path)


async def until(
    cond: Callable[[], bool | Awaitable[bool]], what: str, within: float = 60.0
) -> None:
    """Wait until `cond()` is true; fail saying `what` was awaited after `within` s."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        got = cond()
        if not isinstance(got, bool):
            got = await got
        if got:
            return
        if loop.time() > deadline:
            raise AssertionError(f"never happened: {what}")
        await asyncio.sleep(0.05)


async def probe_until(
    client: httpx.AsyncClient,
    path: str,
    ok: Callable[[httpx.Response], bool],
    what: str,
    within: float = 60.0,
) -> httpx.Response:
    """GET `path` until the answer satisfies `ok`; that answer."""
    last: list[httpx.Response] = []

    async def check() -> bool:
        resp = await client.get(path)
        last[:] = [resp]
        return ok(resp)

    await until(check, what, within)
    return last[0]
