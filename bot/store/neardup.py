"""The near-duplicate repository: the one lookup of stored articles whose text is a near copy
of a given one. Every analysed article keeps its MinHash signature (word 5-shingles) in its
hash, and its id under each of its 32 LSH band keys, so a lookup is one pipelined read of
32 small fields plus the candidates' signatures, never a scan. The story assigner asks it
which story a new article is a rewrite of; the ingestor, whether a new item is a copy of a
stored one.

Storage (schema 3; `rebuild` converts what schema 2 stored): a band key "<band>:<digest>"
is the field `digest[2:]` of the hash `nd:<band>:<digest[:2]>` (256 hashes a band, small
enough to stay compactly encoded up to ~30,000 articles), its value the ids sharing it,
comma-separated; the signature is 128 little-endian uint64 in base64. Schema 2 kept one
Redis set per band key and the signature as JSON: about 8 KB and 2.4 KB per article, where
these take about 3 KB and 1.4 KB (benchmarks/memory.py)."""

from __future__ import annotations

import base64
import json
import logging
import struct
from collections.abc import Sequence
from dataclasses import dataclass

from bot.store.base import Client, Repository, id_chunks, scan_delete
from bot.store.keys import Keys
from nlp.neardup import LSHIndex, MinHasher

logger = logging.getLogger(__name__)

# The shape of the stored signatures and bands: changing them needs a re-index.
NUM_PERM, BANDS = 128, 32
SHARD_CHARS = 2  # hex digits of a band digest that pick its hash

_REMEMBER = """
redis.call('HSET', KEYS[1], 'minhash', ARGV[2])
for i = 2, #KEYS do
  local ids = redis.call('HGET', KEYS[i], ARGV[i + 1])
  if not ids then
    redis.call('HSET', KEYS[i], ARGV[i + 1], ARGV[1])
  elseif not string.find(',' .. ids .. ',', ',' .. ARGV[1] .. ',', 1, true) then
    redis.call('HSET', KEYS[i], ARGV[i + 1], ids .. ',' .. ARGV[1])
  end
end
return 1
"""


@dataclass(frozen=True, slots=True)
class NearMatch:
    article_id: str
    story: str | None  # the story the stored article is in (None before assignment)
    similarity: float  # estimated Jaccard of the two texts' word 5-shingles


def encode_signature(signature: Sequence[int]) -> str:
    return base64.b64encode(struct.pack(f"<{len(signature)}Q", *signature)).decode()


def decode_signature(raw: bytes | str) -> list[int]:
    """A stored signature: base64 of packed uint64 (schema 3) or a JSON list (schema 2)."""
    text = raw.decode() if isinstance(raw, bytes) else raw
    if text.startswith("["):
        return [int(v) for v in json.loads(text)]
    data = base64.b64decode(text)
    return list(struct.unpack(f"<{len(data) // 8}Q", data))


class NearDuplicateIndex(Repository):
    """MinHash signatures and LSH bands of the analysed articles."""

    def __init__(self, client: Client, keys: Keys) -> None:
        super().__init__(client, keys)
        self.hasher = MinHasher(num_perm=NUM_PERM)
        self.bands = LSHIndex(num_perm=NUM_PERM, bands=BANDS)
        self._remember = self.r.register_script(_REMEMBER)

    def signature(self, title: str, text: str) -> list[int]:
        """The signature of an article, as stored."""
        return self.hasher.signature(title + "\n" + text)

    def buckets(self, signature: Sequence[int]) -> list[tuple[str, str]]:
        """(hash key, field) of each band of a signature: where its id is filed."""
        out = []
        for band_key in self.bands.band_keys(signature):
            band, _, digest = band_key.partition(":")
            out.append((self.keys.lsh_bucket(band, digest[:SHARD_CHARS]), digest[SHARD_CHARS:]))
        return out

    def stored_buckets(self, raw_signature: bytes | str) -> list[tuple[str, str]]:
        """The buckets an article with this stored signature is in (for its removal)."""
        return self.buckets(decode_signature(raw_signature))

    async def matches(
        self,
        signature: Sequence[int],
        threshold: float,
        *,
        exclude: str | None = None,
        limit: int | None = None,
    ) -> list[NearMatch]:
        """Stored articles at least `threshold` similar, the most similar first (ties in
        id order). `exclude`: an id not to report (the article itself); `limit`: how many
        band candidates to verify at most, in id order."""
        return (await self.matches_many([signature], threshold, [exclude], limit=limit))[0]

    async def matches_many(
        self,
        signatures: Sequence[Sequence[int]],
        threshold: float,
        excludes: Sequence[str | None] | None = None,
        *,
        limit: int | None = None,
    ) -> list[list[NearMatch]]:
        """`matches` for a batch of signatures, in two round trips for the whole batch:
        the band fields of all of them, then the signatures of all their candidates."""
        if not signatures:
            return []
        excludes = list(excludes) if excludes is not None else [None] * len(signatures)
        bucket_lists = [self.buckets(sig) for sig in signatures]
        async with self.r.pipeline(transaction=False) as pipe:
            for buckets in bucket_lists:
                for key, field in buckets:
                    pipe.hget(key, field)
            members = await pipe.execute()
        per_sig: list[list[str]] = []
        at = 0
        for buckets, exclude in zip(bucket_lists, excludes, strict=True):
            rows = members[at : at + len(buckets)]
            at += len(buckets)
            found = {m for ms in rows if ms for m in ms.decode().split(",")}
            found.discard(exclude or "")
            per_sig.append(sorted(found)[:limit])
        wanted = sorted({cid for cands in per_sig for cid in cands})
        if not wanted:
            return [[] for _ in signatures]
        async with self.r.pipeline(transaction=False) as pipe:
            for cid in wanted:
                pipe.hmget(self.keys.article(cid), "minhash", "story")
            stored = dict(zip(wanted, await pipe.execute(), strict=True))
        out = []
        for sig, cands in zip(signatures, per_sig, strict=True):
            found_matches = []
            for cid in cands:
                raw_sig, story = stored[cid]
                if not raw_sig:
                    continue
                sim = MinHasher.similarity(sig, decode_signature(raw_sig))
                if sim >= threshold:
                    found_matches.append(NearMatch(cid, story.decode() if story else None, sim))
            found_matches.sort(key=lambda m: -m.similarity)  # stable: ties stay in id order
            out.append(found_matches)
        return out

    async def remember(self, article_id: str, signature: Sequence[int]) -> None:
        """Keep an article's signature and file it under its bands (idempotent, atomic)."""
        await self.remember_many([(article_id, signature)])

    async def remember_many(self, items: Sequence[tuple[str, Sequence[int]]]) -> None:
        """`remember` for a batch, in one round trip (one atomic script per article; on
        a cluster, where redis-py pipelines no script, one call each)."""
        calls = []
        for article_id, signature in items:
            buckets = self.buckets(signature)
            calls.append(
                (
                    [self.keys.article(article_id), *(k for k, _ in buckets)],
                    [article_id, encode_signature(signature), *(f for _, f in buckets)],
                )
            )
        if self.keys.cluster:
            for keys, args in calls:
                await self._remember(keys=keys, args=args)
            return
        async with self.r.pipeline(transaction=False) as pipe:
            for keys, args in calls:
                await self._remember(keys=keys, args=args, client=pipe)  # buffered
            await pipe.execute()

    async def rebuild(self, *, chunk: int = 200) -> int:
        """Schema 2 → 3: file every stored signature the schema-3 way and drop the
        schema-2 band sets. Idempotent (a crash midway is finished by the next start).
        Returns how many articles were filed."""
        filed = 0
        async for ids in id_chunks(self.r, self.keys.articles, chunk):
            async with self.r.pipeline(transaction=False) as pipe:
                for article_id in ids:
                    pipe.hget(self.keys.article(article_id), "minhash")
                sigs = await pipe.execute()
            for article_id, raw in zip(ids, sigs, strict=True):
                if raw:
                    await self.remember(article_id, decode_signature(raw))
                    filed += 1
        await scan_delete(self.r, self.keys.lsh_band("*"))
        logger.info("near-duplicate index: %d signatures filed in band hashes", filed)
        return filed
