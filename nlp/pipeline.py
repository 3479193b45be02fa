"""The public API of the NLP package: :class:`Analyzer`.

Two speeds (see DESIGN.md, "Two-speed analysis"):

* :meth:`Analyzer.fast`: language detection, tokenizer, rule-based sentence boundaries and
  the catalog matcher, on ``spacy.blank`` pipelines. This is what alerts wait for.
* :meth:`Analyzer.full`: the fast results plus entities discovered by statistical NER
  (French) or a proper-noun finder (English). The NER model is loaded on first use.

A document is a ``(title, body)`` pair; the analysed text is ``title + "\\n\\n" + body``
after :func:`normalize_text` (which keeps the length, so offsets are valid on the raw text).
Sentence 0 is the title.
"""

from __future__ import annotations

import bisect
import itertools
import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Final, Literal

from spacy.language import Language
from spacy.tokens import Doc

from .catalog import Catalog
from .discovery import Discovered, Discoverer
from .lang import detect_language
from .matcher import HITS_KEY, WORDS_KEY, doc_sentence_starts, make_doc, make_fast_pipeline
from .models import Analysis, EntityResult, Mention
from .salience import Signals, rank
from .text import normalize_text, sentence_starts

logger = logging.getLogger(__name__)

__all__ = ["Analyzer", "normalize_text"]

SEPARATOR: Final = "\n\n"
PIPELINE_LANGS: Final = ("fr", "en")


@dataclass(frozen=True, slots=True)
class _Layout:
    """Sentence layout of one analysed text: sentence 0 is the title."""

    text: str
    title_length: int
    starts: tuple[int, ...]  # character offset where each sentence starts
    sentences: tuple[str, ...]  # text of each sentence, stripped

    @classmethod
    def build(cls, text: str, title_length: int, found: Sequence[int] | None = None) -> _Layout:
        body_start = title_length + len(SEPARATOR)
        raw_starts = found if found is not None else sentence_starts(text)
        body = [s for s in raw_starts if s >= body_start]
        if body_start < len(text) and (not body or body[0] != body_start):
            body.insert(0, body_start)
        starts: list[int] = [0]
        sentences: list[str] = [text[:title_length].strip()]
        bounds = [*body, len(text)]
        for a, b in itertools.pairwise(bounds):
            sentence = text[a:b].strip()
            if sentence:
                starts.append(a)
                sentences.append(sentence)
        return cls(text, title_length, tuple(starts), tuple(sentences))

    def sentence(self, index: int) -> str:
        """Sentence ``index``, whitespace-normalised."""
        return " ".join(self.sentences[index].split())

    def index(self, offset: int) -> int:
        """The sentence holding character ``offset``."""
        if offset < self.title_length + len(SEPARATOR) or len(self.starts) == 1:
            return 0
        return max(1, bisect.bisect_right(self.starts, offset) - 1)


@dataclass(frozen=True, slots=True)
class _Hit:
    entity_id: str
    name: str
    type: str
    source: Literal["catalog", "discovered"]
    start: int
    end: int
    surface: str


def _results(hits: Sequence[_Hit], layout: _Layout) -> list[EntityResult]:
    """Group hits per entity, with snippet, positions and salience."""
    grouped: dict[str, list[_Hit]] = {}
    ordered = (
        hits
        if all(hits[i].start <= hits[i + 1].start for i in range(len(hits) - 1))
        else sorted(hits, key=lambda h: h.start)
    )
    for hit in ordered:
        group = grouped.get(hit.entity_id)
        if group is None:
            grouped[hit.entity_id] = [hit]
        else:
            group.append(hit)
    text_length = len(layout.text)
    index = layout.index
    groups = list(grouped.values())
    signals = [
        Signals(len(group), tuple([index(h.start) for h in group]), group[0].start, text_length)
        for group in groups
    ]
    results: list[EntityResult] = []
    for group, sig, (value, lvl) in zip(groups, signals, rank(signals), strict=True):
        first = group[0]
        if len(group) == 1:
            matched = [first.surface]
            positions = [(first.start, first.end)]
        else:
            matched = list(dict.fromkeys([h.surface for h in group]))
            positions = [(h.start, h.end) for h in group]
        results.append(
            EntityResult(
                first.entity_id,
                first.name,
                first.type,
                first.source,
                len(group),
                value,
                lvl,
                matched,
                layout.sentence(sig.sent_indexes[0]),
                positions,
            )
        )
    results.sort(key=_result_order)
    return results


def _result_order(r: EntityResult) -> tuple[float, int]:
    return (-r.salience, r.positions[0][0])


class Analyzer:
    """Analyses news articles: catalog entities fast, discovered entities on demand."""

    def __init__(
        self,
        catalog: Catalog | None = None,
        *,
        english_model: str | None = None,
        batch_size: int = 16,
    ) -> None:
        """Build the tokenizer-only pipelines (French and English) once.

        ``english_model``: an installed spaCy English model (e.g. "en_core_web_sm") to use for
        discovery in English text; without it, or if it is not installed, a rule-based
        proper-noun finder is used.
        """
        self.catalog = catalog if catalog is not None else Catalog.load()
        self.batch_size = batch_size
        self._pipelines: dict[str, Language] = {
            lang: make_fast_pipeline(lang, self.catalog) for lang in PIPELINE_LANGS
        }
        self._discoverer = Discoverer(
            self.catalog, english_model=english_model, batch_size=batch_size
        )

    # --- helpers ---------------------------------------------------------------------------
    def pipeline(self, lang: str) -> Language:
        """The fast pipeline used for a language ("und" and "other" use the French one)."""
        return self._pipelines.get(lang, self._pipelines["fr"])

    @staticmethod
    def _prepare(title: str, body: str) -> tuple[str, int]:
        clean_title = normalize_text(title).replace("\n", " ").rstrip()
        return clean_title + SEPARATOR + normalize_text(body), len(clean_title)

    def _docs(self, texts: Sequence[str], langs: Sequence[str]) -> Iterator[Doc]:
        """Run the fast pipelines, grouped by language, yielding docs in input order."""
        out: list[Doc | None] = [None] * len(texts)
        groups: dict[str, list[int]] = {}
        for i, lang in enumerate(langs):
            groups.setdefault("en" if lang == "en" else "fr", []).append(i)
        for lang, indexes in groups.items():
            nlp = self._pipelines[lang]
            docs = nlp.pipe((make_doc(nlp, texts[i]) for i in indexes), batch_size=self.batch_size)
            for i, done in zip(indexes, docs, strict=True):
                out[i] = done
        for doc in out:
            assert doc is not None
            yield doc

    def _catalog_hits(self, doc: Doc, text: str) -> list[_Hit]:
        hits: list[_Hit] = []
        found = doc.user_data.get(HITS_KEY)
        if found is None:  # the matcher did not run on this doc
            found = []
        for ident, start, end in found:
            info = self.catalog.get(ident)
            if info is not None:
                hits.append(
                    _Hit(ident, info.name, info.type, "catalog", start, end, text[start:end])
                )
        return hits

    @staticmethod
    def _words(doc: Doc) -> int:
        words = doc.user_data.get(WORDS_KEY)
        if words is not None:
            return int(words)
        return sum(1 for t in doc if not (t.is_punct or t.is_space))

    # --- public API ----------------------------------------------------------------------------
    def fast(
        self, docs: Sequence[tuple[str, str]], langs: Sequence[str | None] | None = None
    ) -> list[Analysis]:
        """Catalog entities of each ``(title, body)``; language detected unless given."""
        prepared = [self._prepare(title, body) for title, body in docs]
        texts = [p[0] for p in prepared]
        resolved = [
            (langs[i] if langs is not None and langs[i] else None) or detect_language(texts[i])
            for i in range(len(texts))
        ]
        analyses: list[Analysis] = []
        for (text, title_length), lang, doc in zip(
            prepared, resolved, self._docs(texts, resolved), strict=True
        ):
            layout = _Layout.build(text, title_length, doc_sentence_starts(doc))
            analyses.append(
                Analysis(
                    lang=lang,
                    title=layout.sentence(0),
                    entities=_results(self._catalog_hits(doc, text), layout),
                    sentences=list(layout.sentences),
                    words=self._words(doc),
                )
            )
        return analyses

    def full(
        self,
        docs: Sequence[tuple[str, str]],
        langs: Sequence[str | None] | None = None,
        fast: list[Analysis] | None = None,
    ) -> list[Analysis]:
        """:meth:`fast` results plus discovered entities; reuses ``fast`` if given."""
        if fast is None:
            fast = self.fast(docs, langs)
        if len(fast) != len(docs):
            raise ValueError("fast results do not match the documents")
        prepared = [self._prepare(title, body) for title, body in docs]
        texts = [p[0] for p in prepared]
        catalog_spans = [
            [pos for e in a.entities if e.source == "catalog" for pos in e.positions] for a in fast
        ]
        found = self._discoverer.discover(
            texts, [a.lang for a in fast], [p[1] for p in prepared], catalog_spans
        )
        out: list[Analysis] = []
        for (text, title_length), analysis, discovered in zip(prepared, fast, found, strict=True):
            layout = _Layout.build(text, title_length)
            hits = [self._hit(d) for d in discovered]
            catalog = [e for e in analysis.entities if e.source == "catalog"]
            extra: list[EntityResult] = []
            if hits:
                # salience is relative to the whole document: rank the discovered names
                # together with the catalog entities, keep the catalog results of `fast`
                known = [
                    _Hit(e.id, e.name, e.type, "catalog", a, b, text[a:b])
                    for e in catalog
                    for a, b in e.positions
                ]
                extra = [r for r in _results([*known, *hits], layout) if r.source == "discovered"]
            entities = sorted([*catalog, *extra], key=lambda r: (-r.salience, r.positions[0][0]))
            out.append(
                Analysis(
                    analysis.lang,
                    analysis.title,
                    entities,
                    list(analysis.sentences),
                    analysis.words,
                )
            )
        return out

    @staticmethod
    def _hit(d: Discovered) -> _Hit:
        return _Hit(d.id, d.name, d.type, "discovered", d.start, d.end, d.surface)

    def mentions(self, title: str, body: str, lang: str | None = None) -> list[Mention]:
        """Every catalog match of one document, with its sentence, in document order."""
        text, title_length = self._prepare(title, body)
        lang = lang or detect_language(text)
        doc = next(self._docs([text], [lang]))
        layout = _Layout.build(text, title_length, doc_sentence_starts(doc))
        out: list[Mention] = []
        for hit in self._catalog_hits(doc, text):
            index = layout.index(hit.start)
            out.append(
                Mention(
                    hit.entity_id, hit.surface, hit.start, hit.end, layout.sentence(index), index
                )
            )
        return out
