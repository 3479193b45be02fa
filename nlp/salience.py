"""How central an entity is to a document.

The score (0..1) is a weighted sum of four signals:

=================  ======  ==========================================================
signal             weight  value
=================  ======  ==========================================================
in the title       0.35    1 if mentioned in the title (sentence 0), else 0
in the lead        0.20    1 if mentioned in the first two sentences after the title
frequency          0.30    mentions / mentions of the most mentioned entity of the doc
first position     0.15    1 - (offset of the first mention / length of the text)
=================  ======  ==========================================================

The level:

* ``high``: in the title or the lead with at least 2 mentions; or a score >= 0.6; or the
  top-scoring entity of the document with at least 2 mentions;
* ``low``: a single mention outside the title and lead (a passing mention), or a score
  below 0.25;
* ``medium``: everything else.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from .models import SalienceLevel

__all__ = ["LEAD_SENTENCES", "Signals", "level", "rank", "score"]

LEAD_SENTENCES: Final = 2
W_TITLE: Final = 0.35
W_LEAD: Final = 0.20
W_FREQ: Final = 0.30
W_FIRST: Final = 0.15
HIGH: Final = 0.6
LOW: Final = 0.25


class Signals:
    """What salience is computed from, for one entity in one document."""

    __slots__ = ("first_offset", "in_lead", "in_title", "mentions", "sent_indexes", "text_length")

    def __init__(
        self, mentions: int, sent_indexes: tuple[int, ...], first_offset: int, text_length: int
    ) -> None:
        """``sent_indexes``: the sentence of each mention, 0 being the title."""
        self.mentions = mentions
        self.sent_indexes = sent_indexes
        self.first_offset = first_offset  # character offset of the first mention
        self.text_length = text_length
        self.in_title = 0 in sent_indexes
        self.in_lead = any(1 <= i <= LEAD_SENTENCES for i in sent_indexes)

    def __repr__(self) -> str:
        return (
            f"Signals(mentions={self.mentions}, sent_indexes={self.sent_indexes}, "
            f"first_offset={self.first_offset}, text_length={self.text_length})"
        )


def score(s: Signals, max_mentions: int) -> float:
    """The salience score of one entity, 0..1."""
    freq = s.mentions / max_mentions if max_mentions > 0 else 0.0
    first = 1.0 - (s.first_offset / s.text_length) if s.text_length > 0 else 0.0
    value = (
        W_TITLE * s.in_title
        + W_LEAD * s.in_lead
        + W_FREQ * freq
        + W_FIRST * max(0.0, min(1.0, first))
    )
    return round(max(0.0, min(1.0, value)), 3)


def level(s: Signals, value: float, is_top: bool) -> SalienceLevel:
    """The level of one entity given its score (see the module docstring)."""
    if (s.in_title or s.in_lead) and s.mentions >= 2:
        return "high"
    if value >= HIGH or (is_top and s.mentions >= 2):
        return "high"
    if (s.mentions == 1 and not s.in_title and not s.in_lead) or value < LOW:
        return "low"
    return "medium"


def rank(signals: Sequence[Signals]) -> list[tuple[float, SalienceLevel]]:
    """Score and level of every entity of one document, in the order given."""
    if not signals:
        return []
    max_mentions = max(s.mentions for s in signals)
    values = [score(s, max_mentions) for s in signals]
    top = max(values)
    return [(v, level(s, v, v == top)) for s, v in zip(signals, values, strict=True)]
