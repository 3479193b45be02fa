"""Finding dates in French and English sentences and normalising them.

:func:`find_dates` returns every date mention of a sentence as a :class:`DateMention`: the
words as written, their character offsets, and the date they name, resolved to a year and,
when the text says so, a month and a day. Mentions relative to the article ("lundi", "hier",
"la semaine dernière", "il y a une dizaine de jours", "last November", "earlier this month")
and mentions without a year ("le 17 mars", "début mars", "en novembre") are resolved against
the article's publication date; without one they are skipped, since they name no date.

The grammar is a set of regular expressions, one rule per construction, written for news
prose; overlapping matches are settled by keeping the longest. Things that look like dates
but are not are left alone: model names ("Grok-1", "GPT-4"), counts ("314 milliards",
"8 experts"), versions ("2.0"), clock times ("16 22 17"), the planet ("sur Mars") and a bare
"la semaine".

How a mention is resolved:

* **day** precision: an exact day. A day without a year ("le 17 mars") takes the year that
  puts it nearest the publication date.
* **month**: "juillet 2023", "début mars", "le mois dernier". A month without a year ("en
  novembre", "début mars") is the most recent such month not after the publication month;
  "novembre dernier" / "last November" the most recent one strictly before it, "novembre
  prochain" the next one after it.
* **week**: "cette semaine", "la semaine dernière" give the Monday of the week they name;
  spans counted in days or weeks ("il y a une dizaine de jours", "two weeks ago") give the
  day they point at, ``precision="week"`` saying it is only good to a few days.
* **season**: a part of a year coarser than a month: "l'été 2023", "fin 2023", "mi-2023",
  "la fin de l'année". ``month`` is the first month of the period (spring 3, summer 6,
  autumn 9, winter 12; early 1, mid 6, late 10).
* **year**: "en 2015", "l'an dernier", "il y a deux ans".

``part`` says when the text narrows a month or a year to its start, middle or end ("début
mars", "mi-mars", "fin 2023"); :meth:`DateMention.sort_key` uses it so that "fin mars"
sorts after "le 11 mars".
"""

from __future__ import annotations

import calendar
import logging
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Final, Literal

from nlp.text import fold, normalize_text

__all__ = ["DateMention", "Part", "Precision", "find_dates"]

logger = logging.getLogger(__name__)

Precision = Literal["day", "month", "year", "week", "season"]
Part = Literal["early", "mid", "late"]

_PART_DAY: Final[dict[str | None, int]] = {None: 1, "early": 5, "mid": 15, "late": 25}
_PART_MONTH: Final[dict[Part, int]] = {"early": 1, "mid": 6, "late": 10}
_PRECISION_RANK: Final[dict[str, int]] = {"year": 0, "season": 1, "month": 2, "week": 3, "day": 4}


@dataclass(frozen=True, slots=True)
class DateMention:
    """One date named in a sentence, resolved to the calendar."""

    text: str
    """The words as written ("début mars", "l'an dernier", "en 2015")."""
    start: int
    """Offset of the first character of :attr:`text` in the sentence."""
    end: int
    """Offset just past the last character of :attr:`text`."""
    year: int
    month: int | None
    """``None`` when the mention names only a year ("en 2015")."""
    day: int | None
    """``None`` unless the mention names (or, for weeks, points at) a day."""
    precision: Precision
    relative: bool
    """True when resolving needed the publication date (a relative mention or a missing year)."""
    part: Part | None = None
    """"early", "mid" or "late" when the text narrows the month or year ("début", "mi-", "fin")."""

    def as_date(self) -> date:
        """The first day the mention can mean (its day, else the 1st of its month, else 1 January)."""
        return date(self.year, self.month or 1, self.day or 1)

    def iso(self) -> str:
        """``2024-03-11``, ``2024-03`` or ``2015``, as precise as the mention."""
        if self.month is None:
            return f"{self.year:04d}"
        if self.day is None:
            return f"{self.year:04d}-{self.month:02d}"
        return f"{self.year:04d}-{self.month:02d}-{self.day:02d}"

    def sort_key(self) -> tuple[int, int, int, int]:
        """A key ordering mentions in time; a vaguer mention sorts before a precise one on ties."""
        month = self.month
        if month is None:
            month = _PART_MONTH[self.part] if self.part else 1
        day = self.day if self.day is not None else _PART_DAY[self.part]
        return (self.year, month, day, _PRECISION_RANK[self.precision])


# --------------------------------------------------------------------------------------
# Vocabulary
# --------------------------------------------------------------------------------------

_FR_MONTHS: Final[dict[str, int]] = {
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
_FR_MONTH_ABBR: Final[dict[str, int]] = {
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
_EN_MONTHS: Final[dict[str, int]] = {
    name.lower(): i for i, name in enumerate(calendar.month_name) if name
}
_EN_MONTH_ABBR: Final[dict[str, int]] = {
    name.lower(): i for i, name in enumerate(calendar.month_abbr) if name and name != "May"
} | {"sept": 9}
_FR_WEEKDAYS: Final[dict[str, int]] = {
    "lundi": 0,
    "mardi": 1,
    "mercredi": 2,
    "jeudi": 3,
    "vendredi": 4,
    "samedi": 5,
    "dimanche": 6,
}
_EN_WEEKDAYS: Final[dict[str, int]] = {name.lower(): i for i, name in enumerate(calendar.day_name)}

_FR_NUMBERS: Final[dict[str, int]] = {
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
_FR_APPROX: Final[dict[str, int]] = {
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
_EN_NUMBERS: Final[dict[str, int]] = {
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
_EN_APPROX: Final[dict[str, int]] = {
    "a few": 3,
    "few": 3,
    "several": 3,
    "a couple of": 2,
    "a dozen": 12,
}

_FR_UNITS: Final[dict[str, str]] = {
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
_EN_UNITS: Final[dict[str, str]] = {
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

_SEASON_MONTH: Final[dict[str, int]] = {
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


def _alt(words: list[str] | dict[str, int] | dict[str, str]) -> str:
    """A regex alternation of ``words``, longest first, accents optional where folded."""
    escaped = sorted((re.escape(w) for w in words), key=len, reverse=True)
    return "|".join(escaped).replace(r"\ ", r"\s+").replace(r"\-", "-")


def _accented(pattern: str) -> str:
    """Let the plain vowels of a folded French pattern also match their accented forms."""
    return (
        pattern.replace("e", "[eéèê]")
        .replace("a", "[aàâ]")
        .replace("u", "[uûù]")
        .replace("i", "[iî]")
        .replace("o", "[oô]")
    )


# Word edges: a date never starts or ends inside a word, a number, a model name or a version.
_L: Final = r"(?<![\w'.,/-])"
_R: Final = r"(?![\w'-]|[.,/]\d)"
_YEAR: Final = r"(?P<year>1[89]\d\d|20\d\d|21\d\d)(?![\w%-]|[.,/]\d|\s?%)"
_DAY: Final = r"(?P<day>1er|[0-3]?\d)(?!\d)"

_FR_MONTH_RE: Final = (
    r"(?P<month>"
    + _accented(_alt(list(_FR_MONTHS)))
    + r"|(?:"
    + _accented(_alt(list(_FR_MONTH_ABBR)))
    + r")\.?)"
)
_FR_WEEKDAY_RE: Final = r"(?P<wd>" + _alt(list(_FR_WEEKDAYS)) + ")"
_EN_MONTH_RE: Final = (
    r"(?P<month>(?:"
    + "|".join(m.capitalize() for m in sorted(_EN_MONTH_ABBR, key=len, reverse=True))
    + r")\.(?=\s)|(?:"
    + "|".join(m.capitalize() for m in sorted(_EN_MONTHS, key=len, reverse=True))
    + "|"
    + "|".join(m.capitalize() for m in sorted(_EN_MONTH_ABBR, key=len, reverse=True))
    + "))"
)
_EN_WEEKDAY_RE: Final = r"(?P<wd>" + "|".join(d.capitalize() for d in _EN_WEEKDAYS) + ")"

# "début", "mi-", "fin" and their English counterparts, each with the part it names.
_FR_PART_WORDS: Final[dict[str, Part]] = {
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
_EN_PART_WORDS: Final[dict[str, Part]] = {
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
_FR_PART_RE: Final = _accented(_alt(list(_FR_PART_WORDS)))
_EN_PART_RE: Final = _alt(list(_EN_PART_WORDS))


# --------------------------------------------------------------------------------------
# Calendar helpers
# --------------------------------------------------------------------------------------


def _key(text: str | None) -> str:
    """``text`` folded (lower case, no accents) with its whitespace collapsed, for lookups."""
    return " ".join(fold(text or "").split())


def _month_number(token: str, lang: str) -> int | None:
    """The month a (possibly abbreviated, accented, capitalised) month word names."""
    key = _key(token).rstrip(".")
    if lang == "fr":
        return _FR_MONTHS.get(key) or _FR_MONTH_ABBR.get(key)
    return _EN_MONTHS.get(key) or _EN_MONTH_ABBR.get(key)


def _add_months(year: int, month: int, delta: int) -> tuple[int, int]:
    """``(year, month)`` moved by ``delta`` months."""
    index = year * 12 + (month - 1) + delta
    return index // 12, index % 12 + 1


def _valid_day(year: int, month: int, day: int) -> bool:
    return 1 <= month <= 12 and 1 <= day <= calendar.monthrange(year, month)[1]


def _month_year(month: int, published: date, mode: str) -> int:
    """The year of a month named without one: "recent" (not after publication), "past", "next"."""
    if mode == "past":
        return published.year if month < published.month else published.year - 1
    if mode == "next":
        return published.year if month > published.month else published.year + 1
    if mode == "future":
        return published.year if month >= published.month else published.year + 1
    return published.year if month <= published.month else published.year - 1


def _nearest_year(month: int, day: int, published: date) -> int | None:
    """The year putting ``day month`` nearest the publication date (ties go to the past)."""
    best: tuple[int, int] | None = None
    for year in (published.year - 1, published.year, published.year + 1):
        if not _valid_day(year, month, day):
            continue
        distance = abs((date(year, month, day) - published).days)
        if best is None or distance < best[0]:
            best = (distance, year)
    return best[1] if best else None


def _weekday_date(published: date, weekday: int, mode: str) -> date:
    """A weekday near publication: "recent" (on or before), "past" (before), "next" (after),
    "this" (in the publication's Monday-to-Sunday week), "future" (on or after)."""
    back = (published.weekday() - weekday) % 7
    if mode == "past":
        return published - timedelta(days=back or 7)
    if mode in ("next", "future"):
        ahead = (weekday - published.weekday()) % 7
        if mode == "next" and ahead == 0:
            ahead = 7
        return published + timedelta(days=ahead)
    if mode == "this":
        return published - timedelta(days=published.weekday()) + timedelta(days=weekday)
    return published - timedelta(days=back)


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


# --------------------------------------------------------------------------------------
# Rules
# --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Hit:
    """A resolved match, before overlaps are settled."""

    start: int
    end: int
    year: int
    month: int | None
    day: int | None
    precision: Precision
    relative: bool
    part: Part | None = None
    anaphoric: bool = False
    """True for "la fin de l'année": the year of an earlier explicit date of the sentence."""


_Resolver = Callable[[re.Match[str], date | None, str], _Hit | None]


@dataclass(frozen=True, slots=True)
class _Rule:
    name: str
    pattern: re.Pattern[str]
    resolve: _Resolver


def _span(m: re.Match[str]) -> tuple[int, int]:
    return m.start(), m.end()


def _hit_day(m: re.Match[str], published: date | None, lang: str) -> _Hit | None:
    """Day, month and optional year ("le 17 mars", "17 March 2024", "March 17, 2024")."""
    month = _month_number(m["month"], lang)
    raw_day = m["day"]
    if month is None or raw_day is None:
        return None
    day = 1 if raw_day.lower() == "1er" else int(raw_day)
    year_text = m["year"]
    if year_text is not None:
        year = int(year_text)
        relative = False
    else:
        if published is None:
            return None
        found = _nearest_year(month, day, published)
        if found is None:
            return None
        year, relative = found, True
    if not _valid_day(year, month, day):
        return None
    return _Hit(*_span(m), year, month, day, "day", relative)


def _hit_month(m: re.Match[str], published: date | None, lang: str) -> _Hit | None:
    """A month with a year ("juillet 2023") or a qualifier ("en novembre", "début mars")."""
    month = _month_number(m["month"], lang)
    if month is None:
        return None
    lead = _key(m["lead"])
    part = (_FR_PART_WORDS if lang == "fr" else _EN_PART_WORDS).get(lead)
    trail = _key(m.groupdict().get("trail"))
    if m["month"] == "Mars" and lang == "fr" and not _mars_is_month(m, lead):
        return None
    full = _FR_MONTHS if lang == "fr" else _EN_MONTHS
    if _key(m["month"]) not in full and (m["year"] is None or not m["month"].endswith(".")):
        return None  # "après sept mois": an abbreviation alone is not a month
    year_text = m["year"]
    if year_text is not None:
        return _Hit(*_span(m), int(year_text), month, None, "month", False, part)
    if not lead and not trail:
        return None
    if published is None:
        return None
    mode = "recent"
    if trail in ("dernier", "passe") or lead == "last":
        mode = "past"
    elif trail == "prochain" or lead == "next":
        mode = "next"
    elif lead in ("d'ici", "by", "until", "jusqu'en"):
        mode = "future"
    year = _month_year(month, published, mode)
    return _Hit(*_span(m), year, month, None, "month", True, part)


def _mars_is_month(m: re.Match[str], lead: str) -> bool:
    """Capitalised "Mars" is the planet unless a month qualifier or a sentence start says not."""
    if lead in ("en", "debut", "fin", "mi-", "courant", "au debut de", "a la fin de", "a la mi-"):
        return True
    if lead in ("au mois de", "debut du mois de", "fin du mois de", "a la fin du mois de"):
        return True
    if lead or m["year"] is None:
        return False
    before = m.string[: m.start()]
    return not before.strip(" *_#>\"'«(-\n") or bool(re.search(r"[.!?:;]\W*$", before))


def _hit_year(m: re.Match[str], published: date | None, lang: str) -> _Hit | None:
    """A year after a preposition or a part ("en 2015", "fin 2023", "in 2018", "mid-2023")."""
    lead = _key(m["lead"])
    part = (_FR_PART_WORDS if lang == "fr" else _EN_PART_WORDS).get(lead)
    year = int(m["year"])
    if part is not None:
        return _Hit(*_span(m), year, _PART_MONTH[part], None, "season", False, part)
    return _Hit(*_span(m), year, None, None, "year", False)


def _hit_season(m: re.Match[str], published: date | None, lang: str) -> _Hit | None:
    """A season with a year ("l'été 2023") or relative ("cet été", "last summer")."""
    month = _SEASON_MONTH[_key(m["season"])]
    year_text = m.groupdict().get("year")
    if year_text is not None:
        return _Hit(*_span(m), int(year_text), month, None, "season", False)
    if published is None:
        return None
    which = _key(m.groupdict().get("which") or m.groupdict().get("trail"))
    if which in ("dernier", "passe", "last"):
        # the last season already over: summer is over from September
        year = published.year if month + 3 <= published.month else published.year - 1
    elif which in ("prochain", "next"):
        year = published.year if month > published.month else published.year + 1
    else:  # "cet été", "this summer": this year's, or the winter that began last December
        year = published.year - 1 if month == 12 and published.month <= 3 else published.year
    return _Hit(*_span(m), year, month, None, "season", True)


def _hit_iso(m: re.Match[str], published: date | None, lang: str) -> _Hit | None:
    year, month, day = int(m["y"]), int(m["m"]), int(m["d"])
    if not _valid_day(year, month, day):
        return None
    return _Hit(*_span(m), year, month, day, "day", False)


def _hit_numeric(m: re.Match[str], published: date | None, lang: str) -> _Hit | None:
    """ "11/03/2024" (day first in French; in English month first unless that cannot be)."""
    a, b, year = int(m["a"]), int(m["b"]), int(m["y"])
    day, month = (a, b) if lang == "fr" or a > 12 else (b, a)
    if not _valid_day(year, month, day):
        return None
    return _Hit(*_span(m), year, month, day, "day", False)


_DAY_OFFSETS: Final[dict[str, int]] = {
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


def _hit_day_word(m: re.Match[str], published: date | None, lang: str) -> _Hit | None:
    if published is None:
        return None
    day = published + timedelta(days=_DAY_OFFSETS[_key(m[0])])
    return _Hit(*_span(m), day.year, day.month, day.day, "day", True)


_WEEKDAY_MODES: Final[dict[str, str]] = {
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


def _hit_weekday(m: re.Match[str], published: date | None, lang: str) -> _Hit | None:
    """A weekday alone: the most recent one on or before publication, unless qualified."""
    if published is None:
        return None
    names = _FR_WEEKDAYS if lang == "fr" else _EN_WEEKDAYS
    weekday = names[m["wd"].lower()]
    qualifier = _key(m.groupdict().get("trail") or m.groupdict().get("lead"))
    mode = _WEEKDAY_MODES.get(qualifier, "recent")
    day = _weekday_date(published, weekday, mode)
    return _Hit(*_span(m), day.year, day.month, day.day, "day", True)


_PERIOD_OFFSETS: Final[dict[str, tuple[str, int]]] = {
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


def _hit_period(m: re.Match[str], published: date | None, lang: str) -> _Hit | None:
    """ "cette semaine", "le mois dernier", "l'an dernier", "last week", "earlier this month"..."""
    if published is None:
        return None
    unit, delta = _PERIOD_OFFSETS[_key(m[0])]
    if unit == "week":
        monday = _monday(published) + timedelta(weeks=delta)
        return _Hit(*_span(m), monday.year, monday.month, monday.day, "week", True)
    if unit == "month":
        year, month = _add_months(published.year, published.month, delta)
        return _Hit(*_span(m), year, month, None, "month", True)
    if unit == "year":
        return _Hit(*_span(m), published.year + delta, None, None, "year", True)
    part: Part = "late" if unit == "late" else "early"
    month = _PART_MONTH[part]
    return _Hit(*_span(m), published.year, month, None, "season", True, part, anaphoric=True)


def _count(text: str, lang: str) -> tuple[int, bool]:
    """The number a count names and whether it is approximate ("une dizaine de" -> 10, True)."""
    key = _key(text)
    if key.isdigit():
        return int(key), False
    approx = _FR_APPROX if lang == "fr" else _EN_APPROX
    if key in approx:
        return approx[key], True
    numbers = _FR_NUMBERS if lang == "fr" else _EN_NUMBERS
    return numbers[key], False


def _hit_ago(m: re.Match[str], published: date | None, lang: str) -> _Hit | None:
    """ "il y a une dizaine de jours", "il y a deux ans", "two weeks ago", "dans trois jours"."""
    if published is None:
        return None
    count, approx = _count(m["n"], lang)
    approx = approx or bool(m.groupdict().get("about"))
    units = _FR_UNITS if lang == "fr" else _EN_UNITS
    unit = units[_key(m["unit"])]
    sign = 1 if _key(m.groupdict().get("ahead")) in ("dans", "in") else -1
    if unit in ("day", "week", "fortnight"):
        days = count * {"day": 1, "week": 7, "fortnight": 14}[unit]
        day = published + timedelta(days=sign * days)
        precision: Precision = "day" if unit == "day" and not approx else "week"
        return _Hit(*_span(m), day.year, day.month, day.day, precision, True)
    if unit == "month":
        year, month = _add_months(published.year, published.month, sign * count)
        return _Hit(*_span(m), year, month, None, "month", True)
    years = count * (10 if unit == "decade" else 1)
    return _Hit(*_span(m), published.year + sign * years, None, None, "year", True)


def _build_rules() -> dict[str, list[_Rule]]:
    """Compile the French and English rule sets."""
    i = re.IGNORECASE
    fr_words = _alt(list(_FR_NUMBERS))
    fr_count = (
        r"(?P<n>\d{1,3}|" + _accented(_alt(list(_FR_APPROX))) + "|" + _accented(fr_words) + ")"
    )
    fr_units = _accented(_alt(list(_FR_UNITS)))
    fr_about = (
        r"(?:(?P<about>"
        + _accented(_alt(["pres de", "environ", "presque", "plus de", "moins de", "a peine"]))
        + r")\s+)?"
    )
    en_count = r"(?P<n>\d{1,3}|" + _alt(list(_EN_APPROX)) + "|" + _alt(list(_EN_NUMBERS)) + ")"
    en_about = r"(?:(?P<about>about|around|nearly|almost|roughly|some|more\s+than|over|less\s+than|barely|just|only)\s+)?"
    iso = _Rule(
        "iso",
        re.compile(r"(?<![\w.-])(?P<y>\d{4})([-/])(?P<m>\d{1,2})\2(?P<d>\d{1,2})(?![\w-]|\.\d)"),
        _hit_iso,
    )
    numeric = _Rule(
        "numeric",
        re.compile(r"(?<![\w./-])(?P<a>\d{1,2})([/.])(?P<b>\d{1,2})\2(?P<y>\d{4})(?![\w/-]|\.\d)"),
        _hit_numeric,
    )
    fr_month_lead = (
        r"(?:(?P<lead>"
        + _FR_PART_RE
        + r"|en|depuis|d[eè]s|courant|jusqu'en|d'ici|au\s+mois\s+de|avant|apr[eè]s)(?:\s+|(?<=-)))?"
    )
    fr = [
        iso,
        numeric,
        _Rule(
            "fr-day",
            re.compile(
                _L
                + r"(?:le\s+)?(?:"
                + _FR_WEEKDAY_RE
                + r"\s+)?"
                + _DAY
                + r"\s+"
                + _FR_MONTH_RE
                + r"(?:\s+"
                + _YEAR
                + r")?"
                + _R,
                i,
            ),
            _hit_day,
        ),
        _Rule(
            "fr-month",
            re.compile(
                _L
                + fr_month_lead
                + _FR_MONTH_RE
                + r"(?:\s+"
                + _YEAR
                + r"|\s+(?P<trail>dernier|pass[ée]|prochain))?"
                + _R,
                i,
            ),
            _hit_month,
        ),
        _Rule(
            "fr-year",
            re.compile(
                _L
                + r"(?P<lead>"
                + _FR_PART_RE
                + r"|en|depuis|d[eè]s|jusqu'en|d'ici|avant|apr[eè]s|courant|l'ann[ée]e)(?:\s+|(?<=-))"
                + _YEAR,
                i,
            ),
            _hit_year,
        ),
        _Rule(
            "fr-season",
            re.compile(
                _L
                + r"(?:(?:au|en|l'|cet|ce|à\s+l'|a\s+l')\s*)?(?P<season>printemps|[ée]t[ée]|automne|hiver)"
                + r"(?:\s+(?:de\s+)?"
                + _YEAR
                + r"|\s+(?P<trail>dernier|pass[ée]|prochain))"
                + _R,
                i,
            ),
            _hit_season,
        ),
        _Rule(
            "fr-season-this",
            re.compile(
                _L + r"(?P<which>cet|ce)\s+(?P<season>printemps|[ée]t[ée]|automne|hiver)" + _R, i
            ),
            _hit_season,
        ),
        _Rule(
            "fr-dayword",
            re.compile(
                _L
                + r"(?<!de\s)(?:aujourd'hui|avant-hier|apr[eè]s-demain|hier(?:\s+(?:soir|matin))?|demain"
                + r"|ce\s+matin|ce\s+soir|cet\s+apr[eè]s-midi)"
                + _R,
                i,
            ),
            _hit_day_word,
        ),
        _Rule(
            "fr-weekday",
            re.compile(
                _L
                + r"(?:(?P<lead>ce|d'ici|jusqu'à|jusqu'a)\s+)?"
                + _FR_WEEKDAY_RE
                + r"(?:\s+(?P<trail>dernier|pass[ée]|prochain))?"
                + _R
                + r"(?!\s+\d)",
                i,
            ),
            _hit_weekday,
        ),
        _Rule(
            "fr-period",
            re.compile(
                _L
                + "(?:"
                + _accented(_alt([k for k in _PERIOD_OFFSETS if k.isascii() and _is_french(k)]))
                + ")"
                + _R,
                i,
            ),
            _hit_period,
        ),
        _Rule(
            "fr-ago",
            re.compile(
                _L
                + r"(?:il\s+y\s+a|(?P<ahead>dans))\s+"
                + fr_about
                + fr_count
                + r"\s+(?P<unit>"
                + fr_units
                + ")"
                + _R,
                i,
            ),
            _hit_ago,
        ),
    ]
    en_part = (
        r"(?P<lead>" + _EN_PART_RE + r"|in|since|from|until|by|before|after|during|last|next|this)"
    )
    en = [
        iso,
        numeric,
        _Rule(
            "en-day-first",
            re.compile(
                _L
                + r"(?:(?i:on)\s+)?(?:"
                + _EN_WEEKDAY_RE
                + r",?\s+)?(?:the\s+)?"
                + _DAY
                + r"(?:st|nd|rd|th)?(?:\s+of)?\s+"
                + _EN_MONTH_RE
                + r"(?:,?\s+"
                + _YEAR
                + r")?"
                + _R
            ),
            _hit_day,
        ),
        _Rule(
            "en-month-first",
            re.compile(
                _L
                + r"(?:(?i:on)\s+)?(?:"
                + _EN_WEEKDAY_RE
                + r",?\s+)?"
                + _EN_MONTH_RE
                + r"\s+"
                + _DAY
                + r"(?:st|nd|rd|th)?(?:,?\s+"
                + _YEAR
                + r")?"
                + _R
            ),
            _hit_day,
        ),
        _Rule(
            "en-month",
            re.compile(
                _L
                + r"(?:(?i:"
                + en_part
                + r")(?:\s+|(?<=-)))?"
                + _EN_MONTH_RE
                + r"(?:,?\s+(?:of\s+)?"
                + _YEAR
                + r")?"
                + _R
            ),
            _hit_month,
        ),
        _Rule(
            "en-year",
            re.compile(
                _L
                + r"(?i:(?P<lead>"
                + _EN_PART_RE
                + r"|in|since|from|until|by|before|after|during|the\s+year))(?:\s+|(?<=-))"
                + _YEAR
            ),
            _hit_year,
        ),
        _Rule(
            "en-season",
            re.compile(
                _L
                + r"(?i:(?:in\s+)?(?:the\s+)?(?P<season>spring|summer|autumn|fall|winter)(?:\s+of)?\s+)"
                + _YEAR
            ),
            _hit_season,
        ),
        _Rule(
            "en-season-rel",
            re.compile(
                _L
                + r"(?i:(?P<which>last|this|next)\s+(?P<season>spring|summer|autumn|fall|winter))"
                + _R
            ),
            _hit_season,
        ),
        _Rule(
            "en-dayword",
            re.compile(
                _L
                + r"(?i:today|tonight|yesterday|tomorrow|this\s+(?:morning|afternoon|evening))"
                + _R
            ),
            _hit_day_word,
        ),
        _Rule(
            "en-weekday",
            re.compile(
                _L
                + r"(?:(?i:(?P<lead>on|last|next|this\s+coming|this|by|until))\s+)?"
                + _EN_WEEKDAY_RE
                + r"(?!,?\s+\d)"
                + _R
            ),
            _hit_weekday,
        ),
        _Rule(
            "en-period",
            re.compile(
                _L + "(?i:" + _alt([k for k in _PERIOD_OFFSETS if not _is_french(k)]) + ")" + _R
            ),
            _hit_period,
        ),
    ]
    # English "in two weeks" is too often a duration ("in two weeks it sold…"); only "ago" counts.
    en.append(
        _Rule(
            "en-ago",
            re.compile(
                _L
                + r"(?i:"
                + en_about
                + en_count
                + r"\s+(?P<unit>"
                + _alt(list(_EN_UNITS))
                + r")\s+ago)"
                + _R
            ),
            _hit_ago,
        )
    )
    return {"fr": fr, "en": en}


def _is_french(key: str) -> bool:
    """Whether a period phrase of :data:`_PERIOD_OFFSETS` is French (they are folded)."""
    first = key.split()[0]
    return first not in ("this", "earlier", "later", "last", "next", "the")


_RULES: Final = _build_rules()


def _candidates(text: str, published: date | None, lang: str) -> Iterator[_Hit]:
    for rule in _RULES[lang]:
        for m in rule.pattern.finditer(text):
            try:
                hit = rule.resolve(m, published, lang)
            except (KeyError, ValueError, OverflowError):
                logger.debug("date rule %s could not resolve %r", rule.name, m[0])
                continue
            if hit is not None:
                yield hit


def _resolve_anaphora(hits: list[_Hit]) -> list[_Hit]:
    """Give "la fin de l'année" the year of the nearest earlier explicit date, if any.

    "fondée en juillet 2023, elle lance son produit avant la fin de l'année" means 2023.
    """
    out: list[_Hit] = []
    for hit in hits:
        anchor = next((h for h in reversed(out) if not h.relative), None)
        if hit.anaphoric and anchor is not None:
            hit = replace(hit, year=anchor.year, relative=False)
        out.append(hit)
    return out


def find_dates(sentence: str, published: date | None, lang: str = "fr") -> list[DateMention]:
    """Every date mentioned in ``sentence``, in order, resolved against ``published``.

    ``lang`` picks the grammar: "fr", "en", or anything else for both. Mentions that need
    the publication date are skipped when ``published`` is ``None``. Where mentions overlap,
    the longest wins ("lundi 11 mars 2024" is one mention, not three).
    """
    text = normalize_text(sentence)
    langs = [lang[:2]] if lang[:2] in _RULES else list(_RULES)
    hits: list[_Hit] = []
    for code in langs:
        hits.extend(_candidates(text, published, code))
    hits.sort(key=lambda h: (-(h.end - h.start), h.start))
    kept: list[_Hit] = []
    for hit in hits:
        if all(hit.end <= k.start or hit.start >= k.end for k in kept):
            kept.append(hit)
    kept.sort(key=lambda h: h.start)
    kept = _resolve_anaphora(kept)
    return [
        DateMention(
            text=sentence[h.start : h.end],
            start=h.start,
            end=h.end,
            year=h.year,
            month=h.month,
            day=h.day,
            precision=h.precision,
            relative=h.relative,
            part=h.part,
        )
        for h in kept
    ]
