"""Alias rules compiled for matching: spelling variants, case rules, context word sets.

:func:`variants` gives the patterns of one alias (hyphen/space, accents, letter case);
:func:`case_ok` applies its case rule; :class:`WordSet` holds the context words a match
needs or must not have around it; :class:`Compiled` is all of that for one alias, computed
once; :func:`word_key` is the neighbour key of a token.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from ..catalog import NUMBER_WORD, AliasRule, context_key
from ..text import strip_accents, window_words

__all__ = ["Compiled", "WordSet", "case_ok", "variants", "word_key"]

_NUMBER = re.compile(r"^[+-]?\d+(?:[.,]\d+)*$")


def variants(text: str) -> set[str]:
    """Spelling variants of an alias: hyphen/space, accents, letter case."""
    forms = {text}
    if " " in text:
        forms.add(text.replace(" ", "-"))
    if "-" in text:
        forms.add(text.replace("-", " "))
    forms |= {strip_accents(f) for f in forms}
    cased: set[str] = set()
    for f in forms:
        cased |= {f, f.lower(), f.upper(), " ".join(w[:1].upper() + w[1:] for w in f.split(" "))}
    return cased


def case_ok(rule: AliasRule, surface: str) -> bool:
    if rule.case == "exact":
        return surface == rule.text
    if rule.case == "cap":
        first = surface[:1]
        if first.isalpha():
            return first.isupper()
        letters = [c for c in surface if c.isalpha()]
        return bool(letters) and letters[0].isupper()
    if rule.case == "not-upper":
        return not (surface.isupper() and sum(c.isalpha() for c in surface) > 1)
    return True


@dataclass(frozen=True, slots=True)
class WordSet:
    """Context words to look for in a window: single words in a set, phrases apart.

    Entries are in :func:`nlp.text.window_words` form: apostrophes and punctuation are
    spaces, so "de l' ia" is looked for as the phrase "de l ia".
    """

    words: frozenset[str]
    phrases: tuple[str, ...]

    @classmethod
    def of(cls, entries: Iterable[str]) -> WordSet | None:
        words: set[str] = set()
        phrases: set[str] = set()
        for entry in entries:
            parts = window_words(entry)
            if len(parts) == 1:
                words.add(parts[0])
            elif parts:
                phrases.add(" ".join(parts))
        if not words and not phrases:
            return None
        return cls(frozenset(words), tuple(sorted(phrases)))

    def found_in(self, words: set[str], joined: str) -> bool:
        """Whether any entry occurs; ``joined`` is the window's words joined by spaces,
        with a space at each end."""
        if not words.isdisjoint(self.words):
            return True
        return any(f" {p} " in joined for p in self.phrases)


@dataclass(frozen=True, slots=True)
class Compiled:
    """Everything the matcher needs per alias, computed once."""

    rule: AliasRule
    check_case: bool
    versioned: bool
    neighbours: bool
    forbid: WordSet | None
    need: WordSet | None


_WORD_KEYS: dict[str, str] = {}


def word_key(word: str) -> str:
    """The neighbour key of a token text (memoised: neighbours repeat a lot)."""
    key = _WORD_KEYS.get(word)
    if key is None:
        key = NUMBER_WORD if _NUMBER.match(word) else context_key(word)
        if len(_WORD_KEYS) > 50_000:
            _WORD_KEYS.clear()
        _WORD_KEYS[word] = key
    return key
