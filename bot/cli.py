"""The `grokwatch` command line: demo, run, worker, ingest, analyze, say, doctor.

Only typer and the standard library are imported at start-up: each command imports what
it needs when it runs, so `grokwatch --help` and `--version` never load spaCy, the chat
SDKs or the Redis client. Every failure a user can cause or meet (bad settings, Redis,
Discord or Slack out of reach, a token refused) ends in one line that names the culprit,
never a traceback (the traceback goes to the log at DEBUG).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import sys
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

if TYPE_CHECKING:
    from rich.console import Console

    from bot.app import App
    from bot.settings import Settings
    from handlers.model import IngestOutcome, RawArticle, Rejected
    from handlers.reply import Reply

logger = logging.getLogger(__name__)

ENV_HELP = (
    "Settings come from the environment (or the TOML file of GROKWATCH_CONFIG): REDIS_URL, "
    "GROKWATCH_DATA_DIR, DISCORD_TOKEN, SLACK_BOT_TOKEN, SLACK_APP_TOKEN, "
    "SLACK_SIGNING_SECRET, GROKWATCH_API_TOKEN and the other GROKWATCH_* names of "
    "docs/operations.md."
)

cli = typer.Typer(
    name="grokwatch",
    help="Follow a news story across outlets and languages, in Discord, Slack or a terminal.",
    epilog=ENV_HELP,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
T = TypeVar("T")
INGEST_BATCH = 32  # articles read, stored and reported at a time by `grokwatch ingest`


class _Consoles:
    """The rich consoles, built on first use (rich is not imported for --help)."""

    _err: Console | None = None

    @property
    def err(self) -> Console:
        if self._err is None:
            from rich.console import Console

            self._err = Console(stderr=True)
        return self._err


_consoles = _Consoles()


def _fail(message: str, code: int = 2) -> typer.Exit:
    """Print one red line on stderr; the exit to raise."""
    _consoles.err.print(f"grokwatch: {message}", style="red", highlight=False, markup=False)
    return typer.Exit(code)


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("grokwatch")
    except PackageNotFoundError:  # a source tree that was never installed
        from bot import __version__

        return __version__


def _show_version(value: bool) -> None:
    if value:
        print(f"grokwatch {_version()}")
        raise typer.Exit(0)


@cli.callback()
def _global(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            callback=_show_version,
            is_eager=True,
            help="Print the version and exit.",
        ),
    ] = False,
    config: Annotated[
        Path | None,
        typer.Option(
            "--config",
            envvar="GROKWATCH_CONFIG",
            help="A TOML settings file (deploy/grokwatch.example.toml); the environment wins.",
        ),
    ] = None,
    data_dir: Annotated[
        Path | None,
        typer.Option(
            "--data-dir",
            envvar="GROKWATCH_DATA_DIR",
            help="Where the embedded Redis keeps its data (when REDIS_URL is unset) and "
            "charts are drawn.",
        ),
    ] = None,
    log_level: Annotated[
        str | None,
        typer.Option(
            "--log-level", envvar="GROKWATCH_LOG_LEVEL", help="DEBUG, INFO, WARNING or ERROR."
        ),
    ] = None,
) -> None:
    """Follow a news story across outlets and languages, in Discord, Slack or a terminal."""
    # the settings are read from the environment: the options are another way to set it
    for name, value in (
        ("GROKWATCH_CONFIG", config),
        ("GROKWATCH_DATA_DIR", data_dir),
        ("GROKWATCH_LOG_LEVEL", log_level),
    ):
        if value is not None:
            os.environ[name] = str(value)


def _settings() -> Settings:
    from bot.ops.failures import DropVoiceWarnings, ShortConnectionErrors
    from bot.settings import SettingsError, load_settings

    try:
        settings = load_settings()
    except SettingsError as exc:
        raise _fail(str(exc)) from None
    logging.basicConfig(
        level=settings.log_level,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # httpx logs every URL it fetches at INFO; a feed URL may carry a secret in its query
    logging.getLogger("httpx").setLevel(max(logging.WARNING, logging.getLogger().level))
    logging.getLogger("discord.client").addFilter(DropVoiceWarnings())
    if settings.log_level != "DEBUG":
        for handler in logging.getLogger().handlers:
            handler.addFilter(ShortConnectionErrors())
    return settings


def _run(settings: Settings, coro_fn: Callable[[], Awaitable[T]]) -> T:
    """Run a coroutine; turn failures into a one-line error and exit code 2."""
    from bot.ops.embedded import EmbeddedRedisError
    from bot.ops.failures import explain
    from bot.settings import SettingsError
    from bot.store import SchemaMismatch

    try:
        return asyncio.run(coro_fn())  # type: ignore[arg-type]
    except (EmbeddedRedisError, SchemaMismatch, SettingsError) as exc:
        raise _fail(str(exc)) from None
    except (typer.Exit, typer.Abort, KeyboardInterrupt):
        raise
    except Exception as exc:
        logger.debug("failure", exc_info=True)
        raise _fail(explain(exc, settings)) from None


def _lines(script: str) -> Iterator[str]:
    source = sys.stdin if script == "-" else open(script, encoding="utf-8")  # noqa: SIM115
    try:
        for line in source:
            line = line.strip()
            if line and not line.startswith("#"):
                yield line
    finally:
        if source is not sys.stdin:
            source.close()


async def _chat(app: App, script: str | None, *, children: bool = False) -> None:
    """The console chat: a script, or an interactive prompt until quit/EOF."""
    out = app.console.console
    if script is not None:
        try:
            lines = list(_lines(script))
        except OSError as exc:
            raise _fail(f"cannot read script {script}: {exc}") from None
        for line in lines:
            out.print(
                f"[bold green]>[/bold green] {line}", highlight=False, markup=True, soft_wrap=True
            )
            app.console.show(await app.say(line))
            await app.deliver_pending()
        return
    await app.start_pipeline(children=children)
    out.print("Type [bold]/grok help[/bold] for the commands, [bold]quit[/bold] to leave.")
    while True:
        try:
            line = await asyncio.to_thread(input, "grok> ")
        except (EOFError, KeyboardInterrupt):
            break
        line = line.strip()
        if line.casefold() in {"quit", "exit", ":q"}:
            break
        if line:
            app.console.show(await app.say(line))


@cli.command()
def demo(
    script: Annotated[
        str | None,
        typer.Option("--script", "-s", help="Run the commands of FILE (or - for stdin) and exit."),
    ] = None,
    corpus: Annotated[
        bool, typer.Option("--corpus/--no-corpus", help="Ingest the bundled sample corpus first.")
    ] = True,
) -> None:
    """The bot with no tokens and no server: embedded Redis, sample corpus, console chat."""
    settings = _settings()
    from bot.app import App
    from bot.ingest.readers import CORPUS_DIR

    async def main() -> None:
        async with App(settings) as app:
            out = app.console.console
            out.print(f"[dim]{app.redis_description}[/dim]", highlight=False)
            if corpus:
                with out.status("Ingesting the sample corpus…"):
                    outcomes = await app.ingest([str(CORPUS_DIR)])
                new = sum(o.status == "new" for o in outcomes)
                out.print(
                    f"[dim]sample corpus: {new} new, {len(outcomes) - new} already stored; "
                    f"{await app.store.articles.count()} articles in the store[/dim]"
                )
            await _chat(app, script)

    _run(settings, main)


async def _serve_api(app: App, settings: Settings) -> None:
    """The HTTP API (/healthz, /readyz, /metrics, and ingest with a token)."""
    try:
        server = await app.start_api()
    except OSError as exc:
        raise _fail(
            f"cannot serve the HTTP API on {settings.api_host}:{settings.api_port}: {exc}; "
            "set GROKWATCH_API_PORT to a free port or GROKWATCH_API_ENABLED=false"
        ) from None
    api_state = "on" if settings.api_token else "off: no GROKWATCH_API_TOKEN"
    _consoles.err.print(
        f"[dim]HTTP API on {server.url} (ingest {api_state})[/dim]", highlight=False
    )


@cli.command()
def run() -> None:
    """The real bot: every configured transport, the pipeline's workers, the console chat."""
    settings = _settings()
    from bot.app import App

    missing = [n for n in ("discord", "slack") if n not in settings.configured_transports()]
    if missing:
        _consoles.err.print(f"[dim]not configured: {', '.join(missing)} (console only)[/dim]")

    platforms = [n for n in settings.configured_transports() if n != "console"]

    async def main() -> None:
        async with App(settings, platforms=platforms) as app:
            app.console.console.print(
                f"[dim]{app.redis_description}; transports: {', '.join(app.transports)}[/dim]",
                highlight=False,
            )
            await app.start_feeds()
            if settings.api_enabled:
                await _serve_api(app, settings)
            if sys.stdin.isatty():
                await _chat(app, None, children=True)
            else:  # a service: no console chat, run until SIGTERM/SIGINT
                await app.start_pipeline(children=True)
                await _until_signal()

    _run(settings, main)


async def _until_signal() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()


@cli.command()
def worker(
    stage: Annotated[
        list[str] | None,
        typer.Option(
            "--stage",
            "-S",
            help="fetch (the feed scheduler), analyze, enrich, fanout or deliver "
            "(repeatable); default: all",
        ),
    ] = None,
    api: Annotated[
        bool,
        typer.Option(
            "--api",
            help="Also serve /healthz, /readyz and /metrics on GROKWATCH_API_HOST:"
            "GROKWATCH_API_PORT (container probes, scraping).",
        ),
    ] = False,
) -> None:
    """Run pipeline stages (and the feed scheduler) only, until interrupted (scale-out)."""
    settings = _settings()
    from bot.app import App

    # deliver: to every configured platform, send-only (commands are `run`'s)
    delivers = stage is None or any(s.split(":")[0] == "deliver" for s in stage)
    platforms = [n for n in settings.configured_transports() if n != "console" and delivers]

    async def main() -> None:
        async with App(settings, platforms=platforms, receive=False) as app:
            try:
                app.pipeline.select(stage)
            except ValueError as exc:
                raise _fail(str(exc)) from None
            await app.pipeline.start(stage)
            if stage is None or "fetch" in stage:
                await app.start_feeds()
            if api:
                await _serve_api(app, settings)
            _consoles.err.print(
                f"worker running: {', '.join(stage or ['all stages'])} on {app.redis_description}",
                markup=False,
                highlight=False,
            )
            await _until_signal()

    _run(settings, main)


def _files(paths: list[str]) -> list[Path]:
    """The files `paths` name, folders walked as `read_paths` walks them, each once."""
    from bot.ingest.readers.files import walk

    files: list[Path] = []
    seen: set[str] = set()
    for given in paths:
        path = Path(given).expanduser()
        try:
            is_dir = path.is_dir()
        except OSError:
            is_dir = False
        for candidate in walk(path) if is_dir else [path]:
            try:
                key = str(candidate.resolve())
            except (OSError, RuntimeError):
                key = str(candidate)
            if key not in seen:
                seen.add(key)
                files.append(candidate)
    return files


def _batches(
    files: list[Path], max_bytes: int
) -> Iterator[tuple[int, list[RawArticle | Rejected]]]:
    """(files read so far, the next batch of articles), reading lazily: at most one batch
    of articles is in memory at a time."""
    from bot.ingest.readers import read_file

    batch: list[RawArticle | Rejected] = []
    for done, path in enumerate(files, 1):
        for item in read_file(path, max_bytes=max_bytes):
            if len(batch) >= INGEST_BATCH:  # a file of many articles (JSONL)
                yield done - 1, batch
                batch = []
            batch.append(item)
        if len(batch) >= INGEST_BATCH or done == len(files):
            yield done, batch
            batch = []


def _print_outcome(o: IngestOutcome, as_json: bool) -> None:
    if as_json:
        print(json.dumps(o.to_json(), ensure_ascii=False), flush=True)
    else:
        label = o.title or o.path or o.url or ""
        extra = f" — {o.reason}" if o.reason else ""
        alerts = f" ({len(o.alerts)} alert(s))" if o.alerts else ""
        print(f"{o.status:9} {o.id or '-':16} {label}{extra}{alerts}", flush=True)


@cli.command()
def ingest(
    paths: Annotated[
        list[str], typer.Argument(help="Files or folders of articles, or feed or page URLs.")
    ],
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per article.")] = False,
) -> None:
    """Ingest files or folders (.txt, .md, .html, .json, .jsonl), or feed or page URLs
    (fetched safely); report each article as it is stored, with a progress bar on a
    terminal."""
    settings = _settings()
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from bot.app import App
    from bot.ingest.fetch import is_url

    urls = [p for p in paths if is_url(p)]
    files = _files([p for p in paths if not is_url(p)])

    async def main() -> tuple[int, int]:
        total = rejected = 0
        progress = Progress(
            TextColumn("ingesting"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("files"),
            console=_consoles.err,
            transient=True,
            disable=not _consoles.err.is_terminal,
            # results go to stdout; above the bar only when stdout is the same terminal
            redirect_stdout=sys.stdout.isatty(),
            redirect_stderr=False,
        )
        async with App(settings) as app:
            with progress:
                task = progress.add_task("ingest", total=len(files))
                batches = _batches(files, settings.max_file_bytes)
                while True:
                    step = await asyncio.to_thread(next, batches, None)
                    if step is None:
                        break
                    done, items = step
                    outcomes = await app.ingestor.add(items, near_dups=bool(urls))
                    await app.ingestor.report_alerts(outcomes)
                    for o in outcomes:
                        _print_outcome(o, as_json)
                    total += len(outcomes)
                    rejected += sum(o.status == "rejected" for o in outcomes)
                    progress.update(task, completed=done)
            if urls:
                for o in await app.ingest(urls):
                    _print_outcome(o, as_json)
                    total += 1
                    rejected += o.status == "rejected"
        return total, rejected

    total, rejected = _run(settings, main)
    raise typer.Exit(1 if total and rejected == total else 0)


@cli.command()
def analyze(
    paths: Annotated[list[str], typer.Argument(help="Files or folders of articles.")],
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per document.")] = False,
) -> None:
    """NLP only, no store: language, title and entities of each document."""
    from bot.ingest.readers import read_paths
    from handlers.model import Rejected
    from nlp.catalog import Catalog
    from nlp.pipeline import Analyzer

    settings = _settings()
    items = list(read_paths([Path(p) for p in paths], max_bytes=settings.max_file_bytes))
    articles = [i for i in items if not isinstance(i, Rejected)]
    analyzer = Analyzer(Catalog.load(), english_model=settings.english_model)
    results = iter(analyzer.full([(a.title, a.text) for a in articles], [a.lang for a in articles]))
    code = 0
    for item in items:
        if isinstance(item, Rejected):
            code = 1
            row: dict[str, Any] = {"path": item.where, "status": "rejected", "reason": item.reason}
        else:
            res = next(results)
            row = {
                "path": item.path or item.url,
                "lang": res.lang,
                "title": res.title or item.title,
                "words": res.words,
                "entities": [
                    {
                        "id": e.id,
                        "name": e.name,
                        "type": e.type,
                        "mentions": e.mentions,
                        "salience": round(e.salience, 3),
                        "level": e.level,
                        "source": e.source,
                        "matched": e.matched,
                    }
                    for e in res.entities
                ],
            }
        if as_json:
            print(json.dumps(row, ensure_ascii=False))
        else:
            ents = ", ".join(f"{e['id']}×{e['mentions']}" for e in row.get("entities", []))
            print(f"{row['path']}: {row.get('lang', '')} {row.get('reason', ents)}")
    raise typer.Exit(code)


@cli.command()
def say(
    command: Annotated[str, typer.Argument(help='A chat command, e.g. "/grok tracked".')],
    channel: Annotated[
        str | None,
        typer.Option(
            envvar="GROKWATCH_CONSOLE_CHANNEL",
            help="Channel: console:NAME (a bare NAME is console:NAME), "
            "discord:GUILD:CHANNEL or slack:TEAM:CHANNEL.",
        ),
    ] = None,
    user: Annotated[
        str | None, typer.Option(envvar="GROKWATCH_CONSOLE_USER", help="User id.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="The reply as JSON.")] = False,
) -> None:
    """Run one chat command through the console transport against the store."""
    settings = _settings()
    from dataclasses import asdict

    from rich.console import Console

    from bot.app import App
    from bot.transports.console import ConsoleTransport

    async def main() -> Reply:
        async with App(settings, console=ConsoleTransport(Console(stderr=as_json))) as app:
            reply = await app.say(command, channel=channel, user=user)
            if not as_json:
                app.console.show(reply)
            return reply

    reply = _run(settings, main)
    if as_json:
        data = asdict(reply)
        data["image"] = str(reply.image) if reply.image else None
        print(json.dumps(data, ensure_ascii=False))
    raise typer.Exit(1 if reply.kind == "error" else 0)


@cli.command()
def doctor(
    offline: Annotated[
        bool,
        typer.Option(
            "--offline", help="Check the tokens' shape only, without asking Discord or Slack."
        ),
    ] = False,
    models: Annotated[
        bool,
        typer.Option("--models/--no-models", help="Load the language models to check them."),
    ] = True,
) -> None:
    """Check the settings, Redis, the language models and the tokens (asking Discord and
    Slack whether they work); say what to fix."""
    settings = _settings()
    from rich.console import Console

    from bot.ops.doctor import run_checks

    ok = asyncio.run(run_checks(settings, Console(), online=not offline, models=models))
    raise typer.Exit(0 if ok else 1)


@cli.command("dead-letters")
def dead_letters(
    action: Annotated[str, typer.Argument(help="list, replay (put back) or drop")] = "list",
    ids: Annotated[list[str] | None, typer.Argument(help="Dead letter ids (default: all).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Output as JSON.")] = False,
) -> None:
    """What the stages gave up on: list it, replay it once fixed, or drop it."""
    settings = _settings()
    from bot.ops.deadletters import dead_letters

    print(_run(settings, lambda: dead_letters(settings, action, ids or [], as_json=as_json)))


def main() -> None:
    cli()


if __name__ == "__main__":
    main()
