"""The catalog matcher: a spaCy component that finds catalog entities on tokenizer-only docs.

It runs on ``spacy.blank(lang)`` pipelines so that tracked-entity alerts never wait for
statistical models. Matching is a :class:`spacy.matcher.PhraseMatcher` on the ``LOWER``
attribute (patterns are generated for case, accent, hyphen and space variants of every alias),
followed by per-match checks written in the catalog:

* the case rule of the alias (``cap``, ``exact``, ``not-upper``);
* forbidden left/right neighbours ("Nikola Tesla", "rayons X"), a hyphen being skipped;
* required context words within ``window`` tokens either side ("Mistral" needs "IA",
  "modèle", "start-up"...), and forbidden ones ("vent", "rafales"...);
* version suffixes on versioned entities ("Grok-1", "Llama 2", "Gemini 1.5") are part of
  the match and count as context; "GPT-4o" is its own entity and never becomes gpt-4;
* short forms ("Musk") count only after the long form ("Elon Musk") appeared earlier in the
  document, or when one of the entity's anchor entities (Tesla, xAI...) is in the document.

Overlapping matches are resolved longest first. The result is ``doc._.grokwatch``: spans
labelled with the entity id (built on access, from ``(entity id, start char, end char)``
tuples kept in ``doc.user_data["grokwatch_hits"]``, which is what the analyzer reads).

The tokenizer is adapted a little (see :func:`adapt_tokenizer`): a hyphen between letters and
digits is split off ("Grok-1" -> "Grok", "-", "1"), an English possessive is split off in
French text too ("Musk's"), and French elided articles are split off in English text.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, cast

from spacy.attrs import IDX, IS_PUNCT, IS_SPACE, LENGTH
from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc, Span
from spacy.util import compile_infix_regex, compile_prefix_regex, compile_suffix_regex

from .catalog import NUMBER_WORD, AliasRule, Catalog, context_key
from .text import window_words

logger = logging.getLogger(__name__)

__all__ = [
    "EXTENSION",
    "FACTORY",
    "HITS_KEY",
    "SENTENCES",
    "WORDS_KEY",
    "CatalogMatcher",
    "adapt_tokenizer",
    "make_doc",
    "make_fast_pipeline",
    "sentence_starts",
]

FACTORY: Final = "grokwatch_catalog"
SENTENCES: Final = "grokwatch_sentences"
EXTENSION: Final = "grokwatch"
_TOKEN_HITS_KEY: Final = "grokwatch_token_hits"
_SENT_KEY: Final = "grokwatch_sent_starts"
_ADAPTED_KEY: Final = "grokwatch_tokenizer_adapted"
TEXT_KEY: Final = "grokwatch_text"
_ROWS_KEY: Final = "grokwatch_rows"
HITS_KEY: Final = "grokwatch_hits"
WORDS_KEY: Final = "grokwatch_words"
_ROW_ATTRS: Final = [IDX, LENGTH, IS_SPACE]

_VERSION = re.compile(r"^v?\d+(?:[.,]\d+)*[a-z]{0,3}$|^\d+x\d+[bm]$", re.IGNORECASE)
_YEAR = re.compile(r"^(?:19|20)\d\d$")
_NUMBER = re.compile(r"^[+-]?\d+(?:[.,]\d+)*$")
_ABBREVIATIONS: Final = (
    "M",
    "MM",
    "Mr",
    "Mrs",
    "Ms",
    "Mme",
    "Mmes",
    "Mlle",
    "Dr",
    "St",
    "Ste",
    "Jr",
    "Sr",
    "Inc",
    "Corp",
    "Co",
    "vs",
    "etc",
    "p",
    "pp",
    "no",
    "No",
    "av",
    "bd",
    "Prof",
    "Gen",
    "Sen",
    "Rep",
)
# A break: a line break, or end punctuation (then closing quotes or brackets) and spaces
# before a capital or a digit; not after the abbreviations above (fixed-width lookbehinds).
_SENT_BREAK = re.compile(
    r"\n\s*"
    r"|(?=[.!?…])"
    + "".join(rf"(?<!\b{re.escape(a)})" for a in _ABBREVIATIONS)
    + r"[.!?…]+(?: ?[\"»”')\]])*\s+(?=[\"«“(\[]?[A-ZÀ-ÖØ-Þ0-9])"
)


# --- tokenizer -------------------------------------------------------------------------------
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


# --- sentences -------------------------------------------------------------------------------
def _is_initial(text: str, at: int, word: str) -> bool:
    """Whether ``word`` (ending with a period) is a name initial, as in "Elon R. Musk"."""
    if len(word) != 1 or not word.isupper():
        return False
    previous = text[max(0, at - 30) : at].split()
    return not previous or previous[-1][:1].isupper()


def _find_sentence_starts(text: str) -> list[int]:
    """Character offsets where sentences start (the first is 0)."""
    starts = [0]
    for m in _SENT_BREAK.finditer(text):
        pos = m.end()
        if pos >= len(text) or pos <= starts[-1]:
            continue
        at = m.start()
        if (
            text[at] != "\n"
            and at > 0
            and text[at - 1].isupper()
            and (at < 2 or not text[at - 2].isalnum())
            and _is_initial(text, at - 1, text[at - 1])
        ):
            continue
        starts.append(pos)
    return starts


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


def _columns(doc: Doc) -> _Columns:
    cols = doc.user_data.get(_ROWS_KEY)
    if cols is None:
        cols = _Columns(doc)
        doc.user_data[_ROWS_KEY] = cols
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
    """Cheap rule-based sentence boundaries: line breaks and end punctuation before a capital.

    The character offsets where sentences start go to ``doc.user_data`` (read them with
    :func:`sentence_starts`), with the number of words. Token-level ``is_sent_start`` is
    deliberately not set: spaCy re-checks the whole doc on every assignment, which would cost
    more than the tokenizer.
    """
    doc.user_data[_SENT_KEY] = _find_sentence_starts(_doc_text(doc))
    if len(doc):
        flags = doc.to_array([IS_PUNCT, IS_SPACE])
        doc.user_data[WORDS_KEY] = int((flags.sum(axis=1) == 0).sum())
    else:
        doc.user_data[WORDS_KEY] = 0
    return doc


def sentence_starts(doc: Doc) -> list[int]:
    """Character offsets where sentences start, as found by the sentences component."""
    starts = doc.user_data.get(_SENT_KEY)
    if starts is None:
        starts = _find_sentence_starts(_doc_text(doc))
        doc.user_data[_SENT_KEY] = starts
    return cast(list[int], starts)


# --- matching --------------------------------------------------------------------------------
def _strip_accents(s: str) -> str:
    if s.isascii():
        return s
    decomposed = unicodedata.normalize("NFKD", s)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _variants(text: str) -> set[str]:
    """Spelling variants of an alias: hyphen/space, accents, letter case."""
    forms = {text}
    if " " in text:
        forms.add(text.replace(" ", "-"))
    if "-" in text:
        forms.add(text.replace("-", " "))
    forms |= {_strip_accents(f) for f in forms}
    cased: set[str] = set()
    for f in forms:
        cased |= {f, f.lower(), f.upper(), " ".join(w[:1].upper() + w[1:] for w in f.split(" "))}
    return cased


def _case_ok(rule: AliasRule, surface: str) -> bool:
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
class _WordSet:
    """Context words to look for in a window: single words in a set, phrases apart.

    Entries are in :func:`nlp.text.window_words` form: apostrophes and punctuation are
    spaces, so "de l' ia" is looked for as the phrase "de l ia".
    """

    words: frozenset[str]
    phrases: tuple[str, ...]

    @classmethod
    def of(cls, entries: Iterable[str]) -> _WordSet | None:
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
class _Compiled:
    """Everything the matcher needs per alias, computed once."""

    rule: AliasRule
    check_case: bool
    versioned: bool
    neighbours: bool
    forbid: _WordSet | None
    need: _WordSet | None


_WORD_KEYS: dict[str, str] = {}


def _word_key(word: str) -> str:
    """The neighbour key of a token text (memoised: neighbours repeat a lot)."""
    key = _WORD_KEYS.get(word)
    if key is None:
        key = NUMBER_WORD if _NUMBER.match(word) else context_key(word)
        if len(_WORD_KEYS) > 50_000:
            _WORD_KEYS.clear()
        _WORD_KEYS[word] = key
    return key


class _View:
    """Cheap access to the token texts of one doc through the cached attribute columns."""

    __slots__ = ("_starts", "doc", "idx", "length", "n", "space", "text")

    def __init__(self, doc: Doc) -> None:
        cols = _columns(doc)
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
            self._starts = frozenset(sentence_starts(self.doc))
        return self._starts

    def token(self, i: int) -> str:
        start = self.idx[i]
        return self.text[start : start + self.length[i]]

    def chars(self, start: int, end: int) -> str:
        return self.text[self.idx[start] : self.idx[end - 1] + self.length[end - 1]]

    def glued(self, i: int) -> bool:
        """Whether token ``i`` follows token ``i - 1`` with no space between them."""
        return self.idx[i - 1] + self.length[i - 1] == self.idx[i]


class CatalogMatcher:
    """Finds catalog entities in a doc; spans are read with ``doc._.grokwatch``."""

    def __init__(
        self,
        nlp: Language,
        name: str = FACTORY,
        *,
        catalog_path: str | None = None,
        window: int = 25,
        adapt: bool = True,
    ) -> None:
        """Create the component; patterns are built by :meth:`initialize` (or on first use)."""
        self.name = name
        self.nlp = nlp
        self.lang = str(nlp.lang)
        self.catalog_path = catalog_path
        self.window = window
        if adapt:
            adapt_tokenizer(nlp)
        self.catalog: Catalog | None = None
        self._matcher: PhraseMatcher | None = None
        self._rules: dict[int, AliasRule] = {}
        self._compiled: dict[int, _Compiled] = {}
        self._anchors: dict[str, tuple[str, ...]] = {}

    def initialize(
        self,
        get_examples: Any = None,
        *,
        nlp: Any = None,
        catalog: Any = None,
    ) -> None:
        """Build the phrase patterns from ``catalog`` (a :class:`Catalog`; default: the
        ``catalog_path`` of the config, or the packaged catalog). Aliases tagged with another
        language than the pipeline's are left out.

        (``nlp`` and ``catalog`` are typed ``Any`` because spaCy validates the signature of
        ``initialize`` with pydantic, which cannot see our postponed annotations.)"""
        if catalog is not None and not isinstance(catalog, Catalog):
            raise TypeError(f"catalog must be a Catalog, not {type(catalog).__name__}")
        if catalog is None:
            catalog = Catalog.load(Path(self.catalog_path) if self.catalog_path else None)
        self.catalog = catalog
        matcher = PhraseMatcher(self.nlp.vocab, attr="LOWER")
        rules: dict[int, AliasRule] = {}
        count = 0
        for entry in catalog.entries():
            for i, rule in enumerate(entry.rules):
                if rule.lang not in ("any", self.lang):
                    continue
                key = f"{rule.entity_id}#{i}"
                seen: set[tuple[str, ...]] = set()
                docs = []
                for variant in sorted(_variants(rule.text)):
                    doc = self.nlp.make_doc(variant)
                    sig = tuple(t.lower_ for t in doc)
                    if sig and sig not in seen:
                        seen.add(sig)
                        docs.append(doc)
                matcher.add(key, docs)
                rules[self.nlp.vocab.strings[key]] = rule
                count += len(docs)
        self._matcher = matcher
        self._rules = rules
        versioned = frozenset(e.info.id for e in catalog.entries() if e.versioned)
        self._compiled = {
            key: _Compiled(
                rule=rule,
                check_case=rule.case != "any",
                versioned=rule.entity_id in versioned,
                neighbours=bool(
                    rule.forbid_left
                    or rule.forbid_left_cap
                    or rule.forbid_right
                    or rule.context
                    or rule.forbid_context
                    or rule.context_left
                ),
                forbid=_WordSet.of(rule.forbid_context),
                need=_WordSet.of(rule.context),
            )
            for key, rule in rules.items()
        }
        self._anchors = {e.info.id: e.anchors for e in catalog.entries() if e.anchors}
        logger.debug(
            "%s (%s): %d aliases, %d patterns from %r",
            self.name,
            self.lang,
            len(rules),
            count,
            catalog,
        )

    # --- checks ----------------------------------------------------------------------------
    @staticmethod
    def _neighbour(view: _View, i: int, step: int) -> int | None:
        """Index of the neighbour token, a hyphen being skipped; None at an edge or a break."""
        if not 0 <= i < view.n or view.space[i]:
            return None
        if view.token(i) == "-":
            i += step
            if not 0 <= i < view.n or view.space[i]:
                return None
        return i

    def _window(self, view: _View, start: int, end: int) -> tuple[int, int]:
        """Character bounds of the text within ``window`` tokens of a match."""
        lo = max(0, start - self.window)
        hi = min(view.n, end + self.window)
        return view.idx[lo], view.idx[hi - 1] + view.length[hi - 1]

    @staticmethod
    def _version_end(view: _View, end: int) -> int:
        """Extend a versioned match over "-1", " 2.5", "-1.5", " 70B"..."""
        i = end
        for _ in range(3):
            if i >= view.n:
                break
            j = i
            if view.glued(i):
                if view.token(i) != "-" or i + 1 >= view.n:
                    break
                j = i + 1
            text = view.token(j)
            if not _VERSION.match(text) or _YEAR.match(text):
                break
            i = j + 1
        return i

    def _accept(self, c: _Compiled, view: _View, start: int, end: int, versioned: bool) -> bool:
        rule = c.rule
        left_key = ""
        if rule.forbid_left or rule.forbid_left_cap or rule.context_left:
            left = self._neighbour(view, start - 1, -1)
            if left is not None:
                left_key = _word_key(view.token(left))
                if rule.forbid_left and left_key in rule.forbid_left:
                    return False
                prev = view.token(start - 1)
                if (
                    rule.forbid_left_cap
                    and prev.isalpha()
                    and prev[:1].isupper()
                    and view.idx[start - 1] not in view.sentence_starts()
                ):
                    return False
        if rule.forbid_right:
            right = self._neighbour(view, end, 1)
            if right is not None and _word_key(view.token(right)) in rule.forbid_right:
                return False
        need = None if versioned or left_key in rule.context_left else c.need
        if c.forbid is not None or need is not None:
            lo, hi = self._window(view, start, end)
            split = window_words(view.text[lo:hi])
            words = set(split)
            joined = " " + " ".join(split) + " "
            if c.forbid is not None and c.forbid.found_in(words, joined):
                return False
            if need is not None and not need.found_in(words, joined):
                return False
        return True

    def find(self, doc: Doc) -> list[tuple[str, int, int]]:
        """The accepted catalog matches of ``doc`` in document order, as
        ``(entity id, start token, end token)``."""
        if self._matcher is None:
            self.initialize()
        assert self._matcher is not None and self.catalog is not None
        matches = self._matcher(doc)
        if not matches:
            return []
        view = _View(doc)
        candidates: list[tuple[int, int, AliasRule]] = []
        compiled = self._compiled
        for match_id, start, end in matches:
            c = compiled[match_id]
            if c.check_case and not _case_ok(c.rule, view.chars(start, end)):
                continue
            versioned_end = self._version_end(view, end) if c.versioned else end
            if c.neighbours and not self._accept(c, view, start, end, versioned_end > end):
                continue
            candidates.append((start, versioned_end, c.rule))
        if len(candidates) > 1:
            # overlaps: longest first, then leftmost
            candidates.sort(key=lambda c: (c[0] - c[1], c[0]))
            taken = bytearray(len(doc))
            kept: list[tuple[int, int, AliasRule]] = []
            for start, end, rule in candidates:
                if end - start == 1:
                    if taken[start]:
                        continue
                    taken[start] = 1
                else:
                    if any(taken[start:end]):
                        continue
                    taken[start:end] = b"\x01" * (end - start)
                kept.append((start, end, rule))
            kept.sort(key=lambda c: c[0])
        else:
            kept = candidates
        first_long: dict[str, int] = {}
        for start, _end, rule in kept:
            if not rule.short:
                first_long.setdefault(rule.entity_id, start)
        hits: list[tuple[str, int, int]] = []
        for start, end, rule in kept:
            if rule.short:
                long_at = first_long.get(rule.entity_id)
                anchors = self._anchors.get(rule.entity_id, ())
                anchored = any(a in first_long for a in anchors)
                if not anchored and (long_at is None or long_at > start):
                    continue
            hits.append((rule.entity_id, start, end))
        return hits

    def __call__(self, doc: Doc) -> Doc:
        """Match ``doc``. Spans are then read with ``doc._.grokwatch``; the analyzer reads
        ``doc.user_data["grokwatch_hits"]``: ``(entity id, start char, end char)`` tuples."""
        found = self.find(doc)
        doc.user_data[_TOKEN_HITS_KEY] = found
        if found:
            cols = _columns(doc)
            idx, length = cols.idx, cols.length
            doc.user_data[HITS_KEY] = [
                (ident, idx[start], idx[end - 1] + length[end - 1]) for ident, start, end in found
            ]
        else:
            doc.user_data[HITS_KEY] = []
        doc.user_data.pop(_ROWS_KEY, None)
        return doc

    def pipe(self, docs: Iterable[Doc], batch_size: int = 16) -> Iterable[Doc]:
        """Process a stream of docs."""
        for doc in docs:
            yield self(doc)


@Language.factory(
    FACTORY,
    default_config={"catalog_path": None, "window": 25, "adapt": True},
)
def make_catalog_matcher(
    nlp: Language, name: str, catalog_path: str | None, window: int, adapt: bool
) -> CatalogMatcher:
    """spaCy factory of the ``grokwatch_catalog`` component."""
    return CatalogMatcher(nlp, name, catalog_path=catalog_path, window=window, adapt=adapt)


def _spans(doc: Doc) -> list[Span]:
    """Getter of ``doc._.grokwatch``: the catalog matches as spans labelled with entity ids."""
    found = doc.user_data.get(_TOKEN_HITS_KEY) or []
    return [Span(doc, start, end, label=ident) for ident, start, end in found]


if not Doc.has_extension(EXTENSION):
    Doc.set_extension(EXTENSION, getter=_spans)


def make_fast_pipeline(lang: str, catalog: Catalog | None = None) -> Language:
    """A tokenizer-only pipeline: ``spacy.blank(lang)`` + sentences + catalog matcher."""
    import spacy

    nlp = spacy.blank(lang)
    adapt_tokenizer(nlp)
    nlp.add_pipe(SENTENCES)
    component = cast(CatalogMatcher, nlp.add_pipe(FACTORY))
    component.initialize(catalog=catalog)
    return nlp
