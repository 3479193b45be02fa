"""The near-duplicate index's compact storage (schema 3) against a real server: a
schema-2 database (one set per band, JSON signatures) is migrated on start, after which
the same near-duplicates are found and no schema-2 key is left."""

from __future__ import annotations

import json

from bot.ingest.readers import CORPUS_DIR
from bot.store.keys import SCHEMA_VERSION
from bot.store.neardup import decode_signature, encode_signature
from nlp.neardup import MinHasher
from tests.conftest import ChatBot


def test_signatures_round_trip_in_both_formats() -> None:
    edges = [0, 1, (1 << 64) - 1, 123456789012345678] * 32
    assert decode_signature(encode_signature(edges)) == edges
    sig = MinHasher(128).signature("xAI a publié les poids de Grok-1 sous licence Apache 2.0.")
    assert decode_signature(encode_signature(sig)) == sig
    assert decode_signature(json.dumps(sig).encode()) == sig  # what schema 2 stored
    assert len(encode_signature(sig)) < len(json.dumps(sig)) * 0.6


async def test_schema_2_near_duplicate_bands_are_migrated(testbot: ChatBot) -> None:
    store, k = testbot.app.store, testbot.app.store.keys
    await testbot.app.ingest([str(CORPUS_DIR)])
    ids = list(await store.retention.article_ids())
    records = [r for r in await store.articles.load_many(ids) if r is not None]
    # what schema 2 stored: a set per band key, the signature as JSON
    async for key in store.client.scan_iter(match=k.lsh_bucket("*", "*")):
        await store.client.delete(key)
    for rec in records:
        sig = store.neardup.signature(rec.title, rec.text)
        await store.client.hset(k.article(rec.id), "minhash", json.dumps(sig))
        for band in store.neardup.bands.band_keys(sig):
            await store.client.sadd(k.lsh_band(band), rec.id)
    await store.client.set(k.schema, 2)
    assert (
        await store.neardup.matches(store.neardup.signature(records[0].title, records[0].text), 0.9)
        == []
    )

    await store.check_schema()
    assert await store.schema_version() == SCHEMA_VERSION
    assert [key async for key in store.client.scan_iter(match=k.lsh_band("*"))] == []
    for rec in records:
        sig = store.neardup.signature(rec.title, rec.text)
        assert decode_signature(await store.client.hget(k.article(rec.id), "minhash")) == sig
        assert (await store.neardup.matches(sig, 0.9))[0].article_id == rec.id
    raw = await store.client.hget(k.article(records[0].id), "minhash")
    assert not raw.startswith(b"[")  # rewritten packed
