"""From a matched date expression to the calendar: one resolver per construction.

Each ``hit_*`` function turns a regular-expression match into a :class:`Hit` (offsets, year,
month, day, precision, whether the publication date was needed), or ``None`` when the match
names no date after all ("sur Mars", "après sept mois"). The calendar arithmetic they share
(the year of a month named without one, the weekday nearest publication, months added) is
here too.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from ..text import fold
from .lexicon import (
    DAY_OFFSETS,
    EN_APPROX,
    EN_MONTH_ABBR,
    EN_MONTHS,
    EN_NUMBERS,
    EN_PART_WORDS,
    EN_UNITS,
    EN_WEEKDAYS,
    FR_APPROX,
    FR_MONTH_ABBR,
    FR_MONTHS,
    FR_NUMBERS,
    FR_PART_WORDS,
    FR_UNITS,
    FR_WEEKDAYS,
    PERIOD_OFFSETS,
    SEASON_MONTH,
    WEEKDAY_MODES,
)
from .mention import PART_MONTH, DateMention, Part, Precision


def _key(text: str | None) -> str:
    """``text`` folded (lower case, no accents) with its whitespace collapsed, for lookups."""
    return " ".join(fold(text or "").split())


def _month_number(token: str, lang: str) -> int | None:
    """The month a (possibly abbreviated, accented, capitalised) month word names."""
    key = _key(token).rstrip(".")
    if lang == "fr":
        return FR_MONTHS.get(key) or FR_MONTH_ABBR.get(key)
    return EN_MONTHS.get(key) or EN_MONTH_ABBR.get(key)


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


@dataclass(frozen=True, slots=True)
class Hit:
    """A resolved match, before overlaps are settled."""

    mention: DateMention
    """The date, its text as matched (on the normalised sentence)."""
    anaphoric: bool = False
    """True for "la fin de l'année": the year of an earlier explicit date of the sentence."""


def _hit(
    m: re.Match[str],
    year: int,
    month: int | None,
    day: int | None,
    precision: Precision,
    relative: bool,
    part: Part | None = None,
    *,
    anaphoric: bool = False,
) -> Hit:
    mention = DateMention(m[0], m.start(), m.end(), year, month, day, precision, relative, part)
    return Hit(mention, anaphoric)


Resolver = Callable[[re.Match[str], date | None, str], Hit | None]


def hit_day(m: re.Match[str], published: date | None, lang: str) -> Hit | None:
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
    return _hit(m, year, month, day, "day", relative)


def hit_month(m: re.Match[str], published: date | None, lang: str) -> Hit | None:
    """A month with a year ("juillet 2023") or a qualifier ("en novembre", "début mars")."""
    month = _month_number(m["month"], lang)
    if month is None:
        return None
    lead = _key(m["lead"])
    part = (FR_PART_WORDS if lang == "fr" else EN_PART_WORDS).get(lead)
    trail = _key(m.groupdict().get("trail"))
    if m["month"] == "Mars" and lang == "fr" and not _mars_is_month(m, lead):
        return None
    full = FR_MONTHS if lang == "fr" else EN_MONTHS
    if _key(m["month"]) not in full and (m["year"] is None or not m["month"].endswith(".")):
        return None  # "après sept mois": an abbreviation alone is not a month
    year_text = m["year"]
    if year_text is not None:
        return _hit(m, int(year_text), month, None, "month", False, part)
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
    return _hit(m, year, month, None, "month", True, part)


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


def hit_year(m: re.Match[str], published: date | None, lang: str) -> Hit | None:
    """A year after a preposition or a part ("en 2015", "fin 2023", "in 2018", "mid-2023")."""
    lead = _key(m["lead"])
    part = (FR_PART_WORDS if lang == "fr" else EN_PART_WORDS).get(lead)
    year = int(m["year"])
    if part is not None:
        return _hit(m, year, PART_MONTH[part], None, "season", False, part)
    return _hit(m, year, None, None, "year", False)


def hit_season(m: re.Match[str], published: date | None, lang: str) -> Hit | None:
    """A season with a year ("l'été 2023") or relative ("cet été", "last summer")."""
    month = SEASON_MONTH[_key(m["season"])]
    year_text = m.groupdict().get("year")
    if year_text is not None:
        return _hit(m, int(year_text), month, None, "season", False)
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
    return _hit(m, year, month, None, "season", True)


def hit_iso(m: re.Match[str], published: date | None, lang: str) -> Hit | None:
    year, month, day = int(m["y"]), int(m["m"]), int(m["d"])
    if not _valid_day(year, month, day):
        return None
    return _hit(m, year, month, day, "day", False)


def hit_numeric(m: re.Match[str], published: date | None, lang: str) -> Hit | None:
    """ "11/03/2024" (day first in French; in English month first unless that cannot be)."""
    a, b, year = int(m["a"]), int(m["b"]), int(m["y"])
    day, month = (a, b) if lang == "fr" or a > 12 else (b, a)
    if not _valid_day(year, month, day):
        return None
    return _hit(m, year, month, day, "day", False)


def hit_day_word(m: re.Match[str], published: date | None, lang: str) -> Hit | None:
    if published is None:
        return None
    day = published + timedelta(days=DAY_OFFSETS[_key(m[0])])
    return _hit(m, day.year, day.month, day.day, "day", True)


def hit_weekday(m: re.Match[str], published: date | None, lang: str) -> Hit | None:
    """A weekday alone: the most recent one on or before publication, unless qualified."""
    if published is None:
        return None
    names = FR_WEEKDAYS if lang == "fr" else EN_WEEKDAYS
    weekday = names[m["wd"].lower()]
    qualifier = _key(m.groupdict().get("trail") or m.groupdict().get("lead"))
    mode = WEEKDAY_MODES.get(qualifier, "recent")
    day = _weekday_date(published, weekday, mode)
    return _hit(m, day.year, day.month, day.day, "day", True)


def hit_period(m: re.Match[str], published: date | None, lang: str) -> Hit | None:
    """ "cette semaine", "le mois dernier", "l'an dernier", "last week", "earlier this month"..."""
    if published is None:
        return None
    unit, delta = PERIOD_OFFSETS[_key(m[0])]
    if unit == "week":
        monday = _monday(published) + timedelta(weeks=delta)
        return _hit(m, monday.year, monday.month, monday.day, "week", True)
    if unit == "month":
        year, month = _add_months(published.year, published.month, delta)
        return _hit(m, year, month, None, "month", True)
    if unit == "year":
        return _hit(m, published.year + delta, None, None, "year", True)
    part: Part = "late" if unit == "late" else "early"
    month = PART_MONTH[part]
    return _hit(m, published.year, month, None, "season", True, part, anaphoric=True)


def _count(text: str, lang: str) -> tuple[int, bool]:
    """The number a count names and whether it is approximate ("une dizaine de" -> 10, True)."""
    key = _key(text)
    if key.isdigit():
        return int(key), False
    approx = FR_APPROX if lang == "fr" else EN_APPROX
    if key in approx:
        return approx[key], True
    numbers = FR_NUMBERS if lang == "fr" else EN_NUMBERS
    return numbers[key], False


def hit_ago(m: re.Match[str], published: date | None, lang: str) -> Hit | None:
    """ "il y a une dizaine de jours", "il y a deux ans", "two weeks ago", "dans trois jours"."""
    if published is None:
        return None
    count, approx = _count(m["n"], lang)
    approx = approx or bool(m.groupdict().get("about"))
    units = FR_UNITS if lang == "fr" else EN_UNITS
    unit = units[_key(m["unit"])]
    sign = 1 if _key(m.groupdict().get("ahead")) in ("dans", "in") else -1
    if unit in ("day", "week", "fortnight"):
        days = count * {"day": 1, "week": 7, "fortnight": 14}[unit]
        day = published + timedelta(days=sign * days)
        precision: Precision = "day" if unit == "day" and not approx else "week"
        return _hit(m, day.year, day.month, day.day, precision, True)
    if unit == "month":
        year, month = _add_months(published.year, published.month, sign * count)
        return _hit(m, year, month, None, "month", True)
    years = count * (10 if unit == "decade" else 1)
    return _hit(m, published.year + sign * years, None, None, "year", True)
