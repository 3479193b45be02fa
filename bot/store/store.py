"""The `Store`: one Redis client and the repositories over it, and the connection itself,
to the server at REDIS_URL (a single server, or a Redis Cluster through
`redis.asyncio.RedisCluster`, with hash-tagged keys) or to the embedded one (started when
needed, stopped with the store when this process started it). The schema stamp is checked
here, and so is the key layout: a database written with the other one is refused."""

from __future__ import annotations

import asyncio
import logging
import time
from pathlib import Path

import redis.asyncio as aioredis
from redis.asyncio.cluster import RedisCluster
from redis.exceptions import ResponseError

from bot.ops.embedded import EmbeddedRedis
from bot.store.articles import ArticleRepository
from bot.store.base import Client
from bot.store.delivery import DeliveryRepository
from bot.store.errors import LayoutMismatch, SchemaMismatch
from bot.store.feeds import FeedRepository
from bot.store.index import IndexRepository
from bot.store.keys import MIGRATES_FROM, SCHEMA_VERSION, Keys
from bot.store.neardup import NearDuplicateIndex
from bot.store.noise import NoiseRepository
from bot.store.retention import RetentionRepository
from bot.store.retries import RetryRepository
from bot.store.scoped import ScopedStore
from bot.store.stats import StatsRepository
from bot.store.stories import StoryRepository
from bot.store.streams import StreamRepository
from bot.store.subscriptions import SubscriptionRepository
from bot.store.tenants import TenantRepository, View

logger = logging.getLogger(__name__)


class Store:
    """Everything grokwatch keeps, one repository per concern:

        `articles`, `index` (entity/term search, outlets), `subscriptions`, `delivery`
        (outbox, delivered marks, notices, threads, pauses), `feeds`, `stories`, `neardup`
        (the near-duplicate lookup), `streams` (the stage workers' primitives, trimming), `stats`,
        `retention` (expiry of old articles and their index entries), `tenants` (who may
        see which article; `visible_to` gives one tenant's view), `noise` (channel alert
    settings, digests, caps, feed followers: the fan-out's `screen`).
    """

    def __init__(
        self,
        client: Client,
        keys: Keys | None = None,
        *,
        description: str = "",
        embedded: EmbeddedRedis | None = None,
    ) -> None:
        self.client: Client = client  # for the repositories, and tests inspecting raw state
        self.keys = keys or Keys()
        self.description = description
        self._embedded = embedded
        k = self.keys
        self.articles = ArticleRepository(client, k)
        self.index = IndexRepository(client, k, self.articles)
        self.subscriptions = SubscriptionRepository(client, k)
        self.delivery = DeliveryRepository(client, k)
        self.retries = RetryRepository(client, k)
        self.feeds = FeedRepository(client, k)
        self.stories = StoryRepository(client, k, self.articles)
        self.neardup = NearDuplicateIndex(client, k)
        self.streams = StreamRepository(client, k)
        self.stats = StatsRepository(client, k)
        self.retention = RetentionRepository(client, k, self.articles, self.neardup)
        self.tenants = TenantRepository(client, k)
        self.noise = NoiseRepository(client, k, self.delivery, self.view)
        # whether every tenant sees the shared corpus (GROKWATCH_SHARED_CORPUS)
        self.shared_corpus = True

    def view(self, tenant: str) -> View:
        """What tenant `tenant` may see."""
        return View(tenant, shared=self.shared_corpus)

    def visible_to(self, tenant: str) -> ScopedStore:
        """The store as tenant `tenant` sees it (what a command's handlers read)."""
        return ScopedStore(self, self.view(tenant))

    @classmethod
    async def connect(
        cls,
        *,
        redis_url: str | None,
        data_dir: Path,
        redis_server: str | None = None,
        key_prefix: str = "gw",
        socket_timeout: float | None = None,
        cluster: bool | None = None,
    ) -> Store:
        """The store on REDIS_URL, else on the embedded server of `data_dir` (started if
        no process runs it yet), once the server answers.

        `cluster`: REDIS_URL is a node of a Redis Cluster (True), a single server (False),
        or ask the server (None: INFO cluster). A cluster gets a `RedisCluster` client and
        the hash-tagged keys (`Keys(cluster=True)`)."""
        embedded: EmbeddedRedis | None = None
        if cluster and not redis_url:
            raise ValueError("cluster mode needs REDIS_URL: the embedded server is a single node")
        if redis_url:
            client: Client = aioredis.Redis.from_url(redis_url, socket_timeout=socket_timeout)
            description = f"Redis at {redact(redis_url)}"
            if cluster is not True:
                found = await _is_cluster(client)
                if found and cluster is False:
                    await client.aclose()
                    raise LayoutMismatch(
                        f"{redact(redis_url)} is a Redis Cluster node; set "
                        "GROKWATCH_REDIS_CLUSTER=true (or leave it unset to ask the server)"
                    )
                cluster = found
            if cluster:
                await client.aclose()
                client = RedisCluster.from_url(redis_url, socket_timeout=socket_timeout)
                description = f"Redis Cluster at {redact(redis_url)}"
        else:
            embedded = EmbeddedRedis(data_dir, binary=redis_server)
            embedded.start()
            client = aioredis.Redis(
                unix_socket_path=str(embedded.socket_path), socket_timeout=socket_timeout
            )
            description = embedded.description
        keys = Keys(key_prefix, cluster=bool(cluster))
        store = cls(client, keys, description=description, embedded=embedded)
        try:
            await client.ping()
        except BaseException:
            await store.close()
            raise
        return store

    async def close(self) -> None:
        """Close the client; stop the embedded server if this process started it."""
        try:
            await self.client.aclose()
        finally:
            if self._embedded is not None:
                self._embedded.stop()
                self._embedded = None

    async def ping(self) -> None:
        """Raise unless the server answers."""
        await self.client.ping()

    async def server_version(self) -> str:
        info = await self.client.info("server")
        return str(info.get("redis_version", "0"))

    async def schema_version(self) -> int | None:
        """The schema the database is stamped with (None when it is empty)."""
        current = await self.client.get(self.keys.schema)
        return None if current is None else int(current)

    async def check_schema(self) -> None:
        """Stamp an empty database with our schema version, migrate an older one this
        version knows how to, or refuse any other."""
        current = await self.schema_version()
        if current is None:
            await self._refuse_other_layout()
            await self.client.set(self.keys.schema, SCHEMA_VERSION, nx=True)
            return
        if current in MIGRATES_FROM:
            await self._migrate(current)
            return
        if current != SCHEMA_VERSION:
            raise SchemaMismatch(
                f"the Redis database holds grokwatch schema {current}, this version "
                f"needs {SCHEMA_VERSION}; use another GROKWATCH_KEY_PREFIX or database"
            )

    async def _migrate_tenancy(self) -> int:
        """Schema 4: existing rows belong to the public (shared) tenant: every article
        joins its sorted set, and a feed no channel added (a configured one) is shared."""
        k = self.keys
        await self.client.zunionstore(k.tenant_articles("public"), [k.articles], aggregate="MAX")
        for raw in await self.client.hkeys(k.feeds):
            fid = raw.decode()
            if not await self.client.scard(k.feed_channels(fid)):
                await self.client.hset(k.feed(fid), "public", "1")
        return int(await self.client.zcard(k.articles))

    async def _refuse_other_layout(self) -> None:
        """Raise when the database holds this prefix's data under the other key layout
        (written in single-node mode and now read as a cluster, or the reverse): starting
        on it would silently begin an empty database beside the old one."""
        other = self.keys.other_layout
        if await self.client.exists(other.schema):
            mode = "cluster" if other.cluster else "single-node"
            raise LayoutMismatch(
                f"the database holds grokwatch data under the {mode} key names "
                f"({other.root}:…), not the {self.keys.root}:… names this mode uses; point "
                "REDIS_URL at the server it was written with, copy its keys to the new "
                "names (docs/architecture.md, Scaling), or use another GROKWATCH_KEY_PREFIX"
            )

    async def _migrate(self, current: int, *, wait_s: float = 600.0) -> None:
        """Bring a database of an older schema to ours, step by step: 1 → 2 rebuilds the
        term index with the one stemmer; 2 → 3 files the near-duplicate bands in band
        hashes with packed signatures; 3 → 4 puts every existing article in the shared
        corpus (the public tenant) and flags the feeds no channel added as shared. One process migrates (it holds a lock); the others
        wait until the stamp says ours."""
        lock = self.keys.migration_lock
        if await self.client.set(lock, "1", nx=True, ex=int(wait_s)):
            try:
                logger.warning(
                    "migrating the database from schema %d to %d", current, SCHEMA_VERSION
                )
                if current < 2:
                    n = await self.index.rebuild_terms()
                    logger.warning("schema 2: term index rebuilt for %d articles", n)
                if current < 3:
                    n = await self.neardup.rebuild()
                    logger.warning("schema 3: near-duplicate bands refiled for %d articles", n)
                if current < 4:
                    n = await self._migrate_tenancy()
                    logger.warning("schema 4: %d existing article(s) join the shared corpus", n)
                await self.client.set(self.keys.schema, SCHEMA_VERSION)
            finally:
                await self.client.delete(lock)
            return
        deadline = time.monotonic() + wait_s
        while time.monotonic() < deadline:
            if await self.schema_version() == SCHEMA_VERSION:
                return
            await asyncio.sleep(0.5)
        raise SchemaMismatch(
            f"another process has been migrating the database to schema {SCHEMA_VERSION} for "
            "too long; check its log, then start again"
        )


async def _is_cluster(client: Client) -> bool:
    """Whether the server is a Redis Cluster node (INFO cluster says cluster_enabled:1)."""
    try:
        info = await client.info("cluster")
    except ResponseError:  # INFO refused (some managed proxies): not a cluster we can drive
        return False
    except BaseException:
        await client.aclose()
        raise
    return bool(int(info.get("cluster_enabled", 0)))


def redact(url: str) -> str:
    """A Redis URL without its password, for logs and `doctor`."""
    if "@" not in url:
        return url
    scheme, _, rest = url.partition("://")
    creds, _, host = rest.rpartition("@")
    user = creds.split(":", 1)[0]
    return f"{scheme}://{user + ':' if user else ''}***@{host}"
