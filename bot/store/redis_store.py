"""The Redis store: articles, the entity and term indexes, subscriptions, alert state.

Only this module knows the layout of the data (the key names live in `bot.store.keys`). All
writes that must happen together are one Lua script or one MULTI transaction, so a crash
never leaves an article half-stored, and every write is idempotent, so a stage that is
replayed after a crash changes nothing the first run already did.
"""

from __future__ import annotations

import json
import logging
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, cast

import redis.asyncio as aioredis

from bot.store.keys import SCHEMA_VERSION, Keys
from handlers.model import (
    SALIENCE_LEVELS,
    Analysis,
    ArticleRecord,
    ChannelAddress,
    EntityInfo,
    EntityResult,
    QueuedAlert,
    RawArticle,
    SalienceLevel,
    SearchHit,
    SourceStat,
    StoryRecord,
    Subscription,
)
from nlp.terms import term_frequencies, terms

logger = logging.getLogger(__name__)

Redis = aioredis.Redis

_ADD_ARTICLE = """
if redis.call('EXISTS', KEYS[1]) == 1 then return {'duplicate', ARGV[1]} end
local other = redis.call('HGET', KEYS[2], ARGV[2])
if other then return {'duplicate', other} end
redis.call('HSET', KEYS[1], unpack(ARGV, 6))
if ARGV[5] == '1' then redis.call('SADD', KEYS[8], ARGV[1]) end
redis.call('HSET', KEYS[2], ARGV[2], ARGV[1])
redis.call('ZADD', KEYS[3], ARGV[3], ARGV[1])
if ARGV[4] ~= '' then
  redis.call('SADD', KEYS[5], ARGV[4])
  redis.call('ZADD', KEYS[6], ARGV[3], ARGV[1])
end
redis.call('HINCRBY', KEYS[7], 'articles_ingested', 1)
redis.call('XADD', KEYS[4], '*', 'id', ARGV[1])
return {'new', ARGV[1]}
"""

_QUEUE_ALERT = """
if redis.call('SADD', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('XADD', KEYS[2], '*', 'channel', ARGV[2], 'article', ARGV[1], 'entities', ARGV[3])
redis.call('RPUSH', KEYS[3], ARGV[4])
redis.call('HINCRBY', KEYS[4], 'alerts_queued', 1)
return 1
"""

_QUEUE_NOTICE = """
if redis.call('SADD', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('XADD', KEYS[2], '*', 'channel', ARGV[2], 'notice', ARGV[1], 'title', ARGV[3], 'text', ARGV[4])
redis.call('HINCRBY', KEYS[3], 'notices_queued', 1)
return 1
"""

_SENTENCE_SPLIT = re.compile(r"(?<=[.!?…»\"”])\s+|\n+")


class SchemaMismatch(RuntimeError):
    """The Redis database holds data of another grokwatch schema version."""


def _iso(dt: datetime | None) -> str:
    return dt.astimezone(UTC).isoformat() if dt else ""


def _parse_dt(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        dt = datetime.fromisoformat(value)
    except ValueError:
        return None
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def _level_rank(level: str) -> int:
    try:
        return SALIENCE_LEVELS.index(cast(SalienceLevel, level))
    except ValueError:
        return 0


def sentences_of(text: str) -> list[str]:
    """A cheap sentence split for snippets (the analyzer has the real one)."""
    return [s.strip() for s in _SENTENCE_SPLIT.split(text) if s and s.strip()]


class RedisStore:
    """Implements `handlers.ports.StoreProtocol` and the pipeline's own operations."""

    def __init__(self, client: Redis, keys: Keys | None = None) -> None:
        # redis-py types replies as unions of every decode mode; we always get bytes.
        self.r: Any = client
        self.keys = keys or Keys()
        self._add_article = self.r.register_script(_ADD_ARTICLE)
        self._queue_alert = self.r.register_script(_QUEUE_ALERT)
        self._queue_notice = self.r.register_script(_QUEUE_NOTICE)

    async def close(self) -> None:
        await self.r.aclose()

    # ------------------------------------------------------------------ meta
    async def check_schema(self) -> None:
        """Stamp an empty database with our schema version, or refuse another one."""
        current = await self.r.get(self.keys.schema)
        if current is None:
            await self.r.set(self.keys.schema, SCHEMA_VERSION, nx=True)
            return
        if int(current) != SCHEMA_VERSION:
            raise SchemaMismatch(
                f"the Redis database holds grokwatch schema {int(current)}, this version "
                f"needs {SCHEMA_VERSION}; use another GROKWATCH_KEY_PREFIX or database"
            )

    async def stats(self) -> dict[str, int]:
        raw = await self.r.hgetall(self.keys.stats)
        return {k.decode(): int(v) for k, v in raw.items()}

    async def incr_stat(self, name: str, by: int = 1) -> None:
        await self.r.hincrby(self.keys.stats, name, by)

    # -------------------------------------------------------------- articles
    async def add_article(self, raw: RawArticle, *, quiet: bool = False) -> tuple[str, str]:
        """Store a new article and queue it for analysis, atomically.

        Returns (status, id): ("new", its id) or ("duplicate", the id already stored, by
        the same id or the same text under another address). `quiet`: index it as usual
        but queue no alerts for it (the fan-out skips it).
        """
        article_id = raw.article_id()
        now = datetime.now(UTC)
        when = raw.published_at or now
        fields: dict[str, str] = {
            "id": article_id,
            "title": raw.title,
            "text": raw.text,
            "url": raw.url or "",
            "path": raw.path or "",
            "source": raw.source or "",
            "published_at": _iso(raw.published_at),
            "ingested_at": _iso(now),
            "lang": raw.lang or "",
            "analysed": "",
        }
        if quiet:
            fields["quiet"] = "1"
        source = raw.source or ""
        keys = [
            self.keys.article(article_id),
            self.keys.content_hashes,
            self.keys.articles,
            self.keys.ingest_stream,
            self.keys.sources,
            self.keys.source_articles(source or "-"),
            self.keys.stats,
            self.keys.undated,
        ]
        undated = "1" if raw.published_at is None else "0"
        args: list[str | float] = [
            article_id,
            raw.content_hash(),
            when.timestamp(),
            source,
            undated,
        ]
        for k, v in fields.items():
            args += [k, v]
        status, stored_id = await self._add_article(keys=keys, args=args)
        return status.decode(), stored_id.decode()

    async def load_articles(self, ids: Sequence[str]) -> list[ArticleRecord | None]:
        async with self.r.pipeline(transaction=False) as pipe:
            for article_id in ids:
                pipe.hgetall(self.keys.article(article_id))
            rows = await pipe.execute()
        return [self._record(row) if row else None for row in rows]

    async def load_article(self, article_id: str) -> ArticleRecord | None:
        return (await self.load_articles([article_id]))[0]

    @staticmethod
    def _record(row: Mapping[bytes, bytes]) -> ArticleRecord:
        d = {k.decode(): v.decode() for k, v in row.items()}
        entities = [EntityResult.from_json(e) for e in json.loads(d.get("entities") or "[]")]
        return ArticleRecord(
            id=d["id"],
            title=d.get("title", ""),
            text=d.get("text", ""),
            url=d.get("url") or None,
            path=d.get("path") or None,
            source=d.get("source") or None,
            published_at=_parse_dt(d.get("published_at")),
            ingested_at=_parse_dt(d.get("ingested_at")),
            lang=d.get("lang") or None,
            entities=entities,
            analysed=d.get("analysed", ""),
            fanned=d.get("fanned", ""),
            story=d.get("story") or None,
            sentences=json.loads(d.get("sentences") or "[]"),
            quiet=d.get("quiet") == "1",
        )

    async def article_count(self) -> int:
        return int(await self.r.zcard(self.keys.articles))

    async def save_analysis(
        self, record: ArticleRecord, analysis: Analysis, stage: str
    ) -> list[EntityResult]:
        """Index an article's analysis. Idempotent: replaying it changes nothing.

        `stage` is "fast" (catalog entities) or "full" (plus discovered ones). The full
        pass keeps the fast pass's catalog results and adds to them. Returns the entities
        that this call added to the article (all of them on the fast pass).
        """
        when = (record.published_at or record.ingested_at or datetime.now(UTC)).timestamp()
        known = {e.id: e for e in record.entities}
        merged = dict(known)
        for ent in analysis.entities:
            merged.setdefault(ent.id, ent)
        added = [e for e in merged.values() if e.id not in known or stage == "fast"]
        fields: dict[str, str] = {
            "entities": json.dumps([e.to_json() for e in merged.values()], ensure_ascii=False),
            "analysed": "full" if stage == "full" or record.analysed == "full" else "fast",
        }
        if analysis.lang and (stage == "fast" or not record.lang):
            fields["lang"] = analysis.lang
        if stage == "fast" and analysis.sentences:
            fields["sentences"] = json.dumps(
                [" ".join(x.split()) for x in analysis.sentences], ensure_ascii=False
            )
        if analysis.title and not record.title:
            fields["title"] = analysis.title
        async with self.r.pipeline(transaction=True) as pipe:
            pipe.hset(self.keys.article(record.id), mapping=fields)
            for ent in merged.values():
                pipe.zadd(self.keys.entity_articles(ent.id), {record.id: when})
            if stage == "fast":
                self._index_terms(pipe, record)
            await pipe.execute()
        return added

    def _index_terms(self, pipe: Any, record: ArticleRecord) -> None:
        freqs = term_frequencies(record.text)
        for term in terms(record.title):
            freqs[term] += 3  # a word of the title weighs like three of the body
        length = max(1, sum(freqs.values()))
        norm = 0.25 + 0.75 * length / 400.0  # BM25-style length normalisation
        for term, tf in freqs.items():
            weight = tf * 2.2 / (tf + 1.2 * norm)
            pipe.zadd(self.keys.term(term), {record.id: round(weight, 4)})

    async def add_discovered(self, entities: Iterable[EntityInfo]) -> None:
        mapping = {
            e.id: json.dumps(
                {"id": e.id, "name": e.name, "type": e.type, "aliases": list(e.aliases)},
                ensure_ascii=False,
            )
            for e in entities
        }
        if mapping:
            await self.r.hset(self.keys.discovered, mapping=mapping)

    async def discovered(self, entity_id: str) -> EntityInfo | None:
        raw = await self.r.hget(self.keys.discovered, entity_id)
        return self._entity_info(raw) if raw else None

    async def discovered_entities(self, limit: int = 1000) -> list[EntityInfo]:
        out: list[EntityInfo] = []
        async for _, raw in self.r.hscan_iter(self.keys.discovered, count=500):
            out.append(self._entity_info(raw))
            if len(out) >= limit:
                break
        return out

    @staticmethod
    def _entity_info(raw: bytes) -> EntityInfo:
        d = json.loads(raw)
        return EntityInfo(
            id=d["id"],
            name=d["name"],
            type=d.get("type", "other"),
            aliases=tuple(d.get("aliases", ())),
            source="discovered",
        )

    # ---------------------------------------------------------------- stories
    async def set_story(self, record: ArticleRecord, story_id: str, title: str) -> None:
        """Put an article in a story (creating the story); idempotent."""
        when = (record.published_at or record.ingested_at or datetime.now(UTC)).timestamp()
        async with self.r.pipeline(transaction=True) as pipe:
            pipe.hsetnx(self.keys.story(story_id), "id", story_id)
            pipe.hsetnx(self.keys.story(story_id), "title", title)
            pipe.zadd(self.keys.story_articles(story_id), {record.id: when})
            pipe.hset(self.keys.article(record.id), "story", story_id)
            await pipe.execute()
        count = await self.r.zcard(self.keys.story_articles(story_id))
        await self.r.zadd(self.keys.stories, {story_id: count})

    async def entities_and_story(
        self, ids: Sequence[str]
    ) -> list[tuple[str, list[EntityResult], str | None]]:
        """(id, entities, story) of articles, without loading their text."""
        async with self.r.pipeline(transaction=False) as pipe:
            for article_id in ids:
                pipe.hmget(self.keys.article(article_id), "entities", "story")
            rows = await pipe.execute()
        return [
            (
                article_id,
                [EntityResult.from_json(e) for e in json.loads(raw_ents or "[]")],
                story.decode() if story else None,
            )
            for article_id, (raw_ents, story) in zip(ids, rows, strict=True)
        ]

    async def story(self, story_id: str) -> StoryRecord | None:
        title = await self.r.hget(self.keys.story(story_id), "title")
        if title is None:
            return None
        key = self.keys.story_articles(story_id)
        count = int(await self.r.zcard(key))
        first = await self.r.zrange(key, 0, 0, withscores=True)
        last = await self.r.zrange(key, -1, -1, withscores=True)
        return StoryRecord(
            id=story_id,
            title=title.decode(),
            articles=count,
            first=datetime.fromtimestamp(first[0][1], UTC) if first else None,
            last=datetime.fromtimestamp(last[0][1], UTC) if last else None,
        )

    async def stories(self, limit: int = 20) -> list[StoryRecord]:
        ids = await self.r.zrevrange(self.keys.stories, 0, limit - 1)
        out = [await self.story(i.decode()) for i in ids]
        return [s for s in out if s is not None]

    async def story_articles(self, story_id: str, limit: int = 100) -> list[ArticleRecord]:
        ids = [
            i.decode()
            for i in await self.r.zrange(self.keys.story_articles(story_id), 0, limit - 1)
        ]
        return [r for r in await self.load_articles(ids) if r is not None]

    async def entity_timestamps(self, entity_id: str) -> list[float]:
        """Publication times of the dated articles mentioning an entity."""
        rows = await self.r.zrange(self.keys.entity_articles(entity_id), 0, -1, withscores=True)
        undated = {u.decode() for u in await self.r.smembers(self.keys.undated)}
        return [float(score) for aid, score in rows if aid.decode() not in undated]

    # ---------------------------------------------------------------- reading
    async def articles_mentioning(
        self, entity_id: str, limit: int = 10
    ) -> tuple[int, list[ArticleRecord]]:
        key = self.keys.entity_articles(entity_id)
        total = int(await self.r.zcard(key))
        ids = [i.decode() for i in await self.r.zrevrange(key, 0, max(0, limit - 1))]
        records = [r for r in await self.load_articles(ids) if r is not None]
        return total, records

    async def search(self, query_terms: Sequence[str], limit: int = 5) -> list[SearchHit]:
        """Rank articles by BM25-like weights of the query's terms (all terms first)."""
        wanted = list(dict.fromkeys(t for q in query_terms for t in terms(q)))
        if not wanted:
            return []
        total = max(1, await self.article_count())
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
        ranked: list[tuple[bytes, float]] = []
        if len(weights) == len(wanted):  # articles with every term come first
            every = await self.r.zinter(weights, aggregate="SUM", withscores=True)
            ranked = sorted(every, key=lambda x: (-x[1], x[0]))[:limit]
        if len(ranked) < limit:  # then those with some of the terms
            seen = {i for i, _ in ranked}
            some = await self.r.zunion(weights, aggregate="SUM", withscores=True)
            rest = sorted((x for x in some if x[0] not in seen), key=lambda x: (-x[1], x[0]))
            ranked += rest[: limit - len(ranked)]
        records = await self.load_articles([i.decode() for i, _ in ranked])
        hits = []
        for (_, score), rec in zip(ranked, records, strict=True):
            if rec is not None:
                hits.append(SearchHit(rec, float(score), self._best_sentence(rec, wanted)))
        return hits

    @staticmethod
    def _best_sentence(record: ArticleRecord, wanted: Sequence[str]) -> str:
        best, best_score = record.title, 0
        want = set(wanted)
        for sentence in sentences_of(record.text):
            score = len(want & set(terms(sentence)))
            if score > best_score:
                best, best_score = sentence, score
        return best

    async def sources(self) -> list[SourceStat]:
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

    # ---------------------------------------------------------- subscriptions
    async def track(self, sub: Subscription) -> bool:
        payload = json.dumps(
            {
                "min_level": sub.min_level,
                "added_by": sub.added_by,
                "added_at": _iso(sub.added_at or datetime.now(UTC)),
            }
        )
        async with self.r.pipeline(transaction=True) as pipe:
            pipe.hset(self.keys.channel_subs(sub.channel), sub.entity_id, payload)
            pipe.sadd(self.keys.subscribers(sub.entity_id), sub.channel)
            pipe.sadd(self.keys.channels, sub.channel)
            is_new, _, _ = await pipe.execute()
        return bool(is_new)

    async def untrack(self, channel: str, entity_id: str) -> bool:
        async with self.r.pipeline(transaction=True) as pipe:
            pipe.hdel(self.keys.channel_subs(channel), entity_id)
            pipe.srem(self.keys.subscribers(entity_id), channel)
            removed, _ = await pipe.execute()
        return bool(removed)

    async def subscriptions(self, channel: str) -> list[Subscription]:
        raw = await self.r.hgetall(self.keys.channel_subs(channel))
        subs = []
        for eid, payload in raw.items():
            d = json.loads(payload)
            subs.append(
                Subscription(
                    channel=channel,
                    entity_id=eid.decode(),
                    min_level=d.get("min_level", "low"),
                    added_by=d.get("added_by", ""),
                    added_at=_parse_dt(d.get("added_at")),
                )
            )
        subs.sort(key=lambda s: s.entity_id)
        return subs

    async def subscribers_for(
        self, entities: Sequence[EntityResult]
    ) -> dict[str, list[EntityResult]]:
        """channel → the article's entities it tracks at or above its salience threshold.

        Costs one set read per entity the article mentions plus one hash read per
        matching (channel, entity): it does not grow with the number of subscriptions.
        """
        if not entities:
            return {}
        async with self.r.pipeline(transaction=False) as pipe:
            for ent in entities:
                pipe.smembers(self.keys.subscribers(ent.id))
            members = await pipe.execute()
        pairs = [
            (ch.decode(), ent)
            for ent, chans in zip(entities, members, strict=True)
            for ch in sorted(chans)
        ]
        if not pairs:
            return {}
        async with self.r.pipeline(transaction=False) as pipe:
            for channel, ent in pairs:
                pipe.hget(self.keys.channel_subs(channel), ent.id)
            settings = await pipe.execute()
        out: dict[str, list[EntityResult]] = {}
        for (channel, ent), raw in zip(pairs, settings, strict=True):
            if raw is None:
                continue  # untracked between the two reads
            min_level = json.loads(raw).get("min_level", "low")
            if _level_rank(ent.level) >= _level_rank(min_level):
                out.setdefault(channel, []).append(ent)
        return out

    # ----------------------------------------------------------------- alerts
    async def queue_alert(self, platform: str, alert: QueuedAlert) -> bool:
        """Put an alert in the platform's outbox unless one was queued already; atomic."""
        entities = json.dumps(list(alert.entity_ids))
        record = json.dumps({"channel": alert.channel, "entities": list(alert.entity_ids)})
        queued = await self._queue_alert(
            keys=[
                self.keys.alerted(alert.channel),
                self.keys.outbox(platform),
                self.keys.queued_alerts(alert.article_id),
                self.keys.stats,
            ],
            args=[alert.article_id, alert.channel, entities, record],
        )
        return bool(queued)

    async def mark_fanned(self, article_id: str, stage: str) -> None:
        """Record that the fan-out has queued the alerts of an analysis pass."""
        if stage == "full":
            await self.r.hset(self.keys.article(article_id), "fanned", "full")
        else:  # never downgrade "full"
            await self.r.hsetnx(self.keys.article(article_id), "fanned", "fast")

    async def queued_alerts(self, article_id: str) -> list[QueuedAlert]:
        rows = await self.r.lrange(self.keys.queued_alerts(article_id), 0, -1)
        out = []
        for row in rows:
            d = json.loads(row)
            out.append(QueuedAlert(d["channel"], article_id, tuple(d["entities"])))
        return out

    async def is_delivered(self, channel: str, article_id: str) -> bool:
        return bool(await self.r.sismember(self.keys.delivered(channel), article_id))

    async def mark_delivered(self, channel: str, article_id: str) -> None:
        async with self.r.pipeline(transaction=True) as pipe:
            pipe.sadd(self.keys.delivered(channel), article_id)
            pipe.hincrby(self.keys.stats, "alerts_delivered", 1)
            await pipe.execute()

    async def article_exists(self, article_id: str) -> bool:
        return bool(await self.r.exists(self.keys.article(article_id)))

    # ---------------------------------------------------------------- notices
    async def queue_notice(
        self, platform: str, channel: str, notice_id: str, title: str, text: str
    ) -> bool:
        """Queue a bot notice (not an alert) for a channel, once per `notice_id`, ever;
        the deliver stage of `platform` sends it. False when it was queued before."""
        queued = await self._queue_notice(
            keys=[self.keys.notices_queued, self.keys.outbox(platform), self.keys.stats],
            args=[notice_id, channel, title, text],
        )
        return bool(queued)

    async def notice_sent(self, channel: str, notice_id: str) -> bool:
        return bool(await self.r.sismember(self.keys.notices_sent(channel), notice_id))

    async def mark_notice_sent(self, channel: str, notice_id: str) -> None:
        async with self.r.pipeline(transaction=True) as pipe:
            pipe.sadd(self.keys.notices_sent(channel), notice_id)
            pipe.hincrby(self.keys.stats, "notices_delivered", 1)
            await pipe.execute()

    async def thread_ref(self, channel: str, key: str) -> str | None:
        raw = await self.r.hget(self.keys.threads(channel), key)
        return raw.decode() if raw else None

    async def set_thread_ref(self, channel: str, key: str, ref: str) -> bool:
        """Remember the message that opens a thread; False if one was already set."""
        return bool(await self.r.hsetnx(self.keys.threads(channel), key, ref))

    async def mark_sending(
        self, channel: str, key: str, value: str, ttl_s: int = 7 * 86400
    ) -> str | None:
        """Note that delivery `key` is about to be posted; return the earlier note if one
        exists (a retry after a crash). Notes expire, so they never pile up."""
        k = self.keys.sending(channel, key)
        if await self.r.set(k, value, nx=True, ex=ttl_s):
            return None
        raw = await self.r.get(k)
        return raw.decode() if raw else None

    # ------------------------------------------------------------ pausing
    async def pause_channel(self, channel: str, reason: str) -> None:
        payload = json.dumps({"reason": reason, "at": _iso(datetime.now(UTC))})
        await self.r.hset(self.keys.paused(_scope(channel)), channel, payload)

    async def paused_channels(self, scope: str) -> dict[str, str]:
        """channel → reason, for the paused channels of a guild or workspace."""
        raw = await self.r.hgetall(self.keys.paused(scope))
        return {k.decode(): json.loads(v)["reason"] for k, v in raw.items()}

    async def is_paused(self, channel: str) -> bool:
        return bool(await self.r.hexists(self.keys.paused(_scope(channel)), channel))

    async def park(self, channel: str, fields: Mapping[str, str]) -> None:
        """Keep an alert for a paused channel (delivered again when it resumes)."""
        await self.r.rpush(self.keys.parked(channel), json.dumps(dict(fields)))

    async def resume_channel(self, channel: str, platform: str) -> int:
        """Lift a pause and put its parked alerts back in the outbox; returns how many."""
        key = self.keys.parked(channel)
        async with self.r.pipeline(transaction=True) as pipe:
            pipe.hdel(self.keys.paused(_scope(channel)), channel)
            pipe.lrange(key, 0, -1)
            pipe.delete(key)
            _, parked, _ = await pipe.execute()
        for raw in parked:
            await self.r.xadd(self.keys.outbox(platform), json.loads(raw))
        return len(parked)

    async def delivered_count(self, channel: str) -> int:
        return int(await self.r.scard(self.keys.delivered(channel)))


def _scope(channel: str) -> str:
    """The workspace a channel belongs to (its paused channels are kept together)."""
    address = ChannelAddress.try_parse(channel)
    return address.scope_key if address else channel
