"""The date grammar: the French and English rules, each a pattern and its resolver.

:func:`candidates` runs the rules of one language over a text and yields every resolved
match; overlaps are settled by :func:`nlp.dates.find_dates`.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Final

from .lexicon import (
    DAY,
    EN_APPROX,
    EN_MONTH_RE,
    EN_NUMBERS,
    EN_PART_RE,
    EN_UNITS,
    EN_WEEKDAY_RE,
    FR_APPROX,
    FR_MONTH_RE,
    FR_NUMBERS,
    FR_PART_RE,
    FR_UNITS,
    FR_WEEKDAY_RE,
    LEFT_EDGE,
    PERIOD_OFFSETS,
    RIGHT_EDGE,
    YEAR,
    accented,
    alt,
    is_french,
)
from .resolve import (
    Hit,
    Resolver,
    hit_ago,
    hit_day,
    hit_day_word,
    hit_iso,
    hit_month,
    hit_numeric,
    hit_period,
    hit_season,
    hit_weekday,
    hit_year,
)

__all__ = ["RULES", "candidates"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class _Rule:
    name: str
    pattern: re.Pattern[str]
    resolve: Resolver


def _build_rules() -> dict[str, list[_Rule]]:
    """Compile the French and English rule sets."""
    i = re.IGNORECASE
    fr_words = alt(list(FR_NUMBERS))
    fr_count = r"(?P<n>\d{1,3}|" + accented(alt(list(FR_APPROX))) + "|" + accented(fr_words) + ")"
    fr_units = accented(alt(list(FR_UNITS)))
    fr_about = (
        r"(?:(?P<about>"
        + accented(alt(["pres de", "environ", "presque", "plus de", "moins de", "a peine"]))
        + r")\s+)?"
    )
    en_count = r"(?P<n>\d{1,3}|" + alt(list(EN_APPROX)) + "|" + alt(list(EN_NUMBERS)) + ")"
    en_about = r"(?:(?P<about>about|around|nearly|almost|roughly|some|more\s+than|over|less\s+than|barely|just|only)\s+)?"
    iso = _Rule(
        "iso",
        re.compile(r"(?<![\w.-])(?P<y>\d{4})([-/])(?P<m>\d{1,2})\2(?P<d>\d{1,2})(?![\w-]|\.\d)"),
        hit_iso,
    )
    numeric = _Rule(
        "numeric",
        re.compile(r"(?<![\w./-])(?P<a>\d{1,2})([/.])(?P<b>\d{1,2})\2(?P<y>\d{4})(?![\w/-]|\.\d)"),
        hit_numeric,
    )
    fr_month_lead = (
        r"(?:(?P<lead>"
        + FR_PART_RE
        + r"|en|depuis|d[eè]s|courant|jusqu'en|d'ici|au\s+mois\s+de|avant|apr[eè]s)(?:\s+|(?<=-)))?"
    )
    fr = [
        iso,
        numeric,
        _Rule(
            "fr-day",
            re.compile(
                LEFT_EDGE
                + r"(?:le\s+)?(?:"
                + FR_WEEKDAY_RE
                + r"\s+)?"
                + DAY
                + r"\s+"
                + FR_MONTH_RE
                + r"(?:\s+"
                + YEAR
                + r")?"
                + RIGHT_EDGE,
                i,
            ),
            hit_day,
        ),
        _Rule(
            "fr-month",
            re.compile(
                LEFT_EDGE
                + fr_month_lead
                + FR_MONTH_RE
                + r"(?:\s+"
                + YEAR
                + r"|\s+(?P<trail>dernier|pass[ée]|prochain))?"
                + RIGHT_EDGE,
                i,
            ),
            hit_month,
        ),
        _Rule(
            "fr-year",
            re.compile(
                LEFT_EDGE
                + r"(?P<lead>"
                + FR_PART_RE
                + r"|en|depuis|d[eè]s|jusqu'en|d'ici|avant|apr[eè]s|courant|l'ann[ée]e)(?:\s+|(?<=-))"
                + YEAR,
                i,
            ),
            hit_year,
        ),
        _Rule(
            "fr-season",
            re.compile(
                LEFT_EDGE
                + r"(?:(?:au|en|l'|cet|ce|à\s+l'|a\s+l')\s*)?(?P<season>printemps|[ée]t[ée]|automne|hiver)"
                + r"(?:\s+(?:de\s+)?"
                + YEAR
                + r"|\s+(?P<trail>dernier|pass[ée]|prochain))"
                + RIGHT_EDGE,
                i,
            ),
            hit_season,
        ),
        _Rule(
            "fr-season-this",
            re.compile(
                LEFT_EDGE
                + r"(?P<which>cet|ce)\s+(?P<season>printemps|[ée]t[ée]|automne|hiver)"
                + RIGHT_EDGE,
                i,
            ),
            hit_season,
        ),
        _Rule(
            "fr-dayword",
            re.compile(
                LEFT_EDGE
                + r"(?<!de\s)(?:aujourd'hui|avant-hier|apr[eè]s-demain|hier(?:\s+(?:soir|matin))?|demain"
                + r"|ce\s+matin|ce\s+soir|cet\s+apr[eè]s-midi)"
                + RIGHT_EDGE,
                i,
            ),
            hit_day_word,
        ),
        _Rule(
            "fr-weekday",
            re.compile(
                LEFT_EDGE
                + r"(?:(?P<lead>ce|d'ici|jusqu'à|jusqu'a)\s+)?"
                + FR_WEEKDAY_RE
                + r"(?:\s+(?P<trail>dernier|pass[ée]|prochain))?"
                + RIGHT_EDGE
                + r"(?!\s+\d)",
                i,
            ),
            hit_weekday,
        ),
        _Rule(
            "fr-period",
            re.compile(
                LEFT_EDGE
                + "(?:"
                + accented(alt([k for k in PERIOD_OFFSETS if k.isascii() and is_french(k)]))
                + ")"
                + RIGHT_EDGE,
                i,
            ),
            hit_period,
        ),
        _Rule(
            "fr-ago",
            re.compile(
                LEFT_EDGE
                + r"(?:il\s+y\s+a|(?P<ahead>dans))\s+"
                + fr_about
                + fr_count
                + r"\s+(?P<unit>"
                + fr_units
                + ")"
                + RIGHT_EDGE,
                i,
            ),
            hit_ago,
        ),
    ]
    en_part = (
        r"(?P<lead>" + EN_PART_RE + r"|in|since|from|until|by|before|after|during|last|next|this)"
    )
    en = [
        iso,
        numeric,
        _Rule(
            "en-day-first",
            re.compile(
                LEFT_EDGE
                + r"(?:(?i:on)\s+)?(?:"
                + EN_WEEKDAY_RE
                + r",?\s+)?(?:the\s+)?"
                + DAY
                + r"(?:st|nd|rd|th)?(?:\s+of)?\s+"
                + EN_MONTH_RE
                + r"(?:,?\s+"
                + YEAR
                + r")?"
                + RIGHT_EDGE
            ),
            hit_day,
        ),
        _Rule(
            "en-month-first",
            re.compile(
                LEFT_EDGE
                + r"(?:(?i:on)\s+)?(?:"
                + EN_WEEKDAY_RE
                + r",?\s+)?"
                + EN_MONTH_RE
                + r"\s+"
                + DAY
                + r"(?:st|nd|rd|th)?(?:,?\s+"
                + YEAR
                + r")?"
                + RIGHT_EDGE
            ),
            hit_day,
        ),
        _Rule(
            "en-month",
            re.compile(
                LEFT_EDGE
                + r"(?:(?i:"
                + en_part
                + r")(?:\s+|(?<=-)))?"
                + EN_MONTH_RE
                + r"(?:,?\s+(?:of\s+)?"
                + YEAR
                + r")?"
                + RIGHT_EDGE
            ),
            hit_month,
        ),
        _Rule(
            "en-year",
            re.compile(
                LEFT_EDGE
                + r"(?i:(?P<lead>"
                + EN_PART_RE
                + r"|in|since|from|until|by|before|after|during|the\s+year))(?:\s+|(?<=-))"
                + YEAR
            ),
            hit_year,
        ),
        _Rule(
            "en-season",
            re.compile(
                LEFT_EDGE
                + r"(?i:(?:in\s+)?(?:the\s+)?(?P<season>spring|summer|autumn|fall|winter)(?:\s+of)?\s+)"
                + YEAR
            ),
            hit_season,
        ),
        _Rule(
            "en-season-rel",
            re.compile(
                LEFT_EDGE
                + r"(?i:(?P<which>last|this|next)\s+(?P<season>spring|summer|autumn|fall|winter))"
                + RIGHT_EDGE
            ),
            hit_season,
        ),
        _Rule(
            "en-dayword",
            re.compile(
                LEFT_EDGE
                + r"(?i:today|tonight|yesterday|tomorrow|this\s+(?:morning|afternoon|evening))"
                + RIGHT_EDGE
            ),
            hit_day_word,
        ),
        _Rule(
            "en-weekday",
            re.compile(
                LEFT_EDGE
                + r"(?:(?i:(?P<lead>on|last|next|this\s+coming|this|by|until))\s+)?"
                + EN_WEEKDAY_RE
                + r"(?!,?\s+\d)"
                + RIGHT_EDGE
            ),
            hit_weekday,
        ),
        _Rule(
            "en-period",
            re.compile(
                LEFT_EDGE
                + "(?i:"
                + alt([k for k in PERIOD_OFFSETS if not is_french(k)])
                + ")"
                + RIGHT_EDGE
            ),
            hit_period,
        ),
    ]
    # English "in two weeks" is too often a duration ("in two weeks it sold…"); only "ago" counts.
    en.append(
        _Rule(
            "en-ago",
            re.compile(
                LEFT_EDGE
                + r"(?i:"
                + en_about
                + en_count
                + r"\s+(?P<unit>"
                + alt(list(EN_UNITS))
                + r")\s+ago)"
                + RIGHT_EDGE
            ),
            hit_ago,
        )
    )
    return {"fr": fr, "en": en}


RULES: Final = _build_rules()


def candidates(text: str, published: date | None, lang: str) -> Iterator[Hit]:
    for rule in RULES[lang]:
        for m in rule.pattern.finditer(text):
            try:
                hit = rule.resolve(m, published, lang)
            except (KeyError, ValueError, OverflowError):
                logger.debug("date rule %s could not resolve %r", rule.name, m[0])
                continue
            if hit is not None:
                yield hit
