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
from typing import Final

from ..catalog import Catalog
from ..terms import words
from ..text import alias_key, fold, normalize_text
from .index import Index, IndexCache
from .passages import Passage
from .questions import (
    NUMBER,
    NUMBER_WORDS,
    YEAR_UNIT,
    Query,
    question_kind,
    question_language,
    question_tokens,
)
from .units import STOP, cached_units, units

__all__ = ["BM25Baseline", "Ranker"]

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
    TYPE_BONUS: Final = 0.2
    NEAR_BONUS: Final = 0.15  # the date / number sits right next to the question's words
    EARLY_BONUS: Final = 0.06
    RERANK: Final = 50  # candidates looked at closely (proximity)

    def __init__(self, catalog: Catalog, *, threshold: float = 0.45) -> None:
        """``threshold``: the best score below which :meth:`answerable` says no.

        The default sits between the best score of an unrelated question (about 0.33) and
        the lowest score of a right first answer (about 0.56) on our evaluation set.
        """
        self.catalog = catalog
        self.threshold = threshold
        self._cache = IndexCache(self._passage_units)
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
        return Query(text, lang, kind, entities, tuple(dict.fromkeys(units(" ".join(kept), lang))))

    # --- index -------------------------------------------------------------------------
    @staticmethod
    def _passage_units(p: Passage) -> Counter[str]:
        counts = Counter(units(p.sentence, p.lang))
        for ident in p.entities:
            counts["#" + ident] += 1
        return counts

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

    def _type_bonus(self, query: Query, p: Passage) -> float:
        """Bonus for a sentence holding the kind of thing the question asks for."""
        if query.kind == "when":
            return self.TYPE_BONUS if p.dates else 0.0
        if query.kind in ("who", "which-org"):
            wanted = ("person", "organisation") if query.kind == "who" else ("organisation",)
            others = [
                e for e in p.entities if e not in query.entities and self._types.get(e) in wanted
            ]
            return self.TYPE_BONUS if others else 0.0
        if query.kind == "count":
            return self.TYPE_BONUS if NUMBER.search(p.sentence) else 0.0
        if query.kind == "where":
            places = any(self._types.get(e) == "place" for e in p.entities)
            return self.TYPE_BONUS if places else 0.0
        return 0.0

    def _near_bonus(self, query: Query, p: Passage) -> float:
        """For "when" and "how many": a date or number right next to a word of the question."""
        if query.kind not in ("when", "count") or not query.terms:
            return 0.0
        seq = cached_units(p.sentence, p.lang)
        asked = set(query.terms)
        anchors = [i for i, u in enumerate(seq) if u in asked]
        if query.kind == "when":
            targets = [i for i, u in enumerate(seq) if YEAR_UNIT.match(u)]
        else:
            targets = [
                i
                for i, u in enumerate(seq)
                if u not in asked and (u[0].isdigit() or u in NUMBER_WORDS)
            ]
        if not anchors or not targets:
            return 0.0
        distance = min(abs(a - t) for a in anchors for t in targets)
        return self.NEAR_BONUS / distance if distance <= 4 else 0.0

    def rank(
        self, question: str, passages: Sequence[Passage], limit: int = 5
    ) -> list[tuple[Passage, float]]:
        """The ``limit`` best passages for ``question``, best first, with their scores."""
        if not passages or limit <= 0:
            return []
        index = self._index(passages)
        query = self.query(question)
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
        for unit, weight in weights.items():
            for i, tf in index.postings.get(unit, ()):
                if unit.startswith("#"):
                    sat = 1.0
                else:
                    norm = self.K1 * (1 - self.B + self.B * index.lengths[i] / index.average)
                    sat = min(1.25, tf * (1 + self.K1) / (tf + norm))
                gathered[i] = gathered.get(i, 0.0) + weight * sat
                held.setdefault(i, set()).add(unit)
        scored: list[tuple[float, int]] = []
        for i, matched in gathered.items():
            p = passages[i]
            about = index.context.get(p.article_id, set())
            for unit, weight in weights.items():
                if unit not in held[i] and unit in about:
                    matched += self.CONTEXT_CREDIT * weight
            coverage = matched / total
            score = coverage * self._shape(p, index.lengths[i])
            if coverage >= 0.25:
                score += self._type_bonus(query, p) * min(1.0, coverage * 1.5)
                score += self.EARLY_BONUS / (1.0 + max(p.index - 1, 0) / 4.0)
            scored.append((score, i))
        scored.sort(key=lambda si: (-si[0], si[1]))
        if query.kind in ("when", "count"):
            head = [
                (s + self._near_bonus(query, passages[i]) * min(1.0, s), i)
                for s, i in scored[: self.RERANK]
            ]
            scored = sorted(head, key=lambda si: (-si[0], si[1])) + scored[self.RERANK :]
        return [(passages[i], round(s, 4)) for s, i in scored[:limit]]

    def answerable(self, ranked: Sequence[tuple[Passage, float]]) -> bool:
        """Whether the best passage answers well enough; False: say "I don't know"."""
        return bool(ranked) and ranked[0][1] >= self.threshold


class BM25Baseline:
    """Plain Okapi BM25 over whole sentences (folded words, stop words out, no stemming)."""

    def __init__(self, k1: float = 1.2, b: float = 0.75) -> None:
        """Okapi parameters ``k1`` and ``b``."""
        self.k1 = k1
        self.b = b
        self._cache = IndexCache(lambda p: Counter(words(p.sentence)))

    def rank(
        self, question: str, passages: Sequence[Passage], limit: int = 5
    ) -> list[tuple[Passage, float]]:
        """The ``limit`` passages with the highest BM25 score, best first."""
        if not passages or limit <= 0:
            return []
        index = self._cache.index(passages)
        scores: dict[int, float] = {}
        for term in dict.fromkeys(words(question)):
            idf = index.idf(term)
            for i, tf in index.postings.get(term, ()):
                norm = self.k1 * (1 - self.b + self.b * index.lengths[i] / index.average)
                scores[i] = scores.get(i, 0.0) + idf * tf * (self.k1 + 1) / (tf + norm)
        best = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]
        return [(passages[i], round(s, 4)) for i, s in best]
