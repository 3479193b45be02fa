"""The words of dates in French and English, and the regular-expression pieces made of them.

Month, weekday, number, unit and season names (folded: lower case, no accents), the words
that narrow a period to its start, middle or end ("début", "mi-", "fin", "early", "late"),
the relative phrases with the offset they name ("la semaine dernière", "last month"), and
the fragments the rules are written with (word edges, years, days, month alternations in
which a folded vowel also matches its accented forms).
"""

from __future__ import annotations

import calendar
import re
from typing import Final

from .mention import Part

FR_MONTHS: Final[dict[str, int]] = {
    "janvier": 1,
    "fevrier": 2,
    "mars": 3,
    "avril": 4,
    "mai": 5,
    "juin": 6,
    "juillet": 7,
    "aout": 8,
    "septembre": 9,
    "octobre": 10,
    "novembre": 11,
    "decembre": 12,
}
FR_MONTH_ABBR: Final[dict[str, int]] = {
    "janv": 1,
    "fevr": 2,
    "fev": 2,
    "avr": 4,
    "juil": 7,
    "sept": 9,
    "oct": 10,
    "nov": 11,
    "dec": 12,
}
EN_MONTHS: Final[dict[str, int]] = {
    name.lower(): i for i, name in enumerate(calendar.month_name) if name
}
EN_MONTH_ABBR: Final[dict[str, int]] = {
    name.lower(): i for i, name in enumerate(calendar.month_abbr) if name and name != "May"
} | {"sept": 9}
FR_WEEKDAYS: Final[dict[str, int]] = {
    "lundi": 0,
    "mardi": 1,
    "mercredi": 2,
    "jeudi": 3,
    "vendredi": 4,
    "samedi": 5,
    "dimanche": 6,
}
EN_WEEKDAYS: Final[dict[str, int]] = {name.lower(): i for i, name in enumerate(calendar.day_name)}
MONTH_NAMES: Final = frozenset(FR_MONTHS) | frozenset(EN_MONTHS)
"""The French and English month names, folded ("fevrier", "march")."""
CALENDAR_WORDS: Final = MONTH_NAMES | frozenset(FR_WEEKDAYS) | frozenset(EN_WEEKDAYS)
"""Month and weekday names, folded: capitalised in English, never a name."""

FR_NUMBERS: Final[dict[str, int]] = {
    "un": 1,
    "une": 1,
    "deux": 2,
    "trois": 3,
    "quatre": 4,
    "cinq": 5,
    "six": 6,
    "sept": 7,
    "huit": 8,
    "neuf": 9,
    "dix": 10,
    "onze": 11,
    "douze": 12,
    "treize": 13,
    "quatorze": 14,
    "quinze": 15,
    "seize": 16,
    "vingt": 20,
    "trente": 30,
    "quarante": 40,
    "cinquante": 50,
}
FR_APPROX: Final[dict[str, int]] = {
    "quelques": 3,
    "plusieurs": 3,
    "une dizaine de": 10,
    "une douzaine de": 12,
    "une quinzaine de": 15,
    "une vingtaine de": 20,
    "une trentaine de": 30,
    "une cinquantaine de": 50,
    "une centaine de": 100,
}
EN_NUMBERS: Final[dict[str, int]] = {
    "a": 1,
    "an": 1,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "fifteen": 15,
    "twenty": 20,
    "thirty": 30,
    "fifty": 50,
}
EN_APPROX: Final[dict[str, int]] = {
    "a few": 3,
    "few": 3,
    "several": 3,
    "a couple of": 2,
    "a dozen": 12,
}

FR_UNITS: Final[dict[str, str]] = {
    "jour": "day",
    "jours": "day",
    "semaine": "week",
    "semaines": "week",
    "mois": "month",
    "an": "year",
    "ans": "year",
    "annee": "year",
    "annees": "year",
    "decennie": "decade",
    "decennies": "decade",
}
EN_UNITS: Final[dict[str, str]] = {
    "day": "day",
    "days": "day",
    "week": "week",
    "weeks": "week",
    "fortnight": "fortnight",
    "month": "month",
    "months": "month",
    "year": "year",
    "years": "year",
    "decade": "decade",
    "decades": "decade",
}

SEASON_MONTH: Final[dict[str, int]] = {
    "printemps": 3,
    "ete": 6,
    "automne": 9,
    "hiver": 12,
    "spring": 3,
    "summer": 6,
    "autumn": 9,
    "fall": 9,
    "winter": 12,
}


def alt(words: list[str] | dict[str, int] | dict[str, str]) -> str:
    """A regex alternation of ``words``, longest first, accents optional where folded."""
    escaped = sorted((re.escape(w) for w in words), key=len, reverse=True)
    return "|".join(escaped).replace(r"\ ", r"\s+").replace(r"\-", "-")


def accented(pattern: str) -> str:
    """Let the plain vowels of a folded French pattern also match their accented forms."""
    return (
        pattern.replace("e", "[eéèê]")
        .replace("a", "[aàâ]")
        .replace("u", "[uûù]")
        .replace("i", "[iî]")
        .replace("o", "[oô]")
    )


# Word edges: a date never starts or ends inside a word, a number, a model name or a version.
LEFT_EDGE: Final = r"(?<![\w'.,/-])"
RIGHT_EDGE: Final = r"(?![\w'-]|[.,/]\d)"
YEAR: Final = r"(?P<year>1[89]\d\d|20\d\d|21\d\d)(?![\w%-]|[.,/]\d|\s?%)"
DAY: Final = r"(?P<day>1er|[0-3]?\d)(?!\d)"

FR_MONTH_RE: Final = (
    r"(?P<month>"
    + accented(alt(list(FR_MONTHS)))
    + r"|(?:"
    + accented(alt(list(FR_MONTH_ABBR)))
    + r")\.?)"
)
FR_WEEKDAY_RE: Final = r"(?P<wd>" + alt(list(FR_WEEKDAYS)) + ")"
EN_MONTH_RE: Final = (
    r"(?P<month>(?:"
    + "|".join(m.capitalize() for m in sorted(EN_MONTH_ABBR, key=len, reverse=True))
    + r")\.(?=\s)|(?:"
    + "|".join(m.capitalize() for m in sorted(EN_MONTHS, key=len, reverse=True))
    + "|"
    + "|".join(m.capitalize() for m in sorted(EN_MONTH_ABBR, key=len, reverse=True))
    + "))"
)
EN_WEEKDAY_RE: Final = r"(?P<wd>" + "|".join(d.capitalize() for d in EN_WEEKDAYS) + ")"

# "début", "mi-", "fin" and their English counterparts, each with the part it names.
FR_PART_WORDS: Final[dict[str, Part]] = {
    "debut": "early",
    "au debut de": "early",
    "au debut du mois de": "early",
    "debut du mois de": "early",
    "en debut de": "early",
    "mi-": "mid",
    "a la mi-": "mid",
    "fin": "late",
    "a la fin de": "late",
    "fin du mois de": "late",
    "a la fin du mois de": "late",
    "en fin de": "late",
}
EN_PART_WORDS: Final[dict[str, Part]] = {
    "early": "early",
    "in early": "early",
    "at the start of": "early",
    "at the beginning of": "early",
    "the start of": "early",
    "the beginning of": "early",
    "mid-": "mid",
    "in mid-": "mid",
    "late": "late",
    "in late": "late",
    "at the end of": "late",
    "the end of": "late",
}
FR_PART_RE: Final = accented(alt(list(FR_PART_WORDS)))
EN_PART_RE: Final = alt(list(EN_PART_WORDS))


DAY_OFFSETS: Final[dict[str, int]] = {
    "aujourd'hui": 0,
    "ce matin": 0,
    "ce soir": 0,
    "cet apres-midi": 0,
    "hier": -1,
    "hier soir": -1,
    "hier matin": -1,
    "avant-hier": -2,
    "demain": 1,
    "apres-demain": 2,
    "today": 0,
    "tonight": 0,
    "this morning": 0,
    "this afternoon": 0,
    "this evening": 0,
    "yesterday": -1,
    "tomorrow": 1,
}


WEEKDAY_MODES: Final[dict[str, str]] = {
    "dernier": "past",
    "passe": "past",
    "prochain": "next",
    "last": "past",
    "next": "next",
    "ce": "this",
    "this": "this",
    "this coming": "future",
    "d'ici": "future",
    "by": "future",
    "until": "future",
    "jusqu'a": "future",
}


PERIOD_OFFSETS: Final[dict[str, tuple[str, int]]] = {
    # weeks
    "cette semaine": ("week", 0),
    "dans la semaine": ("week", 0),
    "en debut de semaine": ("week", 0),
    "en fin de semaine": ("week", 0),
    "la semaine derniere": ("week", -1),
    "la semaine passee": ("week", -1),
    "la semaine precedente": ("week", -1),
    "la semaine prochaine": ("week", 1),
    "this week": ("week", 0),
    "earlier this week": ("week", 0),
    "later this week": ("week", 0),
    "last week": ("week", -1),
    "next week": ("week", 1),
    # months
    "ce mois-ci": ("month", 0),
    "ce mois": ("month", 0),
    "le mois dernier": ("month", -1),
    "le mois passe": ("month", -1),
    "le mois precedent": ("month", -1),
    "le mois prochain": ("month", 1),
    "this month": ("month", 0),
    "earlier this month": ("month", 0),
    "later this month": ("month", 0),
    "last month": ("month", -1),
    "next month": ("month", 1),
    # years
    "cette annee": ("year", 0),
    "l'an dernier": ("year", -1),
    "l'an passe": ("year", -1),
    "l'annee derniere": ("year", -1),
    "l'annee passee": ("year", -1),
    "l'annee precedente": ("year", -1),
    "l'an prochain": ("year", 1),
    "l'annee prochaine": ("year", 1),
    "this year": ("year", 0),
    "earlier this year": ("year", 0),
    "later this year": ("year", 0),
    "last year": ("year", -1),
    "next year": ("year", 1),
    # parts of this year
    "la fin de l'annee": ("late", 0),
    "en fin d'annee": ("late", 0),
    "le debut de l'annee": ("early", 0),
    "en debut d'annee": ("early", 0),
    "the end of the year": ("late", 0),
    "the start of the year": ("early", 0),
    "the beginning of the year": ("early", 0),
}


def is_french(key: str) -> bool:
    """Whether a period phrase of :data:`PERIOD_OFFSETS` is French (they are folded)."""
    first = key.split()[0]
    return first not in ("this", "earlier", "later", "last", "next", "the")
