"""Analyzer.fast, mentions and normalize_text, on our sentences and on the real seeds."""

from __future__ import annotations

from pathlib import Path

import pytest

from handlers.model import Analysis
from nlp.pipeline import Analyzer, normalize_text

SEEDS = Path(__file__).resolve().parents[2].parent / "shared" / "seeds"


@pytest.fixture(scope="module")
def analyzer() -> Analyzer:
    return Analyzer()


def seed_docs() -> list[tuple[str, tuple[str, str]]]:
    if not SEEDS.is_dir():
        pytest.skip("../shared/seeds is not here")
    docs = []
    for path in sorted(SEEDS.glob("*.txt")):
        title, _, body = path.read_text(encoding="utf-8").strip().partition("\n")
        docs.append((path.name, (title, body)))
    return docs


def test_normalize_text_keeps_offsets() -> None:
    raw = "L’IA\u00a0: « d’OpenAI »\u202f! x\u2011y"
    clean = normalize_text(raw)
    assert len(clean) == len(raw)
    assert clean == "L'IA : « d'OpenAI » ! x-y"
    assert normalize_text("plain text") == "plain text"


def test_fast_result_shape(analyzer: Analyzer) -> None:
    title = "Elon Musk ouvre le code de Grok"
    body = (
        "La start-up xAI d’Elon Musk a publié les poids de Grok-1. "
        "Le modèle, publié sous licence Apache 2.0, compte 314 milliards de paramètres. "
        "OpenAI n'a pas réagi. Musk promet Grok 2."
    )
    (analysis,) = analyzer.fast([(title, body)])
    assert isinstance(analysis, Analysis)
    assert analysis.lang == "fr" and analysis.title == title
    assert analysis.sentences[0] == title and len(analysis.sentences) == 5
    assert analysis.words > 30
    by_id = {e.id: e for e in analysis.entities}
    assert set(by_id) == {"elon-musk", "grok", "xai", "apache-2-0", "openai"}
    grok = by_id["grok"]
    assert grok.source == "catalog" and grok.type == "model" and grok.name == "Grok"
    assert grok.mentions == 3 and grok.matched == ["Grok", "Grok-1", "Grok 2"]
    assert grok.snippet == title and grok.level == "high"
    text = title + "\n\n" + normalize_text(body)
    for start, end in grok.positions:
        assert text[start:end].startswith("Grok")
    assert by_id["openai"].level == "low" or by_id["openai"].mentions == 1
    assert by_id["apache-2-0"].snippet.startswith("Le modèle, publié sous licence")
    # most salient first
    saliences = [e.salience for e in analysis.entities]
    assert saliences == sorted(saliences, reverse=True)
    assert all(0.0 <= s <= 1.0 for s in saliences)


def test_language_given_or_detected(analyzer: Analyzer) -> None:
    docs = [
        ("Musk's xAI releases Grok-1", "The weights are out."),
        ("xAI publie Grok-1", "Les poids sont en ligne."),
    ]
    assert [a.lang for a in analyzer.fast(docs)] == ["en", "fr"]
    assert [a.lang for a in analyzer.fast(docs, ["fr", None])] == ["fr", "fr"]
    assert analyzer.fast([]) == []


def test_empty_and_entity_free_documents(analyzer: Analyzer) -> None:
    (a, b) = analyzer.fast([("", ""), ("Météo", "Il pleuvra demain sur la Bretagne.")])
    assert a.entities == [] and b.entities == []
    assert b.sentences == ["Météo", "Il pleuvra demain sur la Bretagne."]


def test_mentions_explain_each_match(analyzer: Analyzer) -> None:
    mentions = analyzer.mentions(
        "Groq n'est pas Grok",
        "Le fabricant de puces Groq écrit à Elon Musk.   Le chatbot de xAI s'appelle Grok.",
    )
    assert [(m.entity_id, m.surface, m.sent_index) for m in mentions] == [
        ("groq", "Groq", 0),
        ("grok", "Grok", 0),
        ("groq", "Groq", 1),
        ("elon-musk", "Elon Musk", 1),
        ("xai", "xAI", 2),
        ("grok", "Grok", 2),
    ]
    assert mentions[3].sentence == "Le fabricant de puces Groq écrit à Elon Musk."
    text = (
        "Groq n'est pas Grok\n\nLe fabricant de puces Groq écrit à Elon Musk.   "
        "Le chatbot de xAI s'appelle Grok."
    )
    assert all(text[m.start : m.end] == m.surface for m in mentions)


def test_fast_on_each_seed_finds_the_story(analyzer: Analyzer) -> None:
    docs = seed_docs()
    analyses = analyzer.fast([d for _, d in docs])
    for (name, (_, body)), analysis in zip(docs, analyses, strict=True):
        found = set(analysis.entity_ids())
        assert {"elon-musk", "grok", "openai"} <= found, name
        if "xAI" in body or "x.AI" in body:
            assert "xai" in found, name
        assert analysis.lang == "fr"
        top = analysis.entities[0]
        assert top.id in {"elon-musk", "grok"} and top.level == "high", name


def test_seed_traps_stay_quiet(analyzer: Analyzer) -> None:
    docs = dict(seed_docs())
    groq_seed = next(d for d in docs.values() if "Groq (et non Grok)" in d[1])
    found = set(analyzer.fast([groq_seed])[0].entity_ids())
    assert {"groq", "grok"} <= found
    # "justice californienne" is an adjective, not the place; "GPT" alone is not GPT-4's name
    for title, body in docs.values():
        mentions = analyzer.mentions(title, body)
        assert all(m.surface != "californienne" for m in mentions)
        assert all(not (m.entity_id == "gpt-4" and m.surface == "GPT") for m in mentions)
