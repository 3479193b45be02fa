"""Quotations and who said them, in French and English news text.

:func:`find_quotes` returns the quotations of a text as :class:`Quote` records:

* **direct** quotes between « … », “ … ”, ‹ … › or straight " … " marks. Quotes of one or two
  words are scare quotes ("une IA « librement accessible »") and are skipped unless a speech
  verb stands right beside them ("« Mensonge », a répondu OpenAI").
* **reported** speech without marks: "Selon OpenAI, Musk voulait…", "…, selon la plainte",
  "La société affirme que…", "Musk argued that…", "Pour OpenAI, …" (French only).

The speaker comes from the quote's own sentence, in this order: a speech verb right after the
quote ("« … », a déclaré X", "“…,” Musk said", "“…,” said Musk"), a speaker and a speech verb
before it ("X a déclaré que « … »", "X wrote: “…”"), then "selon X" / "d'après X" /
"according to X" anywhere in the sentence. A speaker is written either as a run of
capitalised words with their particles ("Elon Musk", "Ursula von der Leyen") or as a short
noun phrase from a list of speaking roles ("le milliardaire", "l'entrepreneur", "the company",
"les avocats d'Elon Musk"). A pronoun ("il", "he") leaves the speaker unknown.

Offsets are into the text as given. The text is normalised first (curly apostrophes to
``'``, no-break spaces to spaces), which keeps every character in place, so ``Quote.text`` and
``Quote.speaker`` are slices of the normalised text.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final, Literal

from nlp.text import normalize_text

__all__ = ["MIN_WORDS", "Quote", "find_quotes"]

logger = logging.getLogger(__name__)

MIN_WORDS: Final = 3
"""A direct quote shorter than this is a scare quote, kept only beside a speech verb."""

MAX_QUOTE_CHARS: Final = 1500
"""Quotation marks further apart than this are not taken as one quote."""


@dataclass(frozen=True, slots=True)
class Quote:
    """One quotation and its speaker."""

    text: str
    """The quoted words, without the quotation marks (for reported speech, the clause)."""
    speaker: str | None
    """The speaker as written ("Elon Musk", "OpenAI", "l'entrepreneur"), or ``None``."""
    start: int
    """Offset of :attr:`text` in the text given to :func:`find_quotes`."""
    end: int
    kind: Literal["direct", "reported"]


# --------------------------------------------------------------------------------------
# Lexicon
# --------------------------------------------------------------------------------------

_FR_VERB_STEMS: Final = [
    "déclar",
    "indiqu",
    "affirm",
    "estim",
    "argument",
    "expliqu",
    "soulign",
    "assur",
    "ajout",
    "annonc",
    "confi",
    "rappel",
    "insist",
    "proclam",
    "dénonc",
    "martel",
    "martèl",
    "ironis",
    "tweet",
    "twitt",
    "répét",
    "concéd",
    "concèd",
    "précis",
    "résum",
    "lâch",
    "tranch",
    "assén",
    "raill",
    "fustig",
    "regrett",
    "dément",
    "nuanc",
    "répliqu",
    "comment",
    "rétorqu",
    "témoign",
    "jug",
    "avou",
    "prévien",
    "promett",
]
_FR_VERB_ENDINGS: Final = [
    "e",
    "es",
    "ent",
    "é",
    "ée",
    "és",
    "ées",
    "ait",
    "aient",
    "ant",
    "era",
    "eront",
    "ons",
    "ez",
]
_FR_VERB_IRREGULAR: Final = [
    "dit",
    "disait",
    "dira",
    "dise",
    "disent",
    "écrit",
    "écrivait",
    "écrivent",
    "écrira",
    "répond",
    "répondu",
    "répondait",
    "répondent",
    "répondra",
    "admet",
    "admis",
    "reconnaît",
    "reconnait",
    "reconnu",
    "soutient",
    "soutenu",
    "soutenait",
    "prévient",
    "prévenu",
    "avertit",
    "averti",
    "conclut",
    "conclu",
    "maintient",
    "maintenu",
    "promet",
    "promis",
]
_EN_VERBS: Final = [
    "said",
    "says",
    "say",
    "wrote",
    "writes",
    "write",
    "argued",
    "argues",
    "told",
    "tells",
    "added",
    "adds",
    "explained",
    "explains",
    "tweeted",
    "posted",
    "replied",
    "replies",
    "noted",
    "stated",
    "claimed",
    "claims",
    "insisted",
    "insists",
    "warned",
    "warns",
    "announced",
    "declared",
    "stressed",
    "acknowledged",
    "admitted",
    "countered",
    "responded",
    "recalled",
    "continued",
    "asked",
    "cautioned",
    "maintained",
    "suggested",
    "contended",
]

_FR_ROLES: Final = [
    "milliardaire",
    "entrepreneur",
    "patron",
    "patronne",
    "fondateur",
    "fondatrice",
    "cofondateur",
    "cofondatrice",
    "co-fondateur",
    "dirigeant",
    "dirigeants",
    "dirigeante",
    "directeur",
    "directrice",
    "PDG",
    "président",
    "présidente",
    "porte-parole",
    "société",
    "entreprise",
    "start-up",
    "startup",
    "groupe",
    "firme",
    "laboratoire",
    "labo",
    "avocat",
    "avocats",
    "avocate",
    "plainte",
    "communiqué",
    "document",
    "billet",
    "courriel",
    "ministre",
    "chercheur",
    "chercheuse",
    "chercheurs",
    "expert",
    "experts",
    "observateurs",
    "analyste",
    "analystes",
    "responsable",
    "responsables",
    "géant",
    "juge",
    "tribunal",
    "régulateur",
    "commission",
    "manitou",
    "magnat",
    "investisseur",
    "investisseurs",
    "créateur",
    "ingénieur",
    "ingénieurs",
    "concurrent",
    "rival",
    "organisation",
    "association",
    "plaignant",
    "plaignante",
    "plaignants",
    "homme d'affaires",
    "juriste",
    "fondation",
    "agence",
    "gouvernement",
    "ministère",
    "syndicat",
    "collectif",
    "ONG",
]
_EN_ROLES: Final = [
    "company",
    "firm",
    "billionaire",
    "entrepreneur",
    "founder",
    "co-founder",
    "cofounder",
    "spokesperson",
    "spokesman",
    "spokeswoman",
    "lawyers",
    "lawyer",
    "attorneys",
    "attorney",
    "lawsuit",
    "complaint",
    "filing",
    "suit",
    "startup",
    "start-up",
    "lab",
    "researchers",
    "researcher",
    "executive",
    "CEO",
    "statement",
    "post",
    "judge",
    "court",
    "regulator",
    "investor",
    "investors",
    "critics",
    "analysts",
    "analyst",
    "experts",
    "expert",
    "group",
    "team",
    "memo",
    "chief",
    "executive",
    "businessman",
    "foundation",
    "government",
    "agency",
    "union",
]

_CAP_STOPWORDS: Final = [
    "Le",
    "La",
    "Les",
    "L",
    "Un",
    "Une",
    "Des",
    "Du",
    "De",
    "D",
    "Il",
    "Elle",
    "Ils",
    "Elles",
    "On",
    "Ce",
    "Cet",
    "Cette",
    "Ces",
    "Selon",
    "Pour",
    "Dans",
    "Mais",
    "Et",
    "Or",
    "Si",
    "Quand",
    "Lorsque",
    "En",
    "Au",
    "Aux",
    "Sa",
    "Son",
    "Ses",
    "Leur",
    "Leurs",
    "Dès",
    "Après",
    "Avant",
    "Depuis",
    "Par",
    "Sur",
    "Sous",
    "Avec",
    "Sans",
    "Chez",
    "Entre",
    "Comme",
    "Ainsi",
    "Alors",
    "Puis",
    "Enfin",
    "Aussi",
    "Même",
    "Tout",
    "Tous",
    "Toute",
    "Cela",
    "Ceci",
    "Ça",
    "Qui",
    "Que",
    "Quoi",
    "Où",
    "Oui",
    "Non",
    "Voyant",
    "Lundi",
    "Mardi",
    "Mercredi",
    "Jeudi",
    "Vendredi",
    "Samedi",
    "Dimanche",
    "The",
    "A",
    "An",
    "He",
    "She",
    "It",
    "They",
    "We",
    "You",
    "I",
    "In",
    "At",
    "On",
    "Of",
    "But",
    "And",
    "For",
    "Or",
    "According",
    "This",
    "That",
    "These",
    "Those",
    "His",
    "Her",
    "Its",
    "Their",
    "When",
    "While",
    "After",
    "Before",
    "Since",
    "As",
    "If",
    "Then",
    "There",
    "Here",
    "Yet",
    "So",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
]


def _alt(words: Iterable[str]) -> str:
    return "|".join(sorted((re.escape(w) for w in words), key=len, reverse=True))


_UPPER: Final = "A-ZÀ-ÖØ-Þ"
_LOWER: Final = "a-zß-öø-ÿ"
_B: Final = r"(?<![\w'-])"
_E: Final = r"(?![\w-])"

_PROPER_WORD: Final = (
    rf"(?!(?:{_alt(_CAP_STOPWORDS)})(?![\w'-]))"
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
        rf"(?:{_alt(_FR_VERB_STEMS)})(?:{_alt(_FR_VERB_ENDINGS)})|{_alt(_FR_VERB_IRREGULAR)}"
        r"|(?:fait|font|faisait|faisaient)\s+(?:[a-zé]+\s+)?(?:valoir|savoir)"
    )
    en = _alt(_EN_VERBS)
    body = {"fr": fr, "en": en}.get(lang, f"{fr}|{en}")
    return rf"(?i:{body}){_E}"


@dataclass(frozen=True, slots=True)
class _Grammar:
    """The compiled patterns of one language."""

    after: tuple[re.Pattern[str], ...]  # right after a quote: ", a déclaré X", ", X said"
    before: re.Pattern[str]  # before a quote: "X a déclaré que"
    according: re.Pattern[str]  # "selon X", "according to X"
    lead_in: re.Pattern[str]  # reported: "Selon X, …" / "Pour X, …" at the sentence start
    trailing: re.Pattern[str]  # reported: "…, selon X."
    that_clause: re.Pattern[str]  # reported: "X affirme que …", "X argued that …"


def _grammar(lang: str) -> _Grammar:
    roles = {"fr": _FR_ROLES, "en": _EN_ROLES}.get(lang, _FR_ROLES + _EN_ROLES)
    speaker = rf"(?P<sp>{_nominal(roles)}|{_NAME})"
    verb = _verbs(lang)
    aux = r"(?:(?i:a|ont|avait|avaient|aurait|has|had)(?:-t-(?:il|elle|on))?\s+)?"
    adv = r"(?:(?i:également|aussi|encore|alors|ensuite|notamment|also|then|later)\s+)?"
    clitic = r"(?:-t-(?:il|elle|ils|elles|on)|-(?:il|elle|ils|elles|on))?"
    according = r"(?i:selon|d'après|according\s+to)"
    filler = rf"(?:\s+(?!(?i:que|qu'|that)\b)[{_LOWER}][\w'-]*){{0,3}}?"
    lead = r"(?i:selon|d'après|according\s+to|pour)" if lang != "en" else according
    return _Grammar(
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


_GRAMMARS: Final[dict[str, _Grammar]] = {code: _grammar(code) for code in ("fr", "en", "*")}

_QUOTE_PATTERNS: Final = tuple(
    re.compile(p)
    for p in (
        rf"«(?P<q>[^«»\n]{{1,{MAX_QUOTE_CHARS}}}?)»",
        rf"“(?P<q>[^“”\n]{{1,{MAX_QUOTE_CHARS}}}?)”",
        rf"‹(?P<q>[^‹›\n]{{1,{MAX_QUOTE_CHARS}}}?)›",
        rf'(?<!\w)"(?=\S)(?P<q>[^"\n]{{1,{MAX_QUOTE_CHARS}}}?)(?<=\S)"(?!\w)',
    )
)
_WORD: Final = re.compile(r"\w+")
_SENTENCE_END: Final = re.compile(r"[.!?…]+[»”\"')\]]*(?=\s+[«“\"(\[A-ZÀ-Ý0-9])|\n+")
_ABBREVIATION: Final = re.compile(r"(?:\b[A-Z]|\bM|\bMme|\bMM|\bDr|\bMr|\bMrs|\bMs|\bSt|\bvs)\.$")
_ADJACENT_BEFORE: Final = re.compile(r"^\s*(?:(?i:que|qu'|that)|[:,])?\s*$")


@dataclass(frozen=True, slots=True)
class _Span:
    outer_start: int
    outer_end: int
    start: int
    end: int


def _direct_spans(text: str) -> list[_Span]:
    """The quotation-mark spans of ``text``, outermost first, none inside another."""
    spans: list[_Span] = []
    for pattern in _QUOTE_PATTERNS:
        for m in pattern.finditer(text):
            if any(s.outer_start <= m.start() < s.outer_end for s in spans):
                continue
            start, end = m.span("q")
            while start < end and text[start].isspace():
                start += 1
            while end > start and (text[end - 1].isspace() or text[end - 1] in ",;:"):
                end -= 1
            if start < end:
                spans.append(_Span(m.start(), m.end(), start, end))
    spans.sort(key=lambda s: s.outer_start)
    return spans


def _sentences(text: str, spans: list[_Span]) -> list[tuple[int, int]]:
    """Sentence boundaries of ``text``, never inside quotation marks."""
    bounds: list[tuple[int, int]] = []
    start = 0
    for m in _SENTENCE_END.finditer(text):
        if any(s.outer_start < m.start() < s.outer_end - 1 for s in spans):
            continue
        if m.group().startswith(".") and _ABBREVIATION.search(text[: m.start() + 1]):
            continue
        bounds.append((start, m.end()))
        start = m.end()
    bounds.append((start, len(text)))
    return [(a, b) for a, b in bounds if text[a:b].strip()]


def _clean_speaker(m: re.Match[str] | None) -> str | None:
    """The speaker a match names, or ``None`` (no match, or a pronoun)."""
    if m is None or "sp" not in m.re.groupindex or m.group("sp") is None:
        return None
    return m.group("sp").strip(" ,.;:")


def _speaker_for(
    text: str, span: _Span, sentence: tuple[int, int], grammar: _Grammar
) -> tuple[str | None, bool]:
    """The speaker of a direct quote and whether a speech verb stands right beside it."""
    right = text[span.outer_end : sentence[1]]
    left = text[sentence[0] : span.outer_start]
    for pattern in grammar.after:
        after = pattern.match(right)
        if after is not None:
            return _clean_speaker(after), True
    matches = list(grammar.before.finditer(left))
    if matches:
        before = matches[-1]
        adjacent = bool(_ADJACENT_BEFORE.match(left[before.end() :]))
        speaker = _clean_speaker(before)
        if speaker is not None or adjacent:
            return speaker, adjacent
    according = grammar.according.search(left) or grammar.according.search(right)
    return _clean_speaker(according), False


def _reported(
    text: str, sentence: tuple[int, int], spans: list[_Span], grammar: _Grammar
) -> Quote | None:
    """Reported speech in one sentence, if it has a named speaker and no direct quote."""
    start, end = sentence
    chunk = text[start:end]
    body_start = body_end = -1
    speaker: str | None = None
    for pattern in (grammar.lead_in, grammar.that_clause):
        m = pattern.search(chunk)
        if m is not None:
            speaker, body_start, body_end = _clean_speaker(m), m.start("body"), m.end("body")
            break
    else:
        m = grammar.trailing.search(chunk)
        if m is None:
            return None
        speaker, body_start, body_end = _clean_speaker(m), 0, m.start()
    if speaker is None:
        return None
    body = chunk[body_start:body_end]
    trimmed = body.strip().rstrip(".!?…;: ").strip()
    if len(_WORD.findall(trimmed)) < MIN_WORDS:
        return None
    q_start = start + body_start + (len(body) - len(body.lstrip()))
    q_end = q_start + len(trimmed)
    if any(s.outer_start < q_end and q_start < s.outer_end for s in spans):
        return None
    return Quote(text[q_start:q_end], speaker, q_start, q_end, "reported")


def find_quotes(text: str, lang: str = "fr") -> list[Quote]:
    """The direct and reported quotations of ``text``, in order, with their speakers.

    ``lang`` ("fr" or "en"; anything else means both) picks the speech verbs and speaker
    roles. See the module docstring for what counts as a quote and a speaker.
    """
    norm = normalize_text(text)
    grammar = _GRAMMARS.get(lang[:2], _GRAMMARS["*"])
    spans = _direct_spans(norm)
    sentences = _sentences(norm, spans)
    quotes: list[Quote] = []
    for span in spans:
        sentence = next((s for s in sentences if s[0] <= span.outer_start < s[1]), (0, len(norm)))
        speaker, adjacent = _speaker_for(norm, span, sentence, grammar)
        words = len(_WORD.findall(norm[span.start : span.end]))
        if words < MIN_WORDS and not adjacent:
            logger.debug("skipping scare quote %r", norm[span.start : span.end])
            continue
        quotes.append(Quote(norm[span.start : span.end], speaker, span.start, span.end, "direct"))
    for sentence in sentences:
        reported = _reported(norm, sentence, spans, grammar)
        if reported is not None:
            quotes.append(reported)
    quotes.sort(key=lambda q: q.start)
    return quotes
