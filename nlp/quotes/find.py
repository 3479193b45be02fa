"""Finding quotations in a text: :func:`find_quotes` and the :class:`Quote` records it returns.

Direct quotes come from the quotation marks (:func:`nlp.text.quotation_spans`), reported
speech from the patterns of :mod:`.grammar`, both within one sentence
(:func:`nlp.text.sentence_spans`, which never ends a sentence inside quotation marks).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Final, Literal

from ..text import normalize_text, quotation_spans, sentence_spans
from .grammar import GRAMMARS, Grammar

__all__ = ["MIN_WORDS", "Quote", "find_quotes"]

logger = logging.getLogger(__name__)

MIN_WORDS: Final = 3
"""A direct quote shorter than this is a scare quote, kept only beside a speech verb."""


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


_WORD: Final = re.compile(r"\w+")
_ADJACENT_BEFORE: Final = re.compile(r"^\s*(?:(?i:que|qu'|that)|[:,])?\s*$")


@dataclass(frozen=True, slots=True)
class _Span:
    outer_start: int
    outer_end: int
    start: int
    end: int


def _direct_spans(text: str) -> list[_Span]:
    """The quotations of ``text`` (:func:`nlp.text.quotation_spans`) with their words' bounds:
    spaces and a trailing ",;:" inside the marks left out; empty quotations dropped."""
    spans: list[_Span] = []
    for outer_start, outer_end in quotation_spans(text):
        start, end = outer_start + 1, outer_end - 1  # every quotation mark is one character
        while start < end and text[start].isspace():
            start += 1
        while end > start and (text[end - 1].isspace() or text[end - 1] in ",;:"):
            end -= 1
        if start < end:
            spans.append(_Span(outer_start, outer_end, start, end))
    return spans


def _clean_speaker(m: re.Match[str] | None) -> str | None:
    """The speaker a match names, or ``None`` (no match, or a pronoun)."""
    if m is None or "sp" not in m.re.groupindex or m.group("sp") is None:
        return None
    return m.group("sp").strip(" ,.;:")


def _speaker_for(
    text: str, span: _Span, sentence: tuple[int, int], grammar: Grammar
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
    text: str, sentence: tuple[int, int], spans: list[_Span], grammar: Grammar
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
    grammar = GRAMMARS.get(lang[:2], GRAMMARS["*"])
    spans = _direct_spans(norm)
    sentences = sentence_spans(norm)
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
