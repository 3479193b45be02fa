"""What the benchmarks that start `grokwatch` processes share: a free port, a clean
environment for the bot, and the processes of a tree (with the daemonized embedded Redis
of a data folder, which is no process's child)."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def bot_env(**settings: str) -> dict[str, str]:
    """This environment without any bot setting or token, plus `settings`, with this
    checkout's code first on the path."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("GROKWATCH_", "DISCORD", "SLACK", "REDIS_URL"))
    }
    return {**env, "PYTHONPATH": str(ROOT), **settings}


def redis_pids(data_dir: Path) -> list[int]:
    """The embedded redis-server of `data_dir`: it runs daemonized, outside `run`'s tree."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            except OSError:
                continue
            if "redis-server" in cmdline and str(data_dir) in cmdline:
                found.append(int(entry.name))
    return found


def tree_pids(root: int, extra: Sequence[int] = ()) -> Iterator[int]:
    """`root`, `extra` and all their descendants (those alive as they are read)."""
    todo = [root, *extra]
    while todo:
        pid = todo.pop()
        try:
            for task in Path(f"/proc/{pid}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
        yield pid
