"""Answer typing for ``/grok ask``: does a sentence hold the kind of thing the question asks?

The type is required, not a bonus: the ranker answers with the best passage that holds it,
and refuses when none does (see :class:`nlp.retrieval.Ranker`).

* **who / which company** (:func:`has_name`): a name that the question does not hold, from
  the catalog (a person or an organisation for "who", an organisation for "which company")
  or, for names the catalog does not know, a capitalised word that does not start the
  sentence and is not a month, a day or a function word.
* **when** (:func:`has_when`): a date that :func:`nlp.dates.find_dates` found, or a span of
  time ("six months after", "dans deux ans", "depuis 2015").
* **how much / how many** (:func:`has_number`): a number that is not in the question,
  followed by the unit asked: the noun after "how many" / "combien de", money for "how
  much / combien" about prices, payments and funds, a percentage for shares and falls.
* **why** (:func:`has_reason`): a reason clause ("parce que", "car", "afin de", "faute de",
  "because", "in response to", "so that", "explained"…).
* **where** (:func:`has_place`): a catalog place, or a capitalised word after a preposition
  of place.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from typing import Final

from ..dates import CALENDAR_WORDS
from ..text import fold
from .passages import Passage
from .questions import NUMBER_WORDS, Query
from .units import cached_units, same_numbers

__all__ = [
    "AnswerType",
    "answer_type",
    "has_answer",
    "has_name",
    "has_number",
    "has_reason",
    "has_when",
]

_REASON: Final = re.compile(
    r"\b(?:parce qu|car\b|afin de|afin que|pour que|faute d|en raison d|à cause d|a cause d|"
    r"grâce à|s'explique|explique|expliqu|tient à|dans le but|en réponse|au nom d|"
    r"pour (?:remercier|éviter|permettre|protéger|réduire|ne pas)|"
    r"because|due to|owing to|in response to|so that|in order to|as a result|the reason|"
    r"explain|was about|aimed at|wants? (?:a|to)|wanted (?:a|to)|so as to)",
    re.IGNORECASE,
)
_DURATION: Final = re.compile(
    r"\b(?:\d+|un|une|deux|trois|quatre|cinq|six|sept|huit|neuf|dix|douze|dix-huit|vingt|"
    r"one|two|three|four|five|six|seven|eight|nine|ten|twelve|eighteen|twenty|a few|quelques)"
    r"\s+(?:mois|ans|années|semaines|jours|months?|years?|weeks?|days?)\b|"
    r"\b(?:depuis|since|until|jusqu'en|by|d'ici)\s+(?:\w+\s+)?(?:19|20)\d\d\b",
    re.IGNORECASE,
)
_CAPITALISED: Final = re.compile(r"(?<![\w'-])[A-ZÀ-ÖØ-Þ][\w'’-]*")
_NOT_NAMES: Final = (
    frozenset(
        fold(w)
        for w in [
            "le",
            "la",
            "les",
            "l",
            "un",
            "une",
            "des",
            "du",
            "de",
            "d",
            "au",
            "aux",
            "ce",
            "cet",
            "cette",
            "ces",
            "il",
            "elle",
            "ils",
            "elles",
            "on",
            "en",
            "et",
            "mais",
            "selon",
            "pour",
            "dans",
            "sur",
            "avec",
            "par",
            "the",
            "a",
            "an",
            "in",
            "on",
            "at",
            "of",
            "for",
            "and",
            "but",
            "this",
            "that",
            "these",
            "those",
            "it",
            "he",
            "she",
            "they",
            "his",
            "her",
            "its",
            "their",
            "we",
            "our",
            "as",
            "after",
            "before",
            "when",
            "while",
            "if",
            "since",
            "mr",
            "mrs",
            "ms",
            "m",
        ]
    )
    | CALENDAR_WORDS
)  # months and weekdays: capitalised in English, never names
_MONEY_QUESTION: Final = re.compile(
    r"\b(?:co[ûu]t|co[ûu]te|prix|price|cost|paid|pay|paie|pa[iy]e|vers|lev[ée]|raise|raised|"
    r"invest|fine|amende|montant|revenue|chiffre d'affaires|perdu|lost|loss|valu|vaut|worth|"
    r"spen[dt]|d[ée]pens|sell|sold|vendu|charge|factur|combien (?:a|ont|va|vont))",
    re.IGNORECASE,
)
_PERCENT_QUESTION: Final = re.compile(
    r"\b(?:what share|quelle part|what percentage|quel pourcentage|fall|fell|drop|rise|rose|"
    r"recul|baiss|hausse|chut)\w*",
    re.IGNORECASE,
)
_YEAR: Final = re.compile(r"\b(?:19|20)\d\d\b")
_MONEY_UNITS: Final = frozenset(["@dollar", "@euro", "@million", "@billion", "@trillion"])
_NUMBER_UNIT: Final = re.compile(r"^\d[\d.]*$")

AnswerType = str
"""A question's answer type: "person", "organisation", "date", "money", "percent",
"number", "unit:<unit>", "reason", "place", or "" (anything)."""


def answer_type(query: Query) -> AnswerType:
    """What the answer to ``query`` must hold."""
    if query.kind == "when":
        return "date"
    if query.kind == "who":
        return "person"
    if query.kind == "which-org":
        return "organisation"
    if query.kind == "why":
        return "reason"
    if query.kind == "where":
        return "place"
    if query.kind == "count":
        if query.unit:
            return f"unit:{query.unit}"
        if _PERCENT_QUESTION.search(query.text):
            return "percent"
        if _MONEY_QUESTION.search(query.text):
            return "money"
        return "number"
    return ""


def find_years(text: str) -> list[str]:
    """The years written in ``text``."""
    return _YEAR.findall(text)


def has_reason(text: str) -> bool:
    """Whether ``text`` gives a reason (a cause or purpose clause)."""
    return _REASON.search(text) is not None


def has_when(dates: Collection[object], text: str) -> bool:
    """Whether ``text`` (whose dates are ``dates``) dates something: a date, a span of time."""
    return bool(dates) or _DURATION.search(text) is not None


def _names(text: str) -> list[str]:
    """The capitalised words of ``text`` that can be names (not a sentence's first word)."""
    out: list[str] = []
    for m in _CAPITALISED.finditer(text):
        before = text[: m.start()].rstrip()
        if not before or before[-1] in '.!?:«"“(':
            continue  # a sentence's first word is capitalised whatever it is
        word = fold(m.group(0).strip("'’-"))
        if word and word not in _NOT_NAMES:
            out.append(word)
    return out


def has_name(
    entities: Collection[str],
    text: str,
    query: Query,
    types: Mapping[str, str],
    wanted: Collection[str],
    asked: Collection[str],
    p_title: bool = False,
) -> bool:
    """Whether the passage names someone (``wanted`` catalog types) the question does not."""
    if any(e not in query.entities and types.get(e) in wanted for e in entities):
        return True
    if p_title:
        return False  # every word of an English headline is capitalised
    # names the catalog does not know; catalog names of another type do not count
    known = {fold(part) for e in entities if types.get(e) not in wanted for part in e.split("-")}
    return any(w not in asked and w not in known for w in _names(text))


def has_number(text: str, lang: str, query: Query, unit: str) -> bool:
    """Whether ``text`` holds a number the question does not, followed by ``unit``."""
    seq = cached_units(same_numbers(text), lang)
    asked = set(query.terms)
    percent = re.search(r"\d\s?%|\bper ?cent|\bpour ?cent", text, re.IGNORECASE) is not None
    for i, u in enumerate(seq):
        if not (_NUMBER_UNIT.match(u) or u in NUMBER_WORDS) or u in asked:
            continue
        after = seq[i + 1 : i + 4]
        if unit == "number":
            return True
        if unit == "percent":
            if percent:
                return True
        elif unit == "money":
            if any(a in _MONEY_UNITS for a in after):
                return True
        elif unit[5:] in after:
            return True
    return False


def has_answer(
    p: Passage,
    text: str,
    query: Query,
    kind: AnswerType,
    types: Mapping[str, str],
    asked: Collection[str],
) -> bool:
    """Whether the sentence of ``p`` holds an answer of ``kind``.

    ``asked``: the folded words of the question (a name the question holds is no answer).
    The passage's ``text`` is its sentence (its dates and entities are the passage's).
    """
    if not kind:
        return True
    if kind == "date":
        return (bool(p.dates) and text == p.sentence) or bool(find_years(text))
    if kind == "span":
        return has_when(p.dates, text)
    if kind == "reason":
        return has_reason(text)
    if kind == "person":
        return has_name(
            p.entities, text, query, types, ("person", "organisation"), asked, p.index == 0
        )
    if kind == "organisation":
        return has_name(p.entities, text, query, types, ("organisation",), asked, p.index == 0)
    if kind == "place":
        if any(types.get(e) == "place" for e in p.entities):
            return True
        return re.search(r"\b(?:in|at|near|à|a|en|près de|dans)\s+[A-ZÀ-Þ]", text) is not None
    if kind.startswith("unit:") or kind in ("money", "percent", "number"):
        return has_number(text, p.lang, query, kind)
    return True
