"""The generative reader scored like the extractive one (``benchmarks/story.py --llm-url``):
an answerable question is right when the reader answers and the first passage it cites
holds one of the facts; an unanswerable one when it refuses. A reply it cannot use (timeout,
error, bad citation) counts as the extractive answer would: the bot falls back to it."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from bot.reader import GenerativeReader
from bot.settings import load_settings
from handlers.model import ReaderPassage
from nlp.retrieval import Passage, Ranker


def score(
    url: str,
    model: str,
    questions: Sequence[tuple[str, str, Sequence[str], bool]],
    passages: Sequence[Passage],
    ranker: Ranker,
) -> tuple[int, int, int]:
    """(right, fell back, asked) over (question, lang, facts, unanswerable) tuples."""

    async def run() -> tuple[int, int, int]:
        reader = GenerativeReader(load_settings(llm_url=url, llm_model=model))
        right = fell = 0
        try:
            for question, lang, facts, unanswerable in questions:
                ranked = ranker.rank(question, passages, reader.max_passages)
                given = [p for p, _ in ranked]
                shown = [ReaderPassage(p.text, p.article_id, str(p.published)) for p in given]
                answer = await reader.read(question, lang, shown)
                if answer is None:
                    fell += 1
                    says = ranker.answerable(ranked[:3])
                    top = ranked[0][0].text.casefold() if ranked else ""
                    good = not says if unanswerable else says and _holds(top, facts)
                elif answer.kind == "refusal":
                    good = unanswerable
                else:
                    first = given[answer.cited[0] - 1].text.casefold()
                    good = not unanswerable and _holds(first, facts)
                right += good
        finally:
            await reader.aclose()
        return right, fell, len(questions)

    return asyncio.run(run())


def _holds(text: str, facts: Sequence[str]) -> bool:
    return any(f.casefold() in text for f in facts)
