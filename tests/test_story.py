"""Story intelligence through the console: stories, summary, timeline, quotes, who, ask,
trend — on the real seeds and the sample corpus, real Redis, real analyzer."""

from __future__ import annotations

import re
from pathlib import Path

from bot.ingest.readers import CORPUS_DIR
from handlers.story import stems
from tests.conftest import ChatBot

CITED = re.compile(r"\[(\d+)\]\s*$")


def iso_dates(text: str) -> list[str]:
    return re.findall(r"\*\*(\d{4}(?:-\d{2}){0,2})\*\*", text)


async def test_seed_timeline_has_the_key_events_in_order(
    testbot: ChatBot, seeds: list[Path]
) -> None:
    await testbot.app.ingest([str(p) for p in seeds])
    reply = await testbot.say("/grok timeline")
    lines = reply.text.splitlines()
    dates = iso_dates(reply.text)
    # chronological; a year or month known only vaguely sits in its middle
    assert dates == sorted(
        dates, key=lambda d: d + ("-06-15" if len(d) == 4 else "-15"[: 10 - len(d)])
    )

    def when(*words: str) -> str:
        for line in lines:
            if all(w.casefold() in line.casefold() for w in words):
                found = iso_dates(line)
                assert found, line
                return found[0]
        raise AssertionError(f"no timeline line with {words}: {reply.text}")

    founding = when("2015", "OpenAI")
    departure = when("quitt", "2018")
    xai = when("xAI", "juillet")
    grok = when("Grok", "novembre")
    lawsuit = when("justice", "mars")
    announcement = when("annoncé", "lundi")
    assert founding == "2015" and departure == "2018"
    assert xai == "2023-07" and grok == "2023-11"
    assert lawsuit == "2024-03" and announcement == "2024-03"
    order = [lines.index(next(x for x in lines if d in x)) for d in ("2015", "2018")]
    assert order == sorted(order)
    assert lines.index(next(x for x in lines if "justice" in x)) < lines.index(
        next(x for x in lines if "lundi" in x)
    )
    # every event is cited, and the citations list the articles
    assert all(CITED.search(line) for line in lines)
    assert {c.n for c in reply.citations} == {int(CITED.search(x).group(1)) for x in lines}  # type: ignore[union-attr]


async def test_story_summary_is_cited_and_not_repetitive(
    testbot: ChatBot, seeds: list[Path]
) -> None:
    await testbot.app.ingest([str(CORPUS_DIR), *map(str, seeds)])
    stories = await testbot.say("/grok stories")
    assert "`s-" in stories.text
    reply = await testbot.say("/grok story")
    lines = [x[2:] for x in reply.text.splitlines()]
    assert 3 <= len(lines) <= 5
    assert all(CITED.search(x) for x in lines)
    assert len(reply.citations) >= 3  # several sources
    kept = [stems(x) for x in lines]
    for i, a in enumerate(kept):
        for b in kept[i + 1 :]:
            assert len(a & b) / len(a | b) < 0.25  # no two sentences say the same thing
    names = {f.name: f.value for f in reply.fields}
    assert "Grok" in names["Key entities"] and "Elon Musk" in names["Key entities"]
    assert "Le Veilleur Tech" in names["Outlets"]
    assert "2024-03" in names["Dates"]
    # a story picked by id
    other = stories.text.splitlines()[-1].split("`")[1]
    picked = await testbot.say(f"/grok story story:{other}")
    assert picked.footer == f"story {other}"
    unknown = await testbot.say("/grok story story:s-nope")
    assert unknown.kind == "error" and "/grok stories" in unknown.text


async def test_ask_answers_with_citations_or_declines(testbot: ChatBot, seeds: list[Path]) -> None:
    await testbot.app.ingest([str(CORPUS_DIR), *map(str, seeds)])
    fr = await testbot.say("/grok ask Sous quelle licence Grok-1 est-il publié ?")
    assert "Apache" in fr.text and CITED.search(fr.text)
    assert fr.title and fr.title.startswith("Réponse")  # the bot answers in French
    en = await testbot.say("/grok ask When was OpenAI founded?")
    assert "2015" in en.text and en.title and en.title.startswith("Answer")
    none = await testbot.say("/grok ask Who won the 2022 football World Cup?")
    assert "nothing" in none.text and not none.citations


async def test_quotes_who_and_trend(testbot: ChatBot, seeds: list[Path]) -> None:
    await testbot.app.ingest([str(CORPUS_DIR), *map(str, seeds)])
    quotes = await testbot.say("/grok quotes OpenAI")
    assert quotes.citations and all("OpenAI" in line for line in quotes.text.splitlines())
    who = await testbot.say("/grok who Jonathan Ross")
    assert who.title == "Jonathan Ross" and "Groq" in who.text
    fields = {f.name: f.value for f in who.fields}
    assert "Groq" in fields["Often mentioned with"] and int(fields["Articles"]) >= 1
    trend = await testbot.say("/grok trend Grok")
    assert trend.image is not None and trend.image.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "2024-03-11" in trend.text and "2023-" in trend.text  # weeks, undated articles aside
    unknown = await testbot.say("/grok who Qwxzz Plorb")
    assert unknown.kind == "error"
