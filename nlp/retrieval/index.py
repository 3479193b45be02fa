"""The posting lists of one passage collection, built once and kept while it is ranked again.

:class:`Index` holds, per unit, the passages that have it and how often, the passage
lengths, and what each article is about (its title's units and its entity units).
:class:`IndexCache` keeps the index of the last collection: the ask handler hands the same
list object back for the same candidate articles, so ranking costs a few look-ups.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from .passages import Passage

__all__ = ["Index", "IndexCache"]


@dataclass(slots=True)
class Index:
    """Posting lists of one passage collection, and what each article is about."""

    passages: Sequence[Passage]
    postings: dict[str, list[tuple[int, int]]] = field(default_factory=dict)
    lengths: list[int] = field(default_factory=list)
    average: float = 1.0
    # per article: the units of its title and the entity units of all its sentences
    context: dict[str, set[str]] = field(default_factory=dict)

    @classmethod
    def build(cls, passages: Sequence[Passage], count: Callable[[Passage], Counter[str]]) -> Index:
        """The index of ``passages``, ``count`` giving the units of one passage."""
        index = cls(passages, lengths=[0] * len(passages))
        total = 0
        for i, p in enumerate(passages):
            counts = count(p)
            length = sum(counts.values())
            index.lengths[i] = length
            total += length
            for unit, tf in counts.items():
                index.postings.setdefault(unit, []).append((i, tf))
            about = index.context.setdefault(p.article_id, set())
            about.update(u for u in counts if u.startswith("#") or p.index == 0)
        index.average = total / len(passages) if passages else 1.0
        return index

    def df(self, unit: str) -> int:
        """How many passages hold ``unit``."""
        return len(self.postings.get(unit, ()))

    def idf(self, unit: str) -> float:
        """The BM25 inverse document frequency of ``unit``."""
        n = len(self.lengths)
        df = self.df(unit)
        return math.log(1.0 + (n - df + 0.5) / (df + 0.5))


class IndexCache:
    """Keeps the index of the last passage sequence ranked (the store hands the same list)."""

    def __init__(self, count: Callable[[Passage], Counter[str]]) -> None:
        """``count``: the units of one passage, with how often each occurs."""
        self._count = count
        self._seq: Sequence[Passage] | None = None
        self._size = -1
        self._index: Index | None = None

    def index(self, passages: Sequence[Passage]) -> Index:
        """The index of ``passages``: the kept one if it is the same sequence, else a new one."""
        if self._index is None or passages is not self._seq or len(passages) != self._size:
            self._index = Index.build(passages, self._count)
            self._seq, self._size = passages, len(passages)
        return self._index
