"""The rankers of ``/grok ask``: :class:`Ranker`, ours, and :class:`BM25Baseline`, the yardstick.

How :class:`Ranker` scores a sentence (see :mod:`nlp.retrieval` for the whole picture):

* **Units**: stems and FR/EN concepts (:mod:`.units`) of the question and of each sentence.
* **Entities**: names in the question resolved through the catalog become entity units,
  matched against the catalog ids of each passage; they weigh more than a word.
* **Coverage, not raw BM25**: the share of the question's units (idf-weighted, with BM25
  saturation and length normalisation) that a passage holds, so that a fixed threshold can
  refuse unrelated questions (:meth:`Ranker.answerable`).
* **Question type** (:mod:`.questions`), **shape** (short sentences and boilerplate score
  less) and **position** (earlier sentences get a slight edge).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from typing import Final

from ..catalog import Catalog
from ..terms import words
from ..text import alias_key, fold, normalize_text, stem
from .answers import answer_type, has_answer
from .index import Index, IndexCache
from .passages import Passage
from .questions import (
    YEAR_UNIT,
    Query,
    asked_unit,
    question_kind,
    question_language,
    question_tokens,
)
from .units import STOP, cached_units, same_numbers, units

__all__ = ["Ranker"]

_BOILERPLATE: Final = re.compile(
    r"passer au contenu|aller au contenu|skip to (?:main )?content|capture d'[ée]cran|"
    r"abonnez-vous|newsletter|laisser un commentaire|votre adresse e-mail|"
    r"champs obligatoires|\bcommentaires?\b\s*$|photo by|\(files\)|/ afp\)|getty images|"
    r"all rights reserved|tous droits r[ée]serv[ée]s|sign up|subscribe|lire aussi|"
    r"read more|à lire|cookies?\b",
    re.IGNORECASE,
)


def _plain_word(name: str) -> bool:
    """One word of letters, capitalised at most on its first letter ("Mistral", "grok")."""
    return name.isalpha() and not any(ch.isupper() for ch in name[1:])


class Ranker:
    """Our retrieval: stemmed terms, FR/EN concepts, entities, question type, refusal.

    Scores are in [0, ~1.5]: mostly the weighted share of the question's units a sentence
    holds (its coverage). :meth:`answerable` compares the best score with
    :attr:`threshold`.
    """

    K1: Final = 1.2
    B: Final = 0.5
    ENTITY_WEIGHT: Final = 1.6  # an entity unit weighs this much more than a word of same idf
    ENTITY_FLOOR: Final = 2.0  # and never less than this (common entities still count)
    CONTEXT_CREDIT: Final = 0.4  # share of a unit's weight when only the article holds it
    EARLY_BONUS: Final = 0.06
    RERANK: Final = 40  # fused candidates looked at for the answer type
    NEIGHBOUR_CREDIT: Final = 0.5  # share of a unit's weight when only the next sentence has it
    LEXICAL_WEIGHT: Final = 0.5  # weight of the exact-word BM25 ranking in the fusion
    FUSION_K: Final = 20  # reciprocal rank fusion: 1 / (K + rank)
    UNTYPED: Final = 0.5  # confidence kept by a passage without the asked answer type
    LOOSE: Final = 0.8  # ... by a number without the unit asked, a span of time for a date
    NEAR_BONUS: Final = 0.15  # the date / number sits right next to the question's words

    def __init__(self, catalog: Catalog, *, threshold: float = 0.35) -> None:
        """``threshold``: the best score below which :meth:`answerable` says no.

        The default sits between the best score of an unrelated question (about 0.33) and
        the lowest score of a right first answer (about 0.56) on our evaluation set.
        """
        self.catalog = catalog
        self.threshold = threshold
        self._cache = IndexCache(self._passage_units)
        self._exact = IndexCache(self._passage_words)
        self._types = {info.id: info.type for info in catalog}

    # --- questions ---------------------------------------------------------------------
    def _resolve(self, words: list[str]) -> str | None:
        """The catalog id a run of question words names, or ``None``."""
        if len(words) == 1:
            word = words[0]
            # "rayons X", "plan B": one letter is never enough; stop words never name
            if len(word) < 2 or fold(word) in STOP:
                return None
        info = self.catalog.resolve(" ".join(words))
        if info is None:
            return None
        # lower-case words only name an entity through an alias that is not a plain word
        # ("openai", "xai", "elon musk"; not "mistral", "meta", "grok")
        if not any(w[:1].isupper() or any(c.isdigit() for c in w) for w in words):
            key = alias_key(" ".join(words))
            if not any(
                alias_key(alias) == key and not _plain_word(alias) for alias in info.aliases
            ):
                return None
        return info.id

    def _entity_spans(self, tokens: list[str]) -> list[tuple[int, int, str]]:
        """Catalog entities named by the tokens: (first token, end token, id), longest first."""
        found: list[tuple[int, int, str]] = []
        taken = [False] * len(tokens)
        for size in (4, 3, 2, 1):
            for i in range(len(tokens) - size + 1):
                if any(taken[i : i + size]):
                    continue
                ident = self._resolve(tokens[i : i + size])
                if ident is None:
                    continue
                found.append((i, i + size, ident))
                for j in range(i, i + size):
                    taken[j] = True
        return found

    def query(self, question: str) -> Query:
        """Language, type, entities and term units of a question."""
        text = normalize_text(question).strip()
        kind = question_kind(text)
        lang = question_language(text)
        tokens = question_tokens(text)
        spans = self._entity_spans(tokens)
        kept: list[str] = []
        for i, token in enumerate(tokens):
            if any(a <= i < b for a, b, _ in spans):
                # an entity's own words go, except versions ("Grok-1.5" keeps "1.5")
                kept.extend(p for p in re.split(r"[-\s]", token)[1:] if any(c.isdigit() for c in p))
            else:
                kept.append(token)
        entities = tuple(dict.fromkeys(ident for _, _, ident in spans))
        unit = units(asked_unit(text), lang)
        return Query(
            text,
            lang,
            kind,
            entities,
            tuple(dict.fromkeys(units(" ".join(kept), lang))),
            unit[0] if unit else "",
        )

    # --- index -------------------------------------------------------------------------
    @staticmethod
    def _passage_units(p: Passage) -> Counter[str]:
        counts = Counter(units(p.sentence, p.lang))
        for ident in p.entities:
            counts["#" + ident] += 1
        return counts

    @staticmethod
    def _passage_words(p: Passage) -> Counter[str]:
        return Counter(words(same_numbers(p.sentence)))

    def _index(self, passages: Sequence[Passage]) -> Index:
        return self._cache.index(passages)

    # --- ranking -----------------------------------------------------------------------
    @staticmethod
    def _shape(p: Passage, length: int) -> float:
        """Multiplier for sentence shape: short headings and boilerplate score less."""
        factor = 1.0
        words = len(p.sentence.split())
        if _BOILERPLATE.search(p.sentence):
            factor *= 0.15
        if words < 4:
            factor *= 0.35
        elif words < 7:
            factor *= 0.7
        if length > 60:
            factor *= 0.6
        return factor

    def _unknown(self, query: Query, tokens: list[str], index: Index, exact: Index) -> list[str]:
        """The names of the question that no passage holds: nothing can answer about them."""
        out: list[str] = []
        for ident in query.entities:
            if not index.df("#" + ident) and not exact.df(ident.split("-")[0]):
                out.append(ident)
        for i, token in enumerate(tokens):
            if i == 0 or not token[:1].isupper() or fold(token) in STOP:
                continue
            if self.catalog.resolve(token) is not None:
                continue
            held = [w for w in words(token) if exact.df(w) or index.df(stem(w))]
            held += [u for u in units(token, query.lang) if index.df(u)]
            if words(token) and not held:
                out.append(token)
        return out

    def _near(self, query: Query, text: str, lang: str) -> float:
        """For "when" and "how many": a date or number right next to a word of the question."""
        if query.kind not in ("when", "count") or not query.terms:
            return 0.0
        seq = cached_units(same_numbers(text), lang)
        asked = set(query.terms)
        anchors = [i for i, u in enumerate(seq) if u in asked]
        if query.kind == "when":
            targets = [i for i, u in enumerate(seq) if u not in asked and YEAR_UNIT.match(u)]
        else:
            targets = [i for i, u in enumerate(seq) if u not in asked and u[0].isdigit()]
        if not anchors or not targets:
            return 0.0
        distance = min(abs(a - t) for a in anchors for t in targets)
        return self.NEAR_BONUS / distance if distance <= 4 else 0.0

    def _bm25(self, index: Index, i: int, tf: int) -> float:
        norm = self.K1 * (1 - self.B + self.B * index.lengths[i] / index.average)
        return min(1.25, tf * (1 + self.K1) / (tf + norm))

    def rank(
        self, question: str, passages: Sequence[Passage], limit: int = 5
    ) -> list[tuple[Passage, float]]:
        """The ``limit`` best passages for ``question``, best first, with their confidence.

        Two rankings are fused by rank (reciprocal rank fusion): the weighted coverage of
        the question's units (stems, FR/EN concepts and entities; the next sentence and the
        article's title count for part) and Okapi BM25 over the exact folded words. Of the
        fused head, passages holding an answer of the asked type (:mod:`.answers`) come
        first; the confidence is the coverage, lowered when the type is missing, zero when
        a name of the question is nowhere in the passages.
        """
        if not passages or limit <= 0:
            return []
        index = self._index(passages)
        exact = self._exact.index(passages)
        query = self.query(question)
        tokens = question_tokens(query.text)
        query = replace(query, unknown=tuple(self._unknown(query, tokens, index, exact)))
        weights: dict[str, float] = {}
        missing = math.log(1.0 + (len(passages) + 0.5) / 0.5)
        for unit in query.terms:
            # a word no passage has still counts against coverage
            weights[unit] = index.idf(unit) if index.df(unit) else missing
        for ident in query.entities:
            unit = "#" + ident
            weights[unit] = max(self.ENTITY_FLOOR, self.ENTITY_WEIGHT * index.idf(unit))
        total = sum(weights.values())
        if total <= 0:
            return []
        gathered: dict[int, float] = {}
        held: dict[int, set[str]] = {}
        after: dict[int, dict[str, float]] = {}  # units held by the next sentence only
        for unit, weight in weights.items():
            for i, tf in index.postings.get(unit, ()):
                sat = 1.0 if unit.startswith("#") else self._bm25(index, i, tf)
                gathered[i] = gathered.get(i, 0.0) + weight * sat
                held.setdefault(i, set()).add(unit)
                j = i - 1
                if (
                    j >= 0
                    and passages[j].neighbour
                    and passages[j].article_id == passages[i].article_id
                ):
                    after.setdefault(j, {})[unit] = weight * sat
        coverage: dict[int, float] = {}
        with_next: dict[int, bool] = {}
        for i in set(gathered) | set(after):
            p = passages[i]
            mine = held.get(i, set())
            matched = gathered.get(i, 0.0)
            extra = {u: w for u, w in after.get(i, {}).items() if u not in mine}
            matched += self.NEIGHBOUR_CREDIT * sum(extra.values())
            with_next[i] = bool(extra)
            about = index.context.get(p.article_id, set())
            for unit, weight in weights.items():
                if unit not in mine and unit not in extra and unit in about:
                    matched += self.CONTEXT_CREDIT * weight
            score = matched / total * self._shape(p, index.lengths[i])
            score += self.EARLY_BONUS / (1.0 + max(p.index - 1, 0) / 4.0)
            coverage[i] = score
        lexical: dict[int, float] = {}
        for word in dict.fromkeys(words(same_numbers(query.text))):
            idf = exact.idf(word)
            for i, tf in exact.postings.get(word, ()):
                lexical[i] = lexical.get(i, 0.0) + idf * self._bm25(exact, i, tf)
        fused: dict[int, float] = {}
        for ranking, weight in ((coverage, 1.0), (lexical, self.LEXICAL_WEIGHT)):
            order = sorted(ranking, key=lambda i: (-ranking[i], i))
            for r, i in enumerate(order):
                fused[i] = fused.get(i, 0.0) + weight / (self.FUSION_K + r + 1)
        head = sorted(fused, key=lambda i: (-fused[i], i))[: self.RERANK]
        kind = answer_type(query)
        asked = {fold(w) for t in tokens for w in re.split(r"[-\s']", t) if w}
        loose = "number" if kind.startswith("unit:") or kind in ("money", "percent") else ""
        loose = "span" if kind == "date" else loose
        typed: list[tuple[float, int, Passage]] = []
        untyped: list[tuple[float, int, Passage]] = []
        for r, i in enumerate(head):
            p = passages[i]
            confidence = coverage.get(i, 0.0) * (0.0 if query.unknown else 1.0)
            nxt = passages[i + 1] if p.neighbour else None
            if has_answer(p, p.sentence, query, kind, self._types, asked):
                confidence += self._near(query, p.sentence, p.lang) * min(1.0, confidence)
                typed.append((confidence, r, p if with_next.get(i) else p.alone()))
            elif nxt and has_answer(nxt, p.neighbour, query, kind, self._types, asked):
                typed.append((confidence, r, p))
            elif loose and has_answer(p, p.text, query, loose, self._types, asked):
                typed.append((confidence * self.LOOSE, r, p))
            else:
                untyped.append((confidence * self.UNTYPED, r, p.alone()))
        typed.sort(key=lambda c: (-c[0], c[1]))
        untyped.sort(key=lambda c: (-c[0], c[1]))
        return [(p, round(s, 4)) for s, _, p in [*typed, *untyped][:limit]]

    def answerable(self, ranked: Sequence[tuple[Passage, float]]) -> bool:
        """Whether the best passage answers well enough; False: say "I don't know"."""
        return bool(ranked) and ranked[0][1] >= self.threshold
