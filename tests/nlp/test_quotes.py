"""Tests of nlp.quotes: direct and reported quotations and their speakers."""

from __future__ import annotations

from pathlib import Path

import pytest

from nlp.quotes import Quote, find_quotes

SEEDS = Path(__file__).resolve().parents[2].parent / "shared" / "seeds"


def pairs(text: str, lang: str = "fr") -> list[tuple[str, str | None, str]]:
    return [(q.text, q.speaker, q.kind) for q in find_quotes(text, lang)]


# --------------------------------------------------------------------------------------
# Quotation marks
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "La fondatrice a déclaré : « Nous ouvrirons tout le code source. »",
        "La fondatrice a déclaré : «\u00a0Nous ouvrirons tout le code source.\u00a0»",
        "La fondatrice a déclaré : “Nous ouvrirons tout le code source.”",
        'La fondatrice a déclaré : "Nous ouvrirons tout le code source."',
        "La fondatrice a déclaré : ‹ Nous ouvrirons tout le code source. ›",
    ],
)
def test_every_kind_of_mark(text: str) -> None:
    assert pairs(text) == [("Nous ouvrirons tout le code source.", "La fondatrice", "direct")]


def test_offsets_point_at_the_quoted_words() -> None:
    text = "Le patron l\u2019a redit : « Le code sera public dès demain matin. » Puis il est parti."
    [quote] = find_quotes(text)
    assert text[quote.start : quote.end] == quote.text == "Le code sera public dès demain matin."


def test_scare_quotes_are_skipped() -> None:
    text = "La start-up promet une IA « vraiment ouverte » et un modèle « libre »."
    assert find_quotes(text) == []


def test_short_quote_kept_beside_a_speech_verb() -> None:
    assert pairs("« Mensonge », a répondu la société dans un communiqué.") == [
        ("Mensonge", "la société", "direct")
    ]
    assert pairs("Le juriste a répondu : « Jamais ».") == [("Jamais", "Le juriste", "direct")]


def test_sentence_punctuation_inside_a_quote_does_not_split_the_sentence() -> None:
    text = "« Nous avons fini. Le modèle est en ligne ! », a écrit Jeanne Martin sur son blog."
    assert pairs(text) == [("Nous avons fini. Le modèle est en ligne !", "Jeanne Martin", "direct")]


# --------------------------------------------------------------------------------------
# Speakers
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "speaker"),
    [
        # speaker and verb before the quote
        ("Paul Durand a indiqué que « le calendrier sera tenu sans faute ».", "Paul Durand"),
        ("Le régulateur estime que « ces modèles doivent rester surveillés ».", "Le régulateur"),
        ("Ursula von der Leyen a écrit : « Les règles valent pour tous. »", "Ursula von der Leyen"),
        (
            "Dès 2019, le grand patron avait affirmé que sa firme « ne cacherait rien au public ».",
            "le grand patron",
        ),
        (
            "Les avocats de Jean Moreau font valoir que le contrat « a été rompu sans préavis ».",
            "Les avocats de Jean Moreau",
        ),
        (
            "La fondation a réagi en déclarant que la démarche « reste très décevante ».",
            "La fondation",
        ),
        # verb then speaker after the quote
        (
            "« Nous publierons tout dimanche », a déclaré Jean-Pierre de la Tour hier.",
            "Jean-Pierre de la Tour",
        ),
        ("« Le modèle restera ouvert à tous », affirme l\u2019entrepreneur.", "l'entrepreneur"),
        (
            "« Les chiffres parlent d'eux-mêmes », argumente la société dans son mémoire.",
            "la société",
        ),
        ("« Les chiffres parlent d'eux-mêmes », ajoute OpenAI.", "OpenAI"),
        ("« Ce partenariat change tout », selon le milliardaire.", "le milliardaire"),
        # "selon" / "d'après" elsewhere in the sentence
        (
            "Selon Marie Curie, le laboratoire voulait « tout publier sans attendre ».",
            "Marie Curie",
        ),
        ("D'après la plainte, la société aurait « trahi sa mission première ».", "la plainte"),
    ],
)
def test_french_speakers(text: str, speaker: str) -> None:
    direct = [q for q in find_quotes(text, "fr") if q.kind == "direct"]
    assert [q.speaker for q in direct] == [speaker]


@pytest.mark.parametrize(
    ("text", "speaker"),
    [
        ("\u201cWe will release the weights this week,\u201d Musk said on Monday.", "Musk"),
        ("\u201cThe model is a raw checkpoint,\u201d said the company in a post.", "the company"),
        ('Jane Doe told reporters: "It is far too early to say anything."', "Jane Doe"),
        ('"Nobody asked us for the data," according to Acme Labs.', "Acme Labs"),
        ("\u201cIt was never the plan,\u201d the founder wrote.", "the founder"),
    ],
)
def test_english_speakers(text: str, speaker: str) -> None:
    direct = [q for q in find_quotes(text, "en") if q.kind == "direct"]
    assert [q.speaker for q in direct] == [speaker]


def test_pronoun_leaves_the_speaker_unknown() -> None:
    assert pairs("« Nous ne vendrons jamais nos données », a-t-il assuré.") == [
        ("Nous ne vendrons jamais nos données", None, "direct")
    ]
    assert pairs("\u201cWe are not done yet,\u201d she said.", "en") == [
        ("We are not done yet", None, "direct")
    ]


def test_quote_without_any_speaker() -> None:
    assert pairs("Le slogan « le savoir pour tous les humains » revient souvent.") == [
        ("le savoir pour tous les humains", None, "direct")
    ]


def test_speaker_from_another_sentence_is_not_taken() -> None:
    text = "Paul Durand a parlé longtemps. Le texte dit « tout sera ouvert demain matin »."
    assert [q.speaker for q in find_quotes(text)] == [None]


# --------------------------------------------------------------------------------------
# Reported speech
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "lang", "expected"),
    [
        (
            "Selon la plaignante, le contrat prévoyait une publication des travaux.",
            "fr",
            ("le contrat prévoyait une publication des travaux", "la plaignante"),
        ),
        (
            "D'après Marie Curie, la science avance lentement mais sûrement.",
            "fr",
            ("la science avance lentement mais sûrement", "Marie Curie"),
        ),
        (
            "Le laboratoire voulait rester discret sur ses ambitions, selon Le Monde.",
            "fr",
            ("Le laboratoire voulait rester discret sur ses ambitions", "Le Monde"),
        ),
        (
            "Pour Acme, la fusion aurait affaibli toute la filière.",
            "fr",
            ("la fusion aurait affaibli toute la filière", "Acme"),
        ),
        (
            "Jean Moreau argumente que la fondation a trahi sa mission.",
            "fr",
            ("la fondation a trahi sa mission", "Jean Moreau"),
        ),
        (
            "La société de Paul Durand affirme qu'il voulait tout contrôler seul.",
            "fr",
            ("il voulait tout contrôler seul", "La société de Paul Durand"),
        ),
        (
            "Jane Doe argued that the lab had abandoned its founding mission.",
            "en",
            ("the lab had abandoned its founding mission", "Jane Doe"),
        ),
        (
            "According to the lawsuit, the lab promised to share its research.",
            "en",
            ("the lab promised to share its research", "the lawsuit"),
        ),
        (
            "The board was never consulted, according to Jane Doe.",
            "en",
            ("The board was never consulted", "Jane Doe"),
        ),
    ],
)
def test_reported_speech(text: str, lang: str, expected: tuple[str, str]) -> None:
    [quote] = find_quotes(text, lang)
    assert (quote.text, quote.speaker, quote.kind) == (*expected, "reported")
    assert text[quote.start : quote.end].replace("\u2019", "'") == quote.text


@pytest.mark.parametrize(
    "text",
    [
        "Il estime que la fondation a trahi sa mission.",  # pronoun speaker
        "Pour Jean Dupont, en visite à Lyon, la journée reste calme.",  # apposition
        "Pour rappel, le modèle reste fermé au public.",  # not a speaker
        "He argued that the lab had abandoned its mission.",
        "Selon Acme, rien.",  # too short
    ],
)
def test_not_reported_speech(text: str) -> None:
    assert find_quotes(text, "fr" if " the " not in text else "en") == []


def test_reported_clause_holding_a_direct_quote_is_not_doubled() -> None:
    text = "Paul Durand a déclaré que le projet « restera ouvert à tout le monde »."
    assert [(q.kind, q.speaker) for q in find_quotes(text)] == [("direct", "Paul Durand")]


def test_quotes_come_out_in_text_order() -> None:
    text = (
        "Selon Acme, la fusion aurait affaibli la filière. "
        "« Nous ne céderons rien du tout », a déclaré Paul Durand."
    )
    found = find_quotes(text)
    assert [q.kind for q in found] == ["reported", "direct"]
    assert found == sorted(found, key=lambda q: q.start)
    assert all(isinstance(q, Quote) for q in found)


# --------------------------------------------------------------------------------------
# The real seed articles (read from ../shared/seeds; skipped when absent)
# --------------------------------------------------------------------------------------


def seed_quotes(prefix: str) -> list[Quote]:
    paths = sorted(SEEDS.glob(f"{prefix}_*.txt"))
    if not paths:
        pytest.skip(f"seed {prefix} not found in {SEEDS}")
    return find_quotes(paths[0].read_text(encoding="utf-8"), "fr")


def test_seed_000_quotes_from_openai_and_musk_lawyers() -> None:
    found = seed_quotes("000")
    by_start = {q.text.split()[0]: q for q in found}
    assert by_start["Musk"].speaker == "OpenAI"  # «Musk proclame …», ajoute OpenAI
    assert by_start["Musk"].kind == "direct"
    assert by_start["Voyant"].speaker == "l'entreprise"  # …», argumente l'entreprise
    assert by_start["(rompu)"].speaker == "Les avocats d'Elon Musk"
    reported = [q for q in found if q.kind == "reported"]
    assert [q.speaker for q in reported] == ["OpenAI"]  # "Pour OpenAI, les poursuites …"
    assert all(q.text != "open source" for q in found)  # a two-word scare quote


def test_seed_002_openai_reaction_and_musk_announcement() -> None:
    found = seed_quotes("002")
    decevant = [q for q in found if q.text == "est profondément décevant"]
    assert [(q.speaker, q.kind) for q in decevant] == [("OpenAI", "direct")]
    assert any(q.speaker == "Elon Musk" and q.kind == "reported" for q in found)
    assert any(
        q.speaker == "La société d'Altman" and q.text.startswith("Musk voulait") for q in found
    )
    assert all(q.text not in ("mensonge", "Open") for q in found)


def test_seed_003_quote_of_the_boss_and_no_scare_quotes() -> None:
    found = seed_quotes("003")
    direct = [q for q in found if q.kind == "direct"]
    assert [q.speaker for q in direct] == ["le grand patron"]
    assert direct[0].text.startswith("ne lancerait pas")
    assert any(q.speaker == "Elon Musk" for q in found)
    assert any(q.speaker == "OpenAI" and q.kind == "reported" for q in found)
