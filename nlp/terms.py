"""Index terms for full-text search: the same words and stems for articles and queries.

:func:`words` gives the words of a text in comparison form: folded (:func:`nlp.text.fold`:
case, accents, ligatures), French elisions and English possessives dropped, split at
hyphens, stop words of both languages removed. :func:`terms` gives their stems
(:func:`nlp.text.stem`), so that "licences" finds "licence", "fondée" finds "fondateur"
and "Open-Source" finds "open source". Neither rule is written here: this module only puts
the rules of :mod:`nlp.text` in the order that search needs.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Final

from .text import fold, stem, strip_elision

__all__ = ["STOPWORDS", "term_frequencies", "terms", "words"]

_WORD: Final = re.compile(r"[^\W_]+(?:[.\-][^\W_]+)*", re.UNICODE)

_FRENCH_STOPWORDS: Final = [
    "a",
    "à",
    "au",
    "aux",
    "avec",
    "ce",
    "ces",
    "cet",
    "cette",
    "dans",
    "de",
    "des",
    "du",
    "elle",
    "en",
    "et",
    "eux",
    "il",
    "ils",
    "je",
    "la",
    "le",
    "les",
    "leur",
    "leurs",
    "lui",
    "ma",
    "mais",
    "me",
    "même",
    "mes",
    "moi",
    "mon",
    "ne",
    "nos",
    "notre",
    "nous",
    "on",
    "ou",
    "où",
    "par",
    "pas",
    "pour",
    "qu",
    "que",
    "qui",
    "sa",
    "se",
    "ses",
    "son",
    "sur",
    "ta",
    "te",
    "tes",
    "toi",
    "ton",
    "tu",
    "un",
    "une",
    "vos",
    "votre",
    "vous",
    "y",
    "est",
    "sont",
    "été",
    "être",
    "avait",
    "ont",
    "fait",
    "plus",
    "comme",
    "aussi",
    "dont",
    "sans",
    "sous",
    "entre",
    "après",
    "avant",
    "très",
    "tout",
    "tous",
    "toute",
    "toutes",
    "quand",
    "alors",
    "donc",
    "ainsi",
    "cela",
    "ça",
    "selon",
    "chez",
]
_ENGLISH_STOPWORDS: Final = [
    "the",
    "an",
    "and",
    "or",
    "of",
    "to",
    "in",
    "for",
    "with",
    "at",
    "by",
    "from",
    "as",
    "is",
    "are",
    "was",
    "were",
    "be",
    "been",
    "being",
    "it",
    "its",
    "this",
    "that",
    "these",
    "those",
    "he",
    "she",
    "they",
    "them",
    "his",
    "her",
    "their",
    "we",
    "you",
    "i",
    "not",
    "no",
    "but",
    "if",
    "then",
    "than",
    "so",
    "such",
    "into",
    "over",
    "about",
    "after",
    "before",
    "also",
    "has",
    "have",
    "had",
    "do",
    "does",
    "did",
    "will",
    "would",
    "can",
    "could",
    "what",
    "which",
    "who",
    "whom",
    "whose",
    "when",
    "where",
    "why",
    "how",
]
STOPWORDS: Final = frozenset(fold(w) for w in (*_FRENCH_STOPWORDS, *_ENGLISH_STOPWORDS))
"""Folded French and English words that say nothing about what a text is about."""


def words(text: str, stop: frozenset[str] = STOPWORDS) -> list[str]:
    """The folded words of a text, in order, without the ``stop`` words; not stemmed.

    "L'IA d'OpenAI, open-source" -> ["ia", "openai", "open", "source"]. Single letters are
    left out, single digits kept.
    """
    out: list[str] = []
    for raw in text.split():
        for match in _WORD.finditer(fold(strip_elision(raw))):
            word = match.group(0).strip(".-")
            for part in word.split("-") if "-" in word else [word]:
                part = part.strip(".")
                if len(part) < 2 and not part.isdigit():
                    continue
                if part not in stop:
                    out.append(part)
    return out


def terms(text: str, stop: frozenset[str] = STOPWORDS) -> list[str]:
    """The index terms of a text, in order: the stems of its :func:`words`."""
    return [stem(word) for word in words(text, stop)]


def term_frequencies(text: str) -> Counter[str]:
    """How often each index term occurs in ``text``."""
    return Counter(terms(text))
