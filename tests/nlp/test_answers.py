"""Tests of the hybrid parts of nlp.retrieval: the FR/EN lexicon, numbers, neighbour
passages, cut titles, answer typing (required, not a bonus) and refusal by coverage."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from nlp.catalog import Catalog
from nlp.pipeline import Analyzer
from nlp.retrieval import LEXICON, Passage, Ranker, split_passages, units
from nlp.retrieval.answers import has_reason
from nlp.retrieval.units import load_lexicon, same_numbers

PUBLISHED = date(2024, 3, 25)


def article(
    analyzer: Analyzer, ident: str, title: str, body: str, lang: str = "fr"
) -> list[Passage]:
    return split_passages(ident, title, body, lang=lang, published=PUBLISHED, analyzer=analyzer)


@pytest.fixture(scope="module")
def ranker(catalog: Catalog) -> Ranker:
    return Ranker(catalog)


@pytest.fixture(scope="module")
def planes(analyzer: Analyzer) -> list[Passage]:
    """A small corpus of another story than the default one, written for these tests."""
    return [
        *article(
            analyzer,
            "p1",
            "Un avion cloué au sol",
            "Un appareil de la compagnie Aérolac a perdu une trappe en vol mardi. "
            "Les 140 passagers sont sortis indemnes. "
            "L'autorité de l'aviation a immobilisé 60 appareils du même modèle. "
            "La trappe avait été remontée sans ses vis, car une équipe de nuit avait sauté "
            "une étape du contrôle. Le patron d'Aérolac, Paul Verdier, a présenté ses excuses.",
        ),
        *article(
            analyzer,
            "p2",
            "A supplier changes hands",
            "The parts maker Ferrox sold its subsidiary in Lyon last week. "
            "The buyer was not named. Analysts expect more sales this year.",
            "en",
        ),
    ]


def test_the_lexicon_joins_news_words_across_languages() -> None:
    assert units("patron")[0] == units("boss")[0] == units("CEO")[0] == units("PDG")[0]
    assert units("filiale") == units("subsidiary")
    assert units("lancé")[0] == units("launched")[0]
    assert units("amende", "fr") == units("fine", "en")
    assert units("fine", "fr") != units("amende", "fr")  # "fine" is a French word too
    assert "lead" in LEXICON and len(LEXICON) > 100


def test_a_broken_lexicon_line_is_an_error(tmp_path: Path) -> None:
    good = tmp_path / "good.txt"
    good.write_text("# comment\nboss: patron boss\n\nboss: chef:fr\n", encoding="utf-8")
    assert load_lexicon(good) == {"boss": "patron boss chef:fr"}
    bad = tmp_path / "bad.txt"
    bad.write_text("patron boss\n", encoding="utf-8")
    with pytest.raises(ValueError, match="concept: words"):
        load_lexicon(bad)


def test_numbers_are_written_alike_in_both_languages() -> None:
    assert same_numbers("entre 30 000 et 40 000 dollars") == "entre 30000 et 40000 dollars"
    assert same_numbers("200,000 tokens, 1,3 milliard") == "200000 tokens, 1.3 milliard"
    assert same_numbers("le 19 mars 2024") == "le 19 mars 2024"
    assert units("1,3 milliard") == units("1.3 billion")


def test_a_passage_carries_the_next_sentence(analyzer: Analyzer) -> None:
    passages = article(analyzer, "n1", "Titre", "Première phrase ici. Deuxième phrase là.")
    assert passages[0].neighbour == ""  # the title stands alone
    assert passages[1].neighbour == "Deuxième phrase là."
    assert passages[1].text == "Première phrase ici. Deuxième phrase là."
    assert passages[2].neighbour == "" and passages[2].text == passages[2].sentence
    assert passages[1].alone().text == "Première phrase ici."


def test_a_title_cut_from_the_first_sentence_is_not_a_passage(analyzer: Analyzer) -> None:
    body = (
        "Emad Mostaque has resigned as chief executive of the start-up he founded, the "
        "company said late on Friday. He is leaving its board too."
    )
    passages = article(analyzer, "t1", "Emad Mostaque has resigned as chief executive of…", body)
    assert [p.index for p in passages] == [1, 2]
    assert not any(p.sentence.endswith("…") for p in passages)


def test_a_why_question_wants_a_reason(ranker: Ranker, planes: list[Passage]) -> None:
    assert has_reason("parce qu'il pleuvait") and has_reason("because it rained")
    assert not has_reason("Il pleuvait sur la ville.")
    best = ranker.rank("Pourquoi la trappe a-t-elle été remontée sans ses vis ?", planes)[0][0]
    assert "car une équipe de nuit" in best.text


def test_how_many_wants_the_unit_asked(ranker: Ranker, planes: list[Passage]) -> None:
    # both sentences hold a number; only one counts planes
    best = ranker.rank("How many planes were grounded?", planes)[0][0]
    assert "60 appareils" in best.text and best.lang == "fr"
    best = ranker.rank("Combien de passagers étaient à bord ?", planes)[0][0]
    assert "140 passagers" in best.text


def test_who_wants_a_name_the_question_does_not_hold(ranker: Ranker, planes: list[Passage]) -> None:
    best = ranker.rank("Who is the boss of Aérolac?", planes)[0][0]
    assert "Paul Verdier" in best.text
    # the sentence naming the subsidiary's seller is typed, not the one without a name
    best = ranker.rank("Who sold the subsidiary in Lyon?", planes)[0][0]
    assert "Ferrox" in best.sentence


def test_a_name_nowhere_in_the_store_is_refused(ranker: Ranker, planes: list[Passage]) -> None:
    ranked = ranker.rank("Combien d'appareils Skyvia a-t-elle immobilisés ?", planes)
    assert ranked and not ranker.answerable(ranked)
    assert ranker.query("Combien d'appareils Skyvia a-t-elle immobilisés ?").kind == "count"
    # the same question about a name the store holds is answered
    ranked = ranker.rank("Combien d'appareils l'autorité a-t-elle immobilisés ?", planes)
    assert ranker.answerable(ranked) and "60 appareils" in ranked[0][0].text
