"""The docs of the fast pipeline: the tokenizer adapted to entity names, the text kept on
the doc, token offsets read once, and the sentences component.

:func:`adapt_tokenizer` splits "Grok-1", "Musk's" and "d'OpenAI" the way catalog patterns
need; :func:`make_doc` keeps the text on the doc so no component rebuilds it; the
``grokwatch_sentences`` component stores the sentence starts of :func:`nlp.text.sentence_starts`
(read them with :func:`doc_sentence_starts`) and the word count; :class:`View` reads token
texts through columns taken once with ``Doc.to_array``.
"""

from __future__ import annotations

from typing import Any, Final, cast

from spacy.attrs import IDX, IS_PUNCT, IS_SPACE, LENGTH
from spacy.language import Language
from spacy.tokens import Doc
from spacy.util import compile_infix_regex, compile_prefix_regex, compile_suffix_regex

from ..text import sentence_starts

__all__ = [
    "ROWS_KEY",
    "SENTENCES",
    "TEXT_KEY",
    "WORDS_KEY",
    "View",
    "adapt_tokenizer",
    "columns",
    "doc_sentence_starts",
    "make_doc",
]

SENTENCES: Final = "grokwatch_sentences"
_SENT_KEY: Final = "grokwatch_sent_starts"
_ADAPTED_KEY: Final = "grokwatch_tokenizer_adapted"
TEXT_KEY: Final = "grokwatch_text"
ROWS_KEY: Final = "grokwatch_rows"
WORDS_KEY: Final = "grokwatch_words"
_ROW_ATTRS: Final = [IDX, LENGTH, IS_SPACE]


def adapt_tokenizer(nlp: Language) -> None:
    """Adapt ``nlp``'s tokenizer to entity names (idempotent).

    Splits a hyphen between a letter and a digit ("Grok-1", "GPT-4o", "Llama-2"), splits an
    English possessive in every language ("Musk's"), a final period after a single capital
    ("sur X.") or after a version ("Grok-1.5V."), and French elided articles in every
    language ("d'OpenAI" in an English caption).
    """
    if nlp.meta.get(_ADAPTED_KEY):
        return
    tokenizer = cast(Any, nlp.tokenizer)
    defaults = cast(Any, nlp.Defaults)
    infixes = [*defaults.infixes, r"(?<=[A-Za-z])-(?=[0-9])"]
    tokenizer.infix_finditer = compile_infix_regex(infixes).finditer
    suffixes = [
        r"(?<=[A-Za-z0-9])'[sS]$",
        r"(?<=[A-Za-z0-9]s)'$",
        r"(?<=^[A-Z])\.$",
        r"(?<=[0-9][A-Za-z])\.$",
        *defaults.suffixes,
    ]
    tokenizer.suffix_search = compile_suffix_regex(suffixes).search
    prefixes = [
        r"(?:[dDlL]|[qQ]u|[jJ]usqu|[lL]orsqu|[pP]uisqu)'(?=[A-ZÀ-Þa-z])",
        *defaults.prefixes,
    ]
    if nlp.lang != "fr":
        tokenizer.prefix_search = compile_prefix_regex(prefixes).search
    nlp.meta[_ADAPTED_KEY] = True


class _Columns:
    """Token offsets of one doc, read once with ``Doc.to_array``."""

    __slots__ = ("idx", "length", "n", "space")

    def __init__(self, doc: Doc) -> None:
        self.n = len(doc)
        if self.n:
            arr = doc.to_array(_ROW_ATTRS)
            self.idx: list[int] = arr[:, 0].tolist()
            self.length: list[int] = arr[:, 1].tolist()
            self.space: list[int] = arr[:, 2].tolist()
        else:
            self.idx, self.length, self.space = [], [], []


def columns(doc: Doc) -> _Columns:
    cols = doc.user_data.get(ROWS_KEY)
    if cols is None:
        cols = _Columns(doc)
        doc.user_data[ROWS_KEY] = cols
    return cast(_Columns, cols)


def _doc_text(doc: Doc) -> str:
    """The text of ``doc``: the one given by :func:`make_doc`, else rebuilt once."""
    text = doc.user_data.get(TEXT_KEY)
    if text is None:
        text = doc.text
        doc.user_data[TEXT_KEY] = text
    return cast(str, text)


def make_doc(nlp: Language, text: str) -> Doc:
    """Tokenize ``text`` and keep it on the doc, so that components need not rebuild it."""
    doc = nlp.make_doc(text)
    doc.user_data[TEXT_KEY] = text
    return doc


@Language.component(SENTENCES)
def _sentences_component(doc: Doc) -> Doc:
    """Sentence boundaries by :func:`nlp.text.sentence_starts`, and the number of words.

    The character offsets where sentences start go to ``doc.user_data`` (read them with
    :func:`doc_sentence_starts`), with the number of words. Token-level ``is_sent_start`` is
    deliberately not set: spaCy re-checks the whole doc on every assignment, which would cost
    more than the tokenizer.
    """
    doc.user_data[_SENT_KEY] = sentence_starts(_doc_text(doc))
    if len(doc):
        flags = doc.to_array([IS_PUNCT, IS_SPACE])
        doc.user_data[WORDS_KEY] = int((flags.sum(axis=1) == 0).sum())
    else:
        doc.user_data[WORDS_KEY] = 0
    return doc


def doc_sentence_starts(doc: Doc) -> list[int]:
    """Character offsets where the sentences of ``doc`` start (see the sentences component)."""
    starts = doc.user_data.get(_SENT_KEY)
    if starts is None:
        starts = sentence_starts(_doc_text(doc))
        doc.user_data[_SENT_KEY] = starts
    return cast(list[int], starts)


class View:
    """Cheap access to the token texts of one doc through the cached attribute columns."""

    __slots__ = ("_starts", "doc", "idx", "length", "n", "space", "text")

    def __init__(self, doc: Doc) -> None:
        cols = columns(doc)
        self.idx = cols.idx
        self.length = cols.length
        self.space = cols.space
        self.text = _doc_text(doc)
        self.n = cols.n
        self._starts: frozenset[int] | None = None
        self.doc = doc

    def sentence_starts(self) -> frozenset[int]:
        """Character offsets where sentences start."""
        if self._starts is None:
            self._starts = frozenset(doc_sentence_starts(self.doc))
        return self._starts

    def token(self, i: int) -> str:
        start = self.idx[i]
        return self.text[start : start + self.length[i]]

    def chars(self, start: int, end: int) -> str:
        return self.text[self.idx[start] : self.idx[end - 1] + self.length[end - 1]]

    def glued(self, i: int) -> bool:
        """Whether token ``i`` follows token ``i - 1`` with no space between them."""
        return self.idx[i - 1] + self.length[i - 1] == self.idx[i]
