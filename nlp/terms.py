"""Index terms for full-text search: the same normalisation for articles and queries.

Case and accents are folded, French elisions and English possessives dropped, stop words
of both languages removed and plurals lightly stemmed, so that "licences" finds "licence"
and "Open-Source" finds "open source".
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter

_WORD = re.compile(r"[^\W_]+(?:[.\-][^\W_]+)*", re.UNICODE)
_ELISION = re.compile(r"^(?:l|d|j|m|n|s|t|c|qu|jusqu|lorsqu|puisqu)'", re.IGNORECASE)

STOPWORDS = frozenset(
    [
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
        "a",
        "été",
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
        "the",
        "a",
        "an",
        "and",
        "or",
        "of",
        "to",
        "in",
        "on",
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
)


def fold(text: str) -> str:
    """Casefold and strip accents ("Élysée" → "elysee")."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _stem(word: str) -> str:
    if len(word) > 4 and word.endswith(("s", "x")) and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def terms(text: str) -> list[str]:
    """Index terms of a text, in order, stop words removed."""
    text = text.replace("’", "'").replace("‘", "'")
    out: list[str] = []
    for raw in text.split():
        raw = _ELISION.sub("", raw)
        if raw.endswith(("'s", "'S")):
            raw = raw[:-2]
        for match in _WORD.finditer(fold(raw)):
            word = match.group(0).strip(".-")
            for part in word.split("-") if "-" in word else [word]:
                part = part.strip(".")
                if len(part) < 2 and not part.isdigit():
                    continue
                if part in STOPWORDS:
                    continue
                out.append(_stem(part))
    return out


def term_frequencies(text: str) -> Counter[str]:
    return Counter(terms(text))
