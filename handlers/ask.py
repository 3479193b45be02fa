"""/grok ask: questions in French or English answered from the stored articles, cited.

Candidates are the articles the term index ranks best for the question plus the default
story's; their sentences are ranked by `nlp.retrieval.Ranker` (terms, entities, dates,
question type). When the best sentence does not answer well enough, the reply says so.
"""

from __future__ import annotations

import logging
import re
from collections import OrderedDict

from handlers.context import CommandRequest, HandlerContext
from handlers.format import day, outlet, quote
from handlers.model import CITATION, ArticleRecord, ReaderPassage
from handlers.ports import AnswerReader
from handlers.registry import Param, command
from handlers.reply import Field, Reply, defang
from handlers.story import Cites
from handlers.texts import t
from nlp.retrieval import Passage, Ranker, question_language, split_passages

logger = logging.getLogger(__name__)

CANDIDATE_ARTICLES = 30
_CACHE_SIZE = 5000


class _PassageCache:
    """Passages per article (articles never change once analysed)."""

    def __init__(self) -> None:
        self.items: OrderedDict[str, list[Passage]] = OrderedDict()

    def get(self, ctx: HandlerContext, art: ArticleRecord) -> list[Passage]:
        found = self.items.get(art.id)
        if found is None:
            found = split_passages(
                art.id,
                art.title,
                art.text,
                lang=art.lang or "fr",
                published=art.published_at.date() if art.published_at else None,
                analyzer=ctx.analyzer,
            )
            self.items[art.id] = found
            if len(self.items) > _CACHE_SIZE:
                self.items.popitem(last=False)
        else:
            self.items.move_to_end(art.id)
        return found


_passages = _PassageCache()
_lists: OrderedDict[tuple[str, ...], list[Passage]] = OrderedDict()
_rankers: dict[int, Ranker] = {}


def _ranker(ctx: HandlerContext) -> Ranker:
    key = id(ctx.catalog)
    if key not in _rankers:
        _rankers[key] = Ranker(ctx.catalog)
    return _rankers[key]


@command(
    "ask",
    Param(
        "question",
        "a question about the story, in French or English",
        rest=True,
        description_fr="une question sur l'histoire, en français ou en anglais",
    ),
    help_fr="Une question sur l'histoire, en français ou en anglais ; réponse citée.",
)
async def ask(ctx: HandlerContext, req: CommandRequest) -> Reply:
    """Ask a question about the story (French or English); the best answer first, cited."""
    question = req.args["question"]
    lang = question_language(question)
    hits = await ctx.store.index.search([question], limit=CANDIDATE_ARTICLES)
    articles = {h.article.id: h.article for h in hits}
    biggest = await ctx.store.stories.top(limit=1)
    if biggest:
        for art in await ctx.store.stories.articles(biggest[0].id, limit=CANDIDATE_ARTICLES):
            articles.setdefault(art.id, art)
    # The ranker indexes a passage list once and reuses it while it gets the same list:
    # the same candidate articles give back the same list object.
    key = tuple(sorted(articles))
    passages = _lists.get(key)
    if passages is None:
        passages = [p for art in articles.values() for p in _passages.get(ctx, art)]
        _lists[key] = passages
        if len(_lists) > 64:
            _lists.popitem(last=False)
    else:
        _lists.move_to_end(key)
    ranker = _ranker(ctx)
    reader = ctx.reader  # None unless GROKWATCH_LLM_URL is set
    ranked = ranker.rank(question, passages, limit=6 if reader else 3)
    if reader is not None and ranked and ranked[0][1] > 0:
        generated = await _generate(reader, question, lang, ranked, articles)
        if generated is not None:
            return generated
    ranked = ranked[:3]
    if not ranked or not ranker.answerable(ranked):
        return Reply(text=t(lang, "ask_none"), kind="info")
    cite = Cites()
    best, _ = ranked[0]
    text = f"{quote(best.text, 600)} [{cite(articles[best.article_id])}]"
    others = [
        f"- {quote(p.text, 400)} [{cite(articles[p.article_id])}]"
        for p, score in ranked[1:]
        if p.sentence != best.sentence
    ]
    fields = [Field(t(lang, "ask_more"), "\n".join(others))] if others else []
    return Reply(
        text=text,
        title=t(lang, "ask_title") + f": {quote(question, 200)}",
        fields=fields,
        citations=cite.citations,
    )


async def _generate(
    reader: AnswerReader,
    question: str,
    lang: str,
    ranked: list[tuple[Passage, float]],
    articles: dict[str, ArticleRecord],
) -> Reply | None:
    """The generative reader's answer over the best passages, cited like the extractive
    one (article links); a refusal as the extractive one; None: use the extractive answer."""
    given: list[Passage] = []
    for p, _ in ranked:
        if all(p.sentence != q.sentence for q in given):
            given.append(p)
    shown = [
        ReaderPassage(
            p.text,
            outlet(articles[p.article_id], lang),
            day(articles[p.article_id].published_at, lang),
        )
        for p in given
    ]
    answer = await reader.read(question, lang, shown)
    if answer is None:
        return None
    if answer.kind == "refusal":
        return Reply(text=t(lang, "ask_none"), kind="info")
    cite = Cites()

    def renumber(m: re.Match[str]) -> str:
        numbers = [int(n) for n in m.group(1).split(",")]
        arts = dict.fromkeys(cite(articles[given[n - 1].article_id]) for n in numbers)
        return "".join(f"[{a}]" for a in arts)

    text = defang(CITATION.sub(renumber, answer.text))
    return Reply(
        text=text,
        title=t(lang, "ask_title") + f": {quote(question, 200)}",
        citations=cite.citations,
        footer=t(lang, "ask_generated"),
    )
