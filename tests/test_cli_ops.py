"""The command line as an operator meets it, in real processes: `--version`, `--help`
without the heavy imports, environment variables in the help, one-line errors that name
the service at fault (Redis, Discord), no voice-library warning, `ingest` read lazily."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

from pydantic import SecretStr

from bot import __version__
from bot.cli import INGEST_BATCH, _batches, _files
from bot.ops.failures import culprit, explain
from bot.settings import Settings
from handlers.model import RawArticle, Rejected
from tests.discord_fake import FakeDiscord
from tests.test_doctor import closed_port

GROKWATCH = [sys.executable, "-m", "bot.cli"]


def env_for(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("REDIS_URL", "DISCORD"))}
    env.update({"GROKWATCH_DATA_DIR": str(data_dir), "COLUMNS": "400", **extra})
    return env


def grokwatch(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        GROKWATCH + args,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
        stdin=subprocess.DEVNULL,
    )


def test_version(tmp_path: Path) -> None:
    done = grokwatch(["--version"], env_for(tmp_path))
    assert done.returncode == 0
    assert done.stdout.strip() == f"grokwatch {__version__}"


def test_help_names_the_environment_variables(tmp_path: Path) -> None:
    done = grokwatch(["--help"], env_for(tmp_path))
    assert done.returncode == 0
    for name in ("GROKWATCH_CONFIG", "GROKWATCH_DATA_DIR", "GROKWATCH_LOG_LEVEL", "REDIS_URL"):
        assert name in done.stdout, name
    say = grokwatch(["say", "--help"], env_for(tmp_path))
    assert "GROKWATCH_CONSOLE_CHANNEL" in say.stdout


def test_importing_the_cli_loads_no_heavy_module() -> None:
    probe = (
        "import sys, bot.cli; "
        "print(' '.join(m for m in ('spacy', 'discord', 'slack_bolt', 'slack_sdk', 'redis', "
        "'aiohttp', 'httpx', 'bot.app', 'nlp.pipeline') if m in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.strip() == ""


def test_unreachable_redis_is_one_line_with_the_password_hidden(tmp_path: Path) -> None:
    url = f"redis://user:hunter2@127.0.0.1:{closed_port()}/0"
    done = grokwatch(["say", "/grok tracked"], env_for(tmp_path, REDIS_URL=url))
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("grokwatch: cannot reach Redis at redis://user:***@127.0.0.1")
    assert "REDIS_URL" in lines[0] and "hunter2" not in done.stderr


def test_unreachable_discord_is_not_blamed_on_redis(tmp_path: Path) -> None:
    env = env_for(
        tmp_path,
        DISCORD_TOKEN="MTIz.discord-secret.xyz",
        GROKWATCH_DISCORD_API_BASE=f"http://127.0.0.1:{closed_port()}/api/v10",
        GROKWATCH_API_ENABLED="false",
        GROKWATCH_ENRICH_PROCESSES="0",
    )
    done = grokwatch(["run"], env)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert "grokwatch: cannot reach Discord at http://127.0.0.1" in done.stderr
    assert "Redis" not in done.stderr.split("grokwatch:")[-1]
    assert "discord-secret" not in done.stderr
    assert "PyNaCl" not in done.stderr and "voice" not in done.stderr


async def test_a_refused_discord_token_says_so(tmp_path: Path) -> None:
    async with FakeDiscord() as fake:
        fake.fail("GET", "/users/@me", 401, body={"message": "401: Unauthorized", "code": 0})
        env = env_for(
            tmp_path,
            DISCORD_TOKEN="MTIz.discord-secret.xyz",
            GROKWATCH_DISCORD_API_BASE=fake.base,
            GROKWATCH_API_ENABLED="false",
            GROKWATCH_ENRICH_PROCESSES="0",
        )
        proc = await asyncio.create_subprocess_exec(
            *GROKWATCH,
            "run",
            env=env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        _, err = await asyncio.wait_for(proc.communicate(), timeout=300)
    stderr = err.decode()
    assert proc.returncode == 2, stderr
    assert "Traceback" not in stderr
    assert "grokwatch: DISCORD_TOKEN was refused by Discord (401)" in stderr
    assert "discord-secret" not in stderr and "PyNaCl" not in stderr


def test_ingest_reads_lazily_in_batches(tmp_path: Path) -> None:
    folder = tmp_path / "many"
    folder.mkdir()
    count = INGEST_BATCH * 2 + 5
    for i in range(count):
        (folder / f"a{i:03}.txt").write_text(f"Titre {i}\n\nGrok, article {i}.\n")
    files = _files([str(folder), str(folder / "a000.txt")])  # a file given twice is read once
    assert len(files) == count
    batches = _batches(files, 100_000)
    done, first = next(batches)
    assert len(first) == INGEST_BATCH and done == INGEST_BATCH
    # nothing past the first batch was read yet: a file removed now is found missing
    files[-1].unlink()
    rest = list(batches)
    assert [d for d, _ in rest] == [INGEST_BATCH * 2, count]
    items = first + [i for _, b in rest for i in b]
    assert sum(isinstance(i, RawArticle) for i in items) == count - 1
    (missing,) = [i for i in items if isinstance(i, Rejected)]
    assert missing.where.endswith(files[-1].name)


def test_ingest_json_streams_every_article(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    for i in range(INGEST_BATCH + 3):
        (folder / f"b{i:03}.md").write_text(f"# Grok {i}\n\nxAI publie Grok, édition {i}.\n")
    done = grokwatch(["ingest", "--json", str(folder)], env_for(tmp_path / "d"))
    assert done.returncode == 0, done.stderr
    rows = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(rows) == INGEST_BATCH + 3
    assert {r["status"] for r in rows} == {"new"}
    assert [Path(r["path"]).name for r in rows] == sorted(p.name for p in folder.iterdir())


def _raised_in(module: str, exc: BaseException) -> BaseException:
    """`exc` as raised by code of `module` (its traceback goes through that module)."""
    namespace: dict[str, object] = {"__name__": module, "exc": exc}
    exec("def boom():\n    raise exc\n", namespace)
    try:
        namespace["boom"]()  # type: ignore[operator]
    except BaseException as raised:
        return raised
    raise AssertionError("did not raise")


def test_failures_name_the_service_they_came_from(settings: Settings) -> None:
    s = settings.model_copy(
        update={
            "slack_api_base": "http://127.0.0.1:9/api/",
            "slack_bot_token": SecretStr("xoxb-zz"),
        }
    )
    slack = _raised_in("slack_sdk.web.async_client", ConnectionRefusedError(111, "refused xoxb-zz"))
    assert culprit(slack) == "Slack"
    line = explain(slack, s)
    assert line.startswith("cannot reach Slack at http://127.0.0.1:9/api/")
    assert "xoxb-zz" not in line and "***" in line
    assert culprit(_raised_in("redis.asyncio.connection", OSError("x"))) == "Redis"
    assert culprit(_raised_in("bot.transports.discord.transport", ValueError("x"))) == "Discord"
    assert culprit(_raised_in("nlp.pipeline", ValueError("x"))) is None
    assert explain(_raised_in("nlp.pipeline", ValueError("bad")), s) == "ValueError: bad"
