"""The near-duplicate repository: the one lookup of stored articles whose text is a near copy
of a given one. Every analysed article keeps its MinHash signature (word 5-shingles) in its
hash and its id in one Redis set per LSH band, so a lookup is one pipelined read of 32 small
sets plus the candidates' signatures, never a scan. The story assigner asks it which story
a new article is a rewrite of; the ingestor, whether a new item is a copy of a stored one."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from bot.store.base import Client, Repository
from bot.store.keys import Keys
from nlp.neardup import LSHIndex, MinHasher

# The shape of the stored signatures and bands: changing them needs a re-index.
NUM_PERM, BANDS = 128, 32


@dataclass(frozen=True, slots=True)
class NearMatch:
    article_id: str
    story: str | None  # the story the stored article is in (None before assignment)
    similarity: float  # estimated Jaccard of the two texts' word 5-shingles


class NearDuplicateIndex(Repository):
    """MinHash signatures and LSH bands of the analysed articles."""

    def __init__(self, client: Client, keys: Keys) -> None:
        super().__init__(client, keys)
        self.hasher = MinHasher(num_perm=NUM_PERM)
        self.bands = LSHIndex(num_perm=NUM_PERM, bands=BANDS)

    def signature(self, title: str, text: str) -> list[int]:
        """The signature of an article, as stored."""
        return self.hasher.signature(title + "\n" + text)

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
        band_keys = self.bands.band_keys(signature)
        async with self.r.pipeline(transaction=False) as pipe:
            for band in band_keys:
                pipe.smembers(self.keys.lsh_band(band))
            members = await pipe.execute()
        found = {m.decode() for ms in members for m in ms}
        if exclude is not None:
            found.discard(exclude)
        candidates = sorted(found)[:limit]
        if not candidates:
            return []
        async with self.r.pipeline(transaction=False) as pipe:
            for cid in candidates:
                pipe.hmget(self.keys.article(cid), "minhash", "story")
            rows = await pipe.execute()
        out = []
        for cid, (raw_sig, story) in zip(candidates, rows, strict=True):
            if not raw_sig:
                continue
            sim = MinHasher.similarity(signature, json.loads(raw_sig))
            if sim >= threshold:
                out.append(NearMatch(cid, story.decode() if story else None, sim))
        out.sort(key=lambda m: -m.similarity)  # stable: equal ones stay in id order
        return out

    def band_set_keys(self, raw_signature: bytes | str) -> list[str]:
        """The band sets an article with this stored signature is in (for its removal)."""
        return [self.keys.lsh_band(b) for b in self.bands.band_keys(json.loads(raw_signature))]

    async def remember(self, article_id: str, signature: Sequence[int]) -> None:
        """Keep an article's signature and put it in its bands (idempotent)."""
        async with self.r.pipeline(transaction=True) as pipe:
            pipe.hset(self.keys.article(article_id), "minhash", json.dumps(list(signature)))
            for band in self.bands.band_keys(signature):
                pipe.sadd(self.keys.lsh_band(band), article_id)
            await pipe.execute()
