"""Health of a grokwatch process, for the probes of `bot.ingest.api`.

* **Liveness** (`GET /healthz`, `Liveness`): Redis answers, every stage this process runs
  has turned its loop within `stage_grace` seconds (its heartbeat), and every chat platform
  it holds has been connected within `platform_grace` seconds (Discord gateway ready, Slack
  socket open). A 503 here means restarting the process is the cure: systemd's watchdog
  script or a Kubernetes liveness probe does it.
* **Readiness** (`GET /readyz`, `Readiness`): the stage workers this process started are
  running, and so are the child stage processes it supervises; a 503 takes it out of
  rotation without restarting it.

A platform never connected yet counts as down since the `Liveness` was built (start-up);
one that was connected, from the first probe that sees it down.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

logger = logging.getLogger(__name__)

__all__ = ["ChildrenView", "Liveness", "PipelineView", "Readiness"]


class StageView(Protocol):
    """One stage's status (`bot.pipeline.streams.StageStatus`)."""

    @property
    def name(self) -> str: ...
    @property
    def running(self) -> bool: ...
    @property
    def heartbeat_age(self) -> float: ...
    @property
    def restarts(self) -> int: ...
    @property
    def failing(self) -> str: ...


class PipelineView(Protocol):
    """What the probes read of `bot.pipeline.stages.Pipeline`."""

    running: bool

    def tasks(self) -> Mapping[str, asyncio.Task[None]]: ...

    def status(self, now: float | None = None) -> Sequence[StageView]: ...


class ConnectionView(Protocol):
    """What liveness reads of a transport (`bot.transports.base.Transport`)."""

    @property
    def connected(self) -> bool: ...


class ChildrenView(Protocol):
    """What readiness reads of `bot.pipeline.supervisor.StageProcesses`."""

    count: int

    @property
    def pids(self) -> list[int]: ...


class Liveness:
    """`Liveness(pipeline, transports).report()`: (problems, details) for `/healthz`."""

    def __init__(
        self,
        pipeline: PipelineView,
        transports: Mapping[str, ConnectionView],
        *,
        stage_grace: float = 120.0,
        platform_grace: float = 120.0,
    ) -> None:
        self.pipeline = pipeline
        self.transports = transports  # read at each probe
        self.stage_grace = stage_grace
        self.platform_grace = platform_grace
        self._since = time.monotonic()
        self._down_since: dict[str, float] = {}
        self._seen_up: set[str] = set()

    def report(self, now: float | None = None) -> tuple[list[str], dict[str, Any]]:
        """What is down past its grace ([] when alive), and every stage's and platform's
        state (heartbeat age, restarts, the error being retried; connected or not)."""
        now = time.monotonic() if now is None else now
        problems: list[str] = []
        stages: dict[str, Any] = {}
        for st in self.pipeline.status(now):
            stages[st.name] = {
                "heartbeat_age_s": round(st.heartbeat_age, 1),
                "restarts": st.restarts,
                **({"retrying": st.failing} if st.failing else {}),
            }
            if st.heartbeat_age > self.stage_grace:
                state = "running" if st.running else "stopped"
                problems.append(
                    f"stage {st.name} ({state}) has not turned for {st.heartbeat_age:.1f} s"
                )
        platforms: dict[str, Any] = {}
        for name, transport in sorted(self.transports.items()):
            up = transport.connected
            if up:
                self._down_since.pop(name, None)
                self._seen_up.add(name)
                platforms[name] = {"connected": True}
                continue
            # never connected yet: down since start-up; else since the first probe saw it
            since = self._down_since.setdefault(name, now if name in self._seen_up else self._since)
            down = max(0.0, now - since)
            platforms[name] = {"connected": False, "down_s": round(down, 1)}
            if down > self.platform_grace:
                problems.append(f"{name} has not been connected for {down:.1f} s")
        if problems:
            logger.warning("not alive: %s", "; ".join(problems))
        return problems, {"stages": stages, "platforms": platforms}


class Readiness:
    """`await Readiness(pipeline, children).problems()`: [] when ready, else what is not."""

    def __init__(self, pipeline: PipelineView, children: Mapping[str, ChildrenView]) -> None:
        self.pipeline = pipeline
        self.children = children  # stage → its child processes (read at each probe)

    async def problems(self) -> list[str]:
        if not self.pipeline.running:
            return ["the stage workers are not started yet"]
        found: list[str] = []
        for name, task in self.pipeline.tasks().items():
            if task.done():
                found.append(f"stage worker {name} has stopped")
        for stage, procs in sorted(self.children.items()):
            alive = len(procs.pids)
            if alive < procs.count:
                found.append(f"{stage}: {alive} of {procs.count} child processes running")
        if found:
            logger.warning("not ready: %s", "; ".join(found))
        return found
