"""The grammar of quoting: the patterns that find a speaker and a speech verb around a quote.

One :class:`Grammar` per language ("fr", "en", and "*" for both), built from the words of
:mod:`.lexicon`: a speaker is a run of capitalised words with their particles ("Ursula von
der Leyen") or a short noun phrase naming a role ("les avocats d'Elon Musk").
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

from .lexicon import (
    CAP_STOPWORDS,
    EN_ROLES,
    EN_VERBS,
    FR_ROLES,
    FR_VERB_ENDINGS,
    FR_VERB_IRREGULAR,
    FR_VERB_STEMS,
)

__all__ = ["GRAMMARS", "Grammar"]


def _alt(words: Iterable[str]) -> str:
    return "|".join(sorted((re.escape(w) for w in words), key=len, reverse=True))


_UPPER: Final = "A-ZÀ-ÖØ-Þ"
_LOWER: Final = "a-zß-öø-ÿ"
_B: Final = r"(?<![\w'-])"
_E: Final = r"(?![\w-])"

_PROPER_WORD: Final = (
    rf"(?!(?:{_alt(CAP_STOPWORDS)})(?![\w'-]))"
    rf"(?:[{_UPPER}][\w&.-]*\w|[{_UPPER}]|[a-z]{{1,3}}[{_UPPER}][\w-]*)"
)
_PARTICLE: Final = r"(?:(?:de|du|des|von|van|der|den|da|di|del|al|bin|ibn|ben|le|la)\s+|d')"
_NAME: Final = (
    rf"(?:(?:Le|La|Les|The)\s+(?={_PROPER_WORD}))?"
    rf"{_PROPER_WORD}(?:\s+(?:{_PARTICLE}){{0,2}}{_PROPER_WORD}){{0,4}}"
)
_DET: Final = (
    r"(?i:l'|(?:le|la|les|un|une|son|sa|ses|leur|leurs|ce|cette|ces|the|its|his|her|their|a|an)\s+)"
)
_ADJ: Final = rf"(?:[{_LOWER}][\w-]*\s+){{0,2}}"
_PRONOUN: Final = r"(?i:il|elle|ils|elles|on|he|she|they|it|we)"


# "Pour Elon Musk, en procès contre OpenAI, …": a phrase after the comma is an apposition, not
# the reported clause.
_APPOSITION: Final = r"(?i:en|dans|à|au|aux|avec|sans|qui|dont|après|avant|depuis|sur|sous|chez)\s"


def _nominal(roles: list[str]) -> str:
    """A short noun phrase naming a speaker: "le grand patron", "les avocats d'Elon Musk"."""
    return (
        rf"{_DET}{_ADJ}(?i:{_alt(roles)}){_E}"
        rf"(?:\s+(?:de|du|of|at|for)\s+{_NAME}|\s*d'{_NAME})?"
    )


def _verbs(lang: str) -> str:
    fr = (
        rf"(?:{_alt(FR_VERB_STEMS)})(?:{_alt(FR_VERB_ENDINGS)})|{_alt(FR_VERB_IRREGULAR)}"
        r"|(?:fait|font|faisait|faisaient)\s+(?:[a-zé]+\s+)?(?:valoir|savoir)"
    )
    en = _alt(EN_VERBS)
    body = {"fr": fr, "en": en}.get(lang, f"{fr}|{en}")
    return rf"(?i:{body}){_E}"


@dataclass(frozen=True, slots=True)
class Grammar:
    """The compiled patterns of one language."""

    after: tuple[re.Pattern[str], ...]  # right after a quote: ", a déclaré X", ", X said"
    before: re.Pattern[str]  # before a quote: "X a déclaré que"
    according: re.Pattern[str]  # "selon X", "according to X"
    lead_in: re.Pattern[str]  # reported: "Selon X, …" / "Pour X, …" at the sentence start
    trailing: re.Pattern[str]  # reported: "…, selon X."
    that_clause: re.Pattern[str]  # reported: "X affirme que …", "X argued that …"


def _grammar(lang: str) -> Grammar:
    roles = {"fr": FR_ROLES, "en": EN_ROLES}.get(lang, FR_ROLES + EN_ROLES)
    speaker = rf"(?P<sp>{_nominal(roles)}|{_NAME})"
    verb = _verbs(lang)
    aux = r"(?:(?i:a|ont|avait|avaient|aurait|has|had)(?:-t-(?:il|elle|on))?\s+)?"
    adv = r"(?:(?i:également|aussi|encore|alors|ensuite|notamment|also|then|later)\s+)?"
    clitic = r"(?:-t-(?:il|elle|ils|elles|on)|-(?:il|elle|ils|elles|on))?"
    according = r"(?i:selon|d'après|according\s+to)"
    filler = rf"(?:\s+(?!(?i:que|qu'|that)\b)[{_LOWER}][\w'-]*){{0,3}}?"
    lead = r"(?i:selon|d'après|according\s+to|pour)" if lang != "en" else according
    return Grammar(
        after=tuple(
            re.compile(rf"^[\s,;:]*[-–—]?\s*{p}")
            for p in (
                rf"{aux}{adv}(?P<v>{verb}){clitic}(?:\s+{speaker})?",
                rf"(?:{speaker}|{_PRONOUN})\s+{aux}{adv}(?P<v>{verb})",
                rf"{according}\s+{speaker}",
            )
        ),
        before=re.compile(rf"{_B}(?:{speaker}|{_PRONOUN}){filler}\s+(?P<v>{verb})"),
        according=re.compile(rf"{_B}{according}\s+{speaker}"),
        lead_in=re.compile(
            rf"^\W*{lead}\s+{speaker}\s*,\s*(?!{_APPOSITION})(?P<body>\S.*)$", re.DOTALL
        ),
        trailing=re.compile(rf",\s*{according}\s+{speaker}[\s.!?…]*$"),
        that_clause=re.compile(
            rf"{_B}{speaker}{filler}\s+(?P<v>{verb})\s+(?i:que\s+|qu'|that\s+)(?P<body>\S.*)$",
            re.DOTALL,
        ),
    )


GRAMMARS: Final[dict[str, Grammar]] = {code: _grammar(code) for code in ("fr", "en", "*")}
