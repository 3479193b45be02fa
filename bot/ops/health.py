"""Readiness of a grokwatch process, for `GET /readyz`: the stage workers this process
started are still running, and so are the child stage processes it supervises.

Liveness (`/healthz`) only asks Redis; readiness also says whether the process does its
work, so an orchestrator stops routing to (or restarts) a process whose workers died.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from typing import Protocol

logger = logging.getLogger(__name__)


class PipelineView(Protocol):
    """What readiness reads of `bot.pipeline.stages.Pipeline`."""

    running: bool
    _tasks: list[asyncio.Task[None]]


class ChildrenView(Protocol):
    """What readiness reads of `bot.pipeline.supervisor.StageProcesses`."""

    count: int

    @property
    def pids(self) -> list[int]: ...


class Readiness:
    """`await Readiness(pipeline, children).problems()`: [] when ready, else what is not."""

    def __init__(self, pipeline: PipelineView, children: Mapping[str, ChildrenView]) -> None:
        self.pipeline = pipeline
        self.children = children  # stage → its child processes (read at each probe)

    async def problems(self) -> list[str]:
        if not self.pipeline.running:
            return ["the stage workers are not started yet"]
        found: list[str] = []
        tasks: Sequence[asyncio.Task[None]] = self.pipeline._tasks
        for task in tasks:
            if task.done():
                found.append(f"stage worker {task.get_name()} has stopped")
        for stage, procs in sorted(self.children.items()):
            alive = len(procs.pids)
            if alive < procs.count:
                found.append(f"{stage}: {alive} of {procs.count} child processes running")
        if found:
            logger.warning("not ready: %s", "; ".join(found))
        return found
