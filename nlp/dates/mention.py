"""What a found date is: :class:`DateMention`, its precision and the part of a period it names."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Final, Literal

__all__ = ["PART_MONTH", "DateMention", "Part", "Precision"]


Precision = Literal["day", "month", "year", "week", "season"]
Part = Literal["early", "mid", "late"]

_PART_DAY: Final[dict[str | None, int]] = {None: 1, "early": 5, "mid": 15, "late": 25}
PART_MONTH: Final[dict[Part, int]] = {"early": 1, "mid": 6, "late": 10}
_PRECISION_RANK: Final[dict[str, int]] = {"year": 0, "season": 1, "month": 2, "week": 3, "day": 4}


@dataclass(frozen=True, slots=True)
class DateMention:
    """One date named in a sentence, resolved to the calendar."""

    text: str
    """The words as written ("début mars", "l'an dernier", "en 2015")."""
    start: int
    """Offset of the first character of :attr:`text` in the sentence."""
    end: int
    """Offset just past the last character of :attr:`text`."""
    year: int
    month: int | None
    """``None`` when the mention names only a year ("en 2015")."""
    day: int | None
    """``None`` unless the mention names (or, for weeks, points at) a day."""
    precision: Precision
    relative: bool
    """True when resolving needed the publication date (a relative mention or a missing year)."""
    part: Part | None = None
    """"early", "mid" or "late" when the text narrows the month or year ("début", "mi-", "fin")."""

    def as_date(self) -> date:
        """The first day the mention can mean (its day, else the 1st of its month, else 1 January)."""
        return date(self.year, self.month or 1, self.day or 1)

    def iso(self) -> str:
        """``2024-03-11``, ``2024-03`` or ``2015``, as precise as the mention."""
        if self.month is None:
            return f"{self.year:04d}"
        if self.day is None:
            return f"{self.year:04d}-{self.month:02d}"
        return f"{self.year:04d}-{self.month:02d}-{self.day:02d}"

    def sort_key(self) -> tuple[int, int, int, int]:
        """A key ordering mentions in time; a vaguer mention sorts before a precise one on ties."""
        month = self.month
        if month is None:
            month = PART_MONTH[self.part] if self.part else 1
        day = self.day if self.day is not None else _PART_DAY[self.part]
        return (self.year, month, day, _PRECISION_RANK[self.precision])
