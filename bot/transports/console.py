"""The console transport: the chat in a terminal, rendered with rich.

Used by `grokwatch demo`, `grokwatch say` and the tests. Replies are drawn as panels;
article text is rendered as markdown, never as rich markup, so brackets in an article
cannot restyle or hide anything. A chart is saved to a file whose path is printed.
"""

from __future__ import annotations

import logging
from typing import IO

from rich.console import Console, Group, RenderableType
from rich.markdown import Markdown
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from handlers.reply import Reply

logger = logging.getLogger(__name__)

_STYLES = {"info": "cyan", "error": "red", "alert": "yellow"}


def render(reply: Reply) -> RenderableType:
    """A rich renderable for a Reply (pure: no I/O)."""
    parts: list[RenderableType] = []
    if reply.text:
        parts.append(Markdown(reply.text))
    if reply.fields:
        table = Table(show_header=False, box=None, padding=(0, 1), expand=False)
        table.add_column(style="bold", no_wrap=False, max_width=40)
        table.add_column()
        for f in reply.fields:
            table.add_row(Text(f.name), Markdown(f.value))
        parts.append(table)
    if reply.citations:
        cites = Text()
        for c in reply.citations:
            cites.append(f"[{c.n}] ", style="bold")
            cites.append(c.title)
            if c.source:
                cites.append(f" — {c.source}", style="dim")
            if c.url:
                cites.append(f" {c.url}", style="blue underline")
            cites.append("\n")
        parts.append(cites)
    if reply.image:
        parts.append(Text(f"chart saved to {reply.image}", style="magenta"))
    if reply.buttons:
        parts.append(
            Text(
                "  ".join(f"[{b.label}: /grok {b.action} {b.value}]" for b in reply.buttons),
                style="dim",
            )
        )
    title: Text | None = None
    if reply.title:
        title = Text(("🔔 " if reply.kind == "alert" else "") + reply.title, style="bold")
        if reply.url:
            title.append(f"  {reply.url}", style="blue")
    return Panel(
        Group(*parts) if parts else Text(""),
        title=title,
        title_align="left",
        subtitle=Text(reply.footer, style="dim") if reply.footer else None,
        subtitle_align="right",
        border_style=_STYLES.get(reply.kind, "cyan"),
    )


def render_plain(target: str, reply: Reply, width: int = 300) -> str:
    """A reply as a few plain lines: "<kind> in <target>: <title> <url>", then its text
    on one line (cut at `width`), its fields and its footer, indented; control
    characters of the content are replaced, so no article can forge a line of the log."""

    def clean(value: str) -> str:
        one = " ".join("".join(c if c.isprintable() else " " for c in value).split())
        return one if len(one) <= width else one[: width - 1] + "…"

    head = f"{reply.kind} in {target}: {clean(reply.title or '')}"
    if reply.url:
        head += f" <{clean(reply.url)}>"
    lines = [head]
    if reply.text:
        lines.append(clean(reply.text))
    lines += [f"{clean(f.name)}: {clean(f.value)}" for f in reply.fields]
    if reply.footer:
        lines.append(clean(reply.footer))
    return lines[0] + "".join("\n  " + line for line in lines[1:]) + "\n"


class ConsoleTransport:
    """Prints replies and alerts; the channel it serves is named by `channel`."""

    name = "console"
    posts_per_s = 0.0  # a terminal or a log has no rate limit (see bot.pipeline.delivery)
    connected = True  # nothing to connect to

    def __init__(
        self,
        console: Console | None = None,
        *,
        file: IO[str] | None = None,
        plain: bool | None = None,
    ) -> None:
        """`plain`: alerts as compact text lines, not panels (a log, read by people and
        log collectors alike; and drawing panels costs more CPU than the whole fast path
        at hundreds of alerts a second). By default, plain when the bot opens its own
        console and that is not a terminal (a service's stdout)."""
        self.console = console or Console(file=file, soft_wrap=False)
        self.plain = (
            plain if plain is not None else (console is None and not self.console.is_terminal)
        )
        self.sent: int = 0

    async def start(self) -> None:
        return None

    async def send(self, target: str, reply: Reply) -> None:
        if self.plain:
            self.console.file.write(render_plain(target, reply))
            self.console.file.flush()
        else:
            if reply.kind == "alert":
                self.console.print(Text(f"alert in {target}", style="yellow dim"))
            self.console.print(render(reply))
        self.sent += 1

    def show(self, reply: Reply) -> None:
        """Print a command's reply (not an alert)."""
        self.console.print(render(reply))

    async def close(self) -> None:
        return None
