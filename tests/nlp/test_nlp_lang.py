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
