"""Discovered entities end to end: a person who is not in the catalog, found by NER in an
ingested article, can be looked up, tracked and completed, and alerts like a catalog entity.

Uses the whole bot (real embedded Redis, the real analyzer with the French NER model).
"""

from __future__ import annotations

from pathlib import Path

from tests.conftest import ChatBot

# Written for these tests. Nothing here is in the catalog: "Margrethe Vestager" is found by
# the French NER model of the enrich pass, and only there.
FIRST = """\
Bruxelles examine la publication des poids de Grok

La Commission européenne a demandé des précisions à xAI après la publication des poids de
son modèle Grok-1 sous licence Apache 2.0. La commissaire Margrethe Vestager a déclaré
mardi que l'ouverture d'un modèle ne dispensait pas l'entreprise de ses obligations.

Selon Margrethe Vestager, les services de la Commission analyseront les documents fournis
par la société d'Elon Musk avant la fin du mois. Vestager a rappelé que le règlement
européen sur l'intelligence artificielle s'applique aussi aux modèles ouverts.
"""

LATER = """\
Les régulateurs européens poursuivent leur enquête sur les modèles ouverts

Margrethe Vestager a reçu jeudi les représentants de plusieurs laboratoires d'intelligence
artificielle à Bruxelles. La commissaire a jugé utiles les réponses reçues jusqu'ici, et
Margrethe Vestager a promis un rapport public avant l'été.
"""


def _write(folder: Path, name: str, text: str) -> str:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return str(path)


async def test_discovered_person_is_mentioned_tracked_completed_and_alerts(
    testbot: ChatBot, tmp_path: Path
) -> None:
    app = testbot.app
    outcomes = await app.ingest([_write(tmp_path, "vestager-1.txt", FIRST)])
    assert [o.status for o in outcomes] == ["new"]

    # /grok mentions finds the article through the discovered entity
    reply = await testbot.say("/grok mentions Margrethe Vestager")
    shown = reply.as_text()
    assert "Margrethe Vestager" in shown, shown
    assert "Bruxelles examine la publication des poids de Grok" in shown, shown

    # autocomplete offers it, marked as discovered
    completed = await app.complete_entities("vesta")
    found = [e for e in completed if e.name == "Margrethe Vestager"]
    assert found, [e.name for e in completed]
    assert found[0].source == "discovered"
    assert found[0].id == "margrethe-vestager"

    # /grok track resolves it (any case, no accents needed)
    reply = await testbot.say("/grok track margrethe vestager", channel="console:news")
    assert "Margrethe Vestager" in reply.as_text(), reply.as_text()
    assert reply.kind != "error", reply.text
    tracked = await testbot.say("/grok tracked", channel="console:news")
    assert "Margrethe Vestager" in tracked.as_text()

    # nothing to deliver yet: the first article was ingested before the subscription
    assert "Vestager" not in await testbot.deliver()

    # a later article about her alerts the channel (enrich → enriched stream → fan-out)
    outcomes = await app.ingest([_write(tmp_path, "vestager-2.txt", LATER)])
    assert [o.status for o in outcomes] == ["new"]
    printed = await testbot.deliver()
    assert "Margrethe Vestager" in printed, printed
    assert "Les régulateurs européens poursuivent leur enquête" in printed, printed
    assert "matched “Margrethe Vestager”" in printed, printed


async def test_discovered_entity_unknown_before_its_first_article(testbot: ChatBot) -> None:
    """Before any article names her, the bot does not pretend to know her."""
    reply = await testbot.say("/grok track Margrethe Vestager", channel="console:news")
    assert reply.kind == "error"
    assert not [e for e in await testbot.app.complete_entities("vesta") if "Vestager" in e.name]
