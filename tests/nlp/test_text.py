"""Tests of nlp.text, the one home of the text rules: the sentence splitter, the stemmer, the
folder, and the index words and terms of nlp.terms built on them (French and English)."""

from __future__ import annotations

import pytest

from nlp.neardup import normalize_words
from nlp.terms import STOPWORDS, terms, words
from nlp.text import (
    alias_key,
    fold,
    normalize_text,
    quotation_spans,
    sentence_spans,
    sentence_starts,
    slugify,
    split_sentences,
    stem,
    strip_accents,
    window_words,
)

# --------------------------------------------------------------------------------------
# Sentences
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # elisions with both apostrophes never end or start anything
        (
            "M. Musk a dit qu’il ouvrirait le code. L’IA de xAI suit.",
            ["M. Musk a dit qu’il ouvrirait le code.", "L’IA de xAI suit."],
        ),
        (
            "Il l'a dit à l'AFP. L'entreprise dément.",
            ["Il l'a dit à l'AFP.", "L'entreprise dément."],
        ),
        # titles and abbreviations
        (
            "MM. Musk et Altman se parlent. Mme Martin aussi.",
            ["MM. Musk et Altman se parlent.", "Mme Martin aussi."],
        ),
        (
            "Dr. Ross spoke first. Mr. Altman did not.",
            ["Dr. Ross spoke first.", "Mr. Altman did not."],
        ),
        (
            "OpenAI Inc. a répondu. Microsoft aussi.",
            ["OpenAI Inc. a répondu.", "Microsoft aussi."],
        ),
        (
            "The U.S. market grew fast. Europe did not.",
            ["The U.S. market grew fast.", "Europe did not."],
        ),
        # decimals and numbers
        (
            "Le taux est de 3,5 % cette année. Il était de 1.5 billion en 2023.",
            ["Le taux est de 3,5 % cette année.", "Il était de 1.5 billion en 2023."],
        ),
        (
            "Musk a fondé xAI en 2023. 2024 sera l'année de Grok.",
            ["Musk a fondé xAI en 2023.", "2024 sera l'année de Grok."],
        ),
        (
            "xAI a publié Grok-1. Le modèle est ouvert.",
            ["xAI a publié Grok-1.", "Le modèle est ouvert."],
        ),
        # quotations ending a sentence, in both typographies
        (
            "Il a déclaré : « Le code sera public. » Puis il est parti.",
            ["Il a déclaré : « Le code sera public. »", "Puis il est parti."],
        ),
        (
            'He said "we are done." Then he left.',
            ['He said "we are done."', "Then he left."],
        ),
        (
            "She wrote: “It is over.” The board agreed.",
            ["She wrote: “It is over.”", "The board agreed."],
        ),
        # a sentence never ends inside a quotation
        (
            "« Nous avons fini. Le code est public », a écrit Jeanne Martin. Rien d'autre.",
            ["« Nous avons fini. Le code est public », a écrit Jeanne Martin.", "Rien d'autre."],
        ),
        # a question mark inside quotation marks
        (
            "Il a demandé « pourquoi maintenant ? » avant de partir. Personne n'a répondu.",
            [
                "Il a demandé « pourquoi maintenant ? » avant de partir.",
                "Personne n'a répondu.",
            ],
        ),
        (
            "« Pourquoi maintenant ? » Personne n'a répondu.",
            ["« Pourquoi maintenant ? »", "Personne n'a répondu."],
        ),
        # ellipsis, and the elision mark of a cut quotation
        (
            "Il hésite… Puis il part. Elle attend... Rien.",
            ["Il hésite…", "Puis il part.", "Elle attend...", "Rien."],
        ),
        ("Il a cité le texte […] Puis il a conclu.", None),
        # initials
        (
            "Le roman de J. R. R. Tolkien est sorti. Il plaît.",
            ["Le roman de J. R. R. Tolkien est sorti.", "Il plaît."],
        ),
        ("Elon R. Musk parle. OpenAI répond.", ["Elon R. Musk parle.", "OpenAI répond."]),
        # ... but a capital letter ending a sentence is not an initial
        ("On le lit sur X. Elle le dit.", ["On le lit sur X.", "Elle le dit."]),
        # numbered lists
        (
            "Trois points :\n1. La licence.\n2. Les poids.\n10. Le code.",
            ["Trois points :", "1. La licence.", "2. Les poids.", "10. Le code."],
        ),
        # exclamation and question marks, French spacing
        ("Voilà ! Et maintenant ? Rien.", ["Voilà !", "Et maintenant ?", "Rien."]),
        # a lower-case word after a period does not start a sentence
        ("Il a vu etc. et puis rien.", None),
        # lines are sentences; blank lines and surrounding spaces go
        ("  Titre\n\n  Premier paragraphe  \n", ["Titre", "Premier paragraphe"]),
        ("", []),
    ],
)
def test_split_sentences(text: str, expected: list[str] | None) -> None:
    assert split_sentences(text) == (expected if expected is not None else [text])


def test_spans_are_offsets_into_the_text_and_starts_agree() -> None:
    text = "  Le titre\n\nElon Musk a parlé. « C'est fini. » OpenAI répond.  "
    spans = sentence_spans(text)
    assert [text[a:b] for a, b in spans] == [
        "Le titre",
        "Elon Musk a parlé.",
        "« C'est fini. »",
        "OpenAI répond.",
    ]
    assert sentence_starts(text) == [a for a, _ in spans]


def test_the_splitter_reads_raw_and_normalised_text_alike() -> None:
    raw = "Il a dit\u00a0: «\u00a0C’est fini.\u00a0» Puis il est parti\u202f!"
    assert split_sentences(normalize_text(raw)) == [normalize_text(s) for s in split_sentences(raw)]
    assert len(split_sentences(raw)) == 2


def test_quotation_spans() -> None:
    text = 'Il dit « oui » et “no”, puis "peut-être" et ‹ non ›; l\'«orphelin'
    found = [text[a:b] for a, b in quotation_spans(text)]
    assert found == ["« oui »", "“no”", '"peut-être"', "‹ non ›"]
    assert quotation_spans("« un\ndeux »") == []  # never across a line
    nested = "« Il a dit “jamais” hier »"
    assert quotation_spans(nested) == [(0, len(nested))]  # none inside another


# --------------------------------------------------------------------------------------
# Stemming
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "forms",
    [
        # French verb forms, participles and nouns of the story
        ["fonder", "fondee", "fondees", "fonde", "fondateur", "fondateurs", "fondatrice"],
        ["quitter", "quitte", "quittait", "quittent"],
        ["publier", "publie", "publiee", "publies"],
        ["annoncer", "annonce", "annoncee", "annonces"],
        ["licence", "licences"],
        ["modele", "modeles"],
        ["entreprise", "entreprises"],
        ["nouveau", "nouveaux"],
        # English plurals and verb forms
        ["found", "founded", "founder", "founders", "founding"],
        ["release", "released", "releases"],
        ["model", "models"],
        ["investor", "investors"],
        ["weight", "weights"],
        ["lawsuit", "lawsuits"],
    ],
)
def test_stem_joins_word_forms(forms: list[str]) -> None:
    assert len({stem(f) for f in forms}) == 1, {f: stem(f) for f in forms}


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("fondateurs", "fond"),
        ("founded", "found"),
        ("process", "proces"),  # -ss is no plural: only the final "s" suffix goes
        ("processes", "process"),
        ("nouveaux", "nouveau"),  # plural -x
        ("gpus", "gpu"),
        ("1980s", "1980"),  # a plural of digits, then kept whole
        ("grok-1", "grok-1"),
        ("ia", "ia"),  # short words are kept
        ("ces", "ces"),
        ("fondamentalement", "fondamen"),  # one suffix cut, then eight letters kept
    ],
)
def test_stem_rules(word: str, expected: str) -> None:
    assert stem(word) == expected


def test_stem_keeps_different_words_apart() -> None:
    assert stem("fonder") != stem("fondre")
    assert stem("court") != stem("courant")
    assert stem("release") != stem("relax")


# --------------------------------------------------------------------------------------
# Folding
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Élysée", "elysee"),
        ("ÇA VA, DÉJÀ", "ca va, deja"),
        ("cœur, ŒUVRE, Lætitia", "coeur, oeuvre, laetitia"),
        ("L’IA d‘Elon", "l'ia d'elon"),
        ("“Grok” „open“", '"grok" "open"'),
        ("Straße", "strasse"),
        ("İstanbul", "istanbul"),
        ("ﬁn", "fin"),
        ("x\u00a0ai\u202fok", "x ai ok"),
        ("plain ascii", "plain ascii"),
    ],
)
def test_fold(text: str, expected: str) -> None:
    assert fold(text) == expected


def test_fold_is_idempotent_and_matches_across_spellings() -> None:
    for text in ["L’Œuvre d’Élysée", "STRASSE", "naïve café", "İ"]:
        assert fold(fold(text)) == fold(text)
    assert fold("Cœur") == fold("coeur") == fold("COEUR")
    assert fold("Straße") == fold("STRASSE")


def test_the_helpers_built_on_fold_agree_with_it() -> None:
    assert strip_accents("Élysée Œuvre") == "Elysee Œuvre"  # case and letters kept
    assert window_words("De l’IA-gen, « km/h » au cœur") == [
        "de",
        "l",
        "ia",
        "gen",
        "km",
        "h",
        "au",
        "coeur",
    ]
    assert alias_key("d’Open-AI") == alias_key("OpenAI's") == alias_key("open ai") == "openai"
    assert slugify("Lætitia Straße") == "laetitia-strasse"
    assert slugify("Jonathan Ross") == "jonathan-ross"
    assert normalize_words("L’IA « open source » d’Élon, cœur") == [
        "l",
        "ia",
        "open",
        "source",
        "d",
        "elon",
        "coeur",
    ]


# --------------------------------------------------------------------------------------
# Index words and terms
# --------------------------------------------------------------------------------------


def test_words_drop_elisions_possessives_and_stop_words() -> None:
    assert words("L’IA d’OpenAI, l'open-source et Musk's Grok") == [
        "ia",
        "openai",
        "open",
        "source",
        "musk",
        "grok",
    ]
    # the stop words are folded too: accented ones go
    assert words("Même après été, très bien") == ["bien"]
    assert all(fold(w) == w for w in STOPWORDS)


def test_terms_are_the_stems_of_the_words() -> None:
    text = "Les fondateurs ont quitté OpenAI ; the founders left"
    assert terms(text) == [stem(w) for w in words(text)]
    assert terms("licences") == terms("Licence") == terms("LICENCES")
    assert terms("fondée") == terms("fondateur")
