"""The bot on a real 3-node Redis Cluster: three redis-server processes (the binary the
embedded server uses) on loopback ports, slots assigned with CLUSTER ADDSLOTS, joined
with CLUSTER MEET. Then the whole bot runs on it in cluster mode (hash-tagged keys, the
`RedisCluster` client): ingest, analysis, fan-out, delivery, search, outlets, stories,
feeds, dead letters, the term index rebuild (SCAN over every node), and the refusals of
a database written under the other key layout.

Marked `cluster` (`pytest -m cluster` selects it); it runs by default."""

from __future__ import annotations

import asyncio
import dataclasses
import inspect
import re
import socket
import subprocess
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import redis
from redis.crc import key_slot

from bot.ingest.readers import CORPUS_DIR
from bot.ops.embedded import EmbeddedRedisError, find_redis_server
from bot.pipeline.streams import StreamWorker
from bot.settings import Settings, SettingsError, load_settings
from bot.store import Store
from bot.store.errors import LayoutMismatch
from bot.store.keys import Keys
from tests.conftest import ChatBot
from tests.test_feeds import BACKLOG, FRESH, make_due, rss, settle
from tests.test_pipeline import GROK_FR, write
from tests.web_fake import FakeWeb

pytestmark = pytest.mark.cluster

SLOTS = 16384
CHANNEL = "console:newsroom"


def _free_port() -> int:
    """A loopback port free now whose cluster bus port (+10000) is free too."""
    for _ in range(200):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = int(s.getsockname()[1])
        if port + 10000 >= 65536:
            continue
        with socket.socket() as bus:
            try:
                bus.bind(("127.0.0.1", port + 10000))
            except OSError:
                continue
        return port
    raise RuntimeError("no free loopback port pair for a cluster node")


class LocalCluster:
    """Three masters, no replicas, in `root`; `url` is one node (the client finds the rest)."""

    def __init__(self, binary: str, root: Path, nodes: int = 3) -> None:
        self.binary, self.root, self.size = binary, root, nodes
        self.ports: list[int] = []
        self.procs: list[subprocess.Popen[bytes]] = []

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.ports[0]}"

    def start(self, timeout_s: float = 20.0) -> None:
        for i in range(self.size):
            port = _free_port()
            node_dir = self.root / str(port)
            node_dir.mkdir()
            args = [self.binary, "--port", str(port), "--bind", "127.0.0.1"]
            args += ["--dir", str(node_dir), "--save", "", "--appendonly", "no"]
            args += ["--cluster-enabled", "yes", "--cluster-config-file", f"nodes-{i}.conf"]
            args += ["--cluster-node-timeout", "5000", "--logfile", "redis.log"]
            self.procs.append(subprocess.Popen(args, stdout=subprocess.DEVNULL))
            self.ports.append(port)
        clients = [redis.Redis(port=p, socket_timeout=5) for p in self.ports]
        try:
            self._wait(lambda c: c.ping(), clients, timeout_s)
            share = -(-SLOTS // self.size)
            for i, c in enumerate(clients):
                slots = range(i * share, min(SLOTS, (i + 1) * share))
                for start in range(slots.start, slots.stop, 1000):  # ADDSLOTS in chunks
                    c.execute_command(
                        "CLUSTER ADDSLOTS", *range(start, min(start + 1000, slots.stop))
                    )
            for p in self.ports[1:]:
                clients[0].execute_command("CLUSTER MEET", "127.0.0.1", p)

            def ready(c: redis.Redis) -> bool:
                info = c.execute_command("CLUSTER INFO")  # parsed to a dict by redis-py
                return (
                    info.get("cluster_state") == "ok"
                    and int(info.get("cluster_known_nodes", 0)) == self.size
                    and len(c.execute_command("CLUSTER SLOTS")) == self.size
                )

            self._wait(ready, clients, timeout_s)
        finally:
            for c in clients:
                c.close()

    def _wait(self, check: object, clients: list[redis.Redis], timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                if all(check(c) for c in clients):  # type: ignore[operator]
                    return
            except redis.RedisError:
                pass
            for proc in self.procs:
                if proc.poll() is not None:
                    raise RuntimeError(f"a cluster node exited; see its log in {self.root}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"the cluster in {self.root} did not come up")
            time.sleep(0.05)

    def stop(self) -> None:
        for proc in self.procs:  # throwaway data: no clean shutdown needed
            proc.kill()
        for proc in self.procs:
            proc.wait()

    def keys_by_node(self, pattern: str) -> dict[int, list[bytes]]:
        """Every key matching `pattern`, on each node (port → keys)."""
        out: dict[int, list[bytes]] = {}
        for port in self.ports:
            with redis.Redis(port=port) as c:
                out[port] = list(c.scan_iter(match=pattern, count=1000))
        return out


@pytest.fixture(scope="session")
def redis_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCluster]:
    try:
        binary, _ = find_redis_server()
    except EmbeddedRedisError as exc:
        pytest.skip(f"no redis-server binary to start a cluster with: {exc}")
    cluster = LocalCluster(binary, tmp_path_factory.mktemp("cluster"))
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture
def settings(settings: Settings, redis_cluster: LocalCluster) -> Settings:
    """The test's settings, on the cluster in cluster mode (and allowed to fetch from the
    loopback web server of the feed test)."""
    return settings.model_copy(
        update={
            "redis_url": redis_cluster.url,
            "redis_cluster": True,
            "url_allowlist": ["127.0.0.1/32"],
            "feed_jitter": 0.0,
            "feed_complete_words": 0,
        }
    )


@pytest.fixture
async def fake() -> AsyncIterator[FakeWeb]:
    async with FakeWeb() as server:
        yield server


# ------------------------------------------------------------------ the layout


def _every_key(keys: Keys) -> list[str]:
    """One example of every key `Keys` names (each method called with dummy parts)."""
    out = []
    for name, member in inspect.getmembers(type(keys)):
        if name.startswith("_") or name in {"root", "other_layout", "prefix", "cluster"}:
            continue
        if isinstance(member, property):
            out.append(getattr(keys, name))
        elif inspect.isfunction(member):
            params = list(inspect.signature(member).parameters)[1:]
            out.append(getattr(keys, name)(*(f"x{i}" for i in range(len(params)))))
    return out


def test_cluster_keys_share_one_slot_per_prefix_and_single_node_names_are_unchanged() -> None:
    tagged = _every_key(Keys("gw", cluster=True))
    assert len(tagged) > 30 and all(k.startswith("{gw}:") for k in tagged)
    assert {key_slot(k.encode()) for k in tagged} == {key_slot(b"gw")}
    other = {key_slot(k.encode()) for k in _every_key(Keys("tenant2", cluster=True))}
    assert other == {key_slot(b"tenant2")} != {key_slot(b"gw")}  # another prefix, another slot
    plain = Keys("gw")
    assert plain.article("a1") == "gw:article:a1"  # existing databases keep their names
    assert plain.ingest_stream == "gw:stream:ingest"
    assert all(k.startswith("gw:") for k in _every_key(plain))


# ----------------------------------------------------------- the bot on a cluster


async def test_the_bot_runs_on_a_three_node_cluster(
    testbot: ChatBot, redis_cluster: LocalCluster, tmp_path: Path, fake: FakeWeb
) -> None:
    app = testbot.app
    assert app.store.keys.cluster and "Redis Cluster" in app.store.description
    assert (await testbot.say("/grok track Grok")).kind == "info"
    await testbot.say("/grok track xAI", channel=CHANNEL)

    # ingest → analyze → fan-out → outbox → console, once
    outcomes = await app.ingest([str(write(tmp_path, "grok.md", GROK_FR))])
    assert [o.status for o in outcomes] == ["new"]
    assert sorted(a.channel for a in outcomes[0].alerts) == ["console:demo", CHANNEL]
    shown = await testbot.deliver()
    assert shown.count("xAI ouvre le code de Grok") == 2 and "Le Veilleur Tech" in shown
    again = await app.ingest([str(tmp_path / "grok.md")])
    assert again[0].status == "duplicate" and await testbot.deliver() == ""

    # the sample corpus: search, outlets, mentions, stories
    corpus = await app.ingest([str(CORPUS_DIR)])
    assert len(corpus) >= 12 and all(o.status == "new" for o in corpus)
    found = await testbot.say("/grok search licence Apache")
    assert found.citations and "Apache" in found.as_text()
    assert len((await testbot.say("/grok sources")).text.splitlines()) >= 3
    mentions = await testbot.say("/grok mentions OpenAI")
    assert mentions.title and "OpenAI" in mentions.title
    assert await app.store.stories.top()
    assert "alert in console:demo" in await testbot.deliver()  # the corpus mentions Grok

    # feeds: state, schedule, lock script, a new item alerts once
    url = fake.url("/feed.xml")
    fake.set("/feed.xml", rss(fake, [BACKLOG]))
    added = await testbot.say(f"/grok feeds add {url}", channel=CHANNEL)
    assert added.kind == "info", added.text
    assert await settle(testbot) == ""  # the backlog is indexed without alerts
    fake.set("/feed.xml", rss(fake, [FRESH, BACKLOG]))
    await make_due(testbot, url)
    assert await app.feeds.poll_due() == 1
    fresh = await settle(testbot)
    assert fresh.count(f"alert in {CHANNEL}") == 1 and "xAI publie les poids de Grok-1" in fresh
    listed = await testbot.say("/grok feeds list", channel=CHANNEL)
    assert url in listed.as_text()

    # a poisoned entry: dead letter + ack in one MULTI
    k = app.store.keys
    await app.store.streams.add(k.outbox("console"), {"article": "x", "entities": "[]"})
    for _ in range(8):
        await app.pipeline.drain(["deliver"])
    assert len(await app.store.streams.entries(k.dead_letters)) == 1

    # the term index rebuilt: SCAN on every node, then multi-key DEL in one slot
    assert await app.store.index.rebuild_terms() >= 12
    assert (await testbot.say("/grok search licence Apache")).citations

    # every key of this prefix is in its one slot, on one node
    placed = {p: ks for p, ks in redis_cluster.keys_by_node(k.root + ":*").items() if ks}
    assert len(placed) == 1, {p: len(ks) for p, ks in placed.items()}
    (keys,) = placed.values()
    assert len(keys) > 50 and {key_slot(x) for x in keys} == {key_slot(k.prefix.encode())}
    for w in app.pipeline.workers.values():
        assert await w.pending() == 0


async def test_cluster_mode_is_found_by_asking_the_server(
    redis_cluster: LocalCluster, tmp_path: Path
) -> None:
    store = await Store.connect(
        redis_url=redis_cluster.url, data_dir=tmp_path, key_prefix="auto" + uuid.uuid4().hex[:8]
    )
    try:
        assert store.keys.cluster
        await store.check_schema()
        assert await store.schema_version() is not None
        assert (await store.server_version()).startswith(("6.", "7.", "8."))
    finally:
        await store.close()


async def test_single_node_mode_refuses_a_cluster_node(
    redis_cluster: LocalCluster, tmp_path: Path
) -> None:
    with pytest.raises(LayoutMismatch, match="GROKWATCH_REDIS_CLUSTER=true"):
        await Store.connect(redis_url=redis_cluster.url, data_dir=tmp_path, cluster=False)


async def test_data_under_the_other_layout_is_refused_not_ignored(
    redis_cluster: LocalCluster, redis_url: str, tmp_path: Path
) -> None:
    prefix = "old" + uuid.uuid4().hex[:8]
    # single-node data (gw:… names) found by a cluster-mode store
    with redis.RedisCluster.from_url(redis_cluster.url) as writer:
        writer.set(Keys(prefix).schema, 2)
    on_cluster = await Store.connect(
        redis_url=redis_cluster.url, data_dir=tmp_path, key_prefix=prefix
    )
    try:
        with pytest.raises(LayoutMismatch, match=r"single-node key names"):
            await on_cluster.check_schema()
    finally:
        await on_cluster.close()
    # and cluster-layout data ({gw}:… names) found by a single-node store
    single = await Store.connect(redis_url=redis_url, data_dir=tmp_path, key_prefix=prefix)
    try:
        await single.client.set(Keys(prefix, cluster=True).schema, 2)
        with pytest.raises(LayoutMismatch, match=r"cluster key names"):
            await single.check_schema()
    finally:
        await single.close()


def test_cluster_mode_needs_a_redis_url(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="needs REDIS_URL"):
        load_settings(redis_cluster=True, data_dir=tmp_path)
    assert load_settings(redis_url="redis://h:1", redis_cluster=True).redis_cluster is True


SUBCOMMANDS = frozenset({"XINFO", "XGROUP", "OBJECT", "MEMORY"})


def test_lua_scripts_take_their_keys_from_keys_never_build_them() -> None:
    """A script that builds a key name itself ('gw:term:' .. t) would miss the cluster's
    hash tag and the cluster's routing; every key a script touches comes in KEYS."""
    store_dir = Path(__file__).resolve().parent.parent / "bot" / "store"
    calls = 0
    for module in sorted(store_dir.glob("*.py")):
        for cmd, first, second in re.findall(
            r"redis\.call\(\s*'(\w+)'\s*,\s*([^,)]*)(?:,\s*([^,)]*))?", module.read_text()
        ):
            calls += 1
            if cmd.upper() in SUBCOMMANDS:  # XINFO CONSUMERS key …: the key comes second
                first = second
            assert ".." not in first and "'" not in first and '"' not in first, (
                f"{module.name}: {cmd} on a key built in Lua ({first}); pass it in KEYS"
            )
    assert calls >= 15


async def test_two_consumers_of_a_stage_share_its_group_on_the_cluster(testbot: ChatBot) -> None:
    app = testbot.app
    outcomes = await app.ingest([str(CORPUS_DIR)], wait=False)
    total = sum(o.status == "new" for o in outcomes)
    base = app.pipeline.workers["analyze"]
    pair = [
        dataclasses.replace(base, consumer=f"w{i}", count=2, reclaim_idle_ms=10**9)
        for i in range(2)
    ]

    async def drain(worker: StreamWorker) -> None:
        while await worker.run_once():  # each read awaits Redis: the other one reads too
            pass

    await asyncio.gather(*(drain(w) for w in pair))
    assert all(w.processed > 0 for w in pair), [w.processed for w in pair]
    assert sum(w.processed for w in pair) == total  # each entry once
    assert await base.pending() == 0
    assert await app.store.streams.length(app.store.keys.analyzed_stream) == total


async def test_retention_and_stream_trimming_run_on_the_cluster(testbot: ChatBot) -> None:
    """The bounded-state scripts (article removal, consumer removal) and XTRIM keep to the
    prefix's one slot, so they run on a cluster as on one server."""
    from bot.pipeline.housekeeping import Housekeeping
    from tests.test_retention import _age

    app, store = testbot.app, testbot.app.store
    await testbot.say("/grok track Grok")
    outcomes = await app.ingest([str(CORPUS_DIR)])
    await testbot.deliver()
    ids = [o.id for o in outcomes if o.status == "new" and o.id]
    assert len(ids) >= 4
    aged = ids[::2]
    for article_id in aged:
        await _age(store, article_id, 100)
    chores = Housekeeping.for_workers(store, app.pipeline.workers.values(), app.settings)
    now = time.time()
    assert await chores.expire_articles(now) == len(aged)
    await chores.bound_streams(now + 3600)  # past the trim margin
    for article_id in aged:
        assert not await store.articles.exists(article_id)
        # (a story keeps the name of its first article: s-<id>, even once that one is gone)
        pattern = f"{store.keys.root}:*{article_id}*"  # this test's prefix only
        named = [k async for k in store.client.scan_iter(match=pattern)]
        assert [k for k in named if b":story:s-" not in k] == []
    kept = [i for i in ids if i not in aged]
    assert all([await store.articles.exists(i) for i in kept])
    assert await store.streams.length(store.keys.ingest_stream) == 0
