"""Tests of nlp.dates: absolute, relative and false-friend dates in French and English."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from nlp.dates import DateMention, find_dates

SEEDS = Path(__file__).resolve().parents[2].parent / "shared" / "seeds"

# A Tuesday: "lundi" is the day before, "cette semaine" began the day before.
TUESDAY = date(2024, 3, 12)


def only(sentence: str, published: date | None = TUESDAY, lang: str = "fr") -> DateMention:
    """The single date of ``sentence``; fails if there is not exactly one."""
    found = find_dates(sentence, published, lang)
    assert len(found) == 1, found
    return found[0]


def summary(m: DateMention) -> tuple[str, str, str, bool]:
    return (m.text, m.iso(), m.precision, m.relative)


# --------------------------------------------------------------------------------------
# Absolute dates
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sentence", "lang", "expected"),
    [
        (
            "Le robot a été présenté le 4 novembre 2023 à ses abonnés.",
            "fr",
            ("le 4 novembre 2023", "2023-11-04", "day", False),
        ),
        (
            "Tout a été signé le 1er février 2021 au matin.",
            "fr",
            ("le 1er février 2021", "2021-02-01", "day", False),
        ),
        (
            "La société a vu le jour le 9 août 2019.",
            "fr",
            ("le 9 août 2019", "2019-08-09", "day", False),
        ),
        (
            "Vendredi 8 mars 2024, la plainte a été rendue publique.",
            "fr",
            ("Vendredi 8 mars 2024", "2024-03-08", "day", False),
        ),
        ("Le laboratoire ouvre ses portes en 2016.", "fr", ("en 2016", "2016", "year", False)),
        (
            "Dès 2012, le chercheur travaillait sur le sujet.",
            "fr",
            ("Dès 2012", "2012", "year", False),
        ),
        (
            "Le projet remonte à septembre 2022.",
            "fr",
            ("septembre 2022", "2022-09", "month", False),
        ),
        ("Le contrat a été rompu en juin 2017.", "fr", ("en juin 2017", "2017-06", "month", False)),
        (
            "La version finale est attendue fin 2025.",
            "fr",
            ("fin 2025", "2025-10", "season", False),
        ),
        ("Le projet a ralenti mi-2022.", "fr", ("mi-2022", "2022-06", "season", False)),
        (
            "Le chantier démarre au printemps 2025.",
            "fr",
            ("au printemps 2025", "2025-03", "season", False),
        ),
        (
            "Le dépôt est daté du 2024-03-17 dans le journal.",
            "fr",
            ("2024-03-17", "2024-03-17", "day", False),
        ),
        (
            "La note porte la date du 17/03/2024 en en-tête.",
            "fr",
            ("17/03/2024", "2024-03-17", "day", False),
        ),
        (
            "The lab opened its doors on March 17, 2024 in Paris.",
            "en",
            ("on March 17, 2024", "2024-03-17", "day", False),
        ),
        (
            "The files went online on 17 March 2024.",
            "en",
            ("on 17 March 2024", "2024-03-17", "day", False),
        ),
        (
            "On Sunday, 17 March 2024, the weights appeared.",
            "en",
            ("On Sunday, 17 March 2024", "2024-03-17", "day", False),
        ),
        (
            "The model was trained in October 2023.",
            "en",
            ("in October 2023", "2023-10", "month", False),
        ),
        ("He left the board in 2018 after a dispute.", "en", ("in 2018", "2018", "year", False)),
        (
            "A new version is expected in late 2025.",
            "en",
            ("in late 2025", "2025-10", "season", False),
        ),
        (
            "The talks began in the summer of 2022.",
            "en",
            ("in the summer of 2022", "2022-06", "season", False),
        ),
    ],
)
def test_absolute_dates(sentence: str, lang: str, expected: tuple[str, str, str, bool]) -> None:
    assert summary(only(sentence, TUESDAY, lang)) == expected


def test_offsets_point_at_the_text() -> None:
    sentence = "Le studio a été fondé en 2016, puis racheté le 3 mai 2021."
    for m in find_dates(sentence, TUESDAY):
        assert sentence[m.start : m.end] == m.text
    assert [m.text for m in find_dates(sentence, TUESDAY)] == ["en 2016", "le 3 mai 2021"]


def test_curly_apostrophe_and_nbsp_are_handled_and_text_kept_as_written() -> None:
    m = only("La licence a changé l\u2019an\u00a0dernier.")
    assert (m.text, m.year, m.month) == ("l\u2019an\u00a0dernier", 2023, None)


# --------------------------------------------------------------------------------------
# Dates needing the publication date
# --------------------------------------------------------------------------------------


def test_day_without_year_takes_the_nearest_year() -> None:
    assert only("Le modèle sera publié le 17 mars.").iso() == "2024-03-17"  # five days ahead
    assert only("Le code a été déposé le 20 décembre.").iso() == "2023-12-20"  # not 2024-12
    assert only("It shipped on March 2.", lang="en").iso() == "2024-03-02"


def test_month_without_year_is_the_most_recent_not_after_publication() -> None:
    debut = only("La plainte a été déposée début mars.")
    assert (debut.iso(), debut.precision, debut.part, debut.relative) == (
        "2024-03",
        "month",
        "early",
        True,
    )
    assert only("Le robot a été dévoilé en novembre.").iso() == "2023-11"
    assert only("L'accord date de fin avril.").iso() == "2023-04"  # April 2024 is after publication
    assert only("Le test a eu lieu mi-mars.").part == "mid"
    assert only("Le salon ouvre en mars prochain.", date(2024, 4, 2)).iso() == "2025-03"
    assert only("Le salon a fermé en mars dernier.", date(2024, 3, 12)).iso() == "2023-03"


@pytest.mark.parametrize(
    ("sentence", "lang", "expected"),
    [
        ("Le patron a parlé lundi devant la presse.", "fr", ("lundi", "2024-03-11", "day")),
        (
            "Le patron a parlé mardi devant la presse.",
            "fr",
            ("mardi", "2024-03-12", "day"),
        ),  # on publication day
        ("La réunion a eu lieu mardi dernier.", "fr", ("mardi dernier", "2024-03-05", "day")),
        ("Le verdict tombera d'ici vendredi.", "fr", ("d'ici vendredi", "2024-03-15", "day")),
        ("La décision est tombée hier soir.", "fr", ("hier soir", "2024-03-11", "day")),
        ("Le service ouvre aujourd'hui en Europe.", "fr", ("aujourd'hui", "2024-03-12", "day")),
        ("La mise à jour arrive cette semaine.", "fr", ("cette semaine", "2024-03-11", "week")),
        (
            "La plainte a été déposée la semaine dernière.",
            "fr",
            ("la semaine dernière", "2024-03-04", "week"),
        ),
        ("Les ventes ont chuté le mois dernier.", "fr", ("le mois dernier", "2024-02", "month")),
        ("Le chiffre a doublé l'année dernière.", "fr", ("l'année dernière", "2023", "year")),
        ("Le chiffre a doublé l'an dernier.", "fr", ("l'an dernier", "2023", "year")),
        (
            "Le studio a fermé il y a une dizaine de jours.",
            "fr",
            ("il y a une dizaine de jours", "2024-03-02", "week"),
        ),
        (
            "Le studio a fermé il y a trois jours.",
            "fr",
            ("il y a trois jours", "2024-03-09", "day"),
        ),
        (
            "Le studio a fermé il y a quelques jours.",
            "fr",
            ("il y a quelques jours", "2024-03-09", "week"),
        ),
        ("Le studio a fermé il y a deux ans.", "fr", ("il y a deux ans", "2022", "year")),
        (
            "Le studio a fermé il y a près de dix ans.",
            "fr",
            ("il y a près de dix ans", "2014", "year"),
        ),
        ("Le studio a ouvert il y a six mois.", "fr", ("il y a six mois", "2023-09", "month")),
        ("The company spoke on Monday about its plans.", "en", ("on Monday", "2024-03-11", "day")),
        ("The complaint was filed last week in court.", "en", ("last week", "2024-03-04", "week")),
        ("The update ships this week.", "en", ("this week", "2024-03-11", "week")),
        (
            "The bot launched last November to subscribers.",
            "en",
            ("last November", "2023-11", "month"),
        ),
        ("The bot launched in November to subscribers.", "en", ("in November", "2023-11", "month")),
        ("The emails were published yesterday.", "en", ("yesterday", "2024-03-11", "day")),
        (
            "The lawsuit was filed earlier this month.",
            "en",
            ("earlier this month", "2024-03", "month"),
        ),
        ("The studio closed two weeks ago.", "en", ("two weeks ago", "2024-02-27", "week")),
        ("Revenue doubled last year.", "en", ("last year", "2023", "year")),
    ],
)
def test_relative_dates(sentence: str, lang: str, expected: tuple[str, str, str]) -> None:
    m = only(sentence, TUESDAY, lang)
    assert (m.text, m.iso(), m.precision) == expected
    assert m.relative


def test_last_weekday_on_its_own_day_is_a_week_back() -> None:
    assert only("Le vote a eu lieu mardi dernier.", date(2024, 3, 12)).iso() == "2024-03-05"
    assert only("Le vote a eu lieu mardi dernier.", date(2024, 3, 13)).iso() == "2024-03-12"


def test_last_november_in_november_is_the_year_before() -> None:
    assert only("It launched last November.", date(2023, 11, 20), "en").iso() == "2022-11"
    assert only("Le robot est sorti en novembre.", date(2023, 11, 20)).iso() == "2023-11"


def test_seasons_relative_to_publication() -> None:
    assert only("Le prototype a été montré l'été dernier.").iso() == "2023-06"
    assert only("Le prototype sera montré l'été prochain.").iso() == "2024-06"
    assert only("The prototype was shown last summer.", lang="en").iso() == "2023-06"


def test_end_of_the_year_takes_an_earlier_explicit_year() -> None:
    found = find_dates(
        "Fondée en mai 2021, la société a livré son produit avant la fin de l'année.", TUESDAY
    )
    assert [(m.text, m.iso(), m.relative) for m in found] == [
        ("en mai 2021", "2021-05", False),
        ("la fin de l'année", "2021-10", False),
    ]
    alone = only("Le produit sortira avant la fin de l'année.")
    assert (alone.iso(), alone.part, alone.relative) == ("2024-10", "late", True)


def test_relative_dates_are_skipped_without_publication_date() -> None:
    sentence = (
        "Il a parlé lundi, soit début mars, le 17 mars, mais le projet date de 2019 : en 2019."
    )
    assert [m.text for m in find_dates(sentence, None)] == ["en 2019"]


# --------------------------------------------------------------------------------------
# Things that are not dates
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sentence", "lang"),
    [
        ("Grok-1 dépasse GPT-4 sur certains tests.", "fr"),
        ("Le modèle compte 314 milliards de paramètres.", "fr"),
        ("La licence Apache 2.0 autorise cet usage.", "fr"),
        ("Le routeur choisit 2 de ses 8 experts à chaque jeton.", "fr"),
        ("Capture d'écran 2024 03 11 À 16 22 17", "fr"),
        ("La sonde s'est posée sur Mars après sept mois de voyage.", "fr"),
        ("La mission Mars 2020 a décollé de Floride.", "fr"),
        ("Le robot Grok-1.5 sera testé toute la semaine par les équipes.", "fr"),
        ("Il regarde Mars depuis son jardin.", "fr"),
        ("Les modèles de demain seront plus sobres.", "fr"),
        ("The team may release more code, and March on.", "en"),
        ("Mixtral 8x7B runs on 2 GPUs with 128 000 tokens.", "en"),
    ],
)
def test_not_dates(sentence: str, lang: str) -> None:
    assert find_dates(sentence, TUESDAY, lang) == []


def test_mars_is_a_month_after_a_day_or_a_qualifier_or_at_a_heading() -> None:
    assert only("Le lancement a eu lieu le 14 Mars.").iso() == "2024-03-14"
    assert only("Le lancement a eu lieu début Mars.").iso() == "2024-03"
    assert only("Mars 2023. La société est créée.").iso() == "2023-03"


def test_overlaps_keep_the_longest_mention() -> None:
    found = find_dates("Lundi 11 mars 2024, rien d'autre.", TUESDAY)
    assert [m.text for m in found] == ["Lundi 11 mars 2024"]


def test_sort_key_orders_parts_of_a_month() -> None:
    debut, day, fin = (
        only("début mars 2024"),
        only("le 11 mars 2024"),
        only("fin mars 2024"),
    )
    assert sorted([fin, day, debut], key=DateMention.sort_key) == [debut, day, fin]
    assert only("en 2015").as_date() == date(2015, 1, 1)


# --------------------------------------------------------------------------------------
# The real seed articles (read from ../shared/seeds; skipped when absent)
# --------------------------------------------------------------------------------------


def seed(prefix: str) -> str:
    paths = sorted(SEEDS.glob(f"{prefix}_*.txt"))
    if not paths:
        pytest.skip(f"seed {prefix} not found in {SEEDS}")
    return paths[0].read_text(encoding="utf-8")


def seed_dates(prefix: str, published: date) -> dict[str, str]:
    """``{text as written (apostrophes normalised): iso}`` over the seed's lines."""
    found: dict[str, str] = {}
    for line in seed(prefix).splitlines():
        for m in find_dates(line, published):
            found[m.text.replace("\u2019", "'")] = m.iso()
    return found


def test_seed_000_afp_dates() -> None:
    # The AFP dispatch went out on Monday 11 March 2024 ("a annoncé lundi").
    found = seed_dates("000", date(2024, 3, 11))
    assert found["lundi"] == "2024-03-11"
    assert found["début mars"] == "2024-03"
    assert found["en 2018"] == "2018"
    assert found["début juillet"] == "2023-07"  # xAI was made official in July 2023
    assert found["en novembre"] == "2023-11"  # Grok unveiled in November 2023


def test_seed_002_dates_and_screenshot_caption() -> None:
    found = seed_dates("002", date(2024, 3, 11))
    assert found["en juillet 2023"] == "2023-07"
    assert found["la fin de l'année"] == "2023-10"  # the year of the July 2023 founding
    assert found["il y a quelques jours"] == "2024-03-08"
    caption = seed("002").splitlines()[0]
    assert find_dates(caption, date(2024, 3, 11)) == []  # "2024 03 11 À 16 22 17"


def test_seed_003_dates() -> None:
    found = seed_dates("003", date(2024, 3, 11))
    assert found["en 2015"] == "2015"
    assert found["Dès 2014"] == "2014"
    assert found["il y a une dizaine de jours"] == "2024-03-01"
    assert found["l'année passée"] == "2023"


def test_seed_004_years() -> None:
    found = seed_dates("004", date(2024, 3, 11))
    assert found == {"en 2015": "2015", "en 2018": "2018"}
