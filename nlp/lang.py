"""Language identification for French and English news text.

:func:`detect_language` says "fr", "en", "other" (Spanish, Italian, Dutch, German…: a
language we do not handle) or "und" (no evidence). Texts of four words or more go to
py3langid (a naive Bayes model over byte n-grams; BSD-3, its model ships inside the wheel,
nothing is downloaded), restricted to French, English and the languages most often
mistaken for them, loaded once on first use (about 0.6 s and 120 MB, see
``benchmarks/entities.py``). Shorter texts (a name, a three-word caption) are decided by
our own lists of function words frequent in one language and rare in the other, plus a few
characteristic spellings (French accented letters and elided articles, the English
possessive), which also break a close call. A French article with an English photo caption
stays French because the body outweighs the caption; :func:`line_languages` finds such
captions line by line.
"""

from __future__ import annotations

import functools
import logging
import re
import threading
from typing import Any, Final

__all__ = ["HANDLED", "detect_language", "identify"]

logger = logging.getLogger(__name__)

HANDLED: Final = ("fr", "en")
"""The languages grokwatch analyses; any other is "other"."""
# py3langid chooses among these: ours, and the languages most often mistaken for them
_CANDIDATES: Final = ("fr", "en", "es", "it", "pt", "nl", "de", "ca", "ro", "da", "sv", "pl")
_SHORT: Final = 4  # fewer words than this: our word lists decide
_SURE: Final = 0.5  # py3langid's probability above which "other" is believed

# Words frequent in one language and (nearly) absent from the other. Words shared by both
# ("a", "on", "en", "as", "but", "son"...) are left out on purpose.
_FR: Final = frozenset(
    [
        "le",
        "la",
        "les",
        "des",
        "du",
        "de",
        "et",
        "est",
        "un",
        "une",
        "que",
        "qui",
        "dans",
        "pour",
        "pas",
        "sur",
        "au",
        "aux",
        "avec",
        "ce",
        "cette",
        "ces",
        "il",
        "elle",
        "ils",
        "elles",
        "sont",
        "été",
        "être",
        "par",
        "plus",
        "ne",
        "se",
        "ses",
        "sa",
        "leur",
        "leurs",
        "nous",
        "vous",
        "mais",
        "ou",
        "où",
        "donc",
        "car",
        "comme",
        "aussi",
        "très",
        "sans",
        "entre",
        "après",
        "avant",
        "depuis",
        "selon",
        "contre",
        "lors",
        "dont",
        "même",
        "été",
        "fait",
        "était",
        "avait",
        "avoir",
        "sera",
        "seront",
        "peut",
        "doit",
        "va",
        "vont",
        "lui",
        "ont",
        "cet",
        "tout",
        "tous",
        "toutes",
        "déjà",
        "encore",
        "ainsi",
        "alors",
        "chez",
        "vers",
        "sous",
        "quand",
        "notre",
        "votre",
        "faire",
        "annonce",
        "annoncé",
        "semaine",
        "mois",
        "année",
        "lundi",
        "mardi",
        "mercredi",
        "jeudi",
        "vendredi",
        "samedi",
        "dimanche",
        "milliardaire",
        "entreprise",
        "société",
        "également",
        "logiciel",
        "libre",
        "intelligence",
        "artificielle",
        "modèle",
        "publie",
        "passe",
        "rend",
        "répond",
        "lance",
        "dévoile",
        "ouvre",
        "accuse",
        "poursuit",
        "attaque",
        "veut",
        "nouveau",
        "nouvelle",
    ]
)
_EN: Final = frozenset(
    [
        "the",
        "of",
        "and",
        "to",
        "in",
        "is",
        "that",
        "for",
        "it",
        "with",
        "was",
        "are",
        "by",
        "this",
        "be",
        "from",
        "at",
        "have",
        "has",
        "an",
        "not",
        "which",
        "or",
        "its",
        "their",
        "they",
        "will",
        "would",
        "been",
        "were",
        "who",
        "what",
        "when",
        "its",
        "about",
        "into",
        "than",
        "more",
        "after",
        "before",
        "over",
        "says",
        "said",
        "also",
        "his",
        "her",
        "he",
        "she",
        "we",
        "our",
        "you",
        "your",
        "new",
        "week",
        "year",
        "this",
        "these",
        "those",
        "there",
        "here",
        "just",
        "can",
        "could",
        "should",
        "may",
        "might",
        "did",
        "does",
        "do",
        "while",
        "billion",
        "company",
        "announced",
        "weights",
        "release",
        "released",
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
        "rival",
        "lawsuit",
        "sues",
        "releases",
        "launches",
        "unveils",
        "opens",
        "says",
        "accuses",
        "wants",
        "against",
        "makes",
        "gets",
        "amid",
        "how",
        "why",
        "its",
    ]
)
_WORD: Final = re.compile(r"[a-zà-ÿœæ]+")
_ELIDED_FR: Final = re.compile(r"(?<![\w'])(?:qu|[dlcjnms])'(?=[a-zà-ÿ])")
_FR_ACCENTS: Final = re.compile(r"[éèêàùçâîôûœ]")
_EN_MARKS: Final = re.compile(r"\w's\b|\wn't\b")
_SAMPLE: Final = 1500


def _word_vote(sample: str) -> str:
    """ "fr", "en" or "und" from our word lists (``sample`` lower-cased)."""
    words = _WORD.findall(sample)
    # an elided article is followed by a word: "l'entreprise" counts as French twice
    fr = float(sum(map(_FR.__contains__, words)) + len(_ELIDED_FR.findall(sample)))
    en = float(sum(map(_EN.__contains__, words)))
    fr += 0.5 * min(len(_FR_ACCENTS.findall(sample)), 20)
    en += 0.5 * min(len(_EN_MARKS.findall(sample)), 20)
    total = fr + en
    if total < 1.0:
        return "und"
    if fr > en * 1.25 and fr >= 1.0:
        return "fr"
    if en > fr * 1.25 and en >= 1.0:
        return "en"
    return "und"


_LOCK: Final = threading.Lock()


@functools.cache
def _identifier() -> Any:
    """py3langid's identifier over :data:`_CANDIDATES`, loaded once (the model is in the wheel)."""
    with _LOCK:
        from py3langid.langid import MODEL_FILE, LanguageIdentifier

        ident = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
        ident.set_languages(list(_CANDIDATES))
        # the full 97-language matrix is kept only to restrict again later, which we never
        # do: dropping it saves about 28 MB in every process that detects languages
        ident._full_model = (ident.nb_ptc, ident.nb_pc, ident.nb_classes)
        logger.debug("py3langid loaded over %s", ", ".join(_CANDIDATES))
        return ident


def identify(text: str) -> tuple[str, float]:
    """py3langid's best language among :data:`_CANDIDATES` for ``text``, with its probability."""
    lang, prob = _identifier().classify(text[:_SAMPLE])
    return str(lang), float(prob)


def detect_language(text: str) -> str:
    """Return "fr", "en", "other" (a language we do not handle) or "und" (no evidence)."""
    sample = text[:_SAMPLE].lower().replace("\u2019", "'")
    vote = _word_vote(sample)
    if len(_WORD.findall(sample)) < _SHORT:
        return vote
    lang, prob = identify(sample)
    if lang in HANDLED:
        return lang
    if prob >= _SURE:
        return "other"
    return vote
