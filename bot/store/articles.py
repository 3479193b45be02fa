"""The articles repository: storing a new article (one atomic script that dedupes it by id
and by content hash and queues it for analysis), loading records, saving an analysis with
its index writes (one MULTI), and the entities NER discovered outside the catalog."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime

from bot.store.base import Client, Repository, iso, parse_dt, timestamp
from bot.store.index import term_weights
from bot.store.keys import Keys
from bot.store.neardup import encode_signature
from handlers.model import Analysis, ArticleRecord, EntityInfo, EntityResult, RawArticle

_ADD_ARTICLE = """
if redis.call('EXISTS', KEYS[1]) == 1 then return {'duplicate', ARGV[1]} end
local other = redis.call('HGET', KEYS[2], ARGV[2])
if other then return {'duplicate', other} end
redis.call('HSET', KEYS[1], unpack(ARGV, 7))
if ARGV[5] == '1' then redis.call('SADD', KEYS[8], ARGV[1]) end
redis.call('HSET', KEYS[2], ARGV[2], ARGV[1])
redis.call('ZADD', KEYS[3], ARGV[3], ARGV[1])
redis.call('ZADD', KEYS[9], ARGV[3], ARGV[1])
if ARGV[6] == '1' then redis.call('ZADD', KEYS[10], ARGV[3], ARGV[1]) end
if ARGV[4] ~= '' then
  redis.call('SADD', KEYS[5], ARGV[4])
  redis.call('ZADD', KEYS[6], ARGV[3], ARGV[1])
end
redis.call('HINCRBY', KEYS[7], 'articles_ingested', 1)
redis.call('XADD', KEYS[4], '*', 'id', ARGV[1])
return {'new', ARGV[1]}
"""


# Let tenant ARGV[2] see a stored article (ARGV[1]): its owners, the tenant's articles,
# and out of the private ones when the tenant is the shared corpus. KEYS: the article,
# the tenant's zset, the private zset, the articles zset (for the score).
_GRANT = """
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local owners = redis.call('HGET', KEYS[1], 'owners')
if not owners or owners == '' then owners = 'public' end
local found = false
for o in string.gmatch(owners, '[^,]+') do if o == ARGV[2] then found = true end end
if not found then owners = owners .. ',' .. ARGV[2] end
redis.call('HSET', KEYS[1], 'owners', owners)
local score = redis.call('ZSCORE', KEYS[4], ARGV[1]) or 0
redis.call('ZADD', KEYS[2], score, ARGV[1])
if ARGV[2] == 'public' then redis.call('ZREM', KEYS[3], ARGV[1]) end
return 1
"""

PUBLIC = "public"
"""The tenant of the shared corpus: the settings' feeds, the sample corpus, the CLI and
HTTP API ingests (and every article stored before tenancy)."""


# File an article (ARGV[1]) in each sorted set of KEYS with the score ARGV[i + 1]: its
# entities' (by date) and its terms' (by weight) on the analysis of one article.
_INDEX = """
for i = 1, #KEYS do redis.call('ZADD', KEYS[i], ARGV[i + 1], ARGV[1]) end
return #KEYS
"""


class ArticleRepository(Repository):
    """Articles and their analysis."""

    def __init__(self, client: Client, keys: Keys) -> None:
        super().__init__(client, keys)
        self._add = self.r.register_script(_ADD_ARTICLE)
        self._index = self.r.register_script(_INDEX)
        self._grant = self.r.register_script(_GRANT)

    async def add(
        self,
        raw: RawArticle,
        *,
        quiet: bool = False,
        signature: Sequence[int] | None = None,
        owner: str = PUBLIC,
    ) -> tuple[str, str]:
        """Store a new article and queue it for analysis, atomically.

        Returns (status, id): ("new", its id) or ("duplicate", the id already stored, by
        the same id or the same text under another address). `quiet`: index it as usual
        but queue no alerts for it (the fan-out skips it). `signature`: its near-duplicate
        signature, when the caller computed it (kept, so that analysis does not again).
        Raises ValueError (UnicodeError), TypeError or OverflowError for an article with a
        value that cannot be stored.
        """
        result = (await self.add_many([(raw, signature)], quiet=quiet, owner=owner))[0]
        if isinstance(result, Exception):
            raise result
        return result

    async def add_many(
        self,
        items: Sequence[tuple[RawArticle, Sequence[int] | None]],
        *,
        quiet: bool = False,
        owner: str = PUBLIC,
    ) -> list[tuple[str, str] | Exception]:
        """`add` for a batch of (article, signature or None), in order, in one round trip;
        an article with a value that cannot be encoded (a lone surrogate, a date out of
        range) gets its error, the others are stored all the same. `owner`: the tenant
        it belongs to (`PUBLIC`: the shared corpus); a duplicate becomes visible to the
        owner too (`grant`), since the owner brought the same article."""
        calls: list[tuple[list[str], list[str | float]] | Exception] = []
        for raw, signature in items:
            try:
                call = self._add_call(raw, quiet, signature, owner)
                for arg in call[1]:
                    if isinstance(arg, str):
                        arg.encode("utf-8")
            except (ValueError, TypeError, OverflowError) as exc:  # UnicodeError included
                calls.append(exc)
                continue
            calls.append(call)
        valid = [c for c in calls if not isinstance(c, Exception)]
        if self.keys.cluster:  # redis-py runs no script inside a cluster pipeline
            replies = [await self._add(keys=k, args=a) for k, a in valid]
        elif valid:
            async with self.r.pipeline(transaction=False) as pipe:
                for keys, args in valid:
                    await self._add(keys=keys, args=args, client=pipe)  # buffered
                replies = await pipe.execute()
        else:
            replies = []
        answers = iter(replies)
        out: list[tuple[str, str] | Exception] = []
        for planned in calls:
            if isinstance(planned, Exception):
                out.append(planned)
            else:
                status, stored_id = next(answers)
                out.append((status.decode(), stored_id.decode()))
        dups = [r[1] for r in out if not isinstance(r, Exception) and r[0] == "duplicate"]
        await self.grant(dups, owner)
        return out

    async def grant(self, ids: Sequence[str], owner: str) -> None:
        """Let tenant `owner` see the stored articles `ids` (it brought them too)."""
        k = self.keys
        for article_id in dict.fromkeys(ids):
            await self._grant(
                keys=[
                    k.article(article_id),
                    k.tenant_articles(owner),
                    k.private_articles,
                    k.articles,
                ],
                args=[article_id, owner],
            )

    def _add_call(
        self, raw: RawArticle, quiet: bool, signature: Sequence[int] | None, owner: str
    ) -> tuple[list[str], list[str | float]]:
        """The KEYS and ARGV of the storing script for one article."""
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
            "published_at": iso(raw.published_at),
            "ingested_at": iso(now),
            "lang": raw.lang or "",
            "analysed": "",
            "owners": owner,
        }
        if quiet:
            fields["quiet"] = "1"
        if raw.feed:
            fields["feed"] = raw.feed
        if signature is not None:
            fields["minhash"] = encode_signature(signature)
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
            self.keys.tenant_articles(owner),
            self.keys.private_articles,
        ]
        undated = "1" if raw.published_at is None else "0"
        args: list[str | float] = [
            article_id,
            raw.content_hash(),
            when.timestamp(),
            source,
            undated,
            "0" if owner == PUBLIC else "1",
        ]
        for k, v in fields.items():
            args += [k, v]
        return keys, args

    async def load_many(self, ids: Sequence[str]) -> list[ArticleRecord | None]:
        async with self.r.pipeline(transaction=False) as pipe:
            for article_id in ids:
                pipe.hgetall(self.keys.article(article_id))
            rows = await pipe.execute()
        # a hash without its id is no article: what a stage wrote after it was removed
        # (retention, or Redis emptied under a running stage)
        return [_record(row) if row and b"id" in row else None for row in rows]

    async def load(self, article_id: str) -> ArticleRecord | None:
        return (await self.load_many([article_id]))[0]

    async def exists(self, article_id: str) -> bool:
        return bool(await self.r.exists(self.keys.article(article_id)))

    async def exist_many(self, ids: Sequence[str]) -> list[bool]:
        """Which of `ids` are stored, in one round trip."""
        async with self.r.pipeline(transaction=False) as pipe:
            for article_id in ids:
                pipe.exists(self.keys.article(article_id))
            return [bool(n) for n in await pipe.execute()]

    async def count(self) -> int:
        return int(await self.r.zcard(self.keys.articles))

    async def save_analysis(
        self, record: ArticleRecord, analysis: Analysis, stage: str
    ) -> list[EntityResult]:
        """Index an article's analysis. Idempotent: replaying it changes nothing.

        `stage` is "fast" (catalog entities) or "full" (plus discovered ones). The full
        pass keeps the fast pass's catalog results and adds to them. Returns the entities
        that this call added to the article (all of them on the fast pass).
        """
        return (await self.save_analyses([(record, analysis)], stage))[0]

    async def save_analyses(
        self, pairs: Sequence[tuple[ArticleRecord, Analysis]], stage: str
    ) -> list[list[EntityResult]]:
        """`save_analysis` for a batch, in one MULTI (one round trip); per article, the
        entities it added."""
        if not pairs:
            return []
        added_all = []
        async with self.r.pipeline(transaction=True) as pipe:
            for record, analysis in pairs:
                added_all.append(await self._queue_analysis(pipe, record, analysis, stage))
            await pipe.execute()
        return added_all

    async def _queue_analysis(
        self, pipe: Client, record: ArticleRecord, analysis: Analysis, stage: str
    ) -> list[EntityResult]:
        when = timestamp(record)
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
        pipe.hset(self.keys.article(record.id), mapping=fields)
        scores = {self.keys.entity_articles(ent.id): when for ent in merged.values()}
        if stage == "fast":
            scores |= {self.keys.term(t): w for t, w in term_weights(record).items()}
        if self.keys.cluster:  # redis-py runs no script inside a cluster pipeline
            for key, score in scores.items():
                pipe.zadd(key, {record.id: score})
        elif scores:  # one command, not one per term: a few hundred fewer to pack and parse
            await self._index(keys=list(scores), args=[record.id, *scores.values()], client=pipe)
        return added

    # ------------------------------------------------- discovered entities
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
        return _entity_info(raw) if raw else None

    async def discovered_entities(self, limit: int = 1000) -> list[EntityInfo]:
        out: list[EntityInfo] = []
        async for _, raw in self.r.hscan_iter(self.keys.discovered, count=500):
            out.append(_entity_info(raw))
            if len(out) >= limit:
                break
        return out


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
        published_at=parse_dt(d.get("published_at")),
        ingested_at=parse_dt(d.get("ingested_at")),
        lang=d.get("lang") or None,
        entities=entities,
        analysed=d.get("analysed", ""),
        fanned=d.get("fanned", ""),
        story=d.get("story") or None,
        sentences=json.loads(d.get("sentences") or "[]"),
        quiet=d.get("quiet") == "1",
        minhash=d.get("minhash", ""),
        owners=tuple(o for o in d.get("owners", "").split(",") if o) or (PUBLIC,),
        feed=d.get("feed") or None,
    )


def _entity_info(raw: bytes) -> EntityInfo:
    d = json.loads(raw)
    return EntityInfo(
        id=d["id"],
        name=d["name"],
        type=d.get("type", "other"),
        aliases=tuple(d.get("aliases", ())),
        source="discovered",
    )
