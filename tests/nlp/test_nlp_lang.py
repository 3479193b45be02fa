"""Language detection: short titles, long texts, mixed French text with English captions."""

from __future__ import annotations

from pathlib import Path

import pytest

from nlp.lang import detect_language

SEEDS = Path(__file__).resolve().parents[2].parent / "shared" / "seeds"


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("Elon Musk va ouvrir le code de Grok", "fr"),
        ("xAI publie Grok-1 cette semaine", "fr"),
        ("L’IA de Musk passe en open source", "fr"),
        ("OpenAI répond aux accusations de Musk", "fr"),
        ("Musk to open-source Grok this week", "en"),
        ("Musk's xAI releases Grok-1 weights", "en"),
        ("Musk sues OpenAI over its mission", "en"),
        ("Why the lawsuit matters for the industry", "en"),
    ],
)
def test_short_titles(text: str, lang: str) -> None:
    assert detect_language(text) == lang


@pytest.mark.parametrize("text", ["", "Grok", "Groq vs Grok", "GPT-4o", "12 345 !"])
def test_no_evidence_is_undetermined(text: str) -> None:
    assert detect_language(text) == "und"


def test_french_article_with_an_english_caption() -> None:
    caption = (
        "(FILES) The billionaire looks on as he speaks during a technology fair in Paris, "
        "on June 16, 2023. He said that his company would support the effort. "
        "(Photo by a photographer / an agency)"
    )
    body = (
        "Le milliardaire a annoncé lundi que sa start-up allait publier le code de son modèle. "
        "La décision a été interprétée comme un nouveau coup porté à son ancien associé, "
        "qu'il a quitté en 2018. Les avocats de l'entrepreneur font valoir que la société "
        "a rompu le contrat initial."
    )
    assert detect_language("Le patron publie son modèle\n\n" + caption + "\n\n" + body) == "fr"


def test_seed_articles_are_french() -> None:
    if not SEEDS.is_dir():
        pytest.skip("../shared/seeds is not here")
    for path in sorted(SEEDS.glob("*.txt")):
        assert detect_language(path.read_text(encoding="utf-8")) == "fr", path.name


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        # short sentences, of our own writing
        ("La ministre a présenté son plan hier soir", "fr"),
        ("Les salariés de l'usine sont en grève depuis lundi", "fr"),
        ("The regulator opened an inquiry into the merger", "en"),
        ("Shares of the chipmaker fell sharply on Tuesday", "en"),
        ("El banco central subió los tipos de interés otra vez", "other"),
        ("Los trabajadores de la fábrica convocaron una huelga", "other"),
        ("Il sindaco ha inaugurato la nuova biblioteca della città", "other"),
        ("La squadra ha perso la partita di ieri sera", "other"),
        ("De gemeente wil meer woningen bouwen in het centrum", "other"),
        ("Het kabinet presenteert volgende week de begroting", "other"),
        ("Die Bahn erhöht im nächsten Jahr die Preise für Fahrkarten", "other"),
        ("Der Konzern hat seinen Gewinn deutlich gesteigert", "other"),
        # long ones
        (
            "Le gouvernement a confirmé mardi que la réforme serait examinée au Parlement "
            "avant l'été, malgré l'opposition des syndicats qui dénoncent un texte mal préparé.",
            "fr",
        ),
        (
            "The company said on Wednesday that it would cut about a tenth of its workforce, "
            "blaming weaker demand and the rising cost of borrowing for the decision.",
            "en",
        ),
        (
            "La empresa anunció el miércoles que recortará una décima parte de su plantilla "
            "por la caída de la demanda y el aumento del coste de la financiación.",
            "other",
        ),
        (
            "Das Unternehmen kündigte am Mittwoch an, etwa ein Zehntel seiner Belegschaft "
            "abzubauen, und nannte die schwächere Nachfrage als Grund.",
            "other",
        ),
    ],
)
def test_other_languages_are_not_french(text: str, lang: str) -> None:
    assert detect_language(text) == lang


@pytest.mark.parametrize(
    ("text", "lang"),
    [("Musk répond", "fr"), ("Les patrons", "fr"), ("The boss said", "en"), ("Tesla", "und")],
)
def test_very_short_texts_use_the_word_lists(text: str, lang: str) -> None:
    assert detect_language(text) == lang


def test_identifier_is_loaded_once() -> None:
    from nlp import lang

    first = lang._identifier()
    detect_language("Une phrase assez longue pour passer par le modèle statistique")
    assert lang._identifier() is first
    assert lang.identify("Der Hund schläft im Garten unter dem Baum")[0] == "de"
