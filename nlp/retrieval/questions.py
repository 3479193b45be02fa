"""Questions as ``/grok ask`` reads them: their language, their kind, their words.

:func:`question_language` tells French from English on a few words; :func:`question_kind`
says what the question asks for ("quand / when / en quelle année" a date, "qui / who" a
person, "quelle entreprise / which company" an organisation, "combien / how many" a number,
"où / where" a place); :class:`Query` is a question once the ranker has read it.
:data:`NUMBER` and :data:`YEAR_UNIT` recognise what answers a count or a date.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final, Literal

from ..lang import detect_language
from ..text import normalize_text

__all__ = [
    "NUMBER",
    "NUMBER_WORDS",
    "YEAR_UNIT",
    "Query",
    "QuestionKind",
    "asked_unit",
    "question_kind",
    "question_language",
    "question_tokens",
]

QuestionKind = Literal["when", "who", "which-org", "count", "where", "why", "other"]

_WHEN: Final = re.compile(
    r"\b(?:quand|en quelle ann[ée]e|quelle ann[ée]e|[àa] quelle date|quelle date|depuis quand|"
    r"en quel mois|quel mois|quel jour|when|what year|which year|in what year|what date|"
    r"what month|on what day|what day)\b",
    re.IGNORECASE,
)
_WHO: Final = re.compile(r"\b(?:qui|who|whom)\b", re.IGNORECASE)
_WHY: Final = re.compile(
    r"\b(?:pourquoi|why|pour quelle raison|for what reason|what (?:led|drove|caused)|"
    r"qu'est-ce qui (?:explique|a pouss[ée])|comment s'explique)\b",
    re.IGNORECASE,
)
_UNIT_AFTER: Final = re.compile(
    r"\b(?:combien (?:de|d')|how many|quel nombre de|what number of)\s*([^\W\d_][\w-]*)",
    re.IGNORECASE,
)
_WHICH_ORG: Final = re.compile(
    r"\b(?:quelle (?:entreprise|soci[ée]t[ée]|firme|start-?up)|quelles entreprises|"
    r"which (?:company|companies|firm|firms|start-?ups?|tech giant|giant)|what company)\b",
    re.IGNORECASE,
)
_COUNT: Final = re.compile(
    r"\b(?:combien(?: de| d')?|how many|how much|quelle taille|what size|how big|"
    r"quelle vitesse|how fast|valued at|vaut)\b",
    re.IGNORECASE,
)
_WHERE: Final = re.compile(
    r"\b(?:o[ùu]|where|dans quel(?:le)? (?:ville|pays|[ée]tat|tribunal))\b", re.IGNORECASE
)
# the words that frame a question without saying what it is about
_FRAME: Final = re.compile(
    r"\b(?:en quelle ann[ée]e|quelle ann[ée]e|[àa] quelle date|quelle date|en quel mois|"
    r"quel mois|quel jour|what year|which year|in what year|what date|what month|what day|"
    r"combien de|combien d'|combien|how many|how much|est-ce que|qu'est-ce qui|qu'est-ce que)\b",
    re.IGNORECASE,
)
NUMBER_WORDS: Final = [
    "deux",
    "trois",
    "quatre",
    "cinq",
    "six",
    "sept",
    "huit",
    "neuf",
    "dix",
    "douze",
    "douzaine",
    "two",
    "three",
    "four",
    "five",
    "seven",
    "eight",
    "nine",
    "ten",
    "twelve",
    "dozen",
]
NUMBER: Final = re.compile(r"\d|\b(?:" + "|".join(NUMBER_WORDS) + r")\b", re.IGNORECASE)
YEAR_UNIT: Final = re.compile(r"^(?:1[89]|20)\d\d$|^@m\d+$")
_TOKEN: Final = re.compile(r"[^\W_][\w.\-']*", re.UNICODE)
_FR_MARKERS: Final = re.compile(
    r"\b(?:quand|qui|quel|quelle|quels|quelles|combien|comment|pourquoi|est-ce|"
    r"a-t-il|a-t-elle|o[ùu]|qu'|d'où|les|des|une|dans|avec|sous|été)\b|[éèêàùçâîôû]",
    re.IGNORECASE,
)
_EN_MARKERS: Final = re.compile(
    r"\b(?:when|who|what|which|how|why|where|did|does|do|is|are|was|were|the|of|"
    r"many|much|with|under)\b",
    re.IGNORECASE,
)


def question_language(question: str) -> str:
    """ "fr" or "en": the language of a (short) question, English when unsure."""
    text = normalize_text(question)
    found = detect_language(text)
    if found in ("fr", "en") and len(text.split()) >= 8:
        return found
    fr = len(_FR_MARKERS.findall(text))
    en = len(_EN_MARKERS.findall(text))
    if fr == en:
        return found if found in ("fr", "en") else "en"
    return "fr" if fr > en else "en"


@dataclass(frozen=True, slots=True)
class Query:
    """A question as the ranker sees it."""

    text: str
    lang: str
    kind: QuestionKind
    entities: tuple[str, ...]  # catalog ids named in the question
    terms: tuple[str, ...]  # matching units of the rest of the question (see :func:`.units.units`)
    unit: str = ""  # "how many X" / "combien de X": the unit of X
    unknown: tuple[str, ...] = ()  # names of the question that no passage holds


def question_kind(question: str) -> QuestionKind:
    """What a question asks for: a date, a person, an organisation, a number, a place."""
    if _WHY.search(question):
        return "why"
    if _WHEN.search(question):
        return "when"
    if _WHICH_ORG.search(question):
        return "which-org"
    if _COUNT.search(question):
        return "count"
    if _WHO.search(question):
        return "who"
    if _WHERE.search(question):
        return "where"
    return "other"


def asked_unit(question: str) -> str:
    """The word after "how many" / "combien de" ("combien de paramètres" -> "paramètres")."""
    m = _UNIT_AFTER.search(question)
    return m.group(1) if m else ""


def question_tokens(question: str) -> list[str]:
    """The words of a question without the words that frame it ("en quelle année", "how
    many"), trailing periods, apostrophes and hyphens cut: what entities and units come from."""
    return [m.group(0).rstrip(".'-") for m in _TOKEN.finditer(_FRAME.sub(" ", question))]
