"""Tests of nlp.retrieval: passages, our ranker's features one by one, refusal."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from bot.ingest.readers import read_paths
from handlers.model import RawArticle
from nlp.catalog import Catalog
from nlp.pipeline import Analyzer
from nlp.retrieval import (
    Passage,
    Ranker,
    question_language,
    split_passages,
    units,
)
from nlp.text import stem

PUBLISHED = date(2024, 3, 20)


def article(
    analyzer: Analyzer, ident: str, title: str, body: str, lang: str = "fr"
) -> list[Passage]:
    return split_passages(ident, title, body, lang=lang, published=PUBLISHED, analyzer=analyzer)


@pytest.fixture(scope="module")
def ranker(catalog: Catalog) -> Ranker:
    return Ranker(catalog)


@pytest.fixture(scope="module")
def story(analyzer: Analyzer) -> list[Passage]:
    """A small mixed corpus written for these tests, French and English."""
    return [
        *article(
            analyzer,
            "a1",
            "Le laboratoire d'Elon Musk publie son modèle",
            "Elon Musk a fondé xAI en juillet 2023 après avoir quitté OpenAI. "
            "Le modèle Grok-1 compte 314 milliards de paramètres. "
            "Les poids sont distribués sous licence Apache 2.0.",
        ),
        *article(
            analyzer,
            "a2",
            "A chip maker with a familiar name",
            "Groq designs chips that run language models quickly. "
            "Groq was founded in 2016 by Jonathan Ross, a former Google engineer. "
            "The company says its chips answer queries faster than graphics processors.",
            "en",
        ),
        *article(
            analyzer,
            "a3",
            "Les abeilles et le printemps",
            "Les abeilles sortent de la ruche quand les journées se réchauffent. "
            "Une colonie compte souvent plusieurs dizaines de milliers d'ouvrières.",
        ),
    ]


# --------------------------------------------------------------------------------------
# Passages
# --------------------------------------------------------------------------------------


def test_split_passages_keeps_sentence_order_and_entity_ids(analyzer: Analyzer) -> None:
    passages = article(
        analyzer,
        "x1",
        "Musk attaque OpenAI",
        "Elon Musk a porté plainte contre OpenAI le 29 février 2024.  La société  de Sam "
        "Altman conteste. Les abeilles, elles, ne disent rien.",
    )
    assert [p.index for p in passages] == [0, 1, 2, 3]
    assert passages[0].sentence == "Musk attaque OpenAI"
    assert passages[1].entities == ("elon-musk", "openai")
    assert passages[1].dates == ((2024, 2),)
    assert passages[2].sentence == "La société de Sam Altman conteste."  # whitespace normalised
    assert passages[2].entities == ("sam-altman",)
    assert passages[3].entities == ()
    assert all(p.article_id == "x1" and p.lang == "fr" for p in passages)
    assert all(p.published == PUBLISHED for p in passages)


def test_split_passages_without_analyzer_uses_rules() -> None:
    passages = split_passages(
        "x2",
        "A title",
        "First sentence here. Second one, in March 2024!\n\nA new paragraph",
        lang="en",
        published=None,
    )
    assert [p.sentence for p in passages] == [
        "A title",
        "First sentence here.",
        "Second one, in March 2024!",
        "A new paragraph",
    ]
    assert passages[2].dates == ((2024, 3),)
    assert all(p.entities == () for p in passages)


def test_a_date_heading_joins_the_sentence_it_introduces(analyzer: Analyzer) -> None:
    passages = article(
        analyzer,
        "x3",
        "Chronologie",
        "**Février 2018.** Elon Musk quitte le conseil d'OpenAI.\n\n**Mars 2023.** xAI est créée.",
    )
    assert [p.sentence for p in passages[1:]] == [
        "Février 2018. Elon Musk quitte le conseil d'OpenAI.",
        "Mars 2023. xAI est créée.",
    ]
    assert passages[1].dates == ((2018, 2),)
    assert passages[1].entities == ("elon-musk", "openai")


# --------------------------------------------------------------------------------------
# Words and questions
# --------------------------------------------------------------------------------------


def test_stemmer_and_concepts_join_word_forms_and_languages() -> None:
    assert stem("fondateurs") == stem("fondee") == stem("fonder")  # folded words
    assert units("fondée")[0] == units("founded")[0] == units("cofondateur")[0]
    assert units("plainte") == units("lawsuit") == units("procès")
    assert units("paramètres") == units("parameters")
    assert units("juillet") == units("July")
    assert units("court", "en") == units("tribunal")
    assert units("court", "fr") != units("tribunal")  # "pris de court" is not a court


def test_question_language() -> None:
    assert question_language("Quand OpenAI a-t-elle été fondée ?") == "fr"
    assert question_language("Qui dirige Groq ?") == "fr"
    assert question_language("When was OpenAI founded?") == "en"
    assert question_language("How many parameters does Grok-1 have?") == "en"


def test_query_resolves_entities_with_short_forms(ranker: Ranker) -> None:
    query = ranker.query("Quand Musk a-t-il quitté OpenAI ?")
    assert query.kind == "when"
    assert query.entities == ("elon-musk", "openai")
    assert query.terms == tuple(units("quitté"))
    assert ranker.query("Who leads Groq?").kind == "who"
    assert ranker.query("Combien de paramètres compte Grok-1 ?").kind == "count"
    # one capital letter is no entity: "rayons X" is not the social network
    assert ranker.query("Qui a découvert les rayons X ?").entities == ()
    # a lower-case plain word is no entity either: the wind, not the company
    assert ranker.query("Pourquoi le mistral souffle-t-il ?").entities == ()


# --------------------------------------------------------------------------------------
# Ranking features
# --------------------------------------------------------------------------------------


def test_entity_boost(ranker: Ranker, analyzer: Analyzer) -> None:
    passages = [
        *article(
            analyzer,
            "e1",
            "Une lettre",
            "Le laboratoire a publié une lettre ouverte sur la sécurité des modèles.",
        ),
        *article(
            analyzer,
            "e2",
            "Sam Altman écrit",
            "Dans un long billet, Sam Altman évoque la sécurité des modèles.",
        ),
    ]
    ranked = ranker.rank("Qu'a dit Altman sur la sécurité des modèles ?", passages)
    assert "Altman" in ranked[0][0].sentence
    # the same question without the name: the better term match wins
    ranked = ranker.rank("Quelle lettre a été publiée sur la sécurité des modèles ?", passages)
    assert "lettre" in ranked[0][0].sentence


def test_date_boost_for_when_questions(ranker: Ranker, analyzer: Analyzer) -> None:
    passages = article(
        analyzer,
        "d1",
        "Grok",
        "xAI a présenté Grok, son assistant conversationnel, avec beaucoup d'humour. "
        "Les abonnés ont découvert Grok plus tard. "
        "xAI a présenté Grok le 4 novembre 2023.",
    )
    ranked = ranker.rank("Quand xAI a-t-elle présenté Grok ?", passages)
    assert "4 novembre 2023" in ranked[0][0].sentence
    # not a "when" question: the first, longer sentence is as good
    ranked = ranker.rank("Comment xAI a-t-elle présenté Grok ?", passages)
    assert "4 novembre" not in ranked[0][0].sentence


def test_who_and_how_many_questions(ranker: Ranker, story: list[Passage]) -> None:
    assert "Jonathan Ross" in ranker.rank("Who founded Groq?", story)[0][0].sentence
    assert "314" in ranker.rank("Combien de paramètres compte Grok-1 ?", story)[0][0].sentence


def test_cross_language_questions(ranker: Ranker, story: list[Passage]) -> None:
    # a French question answered by an English sentence, and the other way round
    first = ranker.rank("En quelle année Groq a-t-elle été fondée ?", story)[0][0]
    assert "2016" in first.sentence and first.lang == "en"
    first = ranker.rank("How many parameters does Grok-1 have?", story)[0][0]
    assert "314" in first.sentence and first.lang == "fr"
    first = ranker.rank("Which licence are the weights distributed under?", story)[0][0]
    assert "Apache" in first.sentence
    # only the FR/EN concept map links "entreprise" to "company" and "puces" to "chips"
    ranked = ranker.rank("Cette entreprise fabrique-t-elle des puces ?", story)
    assert ranked and "chips" in ranked[0][0].sentence and ranked[0][0].lang == "en"


def test_boilerplate_and_short_sentences_are_penalised(ranker: Ranker) -> None:
    passages = [
        Passage("b1", "Passer au contenu Grok open source", 1, "fr"),
        Passage("b1", "Grok open source", 2, "fr"),
        Passage("b2", "Elon Musk veut rendre Grok open source dès cette semaine.", 3, "fr"),
    ]
    ranked = ranker.rank("Grok sera-t-il open source ?", passages)
    assert ranked[0][0].article_id == "b2"


def test_earlier_sentences_win_ties(ranker: Ranker) -> None:
    passages = [
        Passage("p", "Le modèle est distribué par torrent depuis dimanche.", 9, "fr"),
        Passage("p", "Le modèle est distribué par torrent depuis samedi.", 2, "fr"),
    ]
    assert ranker.rank("Comment le modèle est-il distribué ?", passages)[0][0].index == 2


def test_unrelated_questions_are_refused(ranker: Ranker, story: list[Passage]) -> None:
    for question in (
        "Quel temps fera-t-il à Lyon demain ?",
        "Who won the 2022 World Cup?",
        "Quelle est la recette de la tarte tatin ?",
        # these share a word or two with the articles, and still are not about them
        "Who won the World Cup in 2016?",
        "Quel est le prix du nouveau modèle de voiture électrique ?",
        "Which company makes the fastest graphics cards for games?",
    ):
        ranked = ranker.rank(question, story)
        assert not ranker.answerable(ranked), (question, ranked[:1])
    assert ranker.answerable(ranker.rank("Who founded Groq?", story))
    assert not ranker.answerable([])
    assert ranker.rank("Who founded Groq?", []) == []


def test_the_index_is_reused_for_the_same_passages(ranker: Ranker, story: list[Passage]) -> None:
    ranker.rank("Groq", story)
    index = ranker._index(story)
    ranker.rank("xAI", story)
    assert ranker._index(story) is index
    assert ranker._index(list(story)) is not index


# --------------------------------------------------------------------------------------
# The real seed articles (read from ../shared/seeds; skipped when absent)
# --------------------------------------------------------------------------------------


def test_seed_questions(ranker: Ranker, analyzer: Analyzer, seeds: list[Path]) -> None:
    passages: list[Passage] = []
    for item in read_paths(seeds):
        assert isinstance(item, RawArticle)
        passages.extend(
            split_passages(
                item.article_id(),
                item.title,
                item.text,
                lang="fr",
                published=None,
                analyzer=analyzer,
            )
        )
    assert passages
    cases = {
        "Quand Elon Musk a-t-il quitté OpenAI ?": "2018",
        "When was OpenAI founded?": "2015",
        "Combien vaut OpenAI ?": "80 milliards",
    }
    for question, fact in cases.items():
        ranked = ranker.rank(question, passages)
        assert ranker.answerable(ranked), question
        assert fact in ranked[0][0].sentence, (question, ranked[0][0].sentence)
    assert not ranker.answerable(ranker.rank("Who won the 2022 World Cup?", passages))
