"""Finding dates in French and English sentences and normalising them.

:func:`find_dates` returns every date mention of a sentence as a :class:`DateMention`: the
words as written, their character offsets, and the date they name, resolved to a year and,
when the text says so, a month and a day. Mentions relative to the article ("lundi", "hier",
"la semaine dernière", "il y a une dizaine de jours", "last November", "earlier this month")
and mentions without a year ("le 17 mars", "début mars", "en novembre") are resolved against
the article's publication date; without one they are skipped, since they name no date.

The grammar is a set of regular expressions, one rule per construction, written for news
prose; overlapping matches are settled by keeping the longest. Things that look like dates
but are not are left alone: model names ("Grok-1", "GPT-4"), counts ("314 milliards",
"8 experts"), versions ("2.0"), clock times ("16 22 17"), the planet ("sur Mars") and a bare
"la semaine".

How a mention is resolved:

* **day** precision: an exact day. A day without a year ("le 17 mars") takes the year that
  puts it nearest the publication date.
* **month**: "juillet 2023", "début mars", "le mois dernier". A month without a year ("en
  novembre", "début mars") is the most recent such month not after the publication month;
  "novembre dernier" / "last November" the most recent one strictly before it, "novembre
  prochain" the next one after it.
* **week**: "cette semaine", "la semaine dernière" give the Monday of the week they name;
  spans counted in days or weeks ("il y a une dizaine de jours", "two weeks ago") give the
  day they point at, ``precision="week"`` saying it is only good to a few days.
* **season**: a part of a year coarser than a month: "l'été 2023", "fin 2023", "mi-2023",
  "la fin de l'année". ``month`` is the first month of the period (spring 3, summer 6,
  autumn 9, winter 12; early 1, mid 6, late 10).
* **year**: "en 2015", "l'an dernier", "il y a deux ans".

``part`` says when the text narrows a month or a year to its start, middle or end ("début
mars", "mi-mars", "fin 2023"); :meth:`DateMention.sort_key` uses it so that "fin mars"
sorts after "le 11 mars".

The package, by responsibility: :mod:`.mention` (what a found date is), :mod:`.lexicon`
(the words of dates and the pattern pieces made of them), :mod:`.resolve` (from a match to
the calendar), :mod:`.rules` (the grammar of each language), :mod:`.find` (the public
:func:`find_dates`).
"""

from .find import find_dates
from .lexicon import CALENDAR_WORDS, MONTH_NAMES
from .mention import DateMention, Part, Precision

__all__ = ["CALENDAR_WORDS", "MONTH_NAMES", "DateMention", "Part", "Precision", "find_dates"]
