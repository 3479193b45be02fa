"""The public face of date finding: :func:`find_dates`, overlaps and anaphora settled."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from ..text import normalize_text
from .mention import DateMention
from .resolve import Hit
from .rules import RULES, candidates

__all__ = ["find_dates"]


def _resolve_anaphora(hits: list[Hit]) -> list[DateMention]:
    """Give "la fin de l'année" the year of the nearest earlier explicit date, if any.

    "fondée en juillet 2023, elle lance son produit avant la fin de l'année" means 2023.
    """
    out: list[DateMention] = []
    for hit in hits:
        mention = hit.mention
        anchor = next((d for d in reversed(out) if not d.relative), None)
        if hit.anaphoric and anchor is not None:
            mention = replace(mention, year=anchor.year, relative=False)
        out.append(mention)
    return out


def find_dates(sentence: str, published: date | None, lang: str = "fr") -> list[DateMention]:
    """Every date mentioned in ``sentence``, in order, resolved against ``published``.

    ``lang`` picks the grammar: "fr", "en", or anything else for both. Mentions that need
    the publication date are skipped when ``published`` is ``None``. Where mentions overlap,
    the longest wins ("lundi 11 mars 2024" is one mention, not three).
    """
    text = normalize_text(sentence)
    langs = [lang[:2]] if lang[:2] in RULES else list(RULES)
    hits: list[Hit] = []
    for code in langs:
        hits.extend(candidates(text, published, code))
    hits.sort(key=lambda h: (h.mention.start - h.mention.end, h.mention.start))
    kept: list[Hit] = []
    for hit in hits:
        m = hit.mention
        if all(m.end <= k.mention.start or m.start >= k.mention.end for k in kept):
            kept.append(hit)
    kept.sort(key=lambda h: h.mention.start)
    # the words as written in the sentence given, not as normalised
    return [replace(d, text=sentence[d.start : d.end]) for d in _resolve_anaphora(kept)]
