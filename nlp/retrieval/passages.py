"""Articles cut into passages: one :class:`Passage` per sentence, what ``/grok ask`` cites.

Sentence 0 is the title. Each passage carries the catalog entities and the dates its sentence
mentions, and the sentence that follows it in the article (its ``neighbour``: an answer often
sits in the next sentence); a sentence that is only a date ("**Février 2018.**") joins the
sentence it introduces. A title that is only the start of the first sentence, cut short
("Emad Mostaque has resigned as chief executive of…"), is not a passage of its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import TYPE_CHECKING

from ..dates import DateMention, find_dates
from ..text import normalize_text, split_sentences

if TYPE_CHECKING:
    from ..pipeline import Analyzer

__all__ = ["Passage", "split_passages"]


@dataclass(frozen=True, slots=True)
class Passage:
    """One sentence of one article, the unit ``/grok ask`` answers with."""

    article_id: str
    sentence: str  # whitespace-normalised
    index: int  # sentence number in the article (0 = title)
    lang: str
    published: date | None = None
    entities: tuple[str, ...] = ()  # catalog ids mentioned in this sentence
    dates: tuple[tuple[int, int | None], ...] = ()  # (year, month) of dates mentioned
    neighbour: str = ""  # the next sentence of the article ("" for the title and the last)

    @property
    def text(self) -> str:
        """The sentence, then its neighbour when the passage carries one: what is shown."""
        return f"{self.sentence} {self.neighbour}" if self.neighbour else self.sentence

    def alone(self) -> Passage:
        """The same passage without its neighbour."""
        return replace(self, neighbour="") if self.neighbour else self


def _only_dates(sentence: str, found: Sequence[DateMention]) -> bool:
    """Whether a sentence is nothing but its dates ("Décembre 2015.", "11 mars 2024 :")."""
    rest = sentence
    for mention in sorted(found, key=lambda d: -d.start):
        rest = rest[: mention.start] + rest[mention.end :]
    return not any(ch.isalnum() for ch in rest)


def split_passages(
    article_id: str,
    title: str,
    text: str,
    *,
    lang: str,
    published: date | None,
    analyzer: Analyzer | None = None,
) -> list[Passage]:
    """The sentences of an article as passages, in order, the title first (index 0).

    With an ``analyzer``, its sentence boundaries are used and each passage carries the
    catalog ids that :meth:`Analyzer.mentions` finds in that sentence; without one,
    :func:`nlp.text.split_sentences` cuts the text and passages carry no entities. Dates
    come from :func:`nlp.dates.find_dates`, relative ones resolved against ``published``.
    """
    sentences: list[str]
    per_sentence: dict[int, list[str]] = {}
    if analyzer is not None:
        analysis = analyzer.fast([(title, text)], [lang])[0]
        sentences = list(analysis.sentences)
        for mention in analyzer.mentions(title, text, lang):
            ids = per_sentence.setdefault(mention.sent_index, [])
            if mention.entity_id not in ids:
                ids.append(mention.entity_id)
    else:
        sentences = [normalize_text(title).strip(), *split_sentences(normalize_text(text))]
    passages: list[Passage] = []
    pending: Passage | None = None
    for index, raw in enumerate(sentences):
        sentence = " ".join(raw.replace("**", "").split())
        if not sentence:
            continue
        if index == 1 and passages and passages[0].index == 0:
            head = passages[0].sentence.rstrip(" .…").removesuffix("...").rstrip(" ,;:")
            if head and sentence.startswith(head):
                passages.pop()  # the title is only the start of the first sentence
        found = find_dates(sentence, published, lang)
        dates = tuple(dict.fromkeys((d.year, d.month) for d in found))
        entities = tuple(per_sentence.get(index, ()))
        if pending is not None:
            # a date heading ("**Février 2018.**") belongs to the sentence it introduces
            sentence = f"{pending.sentence} {sentence}"
            entities = tuple(dict.fromkeys((*pending.entities, *entities)))
            dates = tuple(dict.fromkeys((*pending.dates, *dates)))
            index = pending.index
            pending = None
        elif index > 0 and found and _only_dates(sentence, found):
            pending = Passage(article_id, sentence, index, lang, published, entities, dates)
            continue
        passages.append(Passage(article_id, sentence, index, lang, published, entities, dates))
    if pending is not None:
        passages.append(pending)
    return [
        replace(p, neighbour=passages[i + 1].sentence)
        if p.index > 0 and i + 1 < len(passages)
        else p
        for i, p in enumerate(passages)
    ]
