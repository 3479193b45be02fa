"""The catalog matcher component: finds catalog entities on tokenizer-only docs.

:class:`CatalogMatcher` is the ``grokwatch_catalog`` spaCy component (see :mod:`nlp.matcher`
for what it checks); :func:`make_fast_pipeline` builds ``spacy.blank(lang)`` + sentences +
matcher, the pipeline alerts wait for.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Final, cast

from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc, Span

from ..catalog import AliasRule, Catalog
from ..text import window_words
from .docs import ROWS_KEY, SENTENCES, View, adapt_tokenizer, columns
from .rules import Compiled, WordSet, case_ok, variants, word_key

__all__ = [
    "EXTENSION",
    "FACTORY",
    "HITS_KEY",
    "CatalogMatcher",
    "make_catalog_matcher",
    "make_fast_pipeline",
]

logger = logging.getLogger(__name__)

FACTORY: Final = "grokwatch_catalog"
EXTENSION: Final = "grokwatch"
_TOKEN_HITS_KEY: Final = "grokwatch_token_hits"
HITS_KEY: Final = "grokwatch_hits"
_VERSION = re.compile(r"^v?\d+(?:[.,]\d+)*[a-z]{0,3}$|^\d+x\d+[bm]$", re.IGNORECASE)
_YEAR = re.compile(r"^(?:19|20)\d\d$")


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
        self._compiled: dict[int, Compiled] = {}
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
                for variant in sorted(variants(rule.text)):
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
            key: Compiled(
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
                forbid=WordSet.of(rule.forbid_context),
                need=WordSet.of(rule.context),
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
    def _neighbour(view: View, i: int, step: int) -> int | None:
        """Index of the neighbour token, a hyphen being skipped; None at an edge or a break."""
        if not 0 <= i < view.n or view.space[i]:
            return None
        if view.token(i) == "-":
            i += step
            if not 0 <= i < view.n or view.space[i]:
                return None
        return i

    def _window(self, view: View, start: int, end: int) -> tuple[int, int]:
        """Character bounds of the text within ``window`` tokens of a match."""
        lo = max(0, start - self.window)
        hi = min(view.n, end + self.window)
        return view.idx[lo], view.idx[hi - 1] + view.length[hi - 1]

    @staticmethod
    def _version_end(view: View, end: int) -> int:
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

    def _accept(self, c: Compiled, view: View, start: int, end: int, versioned: bool) -> bool:
        rule = c.rule
        left_key = ""
        if rule.forbid_left or rule.forbid_left_cap or rule.context_left:
            left = self._neighbour(view, start - 1, -1)
            if left is not None:
                left_key = word_key(view.token(left))
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
            if right is not None and word_key(view.token(right)) in rule.forbid_right:
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
        view = View(doc)
        candidates: list[tuple[int, int, AliasRule]] = []
        compiled = self._compiled
        for match_id, start, end in matches:
            c = compiled[match_id]
            if c.check_case and not case_ok(c.rule, view.chars(start, end)):
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
            cols = columns(doc)
            idx, length = cols.idx, cols.length
            doc.user_data[HITS_KEY] = [
                (ident, idx[start], idx[end - 1] + length[end - 1]) for ident, start, end in found
            ]
        else:
            doc.user_data[HITS_KEY] = []
        doc.user_data.pop(ROWS_KEY, None)
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
