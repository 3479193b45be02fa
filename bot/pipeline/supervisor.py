"""Child stage processes supervised by `grokwatch run`: the slow pass (NER enrichment) runs
in `grokwatch worker --stage enrich` processes of its own, so that it never shares a
process, an event loop or the GIL with the alert path.

`StageProcesses` starts N children, restarts one that exits (after a short pause, longer
while it keeps dying at once), and stops them all on shutdown with SIGTERM (SIGKILL after
a grace period). Children may run at a lower CPU priority (`nice`): enrichment then
takes the CPU the alert path leaves. Each child loads its model once, at start, and
shares the stage's consumer group with the others: what a killed child had read is
claimed back by a live one after `reclaim_idle_ms`. On Linux a child also gets SIGTERM if `run` itself dies.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import logging
import os
import signal
import sys
import time
from collections.abc import Mapping, Sequence

logger = logging.getLogger(__name__)

_PR_SET_PDEATHSIG = 1


def _child_setup(nice: int) -> None:  # pragma: no cover - runs in the forked child
    """A lower CPU priority; on Linux, SIGTERM when the parent dies (no orphans)."""
    if nice:
        with contextlib.suppress(OSError):
            os.nice(nice)
    if sys.platform == "linux":
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def worker_argv(stages: Sequence[str]) -> list[str]:
    """The command line of a `grokwatch worker` for `stages`, with this interpreter."""
    argv = [sys.executable, "-m", "bot.cli", "worker"]
    for stage in stages:
        argv += ["--stage", stage]
    return argv


class StageProcesses:
    """N child processes running `argv`, kept alive until `stop()`."""

    def __init__(
        self,
        name: str,
        argv: Sequence[str],
        count: int,
        *,
        env: Mapping[str, str] | None = None,
        nice: int = 0,
        restart_delay: float = 1.0,
        max_restart_delay: float = 30.0,
        stop_timeout: float = 15.0,
    ) -> None:
        self.name = name
        self.argv = list(argv)
        self.count = count
        self.env = dict(env if env is not None else os.environ)
        self.nice = nice
        self.restart_delay = restart_delay
        self.max_restart_delay = max_restart_delay
        self.stop_timeout = stop_timeout
        self.restarts = 0
        self._procs: list[asyncio.subprocess.Process | None] = [None] * count
        self._tasks: list[asyncio.Task[None]] = []
        self._stopping = False

    @property
    def pids(self) -> list[int]:
        """The pids of the children running now."""
        return [p.pid for p in self._procs if p is not None and p.returncode is None]

    async def start(self) -> None:
        self._stopping = False
        for slot in range(self.count):
            self._tasks.append(asyncio.create_task(self._keep(slot), name=f"{self.name}-{slot}"))

    async def _spawn(self, slot: int) -> asyncio.subprocess.Process:
        proc = await asyncio.create_subprocess_exec(
            *self.argv,
            env=self.env,
            stdin=asyncio.subprocess.DEVNULL,
            preexec_fn=lambda: _child_setup(self.nice),
            # its own session: a Ctrl-C at the terminal reaches `run`, which stops the
            # children itself (they are not restarted mid-shutdown)
            start_new_session=True,
        )
        self._procs[slot] = proc
        logger.info("%s[%d]: started pid %d", self.name, slot, proc.pid)
        return proc

    async def _keep(self, slot: int) -> None:
        delay = self.restart_delay
        while not self._stopping:
            started = time.monotonic()
            try:
                proc = await self._spawn(slot)
            except OSError as exc:
                logger.error("%s[%d]: cannot start: %s", self.name, slot, exc)
            else:
                code = await proc.wait()
                if self._stopping:
                    return
                logger.warning(
                    "%s[%d]: pid %d exited with %s; restarting", self.name, slot, proc.pid, code
                )
                self.restarts += 1
            # a child that keeps dying at once is restarted more and more slowly
            lived = time.monotonic() - started
            delay = self.restart_delay if lived > 60 else min(self.max_restart_delay, delay * 2)
            await asyncio.sleep(delay if lived <= 60 else self.restart_delay)

    async def stop(self) -> None:
        """SIGTERM every child, wait for them (SIGKILL after `stop_timeout`)."""
        self._stopping = True
        running = [p for p in self._procs if p is not None and p.returncode is None]
        for proc in running:
            with contextlib.suppress(ProcessLookupError):
                proc.send_signal(signal.SIGTERM)
        for proc in running:
            try:
                await asyncio.wait_for(proc.wait(), self.stop_timeout)
            except TimeoutError:
                logger.warning("%s: pid %d ignored SIGTERM; killed", self.name, proc.pid)
                with contextlib.suppress(ProcessLookupError):
                    proc.kill()
                await proc.wait()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
