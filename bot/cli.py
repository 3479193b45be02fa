"""The `grokwatch` command line: demo, run, worker, ingest, analyze, say, doctor."""

from __future__ import annotations

import asyncio
import json
import logging
import signal
import sys
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console

from bot.app import App
from bot.ingest.readers import CORPUS_DIR
from bot.ops.embedded import EmbeddedRedisError
from bot.settings import Settings, SettingsError, load_settings
from bot.store import SchemaMismatch
from bot.transports.console import ConsoleTransport
from handlers.reply import Reply

logger = logging.getLogger(__name__)

cli = typer.Typer(
    name="grokwatch",
    help="Follow a news story across outlets and languages, in Discord, Slack or a terminal.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
err = Console(stderr=True)
T = TypeVar("T")


def _settings() -> Settings:
    try:
        settings = load_settings()
    except SettingsError as exc:
        err.print(f"[red]grokwatch: {exc}[/red]", highlight=False, markup=True)
        raise typer.Exit(2) from None
    logging.basicConfig(
        level=settings.log_level,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # httpx logs every URL it fetches at INFO; a feed URL may carry a secret in its query
    logging.getLogger("httpx").setLevel(max(logging.WARNING, logging.getLogger().level))
    return settings


def _run(coro_fn: Callable[[], Awaitable[T]]) -> T:
    """Run a coroutine; turn start-up failures into a one-line error and exit code 2."""
    try:
        return asyncio.run(coro_fn())  # type: ignore[arg-type]
    except (EmbeddedRedisError, SchemaMismatch, SettingsError) as exc:
        err.print(f"grokwatch: {exc}", style="red", highlight=False, markup=False)
        raise typer.Exit(2) from None
    except OSError as exc:
        err.print(f"grokwatch: cannot reach Redis: {exc}", style="red", markup=False)
        raise typer.Exit(2) from None


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
            err.print(f"grokwatch: cannot read script {script}: {exc}", markup=False)
            raise typer.Exit(2) from None
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

    _run(main)


@cli.command()
def run() -> None:
    """The real bot: every configured transport, the pipeline's workers, the console chat."""
    settings = _settings()
    missing = [n for n in ("discord", "slack") if n not in settings.configured_transports()]
    if missing:
        err.print(f"[dim]not configured: {', '.join(missing)} (console only)[/dim]")

    platforms = [n for n in settings.configured_transports() if n != "console"]

    async def main() -> None:
        async with App(settings, platforms=platforms) as app:
            app.console.console.print(
                f"[dim]{app.redis_description}; transports: {', '.join(app.transports)}[/dim]",
                highlight=False,
            )
            await app.start_feeds()
            if settings.api_enabled:
                try:
                    server = await app.start_api()
                except OSError as exc:
                    err.print(
                        f"grokwatch: cannot serve the HTTP API on {settings.api_host}:"
                        f"{settings.api_port}: {exc}; set GROKWATCH_API_PORT to a free port "
                        "or GROKWATCH_API_ENABLED=false",
                        style="red",
                        markup=False,
                    )
                    raise typer.Exit(2) from None
                api_state = "on" if settings.api_token else "off: no GROKWATCH_API_TOKEN"
                err.print(
                    f"[dim]HTTP API on {server.url} (ingest {api_state})[/dim]", highlight=False
                )
            if sys.stdin.isatty():
                await _chat(app, None, children=True)
            else:  # a service: no console chat, run until SIGTERM/SIGINT
                await app.start_pipeline(children=True)
                await _until_signal()

    _run(main)


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
) -> None:
    """Run pipeline stages (and the feed scheduler) only, until interrupted (scale-out)."""
    settings = _settings()

    async def main() -> None:
        async with App(settings) as app:
            try:
                app.pipeline.select(stage)
            except ValueError as exc:
                err.print(f"grokwatch: {exc}", markup=False)
                raise typer.Exit(2) from None
            await app.pipeline.start(stage)
            if stage is None or "fetch" in stage:
                await app.start_feeds()
            err.print(
                f"worker running: {', '.join(stage or ['all stages'])} on {app.redis_description}",
                markup=False,
            )
            await _until_signal()

    _run(main)


@cli.command()
def ingest(
    paths: Annotated[
        list[str], typer.Argument(help="Files or folders of articles, or feed or page URLs.")
    ],
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per article.")] = False,
) -> None:
    """Ingest files or folders (.txt, .md, .html, .json, .jsonl), or feed or page URLs
    (fetched safely); report each article."""
    settings = _settings()

    async def main() -> int:
        async with App(settings) as app:
            outcomes = await app.ingest(paths)
        for o in outcomes:
            if as_json:
                print(json.dumps(o.to_json(), ensure_ascii=False))
            else:
                label = o.title or o.path or o.url or ""
                extra = f" — {o.reason}" if o.reason else ""
                alerts = f" ({len(o.alerts)} alert(s))" if o.alerts else ""
                print(f"{o.status:9} {o.id or '-':16} {label}{extra}{alerts}")
        return 1 if outcomes and all(o.status == "rejected" for o in outcomes) else 0

    code = _run(main)
    raise typer.Exit(code)


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
            help="Channel: console:NAME (a bare NAME is console:NAME), "
            "discord:GUILD:CHANNEL or slack:TEAM:CHANNEL (default: GROKWATCH_CONSOLE_CHANNEL).",
        ),
    ] = None,
    user: Annotated[str | None, typer.Option(help="User id (default: the console's).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="The reply as JSON.")] = False,
) -> None:
    """Run one chat command through the console transport against the store."""
    settings = _settings()

    async def main() -> Reply:
        async with App(settings, console=ConsoleTransport(Console(stderr=as_json))) as app:
            reply = await app.say(command, channel=channel, user=user)
            if not as_json:
                app.console.show(reply)
            return reply

    reply = _run(main)
    if as_json:
        data = asdict(reply)
        data["image"] = str(reply.image) if reply.image else None
        print(json.dumps(data, ensure_ascii=False))
    raise typer.Exit(1 if reply.kind == "error" else 0)


@cli.command()
def doctor() -> None:
    """Check the settings, Redis, the language models and the tokens; say what to fix."""
    from bot.ops.doctor import run_checks

    settings = _settings()
    ok = asyncio.run(run_checks(settings, Console()))
    raise typer.Exit(0 if ok else 1)


def main() -> None:
    cli()


if __name__ == "__main__":
    main()
