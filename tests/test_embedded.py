"""The embedded Redis server (bot.ops.embedded): persistence across restarts, and a second
process attaching to the server the first one started."""

from __future__ import annotations

from pathlib import Path

import redis

from bot.ops.embedded import EmbeddedRedis


def test_embedded_server_persists_across_restarts(tmp_path: Path) -> None:
    with EmbeddedRedis(tmp_path) as server:
        assert server.owned
        redis.Redis.from_url(server.url).set("gw:probe", "kept")
    assert not (tmp_path / "redis.sock").exists() or not server.owned
    with EmbeddedRedis(tmp_path) as server:
        assert redis.Redis.from_url(server.url).get("gw:probe") == b"kept"
    assert (tmp_path / "appendonly.aof").exists()


def test_second_process_attaches_to_a_running_embedded_server(tmp_path: Path) -> None:
    with EmbeddedRedis(tmp_path) as first:
        second = EmbeddedRedis(tmp_path)
        second.start()
        assert not second.owned  # it found the running server
        second.stop()  # does not stop a server it does not own
        assert redis.Redis.from_url(first.url).ping()
