"""What `/grok ask` asks of an optional generative reader (`bot.reader.GenerativeReader`):
a short answer written only from numbered passages, each claim cited [n], or a refusal.
Off unless GROKWATCH_LLM_URL is set; the extractive answer stays the default and fallback."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol


@dataclass(frozen=True, slots=True)
class ReaderPassage:
    """One numbered passage given to the reader (its number is its place, from 1)."""

    text: str
    outlet: str
    day: str


@dataclass(frozen=True, slots=True)
class ReaderAnswer:
    """A checked reply: an answer whose every sentence cites given passages, or a refusal."""

    kind: Literal["answer", "refusal"]
    text: str = ""
    cited: tuple[int, ...] = ()


class AnswerReader(Protocol):
    """Reads passages for a question; None: no usable reply (use the extractive answer)."""

    def available(self) -> bool: ...

    async def read(
        self, question: str, lang: str, passages: Sequence[ReaderPassage]
    ) -> ReaderAnswer | None: ...
