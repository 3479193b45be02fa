"""The retention repository: removing articles older than the retention period together
with every entry that names them, so that nothing the bot keeps grows without bound.

An article's removal is one Lua script (atomic: a reader sees the article whole or not at
all) over every key that can hold its id:

| key | what goes |
|---|---|
| `article:<id>` (hash: text, analysis, MinHash signature, story) | the key |
| `articles` (zset) | the member |
| `contenthash` (hash hash → id: dedupe of the same text elsewhere) | the field, if it names this id |
| `undated` (set) | the member |
| `source:<name>` (zset) and `sources` (set) | the member; the outlet when none is left |
| `entity:<e>:articles` (zsets), for each entity of the analysis | the member |
| `term:<t>` (zsets), for each term of the article | the member |
| `nd:<band>:<shard>` (hashes), for each LSH band of its signature | the id in its field; the field when no id is left |
| `story:<s>:articles`, `stories`, `story:<s>` | the member; the story's new size, or the story when empty |
| `article:<id>:alerts` (list of the alerts queued) | the key |
| `chan:<c>:alerted`, `chan:<c>:delivered` (sets), `chan:<c>:parked` (list), for each channel alerted | the member / the parked alerts of this article |

Not touched, and why: stream entries (trimmed by `bot.store.streams` once acknowledged),
`chan:<c>:sending:<key>` marks (they expire after 7 days, far under any retention),
`chan:<c>:threads` (keyed by story id, not article id), `discovered` (entities, not
articles), `stats` (counters). The article's URL dedupe is its id, i.e. its hash: it goes
with it, so the same URL is a new article again if it is ingested after expiry.

An article is expired when both its filing time (the `articles` score: published, else
ingested) and its ingestion time are older than the cutoff, so an old article ingested
today (a backlog, the bundled 2024 corpus) is kept for the whole period after ingestion.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Sequence

from bot.store.base import Client, RecordLoader, Repository, timestamp
from bot.store.index import term_weights
from bot.store.keys import Keys
from bot.store.neardup import NearDuplicateIndex
from handlers.model import ArticleRecord, RawArticle

logger = logging.getLogger(__name__)

_FIXED_KEYS = 10
_EXPIRE_ARTICLE = """
local id = ARGV[1]
redis.call('DEL', KEYS[1], KEYS[7])
redis.call('ZREM', KEYS[2], id)
if redis.call('HGET', KEYS[3], ARGV[2]) == id then redis.call('HDEL', KEYS[3], ARGV[2]) end
redis.call('SREM', KEYS[4], id)
redis.call('ZREM', KEYS[6], id)
if ARGV[3] ~= '' and redis.call('ZCARD', KEYS[6]) == 0 then redis.call('SREM', KEYS[5], ARGV[3]) end
if ARGV[4] ~= '' then
  redis.call('ZREM', KEYS[10], id)
  local left = redis.call('ZCARD', KEYS[10])
  if left == 0 then
    redis.call('DEL', KEYS[9])
    redis.call('ZREM', KEYS[8], ARGV[4])
  else
    redis.call('ZADD', KEYS[8], left, ARGV[4])
  end
end
local n_zsets, n_buckets, n_chan = tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7])
local i = 11
for _ = 1, n_zsets do redis.call('ZREM', KEYS[i], id); i = i + 1 end
for j = 1, n_buckets do
  local field = ARGV[7 + j]
  local ids = redis.call('HGET', KEYS[i], field)
  if ids then
    local keep = {}
    for other in string.gmatch(ids, '[^,]+') do
      if other ~= id then keep[#keep + 1] = other end
    end
    if #keep == 0 then redis.call('HDEL', KEYS[i], field)
    else redis.call('HSET', KEYS[i], field, table.concat(keep, ',')) end
  end
  i = i + 1
end
for _ = 1, n_chan do
  redis.call('SREM', KEYS[i], id)
  redis.call('SREM', KEYS[i + 1], id)
  for _, raw in ipairs(redis.call('LRANGE', KEYS[i + 2], 0, -1)) do
    local ok, entry = pcall(cjson.decode, raw)
    if ok and type(entry) == 'table' and entry['article'] == id then
      redis.call('LREM', KEYS[i + 2], 0, raw)
    end
  end
  i = i + 3
end
redis.call('HINCRBY', KEYS[i], 'articles_expired', 1)
return 1
"""


class RetentionRepository(Repository):
    """Expiry of old articles and of everything that points at them."""

    def __init__(
        self, client: Client, keys: Keys, records: RecordLoader, neardup: NearDuplicateIndex
    ) -> None:
        super().__init__(client, keys)
        self.records = records
        self.neardup = neardup
        self._expire = self.r.register_script(_EXPIRE_ARTICLE)

    async def expire(self, cutoff: float, *, batch: int = 100, max_batches: int = 50) -> int:
        """Remove the articles filed and ingested before `cutoff` (a timestamp), `batch`
        at a time, at most `max_batches` batches per call (the next call goes on).
        Returns how many were removed."""
        removed, skipped = 0, 0
        for _ in range(max_batches):
            ids = [
                i.decode()
                for i in await self.r.zrangebyscore(
                    self.keys.articles, "-inf", cutoff, start=skipped, num=batch
                )
            ]
            if not ids:
                break
            records = await self.records.load_many(ids)
            doomed = [
                (aid, rec)
                for aid, rec in zip(ids, records, strict=True)
                if rec is None or _ingested(rec) <= cutoff
            ]
            skipped += len(ids) - len(doomed)
            await asyncio.gather(*(self.remove(aid, rec) for aid, rec in doomed))
            removed += len(doomed)
        if removed:
            logger.info("retention: %d articles older than the cutoff removed", removed)
        return removed

    async def remove(self, article_id: str, record: ArticleRecord | None) -> None:
        """Remove one article and every entry naming it, atomically. `record`: the
        article as loaded (None when only a stray index entry of it is left)."""
        k = self.keys
        async with self.r.pipeline(transaction=False) as pipe:
            pipe.hget(k.article(article_id), "minhash")
            pipe.lrange(k.queued_alerts(article_id), 0, -1)
            raw_sig, alerts = await pipe.execute()
        source = (record.source or "") if record else ""
        story = (record.story or "") if record else ""
        content_hash = RawArticle(record.title, record.text).content_hash() if record else ""
        zsets: list[str] = []
        if record is not None:
            zsets += [k.entity_articles(e.id) for e in record.entities]
            zsets += [k.term(t) for t in term_weights(record)]
            zsets += [k.tenant_articles(owner) for owner in record.owners]
        zsets.append(k.private_articles)
        buckets = self.neardup.stored_buckets(raw_sig) if raw_sig else []
        channels = sorted({json.loads(a)["channel"] for a in alerts})
        keys = [
            k.article(article_id),
            k.articles,
            k.content_hashes,
            k.undated,
            k.sources,
            k.source_articles(source or "-"),
            k.queued_alerts(article_id),
            k.stories,
            k.story(story or "-"),
            k.story_articles(story or "-"),
        ]
        assert len(keys) == _FIXED_KEYS
        keys += zsets + [key for key, _ in buckets]
        for channel in channels:
            keys += [k.alerted(channel), k.delivered(channel), k.parked(channel)]
        keys.append(k.stats)
        args = [article_id, content_hash, source, story, len(zsets), len(buckets), len(channels)]
        args += [field for _, field in buckets]
        await self._expire(keys=keys, args=args)

    async def article_ids(self) -> Sequence[str]:
        """Every stored article id (tests, the memory benchmark)."""
        return [i.decode() for i in await self.r.zrange(self.keys.articles, 0, -1)]


def _ingested(record: ArticleRecord) -> float:
    """When the article was stored (its filing time when that is unknown)."""
    return record.ingested_at.timestamp() if record.ingested_at else timestamp(record)
