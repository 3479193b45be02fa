"""The index and search repository: the articles mentioning an entity, BM25-like term
search with a snippet, the outlets, and an entity's timeline. The term weights written at
analysis time (`term_weights`) live here beside the ranking that reads them."""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime

from bot.store.base import Client, RecordLoader, Repository, id_chunks, scan_delete
from bot.store.keys import Keys
from handlers.model import ArticleRecord, SearchHit, SourceStat
from nlp.terms import term_frequencies, terms
from nlp.text import split_sentences


def term_weights(record: ArticleRecord) -> dict[str, float]:
    """term → BM25-style weight of an article, as the term index stores it."""
    freqs = term_frequencies(record.text)
    for term in terms(record.title):
        freqs[term] += 3  # a word of the title weighs like three of the body
    length = max(1, sum(freqs.values()))
    norm = 0.25 + 0.75 * length / 400.0  # BM25-style length normalisation
    return {term: round(tf * 2.2 / (tf + 1.2 * norm), 4) for term, tf in freqs.items()}


class IndexRepository(Repository):
    """Reads of the entity, term and outlet indexes."""

    def __init__(self, client: Client, keys: Keys, records: RecordLoader) -> None:
        super().__init__(client, keys)
        self.records = records

    async def rebuild_terms(self, *, chunk: int = 200) -> int:
        """Rewrite the term index from the stored articles (after the stemmer changed):
        every term key is dropped, then each analysed article's terms are written again.
        Returns how many articles were indexed."""
        await scan_delete(self.r, self.keys.term_pattern)
        indexed = 0
        async for ids in id_chunks(self.r, self.keys.articles, chunk):
            records = [r for r in await self.records.load_many(ids) if r and r.analysed]
            async with self.r.pipeline(transaction=False) as pipe:
                for record in records:
                    for term, weight in term_weights(record).items():
                        pipe.zadd(self.keys.term(term), {record.id: weight})
                await pipe.execute()
            indexed += len(records)
        return indexed

    async def mentioning(self, entity_id: str, limit: int = 10) -> tuple[int, list[ArticleRecord]]:
        """(total count, the newest articles mentioning the entity, up to limit)."""
        key = self.keys.entity_articles(entity_id)
        total = int(await self.r.zcard(key))
        ids = [i.decode() for i in await self.r.zrevrange(key, 0, max(0, limit - 1))]
        records = [r for r in await self.records.load_many(ids) if r is not None]
        return total, records

    async def entity_timestamps(self, entity_id: str) -> list[float]:
        """Publication times of the dated articles mentioning an entity."""
        rows = await self.r.zrange(self.keys.entity_articles(entity_id), 0, -1, withscores=True)
        undated = {u.decode() for u in await self.r.smembers(self.keys.undated)}
        return [float(score) for aid, score in rows if aid.decode() not in undated]

    async def undated_among(self, ids: Sequence[str]) -> list[bool]:
        """Which of `ids` have no publication date."""
        if not ids:
            return []
        return [bool(x) for x in await self.r.smismember(self.keys.undated, list(ids))]

    async def search(
        self,
        query_terms: Sequence[str],
        limit: int = 5,
        *,
        keep: Callable[[Sequence[str]], Awaitable[list[str]]] | None = None,
    ) -> list[SearchHit]:
        """Rank articles by BM25-like weights of the query's terms (all terms first).
        `keep`: the ids of a ranked list that may be shown (a tenant's view), in order."""
        wanted = list(dict.fromkeys(t for q in query_terms for t in terms(q)))
        if not wanted:
            return []
        total = max(1, await self.records.count())
        async with self.r.pipeline(transaction=False) as pipe:
            for term in wanted:
                pipe.zcard(self.keys.term(term))
            dfs = await pipe.execute()
        weights = {
            self.keys.term(t): math.log(1 + (total - df + 0.5) / (df + 0.5))
            for t, df in zip(wanted, dfs, strict=True)
            if df
        }
        if not weights:
            return []

        async def shown(rows: list[tuple[bytes, float]]) -> list[tuple[bytes, float]]:
            if keep is None:
                return rows
            allowed = set(await keep([i.decode() for i, _ in rows]))
            return [row for row in rows if row[0].decode() in allowed]

        ranked: list[tuple[bytes, float]] = []
        if len(weights) == len(wanted):  # articles with every term come first
            every = await self.r.zinter(weights, aggregate="SUM", withscores=True)
            ranked = (await shown(sorted(every, key=lambda x: (-x[1], x[0]))))[:limit]
        if len(ranked) < limit:  # then those with some of the terms
            seen = {i for i, _ in ranked}
            some = await self.r.zunion(weights, aggregate="SUM", withscores=True)
            rest = sorted((x for x in some if x[0] not in seen), key=lambda x: (-x[1], x[0]))
            ranked += (await shown(rest))[: limit - len(ranked)]
        records = await self.records.load_many([i.decode() for i, _ in ranked])
        hits = []
        for (_, score), rec in zip(ranked, records, strict=True):
            if rec is not None:
                hits.append(SearchHit(rec, float(score), _best_sentence(rec, wanted)))
        return hits

    async def sources(self) -> list[SourceStat]:
        """The outlets, those with the most articles first."""
        names = sorted(n.decode() for n in await self.r.smembers(self.keys.sources))
        async with self.r.pipeline(transaction=False) as pipe:
            for name in names:
                pipe.zcard(self.keys.source_articles(name))
                pipe.zrevrange(self.keys.source_articles(name), 0, 0, withscores=True)
            rows = await pipe.execute()
        stats = []
        for i, name in enumerate(names):
            count, latest = rows[2 * i], rows[2 * i + 1]
            when = datetime.fromtimestamp(latest[0][1], UTC) if latest else None
            stats.append(SourceStat(name=name, articles=int(count), latest=when))
        stats.sort(key=lambda s: (-s.articles, s.name.casefold()))
        return stats


def _best_sentence(record: ArticleRecord, wanted: Sequence[str]) -> str:
    best, best_score = record.title, 0
    want = set(wanted)
    for sentence in split_sentences(record.text):
        score = len(want & set(terms(sentence)))
        if score > best_score:
            best, best_score = sentence, score
    return best
